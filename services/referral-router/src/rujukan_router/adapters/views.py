"""What the router's API reads (cosmicpython, chapter 12): referrals listed, filtered and paged
by cursor, one referral, its trace, an intake's decisions explained, replay jobs.

Reads are apart from the write model: plain queries on the tables, rows returned as named types
whose fields are the API's (``entrypoints/schemas.py`` validates them as they are), and only
what the caller may see (``visible``, ``Principal.may_see`` in SQL).

Explanations are rendered on read: a stored decision holds the facts the rules read and, per
program, the verdict (each criterion's result) and the program version; the criteria are
explained with that version's rule — the live one, or the one kept in ``program_versions`` — and
equal what the evaluation itself reported (``CompiledRule.explain``). Decisions migrated from
before revision 0003 carry their explanation as it was stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Label, Table, and_, func, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import PriorityLane, ReferralStatus
from rujukan_eligibility.rules import CompiledRule, RuleError, Verdict, compile_rule
from rujukan_platform.access import region_condition
from rujukan_platform.auth import Principal
from rujukan_platform.language import DEFAULT, Language, labelled_in
from rujukan_platform.paging import decode_cursor, encode_cursor, invalid_cursor
from rujukan_router.adapters.referrals import ComplaintRow
from rujukan_router.adapters.tables import (
    complaints,
    decisions,
    intakes,
    program_versions,
    referral_history,
    referrals,
    replays,
)
from rujukan_router.domain.catalogue import Catalogue

T = TypeVar("T")


# -- rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReferralDecision:
    """The decision a referral was made on, as its ``ReferralCreatedV1`` carried it (the
    contract's ``Decision``)."""

    program_code: str
    program_version: int
    eligible: bool
    criteria: list[dict[str, Any]]
    evaluated_at: datetime


@dataclass(frozen=True, slots=True)
class VisibleReferral:
    """A referral as the API shows it, with the decision it was made on (filled by
    ``RouterViews``)."""

    referral_id: UUID
    reference: str
    intake_id: UUID
    household_id: UUID
    program_code: str
    program_version: int
    kind: str
    status: str
    reason_code: str | None
    village_code: str
    needs: list[str]
    priority_lanes: list[str]
    rank: int
    decision_id: UUID
    due_at: datetime | None
    escalation_level: int
    queued: bool
    rerouted_from: UUID | None
    created_at: datetime
    updated_at: datetime
    decision: ReferralDecision | None = None
    #: on a complaint case: the resident's words and what about
    complaint: ComplaintRow | None = None


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One step of a referral's trace."""

    from_status: str | None
    to_status: str
    reason_code: str | None
    note: str | None
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """One evaluation of an intake as stored: the facts, and per program the verdict only."""

    id: UUID
    intake_id: UUID
    cause: str
    evaluated_at: datetime
    facts: dict[str, Any]
    programs: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ProgramVerdict:
    """One program's verdict in a decision, every criterion explained; ``explanation`` says
    why there are no criteria when the program version's rule is not known here."""

    program_code: str
    program_version: int
    eligible: bool
    outcome: str
    skipped: str | None
    rank: int
    criteria: list[dict[str, Any]]
    explanation: str | None = None


@dataclass(frozen=True, slots=True)
class ExplainedDecision:
    decision_id: UUID
    intake_id: UUID
    cause: str
    evaluated_at: datetime
    facts: dict[str, Any]
    programs: list[ProgramVerdict]


@dataclass(frozen=True, slots=True)
class ReplayOverview:
    """A replay job with its progress and report."""

    replay_id: UUID
    status: str
    apply: bool
    programs: list[str] | None
    rule: dict[str, Any] | None
    since: datetime | None
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    households_evaluated: int
    report: dict[str, Any]
    error: str | None

    @property
    def what_if(self) -> bool:
        return self.rule is not None

    @property
    def households_per_second(self) -> int | None:
        """Over the time the job ran (until now, while it runs)."""
        if self.started_at is None:
            return None
        ran: timedelta = (
            self.finished_at or self.heartbeat_at or self.started_at
        ) - self.started_at
        seconds = ran.total_seconds()
        return round(self.households_evaluated / seconds) if seconds else None


def _columns(table: Table, row: type[Any], **renamed: str) -> list[Label[Any]]:
    """The columns a row type is read from, labelled as its fields; ``renamed``: the fields
    whose column is named otherwise (field=column)."""
    named = [(f.name, renamed.get(f.name, f.name)) for f in fields(row)]
    return [table.c[column].label(name) for name, column in named if column in table.c]


_REFERRAL = _columns(referrals, VisibleReferral, referral_id="id")
_HISTORY = _columns(referral_history, StatusChange)
_SAID = [complaints.c[name] for name in ComplaintRow._fields]
_DECISION = _columns(decisions, StoredDecision)
_REPLAY = _columns(replays, ReplayOverview, replay_id="id", households_evaluated="evaluated")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing, and the cursor of the next (None: the last page)."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ReferralFilter:
    """What a listing of referrals asks for (every field optional)."""

    intake_id: UUID | None = None
    household_id: UUID | None = None
    program: str | None = None
    status: ReferralStatus | None = None
    #: a region-code prefix of whole segments (33.04 covers 33.04.01.2001, not 33.040)
    region: str | None = None
    #: only open referrals past their current step's deadline
    overdue: bool = False
    #: only households in this priority lane
    lane: PriorityLane | None = None
    #: the referral with this reference, in its canonical form (``normalise_reference``)
    reference: str | None = None
    #: only need referrals, or only complaint cases
    kind: Literal["need", "complaint"] | None = None


#: how a listing is ordered: the newest first, or the most urgent first (households in a
#: priority lane, then the nearest deadline; closed referrals, with none, last)
ReferralOrder = Literal["newest", "urgent"]
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


# -- who sees what ------------------------------------------------------------------------------


def visible(principal: Principal) -> ColumnElement[bool] | None:
    """``Principal.may_see`` in SQL: the referrals the caller may see (``None``: all)."""
    if principal.role in ("admin", "service"):
        return None
    if principal.role == "agency":
        own = referrals.c.program_code.in_(principal.programs or ["-"])
        if principal.regions:  # a village or district program's officer: their regions only
            return and_(own, region_condition(referrals.c.village_code, principal))
        return own
    if principal.role == "operator":
        return region_condition(referrals.c.village_code, principal)
    return referrals.c.id.is_(None)


# -- explanations -------------------------------------------------------------------------------


class RuleBook:
    """The compiled rule of every program version decisions refer to (compiled once per
    process: the live catalogue's, or the version kept in ``program_versions``)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue
        self._compiled: dict[tuple[str, int], CompiledRule | None] = {}

    async def load(self, session: AsyncSession, versions: Iterable[tuple[str, int]]) -> None:
        missing = set()
        for code, version in versions:
            live = self._catalogue.get(code)
            if live is not None and live.event.version == version:
                self._compiled[(code, version)] = live.rule
            elif (code, version) not in self._compiled:
                missing.add((code, version))
        if not missing:
            return
        rows = await session.execute(
            select(
                program_versions.c.code, program_versions.c.version, program_versions.c.program
            ).where(program_versions.c.code.in_({c for c, _v in missing}))
        )
        for code, version, program in rows.all():
            if (code, version) in missing:
                try:
                    self._compiled[(code, version)] = compile_rule(program["rule"])
                except (RuleError, ValueError):
                    self._compiled[(code, version)] = None
        for key in missing:
            self._compiled.setdefault(key, None)

    def rule(self, code: str, version: int) -> CompiledRule | None:
        return self._compiled.get((code, version))


def explain_program(
    entry: dict[str, Any], facts: dict[str, Any], rules: RuleBook, language: Language = DEFAULT
) -> list[dict[str, Any]] | None:
    """The criteria of one program's stored verdict, explained, labelled in ``language``; None
    if the version's rule is not known here."""
    if "criteria" in entry:  # stored explained, before revision 0003
        return [labelled_in(c, language) for c in entry["criteria"]]
    if entry.get("skipped") is not None and not entry.get("passed"):
        return []  # not evaluated: no consent, enrolled, an open referral
    rule = rules.rule(entry["program_code"], entry["program_version"])
    if rule is None:
        return None
    errors = {int(i): e for i, e in (entry.get("errors") or {}).items()}
    verdict = Verdict(bool(entry["eligible"]), tuple(entry["passed"]), errors or None)
    try:
        return [labelled_in(c.to_dict(), language) for c in rule.explain(facts, verdict)]
    except ValueError:  # a verdict that does not fit the rule: never explain it wrongly
        return None


def outcome_of(entry: dict[str, Any]) -> str:
    """What became of a program in a stored decision. Decisions stored before referrals
    followed needs say nothing: every eligible program was referred then."""
    if "outcome" in entry:
        return str(entry["outcome"])
    if entry.get("skipped") is not None:
        return "skipped"
    return "referred" if entry["eligible"] else "not_eligible"


def program_verdict(
    entry: dict[str, Any], facts: dict[str, Any], rules: RuleBook, language: Language = DEFAULT
) -> ProgramVerdict:
    criteria = explain_program(entry, facts, rules, language)
    return ProgramVerdict(
        program_code=entry["program_code"],
        program_version=entry["program_version"],
        eligible=entry["eligible"],
        outcome=outcome_of(entry),
        skipped=entry.get("skipped"),
        rank=entry.get("rank", 0),
        criteria=criteria or [],
        explanation=(
            "unavailable: this program version's rule is not known here"
            if criteria is None
            else None
        ),
    )


def explained_decision(
    row: StoredDecision,
    rules: RuleBook,
    programs: set[str] | None = None,
    language: Language = DEFAULT,
) -> ExplainedDecision:
    """One stored evaluation, every program (or those in ``programs``) explained."""
    return ExplainedDecision(
        decision_id=row.id,
        intake_id=row.intake_id,
        cause=row.cause,
        evaluated_at=row.evaluated_at,
        facts=row.facts,
        programs=[
            program_verdict(entry, row.facts, rules, language)
            for entry in row.programs
            if programs is None or entry["program_code"] in programs
        ],
    )


def referral_decision(
    referral: VisibleReferral,
    row: StoredDecision | None,
    rules: RuleBook,
    language: Language = DEFAULT,
) -> ReferralDecision | None:
    """The decision a referral was made on, as its ``ReferralCreatedV1`` carried it."""
    if row is None:
        return None
    entry = next((p for p in row.programs if p["program_code"] == referral.program_code), None)
    if referral.kind == "complaint" or entry is None:
        # a complaint reaches the program it is about, whatever its eligibility
        return ReferralDecision(
            referral.program_code, referral.program_version, True, [], row.evaluated_at
        )
    at = entry.get("evaluated_at", row.evaluated_at)
    return ReferralDecision(
        program_code=entry["program_code"],
        program_version=entry["program_version"],
        eligible=entry["eligible"],
        criteria=explain_program(entry, row.facts, rules, language) or [],
        evaluated_at=datetime.fromisoformat(at) if isinstance(at, str) else at,
    )


def versions_in(rows: Iterable[StoredDecision]) -> set[tuple[str, int]]:
    return {(p["program_code"], p["program_version"]) for r in rows for p in r.programs}


# -- the views ----------------------------------------------------------------------------------


class RouterViews:
    """The API's reads, on one session; explanations through the process's ``RuleBook``, their
    labels in the caller's ``language``."""

    def __init__(
        self, session: AsyncSession, rules: RuleBook, language: Language = DEFAULT
    ) -> None:
        self._session = session
        self._rules = rules
        self._language = language

    async def referrals(
        self,
        principal: Principal,
        wanted: ReferralFilter,
        *,
        cursor: str | None,
        limit: int,
        order: ReferralOrder = "newest",
    ) -> Page[VisibleReferral]:
        """The referrals the caller may see, in ``order``, from ``cursor`` on."""
        conditions = [c for c in (visible(principal), *_filtered(wanted)) if c is not None]
        if order == "urgent":
            return await self._urgent(conditions, cursor=cursor, limit=limit)
        if cursor:
            at, referral_id = _position(cursor)
            conditions.append(
                or_(
                    referrals.c.created_at < at,
                    and_(referrals.c.created_at == at, referrals.c.id < referral_id),
                )
            )
        stmt = (
            select(*_REFERRAL)
            .where(*conditions)
            .order_by(referrals.c.created_at.desc(), referrals.c.id.desc())
            .limit(limit)
        )
        rows = [VisibleReferral(**r._mapping) for r in await self._session.execute(stmt)]
        last = rows[-1] if len(rows) == limit else None
        next_cursor = (
            encode_cursor(last.created_at.isoformat(), str(last.referral_id)) if last else None
        )
        return Page(await self._explained(rows), next_cursor)

    async def _urgent(
        self, conditions: list[ColumnElement[bool]], *, cursor: str | None, limit: int
    ) -> Page[VisibleReferral]:
        """The most urgent first: a household in a priority lane before one in none, then the
        nearest deadline, then the id (so that pages never overlap nor skip)."""
        key = (
            (func.cardinality(referrals.c.priority_lanes) == 0).label("no_lane"),
            func.coalesce(referrals.c.due_at, literal(NO_DEADLINE)).label("deadline"),
            referrals.c.id,
        )
        if cursor:
            conditions.append(
                tuple_(*key) > tuple_(*(literal(v) for v in _urgent_position(cursor)))
            )
        stmt = select(*_REFERRAL).where(*conditions).order_by(*key).limit(limit)
        rows = [VisibleReferral(**r._mapping) for r in await self._session.execute(stmt)]
        last = rows[-1] if len(rows) == limit else None
        next_cursor = (
            encode_cursor(
                "lane" if last.priority_lanes else "none",
                (last.due_at or NO_DEADLINE).isoformat(),
                str(last.referral_id),
            )
            if last
            else None
        )
        return Page(await self._explained(rows), next_cursor)

    async def referral(self, principal: Principal, referral_id: UUID) -> VisibleReferral | None:
        """One referral with its decision, if the caller may see it."""
        found = (
            await self._session.execute(select(*_REFERRAL).where(*_one(principal, referral_id)))
        ).first()
        if found is None:
            return None
        (row,) = await self._explained([VisibleReferral(**found._mapping)])
        return row

    async def program_of(self, principal: Principal, referral_id: UUID) -> str | None:
        """The program of a referral the caller may see (None: no such referral for them)."""
        return (
            await self._session.execute(
                select(referrals.c.program_code).where(*_one(principal, referral_id))
            )
        ).scalar_one_or_none()

    async def _explained(self, rows: Sequence[VisibleReferral]) -> list[VisibleReferral]:
        """The referrals, each with the decision it was made on, explained (a complaint case
        with what the resident said)."""
        rows = await self._with_complaints(rows)
        found = await self._decisions(
            decisions.c.id.in_({r.decision_id for r in rows}) if rows else None
        )
        by_id = {d.id: d for d in found}
        await self._rules.load(self._session, versions_in(found))
        return [
            replace(
                r,
                decision=referral_decision(
                    r, by_id.get(r.decision_id), self._rules, self._language
                ),
            )
            for r in rows
        ]

    async def _with_complaints(self, rows: Sequence[VisibleReferral]) -> list[VisibleReferral]:
        """The referrals, each complaint case with what it is about."""
        cases = [r.referral_id for r in rows if r.kind == "complaint"]
        if not cases:
            return list(rows)
        found = await self._session.execute(
            select(*_SAID).where(complaints.c.referral_id.in_(cases))
        )
        said = {r.referral_id: ComplaintRow(*r) for r in found}
        return [replace(r, complaint=said.get(r.referral_id)) for r in rows]

    async def trace(self, principal: Principal, referral_id: UUID) -> list[StatusChange] | None:
        """Every status change of a referral, in order; None when there is no such referral
        for the caller."""
        if await self.program_of(principal, referral_id) is None:
            return None
        rows = await self._session.execute(
            select(*_HISTORY)
            .where(referral_history.c.referral_id == referral_id)
            .order_by(referral_history.c.seq)
        )
        return [StatusChange(**r._mapping) for r in rows]

    async def intake_decisions(
        self, principal: Principal, intake_id: UUID
    ) -> list[ExplainedDecision] | None:
        """Every evaluation of an intake, oldest first, explained; None when there is no such
        intake for the caller. An agency sees an intake of its regions (any, without regions),
        but only its own programs' verdicts."""
        village = (
            await self._session.execute(
                select(intakes.c.village_code).where(intakes.c.intake_id == intake_id)
            )
        ).scalar_one_or_none()
        if village is None or not principal.may_see(village):
            return None
        found = await self._decisions(decisions.c.intake_id == intake_id)
        await self._rules.load(self._session, versions_in(found))
        programs = set(principal.programs) if principal.role == "agency" else None
        return [explained_decision(d, self._rules, programs, self._language) for d in found]

    @staticmethod
    def suggested(decisions: Sequence[ExplainedDecision]) -> list[str]:
        """The programs the latest routing of an intake found the household eligible for, for
        needs it did not state: for the officer to propose, best first."""
        routed = [d for d in decisions if d.cause == "routing"]
        if not routed:
            return []
        latest = max(routed, key=lambda d: d.evaluated_at)
        found = [p for p in latest.programs if p.outcome == "suggested"]
        return [p.program_code for p in sorted(found, key=lambda p: p.rank)]

    async def replay(self, replay_id: UUID) -> ReplayOverview | None:
        found = (
            await self._session.execute(select(*_REPLAY).where(replays.c.id == replay_id))
        ).first()
        return ReplayOverview(**found._mapping) if found is not None else None

    async def replays(self, limit: int) -> list[ReplayOverview]:
        """The newest replay jobs."""
        rows = await self._session.execute(
            select(*_REPLAY).order_by(replays.c.created_at.desc()).limit(limit)
        )
        return [ReplayOverview(**r._mapping) for r in rows]

    async def _decisions(self, condition: ColumnElement[bool] | None) -> list[StoredDecision]:
        if condition is None:
            return []
        rows = await self._session.execute(
            select(*_DECISION).where(condition).order_by(decisions.c.evaluated_at, decisions.c.id)
        )
        return [StoredDecision(**r._mapping) for r in rows]


def _filtered(wanted: ReferralFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.intake_id:
        conditions.append(referrals.c.intake_id == wanted.intake_id)
    if wanted.household_id:
        conditions.append(referrals.c.household_id == wanted.household_id)
    if wanted.reference:
        conditions.append(referrals.c.reference == wanted.reference)
    if wanted.program:
        conditions.append(referrals.c.program_code == wanted.program)
    if wanted.kind:
        conditions.append(referrals.c.kind == wanted.kind)
    if wanted.overdue:
        conditions.append(referrals.c.due_at < datetime.now(UTC))
        conditions.append(referrals.c.open)
    if wanted.status:
        conditions.append(referrals.c.status == wanted.status.value)
    if wanted.lane:
        conditions.append(referrals.c.priority_lanes.contains([wanted.lane.value]))
    if wanted.region:
        conditions.append(
            or_(
                referrals.c.village_code == wanted.region,
                referrals.c.village_code.startswith(wanted.region + "."),
            )
        )
    return conditions


def _one(principal: Principal, referral_id: UUID) -> list[ColumnElement[bool]]:
    """The referral ``referral_id``, if the caller may see it."""
    return [c for c in (referrals.c.id == referral_id, visible(principal)) if c is not None]


def _urgent_position(cursor: str) -> tuple[bool, datetime, UUID]:
    """Where a page of the most urgent starts: the last referral of the page before."""
    lane, due, referral_id = decode_cursor(cursor, 3)
    try:
        if lane not in ("lane", "none"):
            raise ValueError(lane)
        return lane == "none", datetime.fromisoformat(due), UUID(referral_id)
    except ValueError as exc:
        raise invalid_cursor() from exc


def _position(cursor: str) -> tuple[datetime, UUID]:
    """Where a page starts: the last referral of the page before (its time and id)."""
    at, referral_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(at), UUID(referral_id)
    except ValueError as exc:
        raise invalid_cursor() from exc

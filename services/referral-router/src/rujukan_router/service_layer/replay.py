"""Replay and what-if: re-evaluate each household's latest intake after a rule or the registry
changed — as a resumable job, so that the whole registry can be re-evaluated.

A job is created as a dry run or to apply, for every program or some, optionally with a draft
rule for one program (a what-if: dry run only) and with refreshed registry facts for some
households. A worker holding the job's lease goes through the households in order, a chunk per
transaction; the same transaction moves the job's cursor and report, so a crash resumes after
the last chunk that committed and another process takes over a lease that stopped beating.

The report counts who gains and who loses eligibility, per program, against what the program's
rule last said for the intake in its stored decisions (``eligibility_before``: a skip before any
rule ran says nothing, a program full at the time was eligible). Applying stores the new
evaluation of every intake that changed (cause 'replay') and refers the households that gained,
where no referral is open, consent allows and there is capacity: only the differences are
emitted. Losses are reported, never acted on — an open referral is withdrawn by a person, not by
a replay.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import IntakeSubmittedV1, RegistryFacts
from rujukan_eligibility.rules import compile_rule
from rujukan_platform.db import driver_connection
from rujukan_platform.failures import is_transient
from rujukan_platform.ids import new_id
from rujukan_platform.logging import get_logger
from rujukan_router.adapters.tables import replay_registry_updates, replays
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import NOT_EVALUATED, decide
from rujukan_router.service_layer.referrals import (
    CapacityLedger,
    NewReferrals,
    open_programs_by_household,
)

log = get_logger(__name__)

CHUNK = 2000
LEASE = timedelta(seconds=60)
SAMPLE = 50
ACTIVE = ("pending", "running")
FINISHED = ("done", "failed", "cancelled")


class ReplayNotFound(LookupError):
    pass


class ReplayStateError(ValueError):
    """The operation does not fit the job's status (e.g. registry updates after the start)."""


class LeaseLost(RuntimeError):
    """Another worker took the job over (this one's lease had expired): roll back the chunk."""


@dataclass
class ReplayReport:
    intakes_evaluated: int = 0
    gains: dict[str, int] = field(default_factory=dict)
    losses: dict[str, int] = field(default_factory=dict)
    sample_gains: list[dict[str, str]] = field(default_factory=list)
    sample_losses: list[dict[str, str]] = field(default_factory=list)
    referrals_created: int = 0
    applied: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "intakes_evaluated": self.intakes_evaluated,
            "gains": self.gains,
            "losses": self.losses,
            "sample_gains": self.sample_gains,
            "sample_losses": self.sample_losses,
            "referrals_created": self.referrals_created,
            "applied": self.applied,
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> ReplayReport:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def count(self, intake_id: UUID, code: str, *, gained: bool) -> None:
        tally, samples = (
            (self.gains, self.sample_gains) if gained else (self.losses, self.sample_losses)
        )
        tally[code] = tally.get(code, 0) + 1
        if len(samples) < SAMPLE:
            samples.append({"intake_id": str(intake_id), "program": code})


async def create_replay(
    session: AsyncSession,
    *,
    apply: bool,
    programs: Sequence[str] | None,
    rule: dict[str, Any] | None,
    since: datetime | None,
    registry_updates: Mapping[UUID, RegistryFacts],
    requested_by: str,
    start: bool,
    now: datetime,
) -> UUID:
    replay_id = new_id()
    await session.execute(
        replays.insert().values(
            id=replay_id,
            status="pending" if start else "draft",
            apply=apply,
            programs=list(programs) if programs else None,
            rule=rule,
            since=since,
            requested_by=requested_by,
            created_at=now,
            report=ReplayReport(applied=apply).as_dict(),
        )
    )
    await _store_updates(session, replay_id, registry_updates)
    return replay_id


async def add_registry_updates(
    session: AsyncSession, replay_id: UUID, updates: Mapping[UUID, RegistryFacts]
) -> int:
    """More refreshed facts for a draft job (national refreshes arrive in many requests)."""
    job = await _locked(session, replay_id)
    if job.status != "draft":
        raise ReplayStateError(f"replay {replay_id} is {job.status}: registry updates go to drafts")
    await _store_updates(session, replay_id, updates)
    return len(updates)


async def _store_updates(
    session: AsyncSession, replay_id: UUID, updates: Mapping[UUID, RegistryFacts]
) -> None:
    if not updates:
        return
    stmt = insert(replay_registry_updates).values(
        [
            {"replay_id": replay_id, "household_id": h, "facts": f.model_dump(mode="json")}
            for h, f in updates.items()
        ]
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["replay_id", "household_id"], set_={"facts": stmt.excluded.facts}
        )
    )


async def start_replay(session: AsyncSession, replay_id: UUID) -> None:
    job = await _locked(session, replay_id)
    if job.status != "draft":
        raise ReplayStateError(f"replay {replay_id} is {job.status}, not a draft")
    await session.execute(
        replays.update().where(replays.c.id == replay_id).values(status="pending")
    )


async def cancel_replay(session: AsyncSession, replay_id: UUID, now: datetime) -> None:
    """Stop a job after the chunk in progress; what its committed chunks applied stays."""
    job = await _locked(session, replay_id)
    if job.status in FINISHED:
        raise ReplayStateError(f"replay {replay_id} is already {job.status}")
    await session.execute(
        replays.update()
        .where(replays.c.id == replay_id)
        .values(status="cancelled", finished_at=now, lease_owner=None)
    )


async def _locked(session: AsyncSession, replay_id: UUID) -> Any:
    row = (
        await session.execute(select(replays).where(replays.c.id == replay_id).with_for_update())
    ).first()
    if row is None:
        raise ReplayNotFound(str(replay_id))
    return row


async def replay_row(session: AsyncSession, replay_id: UUID) -> Any | None:
    return (await session.execute(select(replays).where(replays.c.id == replay_id))).first()


def replay_view(row: Any) -> dict[str, Any]:
    seconds = None
    if row.started_at is not None:
        seconds = (row.finished_at or row.heartbeat_at or row.started_at) - row.started_at
        seconds = seconds.total_seconds()
    return {
        "replay_id": row.id,
        "status": row.status,
        "apply": row.apply,
        "programs": row.programs,
        "what_if": row.rule is not None,
        "since": row.since,
        "requested_by": row.requested_by,
        "created_at": row.created_at,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "households_evaluated": row.evaluated,
        "households_per_second": round(row.evaluated / seconds) if seconds else None,
        "report": row.report,
        "error": row.error,
    }


async def claim(
    session: AsyncSession, owner: str, now: datetime, *, replay_id: UUID | None = None
) -> Any | None:
    """Take the lease of the oldest active job nobody holds (or whose holder went quiet);
    ``replay_id``: only that job."""
    wanted = "AND id = :replay_id" if replay_id is not None else ""
    row = (
        await session.execute(
            text(
                "UPDATE replays SET lease_owner = :owner, heartbeat_at = :now,"
                " status = 'running', started_at = coalesce(started_at, :now)"
                " WHERE id = (SELECT id FROM replays WHERE status = ANY(:active)"
                f" {wanted} AND (lease_owner IS NULL OR lease_owner = :owner"
                " OR heartbeat_at < :stale)"
                " ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *"
            ),
            {
                "owner": owner,
                "now": now,
                "stale": now - LEASE,
                "replay_id": replay_id,
                "active": list(ACTIVE),
            },
        )
    ).first()
    return row


async def release(session: AsyncSession, replay_id: UUID, owner: str) -> None:
    """Give the lease back (a request that worked on a job until its wait ran out)."""
    await session.execute(
        replays.update()
        .where(replays.c.id == replay_id, replays.c.lease_owner == owner)
        .values(lease_owner=None)
    )


_CHUNK_SQL = (
    "SELECT DISTINCT ON (i.household_id) i.intake_id, i.household_id, i.event::text,"
    " (SELECT jsonb_agg(d.programs ORDER BY d.evaluated_at, d.id)::text FROM decisions d"
    "  WHERE d.intake_id = i.intake_id),"
    " u.facts::text"
    " FROM intakes i LEFT JOIN replay_registry_updates u"
    "  ON u.replay_id = $1 AND u.household_id = i.household_id"
    " WHERE ($2::uuid IS NULL OR i.household_id > $2)"
    " AND ($3::timestamptz IS NULL OR i.submitted_at >= $3)"
    " ORDER BY i.household_id, i.submitted_at DESC LIMIT $4"
)


def eligibility_before(
    evaluations: Sequence[Sequence[Mapping[str, Any]]],
) -> tuple[set[str], dict[str, bool]]:
    """From an intake's stored decisions, oldest first: the programs they name, and what each
    program's rule said the last time it was evaluated. A skip before evaluation (no consent,
    enrolled, an open referral) says nothing of eligibility and leaves the earlier answer; a
    program full at the time was eligible all the same."""
    seen: set[str] = set()
    before: dict[str, bool] = {}
    for programs in evaluations:
        for p in programs:
            seen.add(p["program_code"])
            if p.get("skipped") in NOT_EVALUATED:
                continue
            before[p["program_code"]] = bool(p["eligible"]) or p.get("skipped") == "capacity_full"
    return seen, before


class CatalogueCache:
    """The catalogue a job decides with: the live one, or a what-if copy with its draft rule
    (compiled once per job)."""

    def __init__(self) -> None:
        self._what_ifs: dict[UUID, tuple[int, Catalogue]] = {}

    def of(self, job: Any, live: Catalogue) -> Catalogue:
        if job.rule is None:
            return live
        cached = self._what_ifs.get(job.id)
        if cached is not None and cached[0] == id(live):
            return cached[1]
        catalogue = live.with_rule(job.programs[0], compile_rule(job.rule))
        self._what_ifs = {job.id: (id(live), catalogue)}
        return catalogue


async def run_chunk(
    session: AsyncSession,
    job: Any,
    catalogue: Catalogue,
    *,
    owner: str,
    now: datetime,
    size: int = CHUNK,
) -> bool:
    """Evaluate the next ``size`` households of ``job`` and, if it applies, act on what
    changed; advance the job in the same transaction. Returns whether households remain."""
    conn = await driver_connection(session)
    state = await conn.fetchrow(
        "SELECT status, lease_owner, cursor, report::text FROM replays WHERE id = $1 FOR UPDATE",
        job.id,
    )
    if state is None or state["status"] != "running" or state["lease_owner"] != owner:
        raise LeaseLost(f"replay {job.id}: {state['status'] if state else 'deleted'}")
    report = ReplayReport.of(orjson.loads(state["report"]))
    rows = await conn.fetch(_CHUNK_SQL, job.id, state["cursor"], job.since, size)
    programs = set(job.programs) if job.programs else None
    changed: list[tuple[IntakeSubmittedV1, Any, list[Any], bool]] = []
    for intake_id, _household_id, event, decided_before, registry in rows:
        intake = IntakeSubmittedV1.model_validate_json(event)
        refreshed = registry is not None
        if refreshed:
            intake = intake.model_copy(
                update={"registry": RegistryFacts.model_validate_json(registry)}
            )
        seen, before = eligibility_before(orjson.loads(decided_before or "[]"))
        decided = decide(intake, catalogue, open_programs=set(), as_of=now.date())
        differences = []
        for d in decided.programs:
            code = d.program.code
            if d.skipped is not None or (programs is not None and code not in programs):
                continue
            if code in seen and code not in before:
                continue  # only ever skipped before any rule ran: nothing to compare with
            if d.eligible != before.get(code, False):
                differences.append(d)
                report.count(intake_id, d.program.code, gained=d.eligible)
        if differences:
            changed.append((intake, decided, differences, refreshed))
    report.intakes_evaluated += len(rows)
    if job.apply and changed:
        report.referrals_created += await _apply(session, changed, catalogue, now)
    more = len(rows) == size
    await conn.execute(
        "UPDATE replays SET cursor = $2, evaluated = evaluated + $3, report = $4::jsonb,"
        " heartbeat_at = $5, status = $6, finished_at = $7 WHERE id = $1",
        job.id,
        rows[-1]["household_id"] if rows else state["cursor"],
        len(rows),
        orjson.dumps(report.as_dict()).decode(),
        now,
        "running" if more else "done",
        None if more else now,
    )
    return more


async def _apply(
    session: AsyncSession,
    changed: list[tuple[IntakeSubmittedV1, Any, list[Any], bool]],
    catalogue: Catalogue,
    now: datetime,
) -> int:
    """Refer the gains of one chunk and store the new evaluations; returns referrals made."""
    conn = await driver_connection(session)
    refreshed = [intake for intake, _d, _diff, was_refreshed in changed if was_refreshed]
    if refreshed:  # the stored intake now holds the facts it was decided on
        await conn.execute(
            "UPDATE intakes SET event = u.event FROM unnest($1::uuid[], $2::json[]) AS u(id, event)"
            " WHERE intakes.intake_id = u.id",
            [i.intake_id for i in refreshed],
            [i.model_dump_json() for i in refreshed],
        )
    open_by_household = await open_programs_by_household(
        session, list({intake.household_id for intake, *_rest in changed})
    )
    gained = [d.program for _i, _dd, diff, _r in changed for d in diff if d.eligible]
    ledger = await CapacityLedger.open(session, gained, now.date())
    new = NewReferrals()
    for intake, decided, differences, _refreshed in changed:
        decision_id = new_id()
        open_programs = open_by_household.setdefault(intake.household_id, set())
        for d in differences:
            if not d.eligible or d.program.code in open_programs:
                continue
            if new.refer(intake, d, decided.facts, decision_id, now, ledger) is not None:
                open_programs.add(d.program.code)
        new.decision(intake, decided, cause="replay", at=now, decision_id=decision_id)
    await ledger.save(session)
    await new.save(session)
    return len(new.created)


async def work(
    sessions: Any,
    catalogue: Catalogue,
    cache: CatalogueCache,
    *,
    owner: str,
    now: Callable[[], datetime],
    replay_id: UUID | None = None,
    until: float | None = None,
    stop: asyncio.Event | None = None,
    on_chunk: Callable[[], None] | None = None,
) -> Any | None:
    """Claim a job (``replay_id``, or the oldest claimable) and work through it, a chunk per
    transaction, until it is finished, ``stop`` is set or the monotonic time ``until`` passes
    (then the lease is given back to the background workers). A failure that is not transient
    fails the job, with its message. Returns the job's row as it ended, None when there was
    nothing to claim."""
    async with sessions() as session, session.begin():
        job = await claim(session, owner, now(), replay_id=replay_id)
    if job is None:
        return None
    try:
        while True:
            async with sessions() as session, session.begin():
                more = await run_chunk(
                    session, job, cache.of(job, catalogue), owner=owner, now=now()
                )
            if on_chunk is not None:
                on_chunk()
            if not more:
                break
            if (until is not None and time.monotonic() >= until) or (stop and stop.is_set()):
                async with sessions() as session, session.begin():
                    await release(session, job.id, owner)
                break
    except LeaseLost:
        pass
    except Exception as exc:
        if is_transient(exc):
            raise  # weather: the lease lapses or this worker claims the job again later
        log.exception("replay failed", replay_id=str(job.id))
        await fail(sessions, job.id, f"{type(exc).__name__}: {exc}", now())
    async with sessions() as session:
        return await replay_row(session, job.id)


async def fail(sessions: Any, replay_id: UUID, error: str, now: datetime) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            replays.update()
            .where(replays.c.id == replay_id, replays.c.status.in_(ACTIVE))
            .values(status="failed", error=error[:2000], finished_at=now, lease_owner=None)
        )

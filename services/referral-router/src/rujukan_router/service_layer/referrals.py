"""Making referrals: the one way every use case refers a household (routing, re-routing after a
rejection, a replay that applies).

``referring`` opens what referring needs in the unit of work — the capacity of the programs
that may be referred to (their usage rows locked until the unit ends, so two replicas never
overbook) and the households' open referrals — hands over a ``NewReferrals`` that gathers the
decisions, referrals, history rows and events in memory, and writes them when the block ends:
one ``COPY`` per kind of row, the events raised in the unit (staged and counted at its commit).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from rujukan_contracts.envelope import continued_traceparent
from rujukan_contracts.events import Complaint, IntakeSubmittedV1, ReferralStatus
from rujukan_contracts.references import referral_reference
from rujukan_platform.ids import new_id
from rujukan_platform.language import Localised
from rujukan_platform.outbox import OutboxRecord
from rujukan_router.adapters.events import (
    created_record,
    decision_payload,
    dumps,
    status_record,
)
from rujukan_router.adapters.programs import UsageKey
from rujukan_router.adapters.referrals import (
    ComplaintRow,
    DecisionRow,
    HistoryRow,
    ReferralRef,
    ReferralRow,
    Step,
    StoredReferral,
)
from rujukan_router.domain.capacity import period_start
from rujukan_router.domain.catalogue import LiveProgram
from rujukan_router.domain.decide import Decided, ProgramDecision
from rujukan_router.domain.sla import step_deadline
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork

CREATED = ReferralStatus.created.value


class ReferralNotFound(LookupError):
    """No such referral; ``reason`` says so in both languages (an agency reads it in its
    outcomes DLQ), the message in English."""

    def __init__(self, referral_id: UUID) -> None:
        self.reason = Localised(
            f"rujukan {referral_id} tidak ditemukan", f"no referral {referral_id}"
        )
        super().__init__(self.reason.en)


class ProgramMismatch(PermissionError):
    """A report on a referral of another program; ``reason`` in both languages, as above."""

    def __init__(self, referral_id: UUID, owner: str, reported: str) -> None:
        self.reason = Localised(
            f"rujukan {referral_id} milik {owner}, bukan {reported}",
            f"referral {referral_id} belongs to {owner}, not {reported}",
        )
        super().__init__(self.reason.en)


@dataclass(frozen=True, slots=True)
class Moved:
    """A referral put on a new step by someone, as the history and the status event say it."""

    referral: StoredReferral
    history: HistoryRow
    event: OutboxRecord


async def move(
    uow: RouterUnitOfWork,
    row: StoredReferral,
    step: Step,
    at: datetime,
    *,
    note: str | None,
    actor: str,
    idempotency_key: str | None = None,
    request_hash: str | None = None,
    public_note: str | None = None,
    **event: Any,
) -> Moved:
    """Put ``row`` (locked; the step allowed by ``lifecycle``) on ``step``: its history row
    and its status event (the caller adds them, one statement for many referrals).
    ``event``: the status event's other fields (``status_record``'s: an escalation's)."""
    updated = await uow.referrals.change(row.id, step, at)
    history = HistoryRow(
        row.id,
        row.status,
        step.status,
        note,
        actor,
        at,
        reason_code=step.reason_code,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    record = status_record(
        updated,
        to_status=step.status,
        from_status=row.status,
        at=at,
        traceparent=continued_traceparent(uow.trace),
        reason_code=step.reason_code,
        note=note,
        public_note=public_note,
        **event,
    )
    return Moved(updated, history, record)


@asynccontextmanager
async def referring(
    uow: RouterUnitOfWork,
    *,
    programs: Iterable[LiveProgram],
    households: Iterable[UUID],
    today: date,
) -> AsyncIterator[NewReferrals]:
    """Refer within ``programs`` (their capacity counted today) for ``households`` (their open
    referrals known); everything referred in the block is written when it ends."""
    keys = {_usage_key(p, today) for p in programs if p.event.capacity is not None}
    ledger = CapacityLedger(await uow.programs.lock_usage(keys), today)
    new = NewReferrals(ledger, await uow.referrals.open_programs(list(set(households))))
    yield new
    await uow.programs.save_usage(ledger.changed())
    await uow.referrals.add(new.decisions, new.rows, new.history)
    await uow.referrals.add_complaints(new.complaints)
    uow.add_records(new.events)


def stored_verdict(d: ProgramDecision) -> dict[str, Any]:
    """A program's entry in a stored decision: its verdict, no explanation (rendered on read
    from the decision's facts and the program version's rule)."""
    entry: dict[str, Any] = {
        "program_code": d.program.code,
        "program_version": d.program.event.version,
        "eligible": d.eligible,
        "outcome": d.outcome,
        "skipped": d.skipped,
        "rank": d.rank,
        "passed": list(d.verdict.passed) if d.verdict is not None else [],
    }
    if d.verdict is not None and d.verdict.errors:
        entry["errors"] = {str(i): e for i, e in d.verdict.errors.items()}
    return entry


def explained(d: ProgramDecision, facts: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The decision as a referral carries it (``Decision`` in the contract): every criterion
    with its result and the values it read."""
    return decision_payload(
        program_code=d.program.code,
        program_version=d.program.event.version,
        eligible=d.eligible,
        criteria=[c.to_dict() for c in d.criteria(facts)],
        evaluated_at=at,
    )


def _usage_key(program: LiveProgram, today: date) -> UsageKey:
    return (program.code, period_start(today, program.event.capacity_period))


class CapacityLedger:
    """Referrals counted against capacity-limited programs in memory, from the usage read
    under lock when the unit of work began referring."""

    def __init__(self, used: dict[UsageKey, int], today: date) -> None:
        self._used = used
        self._start = dict(used)
        self._today = today

    def has_room(self, program: LiveProgram) -> bool:
        """Whether one more referral fits this period (nothing counted)."""
        capacity = program.event.capacity
        if capacity is None:
            return True
        used = self._used.get(_usage_key(program, self._today))
        return used is None or used < capacity  # a period not opened here is not counted

    def take(self, program: LiveProgram) -> bool:
        """Count one referral; False when the program is full this period."""
        capacity = program.event.capacity
        if capacity is None:
            return True
        key = _usage_key(program, self._today)
        if key not in self._used:
            raise LookupError(f"{program.code} was not opened in this ledger")
        if self._used[key] >= capacity:
            return False
        self._used[key] += 1
        return True

    def changed(self) -> dict[UsageKey, int]:
        """The periods referred in, with their new totals."""
        return {key: n for key, n in self._used.items() if n != self._start[key]}


@dataclass
class NewReferrals:
    """The decisions, referrals, history rows and events of one unit of work, gathered in
    memory; each referral made also counts as open for its household."""

    ledger: CapacityLedger = field(default_factory=lambda: CapacityLedger({}, date.min))
    open_by_household: dict[UUID, set[str]] = field(default_factory=dict)
    decisions: list[DecisionRow] = field(default_factory=list)
    rows: list[ReferralRow] = field(default_factory=list)
    history: list[HistoryRow] = field(default_factory=list)
    complaints: list[ComplaintRow] = field(default_factory=list)
    events: list[OutboxRecord] = field(default_factory=list)
    _shared: dict[UUID, _Shared] = field(default_factory=dict)

    def turns_away(self, program: LiveProgram) -> bool:
        """Whether ``program`` would skip a referral now: full, and not queueing (``decide``
        then chooses the next program and says ``capacity_full``)."""
        return program.event.when_full != "queue" and not self.ledger.has_room(program)

    def open_programs(self, household_id: UUID) -> set[str]:
        """Programs the household has an open referral to (those made here included)."""
        return self.open_by_household.setdefault(household_id, set())

    def _of(self, intake: IntakeSubmittedV1, cause: str | None) -> _Shared:
        """What every referral of one intake copies, computed once per intake: its needs, lanes
        and consent, and the span its events come from."""
        shared = self._shared.get(intake.intake_id)
        if shared is None:
            shared = self._shared[intake.intake_id] = _Shared(
                [n.value for n in intake.needs],
                [lane.value for lane in intake.priority_lanes],
                intake.consent.model_dump(mode="json"),
                continued_traceparent(cause),
            )
        return shared

    def decision(
        self,
        intake: IntakeSubmittedV1,
        decided: Decided,
        *,
        cause: str,
        at: datetime,
        decision_id: UUID,
    ) -> None:
        """Record an evaluation of ``intake`` under ``decision_id``, the id its referrals point
        at (once its verdicts are final: capacity may still skip a program)."""
        programs = [stored_verdict(d) for d in decided.programs]
        self.decisions.append(
            DecisionRow(
                decision_id, intake.intake_id, cause, at, dumps(decided.facts), dumps(programs)
            )
        )

    def add(
        self,
        intake: IntakeSubmittedV1,
        program: LiveProgram,
        decision: dict[str, Any],
        decision_id: UUID,
        now: datetime,
        *,
        kind: str,
        rank: int = 0,
        queued: bool = False,
        rerouted_from: UUID | None = None,
        traceparent: str | None = None,
        complaint: Complaint | None = None,
    ) -> ReferralRef:
        """A referral to ``program``, with ``decision`` (``explained``) as the agency sees it;
        with ``complaint``, a complaint case (``kind="complaint"``): it carries the resident's
        words, serves no need, and leaves the household's need referrals to the program be."""
        event = program.event
        due_at = step_deadline(
            ReferralStatus.created,
            event.sla_days,
            now,
            lanes=intake.priority_lanes,
            village_code=intake.village_code,
        )
        assert due_at is not None
        shared = self._of(intake, traceparent)
        needs = (
            []
            if complaint is not None
            else [n for n in shared.needs if n in program.needs_served] or shared.needs
        )
        referral_id = new_id()
        row = ReferralRow(
            id=referral_id,
            reference=referral_reference(referral_id, intake.village_code),
            intake_id=intake.intake_id,
            household_id=intake.household_id,
            program_code=program.code,
            program_version=event.version,
            kind=kind,
            status=CREATED,
            village_code=intake.village_code,
            needs=needs,
            priority_lanes=shared.lanes,
            rank=rank,
            decision_id=decision_id,
            due_at=due_at,
            escalation_level=0,
            queued=queued,
            rerouted_from=rerouted_from,
            created_at=now,
            updated_at=now,
        )
        referral = ReferralRef(
            row.id,
            row.intake_id,
            row.household_id,
            row.program_code,
            row.village_code,
            due_at,
            kind=kind,
        )
        self.rows.append(row)
        note = f"re-routed from {rerouted_from}" if rerouted_from else None
        self.history.append(HistoryRow(row.id, None, CREATED, note, "router", now))
        said = complaint.model_dump(mode="json") if complaint is not None else None
        self.events.append(
            created_record(
                row,
                decision=decision,
                consent=shared.consent,
                traceparent=shared.span,
                complaint=said,
            )
        )
        self.events.append(
            status_record(
                referral, to_status=CREATED, from_status=None, at=now, traceparent=shared.span
            )
        )
        if complaint is None:
            self.open_programs(intake.household_id).add(program.code)
        else:
            self.complaints.append(
                ComplaintRow(
                    row.id,
                    complaint.kind,
                    complaint.category.value,
                    complaint.text,
                    complaint.about_program,
                    complaint.about_referral,
                )
            )
        return referral

    def refer(
        self,
        intake: IntakeSubmittedV1,
        d: ProgramDecision,
        facts: dict[str, Any],
        decision_id: UUID,
        now: datetime,
        *,
        rerouted_from: UUID | None = None,
        traceparent: str | None = None,
    ) -> ReferralRef | None:
        """Refer ``intake`` to a program it is eligible for, as its capacity allows: a full
        program queues the referral (``when_full: queue``) or is skipped (the decision then says
        ``capacity_full``). None when skipped."""
        has_room = self.ledger.take(d.program)
        if not has_room and d.program.event.when_full != "queue":
            d.skipped = "capacity_full"
            return None
        return self.add(
            intake,
            d.program,
            explained(d, facts, now),
            decision_id,
            now,
            kind="need",
            rank=d.rank,
            queued=not has_room,
            rerouted_from=rerouted_from,
            traceparent=traceparent,
        )

    @property
    def created(self) -> int:
        return len(self.rows)


@dataclass(frozen=True, slots=True)
class _Shared:
    needs: list[str]
    lanes: list[str]
    consent: dict[str, Any]
    span: str

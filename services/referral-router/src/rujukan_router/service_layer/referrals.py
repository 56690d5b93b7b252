"""Referrals, their decisions, history and events: the pieces every router use case shares.

``NewReferrals`` gathers the rows of one transaction — decisions, referrals, history and outbox
events — and writes each kind with one ``COPY``. ``CapacityLedger`` counts referrals against
capacity-limited programs in memory under row locks taken once per transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.envelope import child_traceparent
from rujukan_contracts.events import IntakeSubmittedV1, ReferralStatus
from rujukan_contracts.topics import program_topic
from rujukan_platform.db import copy_records, driver_connection
from rujukan_platform.ids import new_id
from rujukan_platform.outbox import OutboxRecord, stage_records
from rujukan_router.adapters.events import (
    created_record,
    decision_payload,
    dumps,
    status_record,
)
from rujukan_router.adapters.tables import program_usage, referral_history
from rujukan_router.domain.capacity import period_start
from rujukan_router.domain.catalogue import LiveProgram
from rujukan_router.domain.decide import Decided, ProgramDecision
from rujukan_router.domain.sla import step_deadline

DECISION_COLUMNS = ("id", "intake_id", "cause", "evaluated_at", "facts", "programs")
REFERRAL_COLUMNS = (
    "id",
    "intake_id",
    "household_id",
    "program_code",
    "program_version",
    "kind",
    "status",
    "village_code",
    "needs",
    "priority_lanes",
    "rank",
    "decision_id",
    "due_at",
    "escalation_level",
    "queued",
    "rerouted_from",
    "created_at",
    "updated_at",
)
HISTORY_COLUMNS = ("referral_id", "from_status", "to_status", "note", "actor", "at")
CREATED = ReferralStatus.created.value


class ReferralNotFound(LookupError):
    pass


class ProgramMismatch(PermissionError):
    pass


def stored_verdict(d: ProgramDecision) -> dict[str, Any]:
    """A program's entry in a stored decision: its verdict, no explanation (rendered on read
    from the decision's facts and the program version's rule)."""
    entry: dict[str, Any] = {
        "program_code": d.program.code,
        "program_version": d.program.event.version,
        "eligible": d.eligible,
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


@dataclass
class NewReferrals:
    """The decisions, referrals, history rows and events of one transaction."""

    decisions: list[tuple[Any, ...]] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    history: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[OutboxRecord] = field(default_factory=list)
    created: list[Referral] = field(default_factory=list)
    _shared: dict[UUID, _Shared] = field(default_factory=dict)

    def _of(self, intake: IntakeSubmittedV1, cause: str | None) -> _Shared:
        """What every referral of one intake copies, computed once per intake: its needs, lanes
        and consent, and the span its events come from."""
        shared = self._shared.get(intake.intake_id)
        if shared is None:
            shared = self._shared[intake.intake_id] = _Shared(
                [n.value for n in intake.needs],
                [lane.value for lane in intake.priority_lanes],
                intake.consent.model_dump(mode="json"),
                child_traceparent(cause),
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
            (decision_id, intake.intake_id, cause, at, dumps(decided.facts), dumps(programs))
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
    ) -> Referral:
        """A referral to ``program``, with ``decision`` (``explained``) as the agency sees it."""
        referral_id = new_id()
        event = program.event
        due_at = step_deadline(ReferralStatus.created, event.sla_days, now)
        assert due_at is not None
        shared = self._of(intake, traceparent)
        needs = [n for n in shared.needs if n in program.needs_served] or shared.needs
        lanes = shared.lanes
        referral = Referral(
            id=referral_id,
            intake_id=intake.intake_id,
            household_id=intake.household_id,
            program_code=program.code,
            village_code=intake.village_code,
            due_at=due_at,
        )
        self.rows.append(
            (
                referral_id,
                intake.intake_id,
                intake.household_id,
                program.code,
                event.version,
                kind,
                CREATED,
                intake.village_code,
                needs,
                lanes,
                rank,
                decision_id,
                due_at,
                0,
                queued,
                rerouted_from,
                now,
                now,
            )
        )
        note = f"re-routed from {rerouted_from}" if rerouted_from else None
        self.history.append((referral_id, None, CREATED, note, "router", now))
        self.events.append(
            created_record(
                topic=program_topic(program.code),
                referral_id=referral_id,
                intake_id=intake.intake_id,
                household_id=intake.household_id,
                program_code=program.code,
                program_version=event.version,
                kind=kind,
                village_code=intake.village_code,
                needs=needs,
                priority_lanes=lanes,
                decision=decision,
                consent=shared.consent,
                due_at=due_at,
                created_at=now,
                queued=queued,
                rerouted_from=rerouted_from,
                traceparent=shared.span,
            )
        )
        self.events.append(
            status_record(
                referral.as_row(),
                to_status=CREATED,
                from_status=None,
                at=now,
                traceparent=shared.span,
            )
        )
        self.created.append(referral)
        return referral

    def refer(
        self,
        intake: IntakeSubmittedV1,
        d: ProgramDecision,
        facts: dict[str, Any],
        decision_id: UUID,
        now: datetime,
        ledger: CapacityLedger,
        *,
        rerouted_from: UUID | None = None,
        traceparent: str | None = None,
    ) -> Referral | None:
        """Refer ``intake`` to a program it is eligible for, as its capacity allows: a full
        program queues the referral (``when_full: queue``) or is skipped (the decision then says
        ``capacity_full``). None when skipped."""
        has_room = ledger.take(d.program)
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

    async def save(self, session: AsyncSession) -> None:
        await copy_records(session, "decisions", DECISION_COLUMNS, self.decisions)
        await copy_records(session, "referrals", REFERRAL_COLUMNS, self.rows)
        await copy_records(session, "referral_history", HISTORY_COLUMNS, self.history)
        await stage_records(session, self.events)


@dataclass(frozen=True, slots=True)
class _Shared:
    needs: list[str]
    lanes: list[str]
    consent: dict[str, Any]
    span: str


@dataclass(frozen=True, slots=True)
class Referral:
    """What callers need of a referral just created."""

    id: UUID
    intake_id: UUID
    household_id: UUID
    program_code: str
    village_code: str
    due_at: datetime

    def as_row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "intake_id": self.intake_id,
            "household_id": self.household_id,
            "program_code": self.program_code,
            "village_code": self.village_code,
            "due_at": self.due_at,
            "escalation_level": 0,
        }


class CapacityLedger:
    """Referrals counted against capacity-limited programs within one transaction.

    ``open`` locks every limited program's usage row for the period, in code order (so replicas
    queue in one order and never deadlock), and reads what is used; ``take`` counts in memory;
    ``save`` writes the new totals. The locks hold until the transaction ends, so two replicas
    never overbook."""

    def __init__(self, used: dict[tuple[str, date], int], today: date) -> None:
        self._used = used
        self._start = dict(used)
        self._today = today

    @classmethod
    async def open(
        cls, session: AsyncSession, programs: Iterable[LiveProgram], today: date
    ) -> CapacityLedger:
        keys = sorted(
            {
                (p.code, period_start(today, p.event.capacity_period))
                for p in programs
                if p.event.capacity is not None
            }
        )
        used: dict[tuple[str, date], int] = {}
        if keys:
            await session.execute(
                insert(program_usage).on_conflict_do_nothing(),
                [{"program_code": code, "period_start": start, "used": 0} for code, start in keys],
            )
            for code, start in keys:
                used[(code, start)] = (
                    await session.execute(
                        select(program_usage.c.used)
                        .where(
                            program_usage.c.program_code == code,
                            program_usage.c.period_start == start,
                        )
                        .with_for_update()
                    )
                ).scalar_one()
        return cls(used, today)

    def take(self, program: LiveProgram) -> bool:
        """Count one referral; False when the program is full this period."""
        capacity = program.event.capacity
        if capacity is None:
            return True
        key = (program.code, period_start(self._today, program.event.capacity_period))
        if key not in self._used:
            raise LookupError(f"{program.code} was not opened in this ledger")
        if self._used[key] >= capacity:
            return False
        self._used[key] += 1
        return True

    async def save(self, session: AsyncSession) -> None:
        for (code, start), used in self._used.items():
            if used != self._start[(code, start)]:
                await session.execute(
                    program_usage.update()
                    .where(
                        program_usage.c.program_code == code,
                        program_usage.c.period_start == start,
                    )
                    .values(used=used)
                )


async def open_programs_by_household(
    session: AsyncSession, household_ids: Sequence[UUID]
) -> dict[UUID, set[str]]:
    """Programs each household has an open referral to."""
    found: dict[UUID, set[str]] = {}
    if not household_ids:
        return found
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "SELECT household_id, program_code FROM referrals"
        " WHERE household_id = ANY($1::uuid[]) AND open",
        list(household_ids),
    )
    for household_id, code in rows:
        found.setdefault(household_id, set()).add(code)
    return found


async def open_programs_of(session: AsyncSession, household_id: UUID) -> set[str]:
    return (await open_programs_by_household(session, [household_id])).get(household_id, set())


def referral_view(row: Any, decision: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "referral_id": row.id,
        "intake_id": row.intake_id,
        "household_id": row.household_id,
        "program_code": row.program_code,
        "program_version": row.program_version,
        "kind": row.kind,
        "status": row.status,
        "reason_code": row.reason_code,
        "village_code": row.village_code,
        "needs": row.needs,
        "priority_lanes": row.priority_lanes,
        "rank": row.rank,
        "decision": decision,
        "due_at": row.due_at,
        "escalation_level": row.escalation_level,
        "queued": row.queued,
        "rerouted_from": row.rerouted_from,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


async def referral_trace(session: AsyncSession, referral_id: UUID) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(referral_history)
            .where(referral_history.c.referral_id == referral_id)
            .order_by(referral_history.c.seq)
        )
    ).all()
    return [
        {
            "from_status": r.from_status,
            "to_status": r.to_status,
            "reason_code": r.reason_code,
            "note": r.note,
            "actor": r.actor,
            "at": r.at,
        }
        for r in rows
    ]

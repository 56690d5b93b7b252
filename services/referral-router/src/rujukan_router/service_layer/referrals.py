"""Referral rows, their history and their events: the pieces every router use case shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import (
    CriterionOutcome,
    Decision,
    Event,
    IntakeSubmittedV1,
    ReasonCode,
    ReferralCreatedV1,
    ReferralStatus,
    ReferralStatusChangedV1,
)
from rujukan_contracts.topics import REFERRALS_STATUS, program_topic
from rujukan_router.adapters.tables import program_usage, referral_history, referrals
from rujukan_router.domain.capacity import period_start
from rujukan_router.domain.catalogue import LiveProgram
from rujukan_router.domain.decide import ProgramDecision
from rujukan_router.domain.lifecycle import OPEN
from rujukan_router.domain.sla import step_deadline

OPEN_VALUES = [s.value for s in OPEN]


class ReferralNotFound(LookupError):
    pass


class ProgramMismatch(PermissionError):
    pass


def decision_of(d: ProgramDecision, at: datetime) -> Decision:
    assert d.evaluation is not None
    return Decision(
        program_code=d.program.code,
        program_version=d.program.event.version,
        eligible=d.evaluation.eligible,
        criteria=[CriterionOutcome(**c.to_dict()) for c in d.evaluation.criteria],
        evaluated_at=at,
    )


def status_event(
    row: Any,
    to: ReferralStatus,
    frm: ReferralStatus | None,
    at: datetime,
    *,
    reason: ReasonCode | None = None,
    note: str | None = None,
    escalated_to: str | None = None,
) -> ReferralStatusChangedV1:
    """A status event from a referral row (a database row or the dict about to be inserted)."""
    get = row.__getitem__ if isinstance(row, dict) else row._mapping.__getitem__
    return ReferralStatusChangedV1(
        referral_id=get("id"),
        intake_id=get("intake_id"),
        household_id=get("household_id"),
        program_code=get("program_code"),
        village_code=get("village_code"),
        from_status=frm,
        to_status=to,
        reason_code=reason,
        note=note,
        changed_at=at,
        due_at=get("due_at"),
        escalation_level=get("escalation_level"),
        escalated_to=escalated_to,
    )


@dataclass
class NewReferrals:
    """Referral rows, history rows and events gathered for one transaction."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, Event]] = field(default_factory=list)

    def codes(self) -> set[str]:
        return {r["program_code"] for r in self.rows}

    def add(
        self,
        intake: IntakeSubmittedV1,
        program: LiveProgram,
        decision: Decision,
        now: datetime,
        *,
        kind: str,
        rank: int = 0,
        queued: bool = False,
        rerouted_from: UUID | None = None,
    ) -> None:
        referral_id = uuid4()
        due_at = step_deadline(ReferralStatus.created, program.event.sla_days, now)
        assert due_at is not None
        served = {n.value for n in program.event.needs_served}
        needs = [n for n in intake.needs if n.value in served] or list(intake.needs)
        row = {
            "id": referral_id,
            "intake_id": intake.intake_id,
            "household_id": intake.household_id,
            "program_code": program.code,
            "program_version": program.event.version,
            "kind": kind,
            "status": ReferralStatus.created.value,
            "reason_code": None,
            "village_code": intake.village_code,
            "needs": [n.value for n in needs],
            "priority_lanes": [lane.value for lane in intake.priority_lanes],
            "rank": rank,
            "decision": decision.model_dump(mode="json"),
            "consent": intake.consent.model_dump(mode="json"),
            "due_at": due_at,
            "escalation_level": 0,
            "queued": queued,
            "rerouted_from": rerouted_from,
            "created_at": now,
            "updated_at": now,
        }
        self.rows.append(row)
        self.history.append(
            {
                "referral_id": referral_id,
                "from_status": None,
                "to_status": ReferralStatus.created.value,
                "note": f"re-routed from {rerouted_from}" if rerouted_from else None,
                "actor": "router",
                "at": now,
            }
        )
        created = ReferralCreatedV1(
            referral_id=referral_id,
            intake_id=intake.intake_id,
            household_id=intake.household_id,
            program_code=program.code,
            program_version=program.event.version,
            kind="complaint" if kind == "complaint" else "need",
            village_code=intake.village_code,
            needs=needs,
            priority_lanes=intake.priority_lanes,
            decision=decision,
            consent=intake.consent,
            due_at=due_at,
            created_at=now,
            queued=queued,
            rerouted_from=rerouted_from,
        )
        self.events.append((program_topic(program.code), created))
        self.events.append((REFERRALS_STATUS, status_event(row, ReferralStatus.created, None, now)))

    def extend(self, other: NewReferrals) -> None:
        self.rows.extend(other.rows)
        self.history.extend(other.history)
        self.events.extend(other.events)

    async def save(self, session: AsyncSession) -> None:
        if self.rows:
            await session.execute(referrals.insert(), self.rows)
            await session.execute(referral_history.insert(), self.history)


async def lock_capacity(session: AsyncSession, programs: list[LiveProgram], today: date) -> None:
    """Lock the usage rows of every capacity-limited program, in code order, before routing a
    batch: replicas then queue on them in one order and never deadlock."""
    rows = sorted(
        {
            (p.code, period_start(today, p.event.capacity_period))
            for p in programs
            if p.event.capacity is not None
        }
    )
    if not rows:
        return
    await session.execute(
        insert(program_usage).on_conflict_do_nothing(),
        [{"program_code": code, "period_start": start, "used": 0} for code, start in rows],
    )
    for code, start in rows:
        await session.execute(
            select(program_usage.c.used)
            .where(program_usage.c.program_code == code, program_usage.c.period_start == start)
            .with_for_update()
        )


async def take_capacity(session: AsyncSession, program: LiveProgram, today: date) -> bool:
    """Count one referral against the program's capacity for this period; False when full.

    The conditional increment is atomic under the row lock, so replicas never overbook."""
    capacity = program.event.capacity
    if capacity is None:
        return True
    start = period_start(today, program.event.capacity_period)
    await session.execute(
        insert(program_usage)
        .values(program_code=program.code, period_start=start, used=0)
        .on_conflict_do_nothing()
    )
    taken = await session.execute(
        update(program_usage)
        .where(
            program_usage.c.program_code == program.code,
            program_usage.c.period_start == start,
            program_usage.c.used < capacity,
        )
        .values(used=program_usage.c.used + 1)
        .returning(program_usage.c.used)
    )
    return taken.first() is not None


async def open_programs_of(session: AsyncSession, household_id: UUID) -> set[str]:
    return (await open_programs_by_household(session, {household_id})).get(household_id, set())


async def open_programs_by_household(
    session: AsyncSession, household_ids: set[UUID]
) -> dict[UUID, set[str]]:
    found: dict[UUID, set[str]] = {}
    rows = await session.execute(
        select(referrals.c.household_id, referrals.c.program_code).where(
            referrals.c.household_id.in_(list(household_ids)),
            referrals.c.status.in_(OPEN_VALUES),
        )
    )
    for row in rows.all():
        found.setdefault(row.household_id, set()).add(row.program_code)
    return found


def referral_view(row: Any) -> dict[str, Any]:
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
        "decision": row.decision,
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

"""Use cases: route an intake, record delivery, apply an agency's outcome, read referrals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import (
    CriterionOutcome,
    Decision,
    Event,
    IntakeSubmittedV1,
    OutcomeKind,
    ProgramPublishedV1,
    ReasonCode,
    ReferralCreatedV1,
    ReferralStatus,
    ReferralStatusChangedV1,
)
from rujukan_contracts.topics import REFERRALS_STATUS, program_topic
from rujukan_platform.outbox import stage
from rujukan_router.adapters.tables import (
    catalogue,
    decisions,
    outbox,
    referral_history,
    referrals,
)
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import ProgramDecision, complaint_target, decide
from rujukan_router.domain.lifecycle import OPEN, OUTCOME_STATUS, transition

OPEN_VALUES = [s.value for s in OPEN]


class ReferralNotFound(LookupError):
    pass


class ProgramMismatch(PermissionError):
    pass


def _decision_of(d: ProgramDecision, at: datetime) -> Decision:
    assert d.evaluation is not None
    return Decision(
        program_code=d.program.code,
        program_version=d.program.event.version,
        eligible=d.evaluation.eligible,
        criteria=[CriterionOutcome(**c.to_dict()) for c in d.evaluation.criteria],
        evaluated_at=at,
    )


def _status_event(
    row: Any,
    to: ReferralStatus,
    frm: ReferralStatus | None,
    at: datetime,
    reason: ReasonCode | None = None,
    note: str | None = None,
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
    )


async def route_intake(
    session: AsyncSession,
    intake: IntakeSubmittedV1,
    catalogue: Catalogue,
    *,
    now: datetime | None = None,
) -> tuple[list[ProgramDecision], list[tuple[str, Event]]]:
    """Decide, store every decision, create one referral per eligible program.

    Returns the decisions and the events to publish (the caller stages them in this
    transaction)."""
    now = now or datetime.now(UTC)
    open_programs = set(
        (
            await session.execute(
                select(referrals.c.program_code).where(
                    referrals.c.household_id == intake.household_id,
                    referrals.c.status.in_(OPEN_VALUES),
                )
            )
        ).scalars()
    )
    results = decide(intake, catalogue, open_programs=open_programs, as_of=now.date())
    decision_rows: list[dict[str, Any]] = []
    referral_rows: list[dict[str, Any]] = []
    history_rows: list[dict[str, Any]] = []
    events: list[tuple[str, Event]] = []
    for d in results:
        decision = _decision_of(d, now) if d.evaluation is not None else None
        decision_rows.append(
            {
                "intake_id": intake.intake_id,
                "program_code": d.program.code,
                "program_version": d.program.event.version,
                "eligible": d.eligible,
                "skipped": d.skipped,
                "criteria": [c.model_dump(mode="json") for c in decision.criteria]
                if decision
                else [],
                "evaluated_at": now,
            }
        )
        if not d.eligible or decision is None:
            continue
        created = _new_referral(intake, d, decision, now, kind="need")
        referral_rows.append(created.row)
        history_rows.append(created.history)
        events.extend(created.events)

    program = complaint_target(intake, catalogue, open_programs)
    if program is not None and not any(r["program_code"] == program.code for r in referral_rows):
        complaint_decision = Decision(
            program_code=program.code,
            program_version=program.event.version,
            eligible=True,
            criteria=[],
            evaluated_at=now,
        )
        created = _new_referral(
            intake, ProgramDecision(program, None), complaint_decision, now, kind="complaint"
        )
        referral_rows.append(created.row)
        history_rows.append(created.history)
        events.extend(created.events)

    if decision_rows:
        await session.execute(insert(decisions).on_conflict_do_nothing(), decision_rows)
    if referral_rows:
        await session.execute(referrals.insert(), referral_rows)
        await session.execute(referral_history.insert(), history_rows)
    return results, events


class _Created:
    def __init__(
        self, row: dict[str, Any], history: dict[str, Any], events: list[tuple[str, Event]]
    ) -> None:
        self.row = row
        self.history = history
        self.events = events


def _new_referral(
    intake: IntakeSubmittedV1, d: ProgramDecision, decision: Decision, now: datetime, *, kind: str
) -> _Created:
    referral_id = uuid4()
    due_at = now + timedelta(days=d.program.event.sla_days.receive)
    needs_served = {n.value for n in d.program.event.needs_served}
    needs = [n for n in intake.needs if n.value in needs_served] or list(intake.needs)
    row = {
        "id": referral_id,
        "intake_id": intake.intake_id,
        "household_id": intake.household_id,
        "program_code": d.program.code,
        "program_version": d.program.event.version,
        "kind": kind,
        "status": ReferralStatus.created.value,
        "reason_code": None,
        "village_code": intake.village_code,
        "needs": [n.value for n in needs],
        "priority_lanes": [lane.value for lane in intake.priority_lanes],
        "rank": d.rank,
        "decision": decision.model_dump(mode="json"),
        "consent": intake.consent.model_dump(mode="json"),
        "due_at": due_at,
        "created_at": now,
        "updated_at": now,
    }
    created = ReferralCreatedV1(
        referral_id=referral_id,
        intake_id=intake.intake_id,
        household_id=intake.household_id,
        program_code=d.program.code,
        program_version=d.program.event.version,
        kind="complaint" if kind == "complaint" else "need",
        village_code=intake.village_code,
        needs=needs,
        priority_lanes=intake.priority_lanes,
        decision=decision,
        consent=intake.consent,
        due_at=due_at,
        created_at=now,
    )
    history = {
        "referral_id": referral_id,
        "from_status": None,
        "to_status": ReferralStatus.created.value,
        "actor": "router",
        "at": now,
    }
    status = _status_event(row, ReferralStatus.created, None, now)
    return _Created(
        row, history, [(program_topic(d.program.code), created), (REFERRALS_STATUS, status)]
    )


async def mark_delivered(
    session: AsyncSession, published: Sequence[Any]
) -> list[tuple[str, Event]]:
    """Runs in the relay's transaction once referrals reached their program topics."""
    ids = [UUID(r.aggregateid) for r in published if r.type == ReferralCreatedV1.ce_type]
    if not ids:
        return []
    now = datetime.now(UTC)
    rows = (
        await session.execute(
            referrals.update()
            .where(referrals.c.id.in_(ids), referrals.c.status == ReferralStatus.created.value)
            .values(status=ReferralStatus.delivered.value, updated_at=now)
            .returning(referrals)
        )
    ).all()
    if not rows:
        return []
    await session.execute(
        referral_history.insert(),
        [
            {
                "referral_id": r.id,
                "from_status": "created",
                "to_status": "delivered",
                "actor": "router",
                "at": now,
            }
            for r in rows
        ],
    )
    return [
        (REFERRALS_STATUS, _status_event(r, ReferralStatus.delivered, ReferralStatus.created, now))
        for r in rows
    ]


async def apply_outcome(
    session: AsyncSession,
    *,
    referral_id: UUID,
    program_code: str | None,
    outcome: OutcomeKind,
    reason: ReasonCode | None,
    note: str | None,
    actor: str,
    idempotency_key: str | None = None,
    at: datetime | None = None,
) -> tuple[Any, list[tuple[str, Event]]]:
    """Move a referral by an agency's report; raises ``TransitionRefused`` when impossible."""
    at = at or datetime.now(UTC)
    row = (
        await session.execute(
            select(referrals).where(referrals.c.id == referral_id).with_for_update()
        )
    ).first()
    if row is None:
        raise ReferralNotFound(str(referral_id))
    if program_code is not None and program_code != row.program_code:
        raise ProgramMismatch(
            f"referral {referral_id} belongs to {row.program_code}, not {program_code}"
        )
    if idempotency_key:
        seen = (
            await session.execute(
                select(referral_history.c.seq).where(
                    referral_history.c.referral_id == referral_id,
                    referral_history.c.idempotency_key == idempotency_key,
                )
            )
        ).first()
        if seen is not None:
            return row, []
    current = ReferralStatus(row.status)
    target = transition(current, OUTCOME_STATUS[outcome], reason)
    updated = (
        await session.execute(
            referrals.update()
            .where(referrals.c.id == referral_id)
            .values(
                status=target.value,
                reason_code=reason.value if reason else None,
                updated_at=at,
            )
            .returning(referrals)
        )
    ).one()
    await session.execute(
        referral_history.insert().values(
            referral_id=referral_id,
            from_status=current.value,
            to_status=target.value,
            reason_code=reason.value if reason else None,
            note=note,
            actor=actor,
            idempotency_key=idempotency_key,
            at=at,
        )
    )
    return updated, [(REFERRALS_STATUS, _status_event(updated, target, current, at, reason, note))]


async def record_delivery(session: AsyncSession, published: Sequence[Any]) -> None:
    """The outbox relay's hook: referrals Kafka acknowledged become 'delivered'."""
    events = await mark_delivered(session, published)
    if events:
        await stage(session, outbox, events)


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


async def upsert_catalogue_row(session: AsyncSession, event: ProgramPublishedV1) -> None:
    """The router's queryable copy of the catalogue (the in-memory one decides)."""
    stmt = insert(catalogue).values(
        code=event.code,
        version=event.version,
        status=event.status,
        program=event.model_dump(mode="json"),
        updated_at=datetime.now(UTC),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["code"],
        set_={
            "version": stmt.excluded.version,
            "status": stmt.excluded.status,
            "program": stmt.excluded.program,
            "updated_at": stmt.excluded.updated_at,
        },
        where=catalogue.c.version <= stmt.excluded.version,
    )
    await session.execute(stmt)

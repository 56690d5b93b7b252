"""Route an intake: decide, store every decision, create one referral per eligible program.

Also the relay hook that records delivery, and the router's queryable copy of the catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import (
    Decision,
    Event,
    IntakeSubmittedV1,
    ProgramPublishedV1,
    ReferralCreatedV1,
    ReferralStatus,
)
from rujukan_contracts.topics import REFERRALS_STATUS
from rujukan_platform.outbox import stage
from rujukan_router.adapters.tables import (
    catalogue,
    decisions,
    intakes,
    outbox,
    referral_history,
    referrals,
)
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import ProgramDecision, complaint_target, decide
from rujukan_router.metrics import observe_published
from rujukan_router.service_layer.referrals import (
    NewReferrals,
    decision_of,
    lock_capacity,
    open_programs_by_household,
    status_event,
    take_capacity,
)


def decision_row(d: ProgramDecision, intake_id: UUID, at: datetime) -> dict[str, Any]:
    """Plain data straight from the evaluation (no model round trip: this runs per program
    per household on the routing hot path)."""
    criteria = [c.to_dict() for c in d.evaluation.criteria] if d.evaluation is not None else []
    return {
        "intake_id": intake_id,
        "program_code": d.program.code,
        "program_version": d.program.event.version,
        "eligible": d.eligible,
        "skipped": d.skipped,
        "criteria": criteria,
        "evaluated_at": at,
    }


async def route_intake(
    session: AsyncSession,
    intake: IntakeSubmittedV1,
    catalogue_: Catalogue,
    *,
    now: datetime | None = None,
) -> tuple[list[ProgramDecision], list[tuple[str, Event]]]:
    """One intake: the batch path with a batch of one."""
    (routed,) = await route_intakes(session, [intake], catalogue_, now=now)
    return routed


async def route_intakes(
    session: AsyncSession,
    batch: Sequence[IntakeSubmittedV1],
    catalogue_: Catalogue,
    *,
    now: datetime | None = None,
) -> list[tuple[list[ProgramDecision], list[tuple[str, Event]]]]:
    """Decide every intake of a batch, store every decision, create one referral per eligible
    program; per intake, the decisions and the events to publish (staged by the caller in the
    same transaction, so each keeps its own trace). Set-based: a handful of statements per
    batch, whatever its size.

    Capacity: a full program either queues the referral (``when_full: queue``) or is skipped
    (``stop``, ``refer_onward``: the household's other eligible programs are referred anyway)."""
    now = now or datetime.now(UTC)
    await session.execute(
        insert(intakes).on_conflict_do_nothing(),
        [
            {
                "intake_id": i.intake_id,
                "household_id": i.household_id,
                "village_code": i.village_code,
                "submitted_at": i.submitted_at,
                "event": i.model_dump(mode="json"),
            }
            for i in batch
        ],
    )
    await lock_capacity(session, catalogue_.active(), now.date())
    open_by_household = await open_programs_by_household(session, {i.household_id for i in batch})
    out: list[tuple[list[ProgramDecision], list[tuple[str, Event]]]] = []
    all_referrals = NewReferrals()
    decision_rows: list[dict[str, Any]] = []
    for intake in batch:
        open_programs = open_by_household.setdefault(intake.household_id, set())
        results = decide(intake, catalogue_, open_programs=open_programs, as_of=now.date())
        referrals_ = NewReferrals()
        for d in sorted(results, key=lambda d: (not d.eligible, d.rank)):
            if d.eligible:
                has_room = await take_capacity(session, d.program, now.date())
                if has_room or d.program.event.when_full == "queue":
                    referrals_.add(
                        intake,
                        d.program,
                        decision_of(d, now),
                        now,
                        kind="need",
                        rank=d.rank,
                        queued=not has_room,
                    )
                else:
                    d.skipped = "capacity_full"
        program = complaint_target(intake, catalogue_, open_programs)
        if program is not None and program.code not in referrals_.codes():
            complaint = Decision(
                program_code=program.code,
                program_version=program.event.version,
                eligible=True,
                criteria=[],
                evaluated_at=now,
            )
            referrals_.add(intake, program, complaint, now, kind="complaint")
        open_programs |= referrals_.codes()  # a later intake of this household sees them open
        decision_rows.extend(decision_row(d, intake.intake_id, now) for d in results)
        all_referrals.extend(referrals_)
        out.append((results, referrals_.events))
    if decision_rows:
        await session.execute(insert(decisions).on_conflict_do_nothing(), decision_rows)
    await all_referrals.save(session)
    return out


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
            .returning(  # what the status event needs, not the JSON columns
                referrals.c.id,
                referrals.c.intake_id,
                referrals.c.household_id,
                referrals.c.program_code,
                referrals.c.village_code,
                referrals.c.due_at,
                referrals.c.escalation_level,
            )
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
        (REFERRALS_STATUS, status_event(r, ReferralStatus.delivered, ReferralStatus.created, now))
        for r in rows
    ]


async def record_delivery(session: AsyncSession, published: Sequence[Any]) -> None:
    """The outbox relay's hook: referrals Kafka acknowledged become 'delivered'; what was
    published is counted."""
    observe_published(published)
    events = await mark_delivered(session, published)
    if events:
        await stage(session, outbox, events)


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

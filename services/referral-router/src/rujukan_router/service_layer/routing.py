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
    open_programs_of,
    status_event,
    take_capacity,
)


def decision_row(d: ProgramDecision, intake_id: UUID, at: datetime) -> dict[str, Any]:
    decision = decision_of(d, at) if d.evaluation is not None else None
    return {
        "intake_id": intake_id,
        "program_code": d.program.code,
        "program_version": d.program.event.version,
        "eligible": d.eligible,
        "skipped": d.skipped,
        "criteria": [c.model_dump(mode="json") for c in decision.criteria] if decision else [],
        "evaluated_at": at,
    }


async def route_intake(
    session: AsyncSession,
    intake: IntakeSubmittedV1,
    catalogue_: Catalogue,
    *,
    now: datetime | None = None,
) -> tuple[list[ProgramDecision], list[tuple[str, Event]]]:
    """Returns the decisions and the events to publish (staged by the caller, same transaction).

    Capacity: a full program either queues the referral (``when_full: queue``) or is skipped
    (``stop``, ``refer_onward``: the household's other eligible programs are referred anyway)."""
    now = now or datetime.now(UTC)
    await session.execute(
        insert(intakes)
        .values(
            intake_id=intake.intake_id,
            household_id=intake.household_id,
            village_code=intake.village_code,
            submitted_at=intake.submitted_at,
            event=intake.model_dump(mode="json"),
        )
        .on_conflict_do_nothing()
    )
    open_programs = await open_programs_of(session, intake.household_id)
    results = decide(intake, catalogue_, open_programs=open_programs, as_of=now.date())
    batch = NewReferrals()
    for d in sorted(results, key=lambda d: (not d.eligible, d.rank)):
        if d.eligible:
            assert d.evaluation is not None
            has_room = await take_capacity(session, d.program, now.date())
            if has_room or d.program.event.when_full == "queue":
                batch.add(
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
    if program is not None and program.code not in batch.codes():
        complaint = Decision(
            program_code=program.code,
            program_version=program.event.version,
            eligible=True,
            criteria=[],
            evaluated_at=now,
        )
        batch.add(intake, program, complaint, now, kind="complaint")
    if results:
        await session.execute(
            insert(decisions).on_conflict_do_nothing(),
            [decision_row(d, intake.intake_id, now) for d in results],
        )
    await batch.save(session)
    return results, batch.events


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

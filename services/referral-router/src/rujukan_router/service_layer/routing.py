"""Route intakes: decide, store the decision, create one referral per eligible program.

Also the relay hook that records delivery, and the router's queryable copy of the catalogue.

The intake consumer hands over a whole batch and everything is set-based: one statement stores
the intakes (and tells which are new), one reads the households' open referrals, then one
``COPY`` each writes the decisions, referrals, their history and their events — a handful of
round trips per batch whatever its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import IntakeSubmittedV1, ProgramPublishedV1, ReferralStatus
from rujukan_platform.db import copy_records, driver_connection
from rujukan_platform.ids import new_id
from rujukan_platform.outbox import OutboxEvent
from rujukan_router.adapters.events import CREATED, decision_payload, delivered_follow_up
from rujukan_router.adapters.tables import catalogue, program_versions
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import Decided, complaint_target, decide
from rujukan_router.metrics import observe_published
from rujukan_router.service_layer.referrals import (
    HISTORY_COLUMNS,
    CapacityLedger,
    NewReferrals,
    Referral,
    open_programs_by_household,
)


@dataclass(slots=True)
class Routed:
    """What routing one intake did: its decision (None for an intake routed before) and the
    referrals it created."""

    intake: IntakeSubmittedV1
    decided: Decided | None
    referrals: list[Referral] = field(default_factory=list)

    @property
    def events(self) -> int:
        return 2 * len(self.referrals)  # ReferralCreated and its 'created' status each


async def route_intake(
    session: AsyncSession,
    intake: IntakeSubmittedV1,
    catalogue_: Catalogue,
    *,
    now: datetime | None = None,
    traceparent: str | None = None,
) -> Routed:
    """One intake: the batch path with a batch of one."""
    (routed,) = await route_intakes(session, [(intake, traceparent)], catalogue_, now=now)
    return routed


async def route_intakes(
    session: AsyncSession,
    batch: Sequence[tuple[IntakeSubmittedV1, str | None]],
    catalogue_: Catalogue,
    *,
    now: datetime | None = None,
    received: Sequence[bytes] | None = None,
) -> list[Routed]:
    """Decide every new intake of a batch (each with the traceparent its events continue),
    store each decision, create one referral per eligible program, and stage their events in
    the session's transaction. An intake already stored (republished under another event id)
    has no second effect. ``received``: the events as they arrived (stored as they are, rather
    than serialised again).

    Capacity: a full program either queues the referral (``when_full: queue``) or is skipped
    (``stop``, ``refer_onward``: the household's other eligible programs are referred anyway)."""
    now = now or datetime.now(UTC)
    fresh = await _store_intakes(session, [intake for intake, _trace in batch], received)
    ledger = await CapacityLedger.open(session, catalogue_.active(), now.date())
    open_by_household = await open_programs_by_household(
        session, list({intake.household_id for intake, _trace in batch})
    )
    new = NewReferrals()
    out: list[Routed] = []
    for intake, traceparent in batch:
        if intake.intake_id not in fresh:
            out.append(Routed(intake, None))
            continue
        fresh.discard(intake.intake_id)  # a second copy in this batch is routed once
        open_programs = open_by_household.setdefault(intake.household_id, set())
        decided = decide(intake, catalogue_, open_programs=open_programs, as_of=now.date())
        decision_id = new_id()
        routed = Routed(intake, decided)
        for d in decided.eligible():
            referral = new.refer(
                intake, d, decided.facts, decision_id, now, ledger, traceparent=traceparent
            )
            if referral is not None:
                routed.referrals.append(referral)
        referred = {r.program_code for r in routed.referrals}
        program = complaint_target(intake, catalogue_, open_programs)
        if program is not None and program.code not in referred:
            # a complaint reaches the program it is about, whatever its eligibility
            complaint = decision_payload(
                program_code=program.code,
                program_version=program.event.version,
                eligible=True,
                criteria=[],
                evaluated_at=now,
            )
            routed.referrals.append(
                new.add(
                    intake,
                    program,
                    complaint,
                    decision_id,
                    now,
                    kind="complaint",
                    traceparent=traceparent,
                )
            )
        open_programs |= {r.program_code for r in routed.referrals}  # a later intake sees them
        new.decision(intake, decided, cause="routing", at=now, decision_id=decision_id)
        out.append(routed)
    await ledger.save(session)
    await new.save(session)
    return out


async def _store_intakes(
    session: AsyncSession,
    intakes: Sequence[IntakeSubmittedV1],
    received: Sequence[bytes] | None,
) -> set[UUID]:
    """Store the intakes' facts (for re-routing and replays); returns the ids that were new."""
    events = (
        [value.decode() for value in received]
        if received is not None
        else [i.model_dump_json() for i in intakes]
    )
    conn = await driver_connection(session)
    rows = await conn.fetch(
        "INSERT INTO intakes (intake_id, household_id, village_code, submitted_at, event)"
        " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[],"
        " $5::json[]) ON CONFLICT DO NOTHING RETURNING intake_id",
        [i.intake_id for i in intakes],
        [i.household_id for i in intakes],
        [i.village_code for i in intakes],
        [i.submitted_at for i in intakes],
        events,
    )
    return {r[0] for r in rows}


async def record_delivery(
    session: AsyncSession, published: Sequence[OutboxEvent]
) -> list[OutboxEvent]:
    """The outbox relay's hook: referrals Kafka acknowledged become 'delivered'; the relay
    publishes their 'delivered' status events (returned) before it commits. What was published
    is counted."""
    created = {e.aggregateid: e for e in published if e.type == CREATED}
    follow_ups: list[OutboxEvent] = []
    if created:
        now = datetime.now(UTC)
        conn = await driver_connection(session)
        rows = await conn.fetch(
            "UPDATE referrals SET status = $2, updated_at = $3"
            " WHERE id = ANY($1::uuid[]) AND status = $4"
            " RETURNING id, intake_id, household_id, program_code, village_code, due_at,"
            " escalation_level",
            list(created),  # uuid text: asyncpg parses it in C
            ReferralStatus.delivered.value,
            now,
            ReferralStatus.created.value,
        )
        await copy_records(
            session,
            "referral_history",
            HISTORY_COLUMNS,
            [(r["id"], "created", "delivered", None, "router", now) for r in rows],
        )
        follow_ups = [delivered_follow_up(r, created=created[str(r["id"])], at=now) for r in rows]
    observe_published([*published, *follow_ups])
    return follow_ups


async def upsert_catalogue_row(session: AsyncSession, event: ProgramPublishedV1) -> None:
    """The router's queryable copy of the catalogue (the in-memory one decides), and the
    version kept for explaining the decisions it makes."""
    program: dict[str, Any] = event.model_dump(mode="json")
    stmt = insert(catalogue).values(
        code=event.code,
        version=event.version,
        status=event.status,
        program=program,
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
    await session.execute(
        insert(program_versions)
        .values(code=event.code, version=event.version, program=program)
        .on_conflict_do_nothing()
    )

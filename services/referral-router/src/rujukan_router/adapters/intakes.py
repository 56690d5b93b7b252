"""The intakes the router has routed: their facts (no personal data), for re-routing and replays.

A consumer batch is stored with one statement that also says which intakes are new (an intake
republished under another event id has no second effect).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import select

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_platform.db import driver_connection
from rujukan_platform.uow import Repository
from rujukan_router.adapters.tables import intakes


class IntakeRepository(Repository):
    async def add_new(self, batch: Sequence[IntakeSubmittedV1], events: Sequence[str]) -> set[UUID]:
        """Store the intakes not stored yet (``events``: each one's JSON, as received);
        returns the ids that were new."""
        conn = await driver_connection(self._session)
        rows = await conn.fetch(
            "INSERT INTO intakes (intake_id, household_id, village_code, submitted_at, event)"
            " SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[],"
            " $5::json[]) ON CONFLICT DO NOTHING RETURNING intake_id",
            [i.intake_id for i in batch],
            [i.household_id for i in batch],
            [i.village_code for i in batch],
            [i.submitted_at for i in batch],
            events,
        )
        return {r[0] for r in rows}

    async def get(self, intake_id: UUID) -> IntakeSubmittedV1 | None:
        event = (
            await self._session.execute(
                select(intakes.c.event).where(intakes.c.intake_id == intake_id)
            )
        ).scalar_one_or_none()
        return IntakeSubmittedV1.model_validate(event) if event is not None else None

    async def of_household(self, household_id: UUID, *, until: datetime) -> list[IntakeSubmittedV1]:
        """The household's intakes submitted up to ``until`` (a consent withdrawal's time)."""
        rows = await self._session.execute(
            select(intakes.c.event).where(
                intakes.c.household_id == household_id, intakes.c.submitted_at <= until
            )
        )
        return [IntakeSubmittedV1.model_validate(event) for event in rows.scalars()]

    async def replace(self, refreshed: Sequence[IntakeSubmittedV1]) -> None:
        """Store intakes again with the facts they were last decided on (a replay's refreshed
        registry facts), in one statement."""
        if not refreshed:
            return
        conn = await driver_connection(self._session)
        await conn.execute(
            "UPDATE intakes SET event = u.event FROM unnest($1::uuid[], $2::json[]) AS u(id, event)"
            " WHERE intakes.intake_id = u.id",
            [i.intake_id for i in refreshed],
            [i.model_dump_json() for i in refreshed],
        )

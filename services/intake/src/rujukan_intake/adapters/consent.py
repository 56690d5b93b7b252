"""The consent stored with a household's intakes, for withdrawing it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select, update

from rujukan_intake.adapters.tables import households, intakes
from rujukan_platform.uow import Repository


class ConsentRecords(Repository):
    async def village_of(self, household_id: UUID) -> str | None:
        """The household's village (None: no such household)."""
        found = await self._session.execute(
            select(households.c.village_code).where(households.c.id == household_id)
        )
        return found.scalar_one_or_none()

    async def lock(self, household_id: UUID) -> list[tuple[UUID, dict[str, Any]]]:
        """Each intake of the household with its consent, locked until the unit ends."""
        rows = await self._session.execute(
            select(intakes.c.id, intakes.c.consent)
            .where(intakes.c.household_id == household_id)
            .order_by(intakes.c.submitted_at)
            .with_for_update()
        )
        return [(r.id, dict(r.consent)) for r in rows]

    async def save(self, consents: Sequence[tuple[UUID, dict[str, Any]]]) -> None:
        for intake_id, consent in consents:
            await self._session.execute(
                update(intakes).where(intakes.c.id == intake_id).values(consent=consent)
            )

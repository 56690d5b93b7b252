"""Households whose resident withdrew consent to be told, and what was waiting for them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import delete, select, update

from rujukan_notifications.adapters.tables import (
    deliveries,
    resident_news,
    resident_visits,
    silenced_households,
)
from rujukan_notifications.domain.channels import ChannelName
from rujukan_platform.latest import keep_latest
from rujukan_platform.uow import Repository

#: the machine reason on a delivery cancelled by a consent withdrawal
CONSENT_WITHDRAWN = "consent_withdrawn"
#: what the delivery row says, in Bahasa Indonesia (officers read it)
CANCELLED_DETAIL = "Warga menarik persetujuan untuk diberi kabar; pesan ini tidak dikirim."
#: why a delivery to a silenced household ends ``skipped`` (its row and its attempt)
CANCELLED = f"{CONSENT_WITHDRAWN}: {CANCELLED_DETAIL}"


class Cancelled(NamedTuple):
    """A resident's delivery cancelled by a withdrawal: what its attempt and its
    ``notifications.dispatched`` event say."""

    id: UUID
    referral_id: UUID
    channel: ChannelName
    template: str
    attempts: int
    recipient_masked: str | None


class SilencedHouseholds(Repository):
    async def silence(self, household_id: UUID, withdrawal_id: UUID, at: datetime) -> None:
        """Tell the household nothing more (the latest withdrawal kept)."""
        row = {"household_id": household_id, "withdrawal_id": withdrawal_id, "withdrawn_at": at}
        await self._session.execute(
            keep_latest(silenced_households, row, key=["household_id"], stamp="withdrawn_at")
        )

    async def among(self, households: Collection[UUID]) -> set[UUID]:
        """Which of ``households`` are silenced."""
        if not households:
            return set()
        found = await self._session.execute(
            select(silenced_households.c.household_id).where(
                silenced_households.c.household_id.in_(households)
            )
        )
        return set(found.scalars())

    async def cancel_waiting(self, household_id: UUID) -> list[Cancelled]:
        """Cancel the resident's deliveries still waiting to be sent (each row saying why) and
        drop the news gathered for their next message; returns the deliveries cancelled."""
        cancelled = await self._session.execute(
            update(deliveries)
            .where(
                deliveries.c.household_id == household_id,
                deliveries.c.audience == "resident",
                deliveries.c.state == "pending",
            )
            .values(state="skipped", last_error=CANCELLED)
            .returning(*(deliveries.c[f] for f in Cancelled._fields))
        )
        gone = [Cancelled._make(row) for row in cancelled]
        visits = select(resident_visits.c.intake_id).where(
            resident_visits.c.household_id == household_id
        )
        await self._session.execute(
            delete(resident_news).where(
                resident_news.c.intake_id.in_(visits), resident_news.c.digest_id.is_(None)
            )
        )
        await self._session.execute(
            update(resident_visits)
            .where(resident_visits.c.household_id == household_id)
            .values(summarise_at=None)
        )
        return gone

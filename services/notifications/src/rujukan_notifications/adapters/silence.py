"""Households whose resident withdrew consent to be told, or did not give it at their last
visit, and what was waiting for them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import bindparam, delete, select, update

from rujukan_notifications.adapters.tables import (
    ID_TYPE,
    deliveries,
    resident_news,
    resident_visits,
    silenced_households,
)
from rujukan_notifications.domain.channels import ChannelName
from rujukan_platform.db import any_of
from rujukan_platform.latest import LatestKept
from rujukan_platform.uow import Repository


class Cancelled(NamedTuple):
    """A resident's delivery cancelled by a silence: what its attempt and its
    ``notifications.dispatched`` event say."""

    id: UUID
    referral_id: UUID
    channel: ChannelName
    template: str
    attempts: int
    recipient_masked: str | None


class Silence(NamedTuple):
    """A household told nothing more from ``at``: its resident withdrew consent (``because`` is
    the withdrawal's id) or did not give it at a visit (the intake's id)."""

    household_id: UUID
    because: UUID
    at: datetime


_SILENCE = LatestKept(
    silenced_households,
    ("household_id", "withdrawal_id", "withdrawn_at"),
    key=["household_id"],
    stamp="withdrawn_at",
)

#: which of a dispatcher's claimed residents are silenced (every look that claims some)
_AMONG = select(silenced_households.c.household_id).where(
    silenced_households.c.household_id == any_of("households", ID_TYPE)
)


_CANCEL_WAITING = (
    update(deliveries)
    .where(
        deliveries.c.household_id == any_of("households", ID_TYPE),
        deliveries.c.audience == "resident",
        deliveries.c.state == "pending",
    )
    .values(state="skipped", last_error=bindparam("why", type_=deliveries.c.last_error.type))
    .returning(*(deliveries.c[f] for f in Cancelled._fields))
)
_DROP_GATHERED = delete(resident_news).where(
    resident_news.c.intake_id.in_(
        select(resident_visits.c.intake_id).where(
            resident_visits.c.household_id == any_of("households", ID_TYPE)
        )
    ),
    resident_news.c.digest_id.is_(None),
)
_NOTHING_TO_SUM_UP = (
    update(resident_visits)
    .where(resident_visits.c.household_id == any_of("households", ID_TYPE))
    .values(summarise_at=None)
)


class SilencedHouseholds(Repository):
    async def silence(self, silences: Sequence[Silence]) -> None:
        """Tell these households nothing more (the latest silence of each kept), in one
        statement whatever their number."""
        if not silences:
            return
        rows = [
            {"household_id": s.household_id, "withdrawal_id": s.because, "withdrawn_at": s.at}
            for s in silences
        ]
        await self._session.execute(_SILENCE.statement, _SILENCE.parameters(rows))

    async def among(self, households: Collection[UUID]) -> set[UUID]:
        """Which of ``households`` are silenced."""
        if not households:
            return set()
        found = await self._session.execute(_AMONG, {"households": list(households)})
        return set(found.scalars())

    async def cancel_waiting(self, households: Collection[UUID], why: str) -> list[Cancelled]:
        """Cancel these residents' deliveries still waiting to be sent (each row saying
        ``why``) and drop the news gathered for their next message; the deliveries
        cancelled. Three statements whatever the number of households."""
        if not households:
            return []
        given = {"households": list(households)}
        cancelled = await self._session.execute(_CANCEL_WAITING, {**given, "why": why})
        gone = [Cancelled._make(row) for row in cancelled]
        await self._session.execute(_DROP_GATHERED, given)
        await self._session.execute(_NOTHING_TO_SUM_UP, given)
        return gone

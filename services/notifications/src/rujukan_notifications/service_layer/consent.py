"""A resident told nothing more: they withdrew consent to be told (``rujukan.consent.withdrawn.v1``
on ``intake.contacts``), or their visit's intake said they did not give it
(``rujukan.intake.contact.v1``, ``consented`` false). Their contact is forgotten, what was
waiting for them is cancelled (each delivery row and attempt saying why, the result published on
``notifications.dispatched`` like the dispatcher's), and no news is gathered for them until an
intake brings a consented contact again (``ContactRepository.change`` lifts it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from rujukan_contracts.events import ConsentWithdrawnV1
from rujukan_contracts.topics import NOTIFICATIONS_DISPATCHED
from rujukan_notifications.adapters.repository import Attempt
from rujukan_notifications.adapters.silence import Silence
from rujukan_notifications.domain import reasons
from rujukan_notifications.service_layer.dispatch import dispatched
from rujukan_notifications.service_layer.unit_of_work import NotificationsUnitOfWork


async def silence_household(event: ConsentWithdrawnV1, uow: NotificationsUnitOfWork) -> None:
    if "notification" not in event.purposes:
        return
    await uow.contacts.forget(event.household_id)
    await silence(
        uow,
        [Silence(event.household_id, event.withdrawal_id, event.withdrawn_at)],
        reasons.CANCELLED,
    )


async def silence(uow: NotificationsUnitOfWork, silences: Sequence[Silence], why: str) -> None:
    """Silence the households and cancel what waited for their residents, saying ``why``."""
    await uow.silenced.silence(silences)
    cancelled = await uow.silenced.cancel_waiting({s.household_id for s in silences}, why)
    now = datetime.now(UTC)
    await uow.deliveries.add_attempts(
        [Attempt(c.id, c.attempts, "skipped", now, detail=why) for c in cancelled]
    )
    for c in cancelled:  # a final result, published like the dispatcher's
        final = dispatched(c, "skipped", c.attempts, c.recipient_masked, why, now)
        uow.publish(NOTIFICATIONS_DISPATCHED, final)

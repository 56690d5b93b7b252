"""A resident withdrew consent to be told (``rujukan.consent.withdrawn.v1`` on
``intake.contacts``): their contact is forgotten, what was waiting for them is cancelled (each
delivery row and attempt saying why, the result published on ``notifications.dispatched`` like
the dispatcher's), and no news is gathered for them until an intake brings a consented contact
again (``ContactRepository.keep`` lifts it)."""

from __future__ import annotations

from datetime import UTC, datetime

from rujukan_contracts.events import ConsentWithdrawnV1
from rujukan_contracts.topics import NOTIFICATIONS_DISPATCHED
from rujukan_notifications.adapters.repository import Attempt
from rujukan_notifications.adapters.silence import CANCELLED
from rujukan_notifications.service_layer.dispatch import dispatched
from rujukan_notifications.service_layer.unit_of_work import NotificationsUnitOfWork


async def silence_household(event: ConsentWithdrawnV1, uow: NotificationsUnitOfWork) -> None:
    if "notification" not in event.purposes:
        return
    await uow.contacts.forget(event.household_id)
    await uow.silenced.silence(event.household_id, event.withdrawal_id, event.withdrawn_at)
    now = datetime.now(UTC)
    cancelled = await uow.silenced.cancel_waiting(event.household_id)
    await uow.deliveries.add_attempts(
        [Attempt(c.id, c.attempts, "skipped", now, detail=CANCELLED) for c in cancelled]
    )
    for c in cancelled:  # a final result, published like the dispatcher's
        final = dispatched(c, "skipped", c.attempts, c.recipient_masked, CANCELLED, now)
        uow.publish(NOTIFICATIONS_DISPATCHED, final)

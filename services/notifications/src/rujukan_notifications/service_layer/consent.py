"""A resident withdrew consent to be told (``rujukan.consent.withdrawn.v1`` on
``intake.contacts``): their contact is forgotten, what was waiting for them is cancelled (each
delivery row saying why), and no news is gathered for them until an intake brings a consented
contact again (``handlers.remember_contact`` lifts it)."""

from __future__ import annotations

from datetime import UTC, datetime

from rujukan_contracts.events import ConsentWithdrawnV1
from rujukan_notifications.service_layer.unit_of_work import NotificationsUnitOfWork


async def silence_household(event: ConsentWithdrawnV1, uow: NotificationsUnitOfWork) -> None:
    if "notification" not in event.purposes:
        return
    await uow.contacts.forget(event.household_id)
    await uow.silenced.silence(event.household_id, event.withdrawal_id, event.withdrawn_at)
    await uow.silenced.cancel_waiting(event.household_id, datetime.now(UTC))

"""Notifications' handler table: every change of state a consumer or a route asks for.

* ``IntakeContactV1`` (``intake.contacts``): keep or withdraw a household's consented contact.
* ``ReferralStatusChangedV1`` (``referrals.status``): plan a delivery for each audience and
  channel that should hear of the change. Planning happens in the consumer's unit of work, so a
  redelivered event plans nothing twice (``processed_events``, and deliveries keyed by their
  source event); sending happens later, in the dispatcher (``service_layer/dispatch.py``).
* ``FileAlerts`` (``POST /v1/alerts/alertmanager``): Alertmanager's alerts into the ops inbox.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

import orjson

from rujukan_contracts.events import IntakeContactV1, ReferralStatusChangedV1
from rujukan_notifications.adapters.contacts import seal_contact
from rujukan_notifications.adapters.repository import SealedContact
from rujukan_notifications.domain.alerts import OPS_INBOX, FiledAlert, inbox_message
from rujukan_notifications.domain.audience import (
    Routing,
    consented_channels,
    normalize_phone,
    plan,
)
from rujukan_notifications.domain.channels import ChannelName
from rujukan_notifications.domain.commands import FileAlerts
from rujukan_notifications.domain.messages import delivery_context
from rujukan_notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from rujukan_platform.handlers import Handlers
from rujukan_platform.sealing import Sealer

ProgramNames = Mapping[str, Mapping[str, str]]
"""program code -> language -> the program's name (``adapters.program_names``' view)"""


async def remember_contact(
    event: IntakeContactV1,
    uow: NotificationsUnitOfWork,
    *,
    sealer: Sealer,
    phone_channels: Sequence[ChannelName],
) -> None:
    """Keep a household's consented contact, sealed (``adapters/contacts.py``), with the
    channels it covers (``consented_channels``); an intake without one (no contact, or no
    'notification' consent: intake sends ``None``) withdraws the one kept."""
    contact, household = event.contact, event.household_id
    channels = consented_channels(contact, phone_channels)
    if contact is None or not channels:
        await uow.contacts.forget(household)
        return
    email = contact.email if "email" in channels else None
    phone = normalize_phone(contact.phone)
    await uow.contacts.keep(
        SealedContact(
            household_id=household,
            language=contact.language,
            email=seal_contact(sealer, "email", household, email),
            phone=seal_contact(sealer, "phone", household, phone),
            channels=channels,
        )
    )


async def plan_deliveries(
    event: ReferralStatusChangedV1,
    uow: NotificationsUnitOfWork,
    *,
    routing: Routing,
    program_names: ProgramNames,
) -> None:
    """A pending delivery per (audience, channel) who should hear of this change. A resident
    whose contact is known gets only the channels they consented to; an unknown contact may
    still arrive (another topic), so every offered channel is planned and checked when sent."""
    if uow.cause is None:
        raise ValueError("deliveries are planned from a consumed event: its id keys them")
    known = await uow.contacts.channels_of(event.household_id)
    resident = [c for c in routing.resident_channels if known is None or c in known]
    planned = plan(event, resident_channels=resident, agency_programs=routing.agency_programs)
    context = delivery_context(event, program_names.get(event.program_code, {}))
    await uow.deliveries.add_planned(
        source_event_id=uow.cause.meta.id,
        referral_id=event.referral_id,
        household_id=event.household_id,
        planned=planned,
        context=orjson.dumps(context).decode(),
    )


async def file_alerts(command: FileAlerts, uow: NotificationsUnitOfWork) -> list[FiledAlert]:
    """Create or update each alert occurrence's message (``domain/alerts.py``)."""
    filed = []
    for alert in command.alerts:
        subject, body = inbox_message(alert)
        message_id, result = await uow.alerts.file(
            recipient=OPS_INBOX, key=alert.key, status=alert.status, subject=subject, body=body
        )
        filed.append(
            FiledAlert(
                message_id=message_id,
                fingerprint=alert.fingerprint,
                status=alert.status,
                result=result,
            )
        )
    return filed


def handlers(
    *,
    sealer: Sealer,
    phone_channels: Sequence[ChannelName],
    routing: Routing,
    program_names: ProgramNames,
) -> Handlers[NotificationsUnitOfWork]:
    """The table, with what its handlers need from the deployment (``bootstrap`` passes the
    process's own; tests pass others)."""
    return (
        Handlers[NotificationsUnitOfWork]()
        .on(
            IntakeContactV1,
            partial(remember_contact, sealer=sealer, phone_channels=phone_channels),
        )
        .on(
            ReferralStatusChangedV1,
            partial(plan_deliveries, routing=routing, program_names=program_names),
        )
        .on(FileAlerts, file_alerts)
    )

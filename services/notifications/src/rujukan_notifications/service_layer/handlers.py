"""Notifications' handler table: every change of state a consumer or a route asks for.

* ``IntakeContactV1`` (``intake.contacts``): keep or withdraw a household's consented contact
  (a resident who did not consent is told nothing more, ``service_layer/consent.py``).
* ``ReferralStatusChangedV1`` (``referrals.status``): gather the change as its resident's
  news when it matters to them (``domain/news.py``; summed up per visit later,
  ``service_layer/digests.py``), and plan a delivery for each staff audience and agency that
  should hear of it now. Planning happens in the consumer's unit of work, so a redelivered
  event plans nothing twice (``processed_events``, news keyed by its event, deliveries by their
  source event); sending happens later, in the dispatcher (``service_layer/dispatch.py``).
* ``ConsentWithdrawnV1`` (``intake.contacts``): the resident is told nothing more
  (``service_layer/consent.py``).
* ``FileAlerts`` (``POST /v1/alerts/alertmanager``): Alertmanager's alerts into the ops inbox.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from functools import partial

import orjson

from rujukan_contracts.events import ConsentWithdrawnV1, IntakeContactV1, ReferralStatusChangedV1
from rujukan_notifications.adapters.contacts import seal_contact
from rujukan_notifications.adapters.repository import (
    ContactChange,
    Newsworthy,
    Plan,
    SealedContact,
    Visit,
)
from rujukan_notifications.adapters.silence import Silence
from rujukan_notifications.domain import reasons
from rujukan_notifications.domain.alerts import OPS_INBOX, FiledAlert, inbox_message
from rujukan_notifications.domain.audience import (
    Routing,
    consented_channels,
    escalation_context,
    normalize_phone,
    plan,
)
from rujukan_notifications.domain.channels import ChannelName
from rujukan_notifications.domain.commands import FileAlerts
from rujukan_notifications.domain.messages import delivery_context
from rujukan_notifications.domain.news import DEFAULT_RESIDENT_NEWS, news_kind, news_of
from rujukan_notifications.service_layer.consent import silence, silence_household
from rujukan_notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from rujukan_platform.handlers import Handlers, Received
from rujukan_platform.sealing import Sealer

ProgramNames = Mapping[str, Mapping[str, str]]
"""program code -> language -> the program's name (``adapters.program_names``' view)"""


async def remember_contacts(
    received: Sequence[Received[IntakeContactV1]],
    uow: NotificationsUnitOfWork,
    *,
    sealer: Sealer,
    phone_channels: Sequence[ChannelName],
) -> None:
    """Keep households' consented contacts, sealed, a consumer batch's at once (the batch
    form; in order: a household's last event decides), and wake the residents' deliveries that
    were waiting for them. A resident whose visit said they do not agree to be told is told
    nothing more (``service_layer/consent.py``): what waited for a contact is cancelled at
    once rather than after waiting out its backoff for a contact that is not coming."""
    await uow.contacts.change([contact_change(r.message, sealer, phone_channels) for r in received])
    last = {r.message.household_id: r.message for r in received}
    declined = [
        Silence(e.household_id, e.intake_id, e.submitted_at)
        for e in last.values()
        if e.consented is False
    ]
    await silence(uow, declined, reasons.NOT_CONSENTED)
    await uow.deliveries.wake_waiting(last.keys() - {s.household_id for s in declined})


def contact_change(
    event: IntakeContactV1, sealer: Sealer, phone_channels: Sequence[ChannelName]
) -> ContactChange:
    """What the event does to the household's kept contact: keep it sealed
    (``adapters/contacts.py``), with the channels it covers (``consented_channels``), or,
    for an intake without one (no contact, or no 'notification' consent: intake sends
    ``None``), forget the one kept. A resident who agreed to be told without a usable contact
    is kept with no channel: the Puskesos tells them in person
    (``domain/audience.resident_plan``). Consent asked afresh ends an earlier withdrawal
    (``ContactRepository.change``)."""
    contact, household, given_at = event.contact, event.household_id, event.submitted_at
    channels = consented_channels(contact, phone_channels)
    if contact is None or not channels:
        if not event.consented:
            return ContactChange(household, given_at, None)
        language = contact.language if contact else "id"
        return ContactChange(
            household, given_at, SealedContact(household, language, None, None, [])
        )
    email = contact.email if "email" in channels else None
    phone = normalize_phone(contact.phone)
    sealed = SealedContact(
        household_id=household,
        language=contact.language,
        email=seal_contact(sealer, "email", household, email),
        phone=seal_contact(sealer, "phone", household, phone),
        channels=channels,
    )
    return ContactChange(household, given_at, sealed)


async def plan_deliveries(
    received: Sequence[Received[ReferralStatusChangedV1]],
    uow: NotificationsUnitOfWork,
    *,
    routing: Routing,
    program_names: ProgramNames,
    resident_news: Collection[str],
    gather: timedelta,
) -> None:
    """Each change as its resident's news, when it matters to them (``resident_news``: the
    kinds the deployment tells; gathered for ``gather`` with the rest of the visit's news),
    and a pending delivery per staff audience and agency who should hear of it now. A
    consumer batch's events in a few statements, whatever their number (the batch form)."""
    news: list[Newsworthy] = []
    plans: list[Plan] = []
    for event, envelope in ((r.message, r.envelope) for r in received):
        name = program_names.get(event.program_code, {})
        kind = news_kind(event, resident_news)
        if kind is not None:  # not for a silenced household (``NewsRepository.gather_all``)
            news.append(
                Newsworthy(
                    event_id=envelope.meta.id,
                    visit=Visit(event.intake_id, event.household_id, event.village_code, 0),
                    referral_id=event.referral_id,
                    news=orjson.dumps(news_of(event, kind, name).as_json()).decode(),
                    changed_at=event.changed_at,
                )
            )
        planned = plan(event, agency_programs=routing.agency_programs)
        if planned:
            context = delivery_context(event, name) | escalation_context(event)
            plans.append(
                Plan(
                    envelope.meta.id,
                    event.referral_id,
                    event.household_id,
                    planned,
                    orjson.dumps(context).decode(),
                )
            )
    await uow.news.gather_all(news, window=gather)
    await uow.deliveries.add_plans(plans)


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
    resident_news: Collection[str] = DEFAULT_RESIDENT_NEWS,
    gather: timedelta = timedelta(0),
) -> Handlers[NotificationsUnitOfWork]:
    """The table, with what its handlers need from the deployment (``bootstrap`` passes the
    process's own; tests pass others)."""
    return (
        Handlers[NotificationsUnitOfWork]()
        .on_batches(
            IntakeContactV1,
            partial(remember_contacts, sealer=sealer, phone_channels=phone_channels),
        )
        .on_batches(
            ReferralStatusChangedV1,
            partial(
                plan_deliveries,
                routing=routing,
                program_names=program_names,
                resident_news=resident_news,
                gather=gather,
            ),
        )
        .on(ConsentWithdrawnV1, silence_household)
        .on(FileAlerts, file_alerts)
    )

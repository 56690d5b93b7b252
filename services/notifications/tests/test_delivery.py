"""Notifications end to end inside the service: consumers, planning, a real SMTP server, outbox."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from rujukan_contracts.events import (
    NotificationDispatchedV1,
    ReasonCode,
    ReferralStatus,
)
from rujukan_contracts.references import referral_reference
from rujukan_eligibility.catalogue import load_seed_programs
from rujukan_notifications.adapters.contacts import open_contact
from rujukan_notifications.domain import reasons
from rujukan_notifications.service_layer.digests import digest_id, sum_up_due
from rujukan_registry.domain.programs import published_event
from rujukan_registry.settings import RegistrySettings

from .conftest import MakeIntake, MakeStatus, apply, contact_of

pytestmark = pytest.mark.integration


async def learn_program_names(notifications: Any, *codes: str) -> None:
    """What the programs.catalog view does for every program record."""
    for program in load_seed_programs(RegistrySettings().seed_dir):
        if program.code in codes:
            await notifications.deps.program_names.apply(program.code, published_event(program))


async def deliveries_of(
    notifications: Any, referral_id: uuid.UUID, audience: str = "resident", channel: str = "%"
) -> list[Any]:
    return await notifications.rows(
        "SELECT * FROM deliveries WHERE referral_id = :r AND audience = :a AND channel LIKE :c"
        " ORDER BY created_at",
        r=referral_id,
        a=audience,
        c=channel,
    )


async def dispatched_events(notifications: Any) -> list[NotificationDispatchedV1]:
    rows = await notifications.rows(
        "SELECT topic, type, payload::text AS payload FROM outbox ORDER BY seq"
    )
    assert all(r.topic == "notifications.dispatched" for r in rows)
    assert all(r.type == NotificationDispatchedV1.ce_type for r in rows)
    return [NotificationDispatchedV1.model_validate_json(r.payload) for r in rows]


async def test_a_status_change_is_emailed_once_to_the_consented_contact(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    await learn_program_names(notifications, "PBI-JK")
    intakes, contacts_consumer = await notifications.run_consumer("notifications-contacts")
    statuses, status_consumer = await notifications.run_consumer("notifications-status")
    address = f"warga-{uuid.uuid4().hex[:8]}@example.org"
    intake = make_intake(contact={"email": address, "language": "id"})
    assert "notification" in intake.consent.purposes
    await notifications.publish(intakes, contact_of(intake))
    await contacts_consumer.drain()
    [contact] = await notifications.rows(
        "SELECT * FROM contacts WHERE household_id = :h", h=intake.household_id
    )
    assert contact.email != address and contact.language == "id"  # sealed at rest
    assert open_contact(notifications.sealer, "email", contact) == address

    accepted = make_status(
        intake, ReferralStatus.accepted, note="KIS diproses", public_note="Kartu KIS menyusul"
    )
    meta = await notifications.publish(statuses, accepted)
    await status_consumer.drain()
    # gathered as the visit's news, summed up in one message when the dispatcher runs
    assert await deliveries_of(notifications, accepted.referral_id) == []
    [gathered] = await notifications.rows("SELECT * FROM resident_news")
    assert gathered.event_id == meta.id and gathered.digest_id is None

    dispatcher = notifications.dispatcher(smtp_port=smtp.port)
    assert await dispatcher.dispatch_due() == 1
    [planned] = await deliveries_of(notifications, accepted.referral_id)
    assert planned.template == "status_news" and planned.channel == "email"
    assert planned.source_event_id == digest_id(intake.intake_id, 1)
    assert planned.household_id == intake.household_id
    assert address not in planned.context  # the contact stays in the contacts table
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == [address] and message["To"] == address
    assert message["From"] == "Rujukan SLRT <noreply@rujukan.example>"
    reference = referral_reference(accepted.referral_id, intake.village_code)
    assert message["Subject"] == f"Rujukan {reference}: disetujui"
    body = message.get_content()
    assert "Penerima Bantuan Iuran" in body  # the program's Indonesian name, from the catalogue
    assert reference in body and str(accepted.referral_id) not in body
    assert "Kartu KIS menyusul" in body and "KIS diproses" not in body  # the public note only

    [sent] = await deliveries_of(notifications, accepted.referral_id)
    assert sent.state == "sent" and sent.attempts == 1 and sent.last_error is None
    assert sent.sent_at is not None and sent.recipient_masked == "w***@example.org"
    [dispatched] = await dispatched_events(notifications)
    assert dispatched.result == "sent" and dispatched.attempts == 1
    assert dispatched.referral_id == accepted.referral_id
    assert dispatched.notification_id == sent.id
    assert dispatched.recipient == "w***@example.org" and address not in dispatched.recipient
    assert dispatched.template == "status_news" and dispatched.channel == "email"
    assert await dispatcher.dispatch_due() == 0

    # The same status event again (same ce_id): nothing planned, nothing sent.
    await notifications.publish(statuses, accepted, meta)
    await status_consumer.drain()
    assert len(await deliveries_of(notifications, accepted.referral_id)) == 1
    assert await dispatcher.dispatch_due() == 0
    assert len(smtp.messages) == 1

    # The next change of the same referral is a new message.
    rejected = make_status(
        intake,
        ReferralStatus.rejected,
        referral_id=accepted.referral_id,
        frm=ReferralStatus.received,
        reason_code=ReasonCode.lack_of_capacity,
    )
    await notifications.publish(statuses, rejected)
    await status_consumer.drain()
    assert await dispatcher.dispatch_due() == 2  # the resident's e-mail, the operator's inbox
    assert [m["Subject"] for _r, m in smtp.messages] == [
        f"Rujukan {reference}: disetujui",
        f"Rujukan {reference}: tidak dapat dilayani",
    ]
    rejection = smtp.messages[1][1].get_content()
    assert "kuota program sedang penuh" in rejection and "lack_of_capacity" not in rejection
    assert [d.state for d in await deliveries_of(notifications, accepted.referral_id)] == [
        "sent",
        "sent",
    ]


async def test_english_speakers_get_english_mail_and_unknown_programs_their_code(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intake = make_intake(contact={"email": "resident@example.org", "language": "en"})
    event = make_status(intake, ReferralStatus.completed, program_code="ATENSI")
    await apply(notifications.runtime, contact_of(intake), event)
    assert await notifications.dispatcher(smtp_port=smtp.port).dispatch_due() == 1
    [(recipients, message)] = smtp.messages
    assert recipients == ["resident@example.org"]
    reference = referral_reference(event.referral_id, intake.village_code)
    assert message["Subject"] == f"Referral {reference}: completed"
    body = message.get_content()
    assert body.startswith("Dear resident,")
    assert f"- ATENSI (reference {reference}): completed." in body


async def test_without_notification_consent_no_contact_is_kept_and_nothing_is_sent(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intakes, contacts_consumer = await notifications.run_consumer("notifications-contacts")
    statuses, status_consumer = await notifications.run_consumer("notifications-status")
    intake = make_intake(consent={"purposes": ["referral"]})  # a contact, without consent
    assert contact_of(intake).contact is None  # intake does not send it
    await notifications.publish(intakes, contact_of(intake))
    await contacts_consumer.drain()
    assert await notifications.rows("SELECT * FROM contacts") == []

    event = make_status(intake, ReferralStatus.accepted)
    await notifications.publish(statuses, event)
    await status_consumer.drain()
    assert await notifications.rows("SELECT * FROM resident_news") == []  # nothing gathered
    assert await notifications.dispatcher(smtp_port=smtp.port).dispatch_due() == 0
    assert await deliveries_of(notifications, event.referral_id) == []
    assert smtp.messages == []


async def test_news_whose_contact_never_says_waits_for_it_then_is_skipped(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    """A contact event from before ``consented`` was sent, without a contact: nobody knows
    whether the resident agreed, so the news waits for a contact that may still be on its way,
    and is skipped once the waits run out."""
    intake = make_intake(consent={"purposes": ["referral"]})
    unsaid = contact_of(intake).model_copy(update={"consented": None})
    event = make_status(intake, ReferralStatus.accepted)
    await apply(notifications.runtime, unsaid, event)
    assert len(await notifications.rows("SELECT * FROM resident_news")) == 1

    # with two attempts allowed, the first waits for a contact that may still be on its way
    started = datetime.now(UTC)
    assert await notifications.dispatcher(smtp_port=smtp.port, max_attempts=2).dispatch_due() == 1
    [waiting] = await deliveries_of(notifications, event.referral_id)
    assert waiting.state == "pending" and waiting.attempts == 1 and waiting.waits == 1
    assert waiting.last_error == reasons.NO_CONTACT_YET
    assert waiting.next_attempt_at > started
    assert await dispatched_events(notifications) == []

    await notifications.execute("UPDATE deliveries SET next_attempt_at = now()")
    assert await notifications.dispatcher(smtp_port=smtp.port, max_attempts=2).dispatch_due() == 1
    [skipped] = await deliveries_of(notifications, event.referral_id)
    assert skipped.state == "skipped" and skipped.attempts == 2
    assert skipped.recipient_masked is None and skipped.sent_at is None
    assert skipped.last_error == reasons.NO_CONTACT
    assert smtp.messages == []
    [dispatched] = await dispatched_events(notifications)
    assert dispatched.result == "skipped" and dispatched.recipient == "-"
    assert dispatched.attempts == 2


async def test_with_max_attempts_one_a_delivery_without_contact_is_skipped_at_once(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intake = make_intake(consent={"purposes": ["referral"]})
    event = make_status(intake, ReferralStatus.accepted)
    unsaid = contact_of(intake).model_copy(update={"consented": None})  # consent not said
    await apply(notifications.runtime, unsaid, event)
    assert await notifications.rows("SELECT * FROM contacts") == []
    assert await notifications.dispatcher(smtp_port=smtp.port, max_attempts=1).dispatch_due() == 1
    [row] = await deliveries_of(notifications, event.referral_id)
    assert row.state == "skipped" and row.attempts == 1
    assert smtp.messages == []
    [dispatched] = await dispatched_events(notifications)
    assert dispatched.result == "skipped"


async def test_an_smtp_server_that_is_down_means_retries_with_backoff_then_failed(
    notifications: Any, dead_port: int, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intake = make_intake(contact={"email": "warga@example.org"})
    event = make_status(intake, ReferralStatus.accepted)
    await apply(notifications.runtime, contact_of(intake), event)
    dispatcher = notifications.dispatcher(smtp_port=dead_port, max_attempts=3)

    started = datetime.now(UTC)
    assert await dispatcher.dispatch_due() == 1
    [row] = await deliveries_of(notifications, event.referral_id)
    assert row.state == "pending" and row.attempts == 1
    assert row.last_error and "SMTP" in row.last_error
    assert row.next_attempt_at > started
    assert (row.next_attempt_at - started).total_seconds() <= 1.5  # attempt 1: up to 1 s
    assert await dispatched_events(notifications) == []

    deadline = time.monotonic() + 15
    while row.state == "pending":
        assert time.monotonic() < deadline, f"still pending after {row.attempts} attempts"
        if row.next_attempt_at > datetime.now(UTC):
            await asyncio.sleep(0.05)
        await dispatcher.dispatch_due()
        [row] = await deliveries_of(notifications, event.referral_id, channel="email")
    assert row.state == "failed" and row.attempts == 3
    assert row.last_error and "SMTP" in row.last_error
    assert row.recipient_masked == "w***@example.org" and row.sent_at is None
    [dispatched] = await dispatched_events(notifications)
    assert dispatched.result == "failed" and dispatched.attempts == 3
    assert dispatched.detail == row.last_error
    assert dispatched.recipient == "w***@example.org"
    # a failed delivery is never tried again; the village Puskesos is asked to tell them
    assert await dispatcher.dispatch_due() == 1
    [task] = await deliveries_of(notifications, event.referral_id, channel="inbox")
    assert task.state == "sent" and task.unreachable_reason == "undeliverable"
    [told] = await notifications.rows("SELECT * FROM inbox_messages")
    assert "gagal terkirim (3 kali dicoba)" in told.body and "disetujui" in told.body
    assert await dispatcher.dispatch_due() == 0


async def test_the_api_lists_a_referrals_deliveries(
    notifications_api: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    api = notifications_api
    intake = make_intake()
    referral_id = uuid.uuid4()
    changes = [
        make_status(intake, to, frm=frm, referral_id=referral_id)
        for to, frm in (
            (ReferralStatus.created, None),
            (ReferralStatus.delivered, ReferralStatus.created),
            (ReferralStatus.accepted, ReferralStatus.delivered),
        )
    ]
    beside = make_status(intake, ReferralStatus.created, frm=None)  # the same visit
    elsewhere = make_intake()
    other = make_status(elsewhere, ReferralStatus.created, frm=None)
    await apply(api.runtime, contact_of(intake), *changes, beside, contact_of(elsewhere), other)
    async with api.runtime.unit_of_work() as uow:  # the dispatcher's first step
        assert await sum_up_due(uow, now=datetime.now(UTC), offered=["email"], limit=10) == 2

    admin = api.token("admin")
    r = await api.client.get(
        "/v1/notifications", params={"referral_id": str(referral_id)}, headers=admin
    )
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]  # one message tells of the visit's two referrals
    assert item["template"] == "status_news" and item["referral_id"] == str(referral_id)
    assert item["state"] == "pending" and item["attempts"] == 0 and item["waits"] == 0
    assert item["channel"] == "email" and item["recipient"] is None
    assert item["audience"] == "resident" and item["history"] == []
    assert item["unreachable_reason"] is None
    assert "warga@example.org" not in r.text
    r = await api.client.get(
        "/v1/notifications", params={"referral_id": str(beside.referral_id)}, headers=admin
    )
    assert [i["notification_id"] for i in r.json()["items"]] == [item["notification_id"]]

    r = await api.client.get(
        "/v1/notifications", params={"referral_id": str(uuid.uuid4())}, headers=admin
    )
    assert r.status_code == 200 and r.json() == {"items": []}
    r = await api.client.get(
        "/v1/notifications",
        params={"referral_id": str(referral_id)},
        headers=api.token("agency", programs=["PBI-JK"]),
    )
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    r = await api.client.get("/v1/notifications", params={"referral_id": "nope"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "referral_id"
    r = await api.client.get("/v1/notifications", params={"referral_id": str(referral_id)})
    assert r.status_code == 401


async def test_a_later_intake_without_notification_consent_stops_the_emails(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    """The newest consent counts: once the resident no longer consents to notifications, the
    contact given earlier must not be kept or used."""
    intakes, contacts_consumer = await notifications.run_consumer("notifications-contacts")
    first = make_intake()
    assert contact_of(first).contact is not None
    later = contact_of(first).model_copy(
        update={"intake_id": uuid.uuid4(), "contact": None, "consented": False}
    )
    await notifications.publish(intakes, contact_of(first))
    await notifications.publish(intakes, later)
    await contacts_consumer.drain()
    assert await notifications.rows("SELECT email FROM contacts") == []

    event = make_status(first, ReferralStatus.accepted)
    await apply(notifications.runtime, event)
    await notifications.dispatcher(smtp_port=smtp.port, max_attempts=1).dispatch_due()
    assert smtp.messages == []
    assert await deliveries_of(notifications, event.referral_id) == []  # nothing planned

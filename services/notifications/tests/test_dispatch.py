"""The dispatcher with every channel against real local servers: consent, SMS/WhatsApp,
webhooks, the operator inbox, retries, the circuit breaker, quiet hours and the rate limit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import REGISTRY

from rujukan_contracts.events import (
    IntakeSubmittedV1,
    NotificationDispatchedV1,
    ReasonCode,
    ReferralStatus,
    ReferralStatusChangedV1,
)
from rujukan_contracts.references import referral_reference
from rujukan_notifications.adapters.contacts import open_contact
from rujukan_notifications.adapters.gateways import GenericGateway, TwilioGateway
from rujukan_notifications.adapters.http import HttpClient
from rujukan_notifications.adapters.webhooks import WebhookChannel, verify_signature
from rujukan_notifications.domain import reasons
from rujukan_notifications.domain.audience import Routing
from rujukan_notifications.domain.channels import CHANNELS
from rujukan_notifications.domain.policies import QuietHours
from rujukan_notifications.service_layer.backlog import observe_due
from rujukan_notifications.service_layer.digests import sum_up_due
from rujukan_notifications.service_layer.dispatch import Dispatcher
from rujukan_notifications.settings import (
    GenericGatewaySettings,
    TwilioSettings,
    WebhookEndpoint,
)

from .conftest import (
    Clock,
    HttpPeer,
    MakeIntake,
    MakeStatus,
    NotificationsHarness,
    apply,
    contact_of,
    due_gauges,
)

pytestmark = pytest.mark.integration

WIB = ZoneInfo("Asia/Jakarta")
PHONE = "+6281234567890"
MASKED_PHONE = "+62********890"
SMS_AND_EMAIL = Routing()


def twilio(peer: HttpPeer, client: HttpClient, *, whatsapp: bool = False) -> TwilioGateway:
    settings = TwilioSettings(
        account_sid="AC42",
        auth_token="token",
        from_number="whatsapp:+14155238886" if whatsapp else "+15005550006",
        base_url=peer.url,
    )
    return TwilioGateway(settings, client, whatsapp=whatsapp)


def future_clock(hour: int = 12) -> Clock:
    """A clock at ``hour``:00 in Jakarta, tomorrow (after every row's ``now()``)."""
    tomorrow = datetime.now(WIB).date() + timedelta(days=1)
    return Clock(datetime.combine(tomorrow, time(hour), WIB).astimezone(UTC))


async def plan(
    notifications: Any,
    event: ReferralStatusChangedV1,
    routing: Routing = SMS_AND_EMAIL,
    intake: IntakeSubmittedV1 | None = None,
    **contact: Any,
) -> None:
    contacts = [] if intake is None else [contact_of(intake)]
    await apply(notifications.runtime, *contacts, event, routing=routing, **contact)


async def drive(dispatcher: Dispatcher) -> int:
    """Dispatch until nothing is due at the dispatcher's clock."""
    total = 0
    while handled := await dispatcher.dispatch_due():
        total += handled
    return total


async def deliveries(notifications: Any, channel: str | None = None) -> list[Any]:
    rows = await notifications.rows("SELECT * FROM deliveries ORDER BY created_at, id")
    return [r for r in rows if channel is None or r.channel == channel]


async def history(notifications: Any, delivery_id: uuid.UUID) -> list[str]:
    rows = await notifications.rows(
        "SELECT outcome FROM delivery_attempts WHERE delivery_id = :d ORDER BY id", d=delivery_id
    )
    return [r.outcome for r in rows]


async def dispatched(notifications: Any) -> list[NotificationDispatchedV1]:
    rows = await notifications.rows("SELECT payload::text AS payload FROM outbox ORDER BY seq")
    return [NotificationDispatchedV1.model_validate_json(r.payload) for r in rows]


async def test_a_consented_phone_gets_an_sms_once_even_when_the_event_is_redelivered(
    notifications: Any,
    smtp: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    intakes, contacts_consumer = await notifications.run_consumer("notifications-contacts")
    statuses, status_consumer = await notifications.run_consumer(
        "notifications-status", SMS_AND_EMAIL
    )
    intake = make_intake(contact={"email": "warga@example.org", "phone": "0812-3456-7890"})
    await notifications.publish(intakes, contact_of(intake))
    await contacts_consumer.drain()
    [contact] = await notifications.rows("SELECT * FROM contacts")
    assert contact.phone != PHONE and contact.channels == ["email", "sms"]  # sealed at rest
    assert open_contact(notifications.sealer, "phone", contact) == PHONE

    accepted = make_status(intake, ReferralStatus.accepted)
    meta = await notifications.publish(statuses, accepted)
    await status_consumer.drain()
    clock = future_clock()
    dispatcher = notifications.dispatcher(
        smtp_port=smtp.port, channels={"sms": twilio(http_peer, http_client)}, clock=clock
    )
    assert await drive(dispatcher) == 2
    [request] = http_peer.requests
    form = request.form()
    reference = referral_reference(accepted.referral_id, intake.village_code)
    assert form["To"] == PHONE and form["Body"].startswith(f"{reference} PBI-JK: disetujui.")
    assert str(accepted.referral_id) not in form["Body"]
    assert len(smtp.messages) == 1
    [sms] = await deliveries(notifications, "sms")
    assert sms.state == "sent" and sms.template == "sms_news"
    assert sms.recipient_masked == MASKED_PHONE and sms.sent_at == clock.now
    assert await history(notifications, sms.id) == ["sent"]
    events = await dispatched(notifications)
    assert {(e.channel, e.result, e.recipient) for e in events} == {
        ("sms", "sent", MASKED_PHONE),
        ("email", "sent", "w***@example.org"),
    }

    await notifications.publish(statuses, accepted, meta)  # the same event, redelivered
    await status_consumer.drain()
    clock.advance(hours=2)
    assert await drive(dispatcher) == 0
    assert len(http_peer.requests) == 1 and len(smtp.messages) == 1
    assert len(await deliveries(notifications)) == 2


async def test_phone_channels_follow_consent(
    notifications: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    routing = Routing()
    channels = {
        "sms": twilio(http_peer, http_client),
        "whatsapp": twilio(http_peer, http_client, whatsapp=True),
    }
    dispatcher = notifications.dispatcher(channels=channels, clock=future_clock(), max_attempts=1)

    # Consent covers SMS only (the default): no WhatsApp delivery is even planned.
    sms_only = make_intake(contact={"email": None, "phone": PHONE})
    await plan(notifications, make_status(sms_only, ReferralStatus.completed), routing, sms_only)
    # Where the deployment counts a phone as WhatsApp consent too, both go out.
    both = make_intake(contact={"email": None, "phone": "081298765432"})
    await plan(
        notifications,
        make_status(both, ReferralStatus.completed),
        routing,
        both,
        phone_channels=("sms", "whatsapp"),
    )
    # Without the 'notification' purpose, nothing is kept, planned or sent.
    refused = make_intake(consent={"purposes": ["referral"]}, contact={"phone": "081211112222"})
    await plan(
        notifications,
        make_status(refused, ReferralStatus.completed),
        Routing(),
        refused,
    )
    assert await drive(dispatcher) == 3
    sent = sorted((r.form()["To"], r.form()["From"]) for r in http_peer.requests)
    assert sent == [
        ("+6281234567890", "+15005550006"),
        ("+6281298765432", "+15005550006"),
        ("whatsapp:+6281298765432", "whatsapp:+14155238886"),
    ]
    rows = await deliveries(notifications)
    assert [r for r in rows if r.household_id == refused.household_id] == []
    assert all(r.state == "sent" for r in rows)
    assert (
        await notifications.rows(
            "SELECT 1 FROM contacts WHERE household_id = :h", h=refused.household_id
        )
        == []
    )


async def test_a_contact_arriving_without_a_channel_skips_it_at_once(
    notifications: Any,
    smtp: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    """Planned before the contact was known, an SMS is skipped (not retried) once the contact
    arrives consented to e-mail only; later changes plan no SMS at all."""
    intake = make_intake(contact={"email": "warga@example.org", "phone": None})
    await plan(notifications, make_status(intake, ReferralStatus.accepted))
    clock = future_clock()
    dispatcher = notifications.dispatcher(
        smtp_port=smtp.port, channels={"sms": twilio(http_peer, http_client)}, clock=clock
    )
    assert await dispatcher.dispatch_due() == 2  # both wait for the contact
    assert sorted(r.channel for r in await deliveries(notifications)) == ["email", "sms"]
    await plan(notifications, make_status(intake, ReferralStatus.completed), intake=intake)
    clock.advance(minutes=5)  # past the wait
    assert await drive(dispatcher) == 3
    [sms] = await deliveries(notifications, "sms")
    assert sms.state == "skipped" and sms.attempts == 2
    assert sms.last_error == reasons.channel_not_consented("sms")
    assert sms.last_error.startswith(
        "channel_not_consented: Warga tidak setuju dihubungi lewat SMS"
    )
    assert [r.state for r in await deliveries(notifications, "email")] == ["sent", "sent"]
    assert http_peer.requests == [] and len(smtp.messages) == 2


async def test_a_delivery_on_a_channel_this_release_does_not_know_is_left_to_one_that_does(
    notifications: Any,
    smtp: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    """A row a newer release planned on a channel this one does not know (during an upgrade)
    is not claimed: it waits, pending, for a dispatcher that knows it (this one could neither
    send it nor say so on ``notifications.dispatched``), and the rows beside it go out."""
    intake = make_intake(contact={"email": "warga@example.org", "phone": "0812-3456-7890"})
    await plan(notifications, make_status(intake, ReferralStatus.accepted), intake=intake)
    clock = future_clock()
    async with notifications.runtime.unit_of_work() as uow:  # the visit's message planned
        assert await sum_up_due(uow, now=clock.now, offered=["email", "sms"], limit=10) == 1
    changed = await notifications.execute(
        "UPDATE deliveries SET channel = 'telegram' WHERE channel = 'sms'"
    )
    assert changed == 1
    dispatcher = notifications.dispatcher(
        smtp_port=smtp.port, channels={"sms": twilio(http_peer, http_client)}, clock=clock
    )
    assert await drive(dispatcher) == 1
    [unknown] = await deliveries(notifications, "telegram")
    assert unknown.state == "pending" and unknown.attempts == 0 and unknown.claimed_by is None
    assert [r.state for r in await deliveries(notifications, "email")] == ["sent"]
    assert http_peer.requests == [] and len(smtp.messages) == 1

    # the operators see it wait (RujukanDeliveriesOverdue), and see it go
    units, later = notifications.runtime.unit_of_work, clock.now + timedelta(minutes=20)
    reported = await observe_due(units, later, dict.fromkeys(CHANNELS))
    assert set(reported) == {*CHANNELS, "telegram"}
    assert due_gauges("telegram") == (1, (later - unknown.next_attempt_at).total_seconds())
    assert due_gauges("telegram")[1] >= 20 * 60 and due_gauges("email") == (0, 0)
    await notifications.execute(
        "UPDATE deliveries SET state = 'skipped' WHERE id = :d", d=unknown.id
    )
    assert await observe_due(units, later, reported) == dict.fromkeys(reported)
    assert due_gauges("telegram") == (0, 0)


async def test_the_agency_hears_of_each_new_referral_by_a_signed_webhook(
    notifications: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    received: list[dict[str, Any]] = []

    def agency(request: Any) -> Any:
        from starlette.responses import JSONResponse

        verify_signature(
            "bpjs-secret",
            timestamp=request.headers["x-rujukan-timestamp"],
            signature=request.headers["x-rujukan-signature"],
            body=request.body,
        )
        received.append({**request.json(), "delivery": request.headers["x-rujukan-delivery"]})
        return JSONResponse({"ok": True})

    http_peer.handler = agency
    endpoints = {"PBI-JK": WebhookEndpoint(url=http_peer.url + "/hook", secret="bpjs-secret")}
    routing = Routing(agency_programs=frozenset(endpoints))
    intake = make_intake()
    created = make_status(intake, ReferralStatus.created, frm=None)
    await plan(notifications, created, routing)
    await plan(notifications, make_status(intake, ReferralStatus.created, program_code="PKH"))
    await plan(notifications, make_status(intake, ReferralStatus.delivered), routing)

    dispatcher = notifications.dispatcher(
        channels={"webhook": WebhookChannel(endpoints, http_client)}
    )
    # PKH has no webhook; 'delivered' is not for agencies; the resident hears of the visit's
    # two referrals in one message
    assert await dispatcher.dispatch_due() == 2
    assert len(await deliveries(notifications, "email")) == 1
    [hook] = await deliveries(notifications, "webhook")
    assert hook.state == "sent" and hook.recipient_masked == "PBI-JK"
    assert received == [
        {
            "event_id": str(hook.id),
            "type": "referral.created",
            "referral_id": str(created.referral_id),
            "program_code": "PBI-JK",
            "village_code": intake.village_code,
            "status": "created",
            "changed_at": created.changed_at.isoformat(),
            "delivery": str(hook.id),
        }
    ]


async def test_operators_read_rejections_expiries_and_escalations_in_their_inbox(
    notifications_api: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    api = notifications_api
    intake = make_intake(village_code="33.04.01.2001")
    events = [
        make_status(intake, ReferralStatus.rejected, reason_code=ReasonCode.not_eligible),
        make_status(intake, ReferralStatus.expired),
        make_status(
            intake,
            ReferralStatus.received,
            escalated=True,
            escalated_to="agency_supervisor",
            escalation_level=1,
            note="escalated to agency_supervisor: deadline missed",
        ),
        make_status(intake, ReferralStatus.accepted),  # not for operators
    ]
    for event in events:
        await plan(api, event, Routing(), resident_news=())  # staff only
    # the service's own dispatcher, built from its settings
    # 3 for the Puskesos; for the expiry and the escalation, the regency's Dinas Sosial (no
    # level named) and the agency's own inbox (no webhook)
    assert await drive(api.runtime.deps.dispatcher) == 7

    operator = api.token("operator", regions=["33.04.01"])
    inbox = "puskesos:33.04.01.2001"
    r = await api.client.get("/v1/inbox", params={"recipient": inbox, "limit": 2}, headers=operator)
    assert r.status_code == 200, r.text
    first = r.json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    r = await api.client.get(
        "/v1/inbox",
        params={"recipient": inbox, "limit": 2, "cursor": first["next_cursor"]},
        headers=operator,
    )
    second = r.json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    subjects = [i["subject"] for i in first["items"] + second["items"]]
    assert sorted(subjects) == sorted(
        [
            "Rujukan PBI-JK ditolak — desa Berta (33.04.01.2001)",
            "Rujukan PBI-JK melewati batas waktu — desa Berta (33.04.01.2001)",
            "Eskalasi rujukan PBI-JK — desa Berta (33.04.01.2001)",
        ]
    )
    dinsos = api.token("operator", regions=["33.04"])
    r = await api.client.get("/v1/inbox", params={"recipient": "dinsos:33.04"}, headers=dinsos)
    assert sorted(i["subject"] for i in r.json()["items"]) == [
        "Mohon tindak lanjut: rujukan PBI-JK terlambat — desa Berta (33.04.01.2001)",
        "Rujukan PBI-JK kedaluwarsa — desa Berta (33.04.01.2001)",
    ]
    created = [i["created_at"] for i in first["items"] + second["items"]]
    assert created == sorted(created, reverse=True)

    r = await api.client.get("/v1/inbox", params={"recipient": "dinsos:33.04"}, headers=operator)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    other = api.token("operator", regions=["35.01"])
    r = await api.client.get("/v1/inbox", params={"recipient": inbox}, headers=other)
    assert r.status_code == 403
    assert r.json()["detail"] == f"{inbox} di luar wilayah Anda"
    r = await api.client.get(
        "/v1/inbox", params={"recipient": inbox}, headers={**other, "Accept-Language": "en"}
    )
    assert r.status_code == 403 and r.json()["detail"] == f"{inbox} is outside your regions"
    agency = api.token("agency", programs=["PBI-JK"])
    assert (
        await api.client.get("/v1/inbox", params={"recipient": inbox}, headers=agency)
    ).status_code == 403
    r = await api.client.get("/v1/inbox", params={"recipient": "33.04"}, headers=operator)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "recipient"
    r = await api.client.get(
        "/v1/inbox", params={"recipient": inbox, "cursor": "bm9wZQ=="}, headers=operator
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"

    r = await api.client.get(
        "/v1/notifications",
        params={"referral_id": str(events[1].referral_id)},
        headers=api.token("admin"),
    )
    items = r.json()["items"]
    assert {(i["audience"], i["recipient"], i["state"]) for i in items} == {
        ("operator", inbox, "sent"),
        ("escalation", "dinsos:33.04", "sent"),
        ("agency", "agency:PBI-JK:33.04", "sent"),
    }
    assert all(i["history"][0]["outcome"] == "sent" for i in items)


async def test_a_failing_gateway_is_retried_with_backoff_then_succeeds(
    notifications: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    http_peer.failures = [500, 503]
    intake = make_intake(contact={"email": None, "phone": PHONE})
    await plan(notifications, make_status(intake, ReferralStatus.accepted), intake=intake)
    clock = future_clock()
    dispatcher = notifications.dispatcher(
        channels={"sms": twilio(http_peer, http_client)}, clock=clock
    )
    assert await dispatcher.dispatch_due() == 1
    [row] = await deliveries(notifications)
    assert row.state == "pending" and row.attempts == 1 and "HTTP 500" in row.last_error
    assert clock.now <= row.next_attempt_at <= clock.now + timedelta(seconds=1)
    assert await dispatcher.dispatch_due() == 0  # not due yet
    clock.advance(seconds=1)
    assert await dispatcher.dispatch_due() == 1
    [row] = await deliveries(notifications)
    assert row.attempts == 2 and "HTTP 503" in row.last_error
    assert row.next_attempt_at <= clock.now + timedelta(seconds=2)  # attempt 2: up to 2 s
    clock.advance(seconds=2)
    assert await drive(dispatcher) == 1
    [row] = await deliveries(notifications)
    assert row.state == "sent" and row.attempts == 3 and row.last_error is None
    assert len(http_peer.requests) == 3
    assert await history(notifications, row.id) == ["retry", "retry", "sent"]
    [event] = await dispatched(notifications)
    assert event.result == "sent" and event.attempts == 3


async def test_the_last_retry_dead_letters_and_a_refusal_fails_at_once(
    notifications: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    http_peer.failures = [500, 500, 400]
    first, second = (make_intake(contact={"email": None, "phone": PHONE}) for _ in range(2))
    await plan(notifications, make_status(first, ReferralStatus.accepted), intake=first)
    clock = future_clock()
    dispatcher = notifications.dispatcher(
        channels={"sms": twilio(http_peer, http_client)}, clock=clock, max_attempts=2
    )
    assert await dispatcher.dispatch_due() == 1
    clock.advance(seconds=1)
    assert await dispatcher.dispatch_due() == 1
    [dead] = await deliveries(notifications, "sms")
    assert dead.state == "failed" and dead.attempts == 2 and "HTTP 500" in dead.last_error
    assert dead.recipient_masked == MASKED_PHONE
    assert await history(notifications, dead.id) == ["retry", "failed"]
    # nobody silently untold: the village Puskesos is asked to tell them in person
    assert await dispatcher.dispatch_due() == 1
    [task] = await deliveries(notifications, "inbox")
    assert (task.audience, task.state, task.source_event_id) == (
        "resident",
        "sent",
        dead.source_event_id,
    )
    assert task.unreachable_reason == "undeliverable"
    assert task.unreachable_detail == "Pesan lewat SMS kepada warga gagal terkirim (2 kali dicoba)."

    await plan(notifications, make_status(second, ReferralStatus.accepted), intake=second)
    assert await dispatcher.dispatch_due() == 1
    refused = next(
        r for r in await deliveries(notifications, "sms") if r.household_id == second.household_id
    )
    assert refused.state == "failed" and refused.attempts == 1 and "HTTP 400" in refused.last_error
    assert await history(notifications, refused.id) == ["failed"]
    assert [(e.channel, e.result, e.attempts) for e in await dispatched(notifications)] == [
        ("sms", "failed", 2),
        ("inbox", "sent", 1),
        ("sms", "failed", 1),
    ]
    assert await drive(dispatcher) == 1  # the second one's task
    clock.advance(hours=1)
    assert await dispatcher.dispatch_due() == 0 and len(http_peer.requests) == 3


def circuit_state(provider: str) -> float | None:
    return REGISTRY.get_sample_value("rujukan_notifications_circuit_state", {"provider": provider})


async def test_the_circuit_opens_after_failures_and_spares_the_provider_until_cool_down(
    notifications: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    http_peer.failures = [500] * 100
    gateway = GenericGateway(
        GenericGatewaySettings(name=f"gw-{uuid.uuid4().hex[:6]}", url=http_peer.url + "/send"),
        http_client,
    )
    for _ in range(4):
        intake = make_intake(contact={"email": None, "phone": PHONE})
        await plan(notifications, make_status(intake, ReferralStatus.accepted), intake=intake)
    clock = future_clock()
    dispatcher = notifications.dispatcher(
        channels={"sms": gateway},
        clock=clock,
        max_attempts=10,
        failure_threshold=2,
        cooldown=timedelta(seconds=60),
        concurrency=1,  # one call at a time: the circuit opens before the third is made
    )
    provider = gateway.provider(PHONE)
    assert await dispatcher.dispatch_due() == 4
    assert len(http_peer.requests) == 2  # two failures opened the circuit: two rows spared
    assert dispatcher.breakers[provider].state == "open" and circuit_state(provider) == 2
    rows = await deliveries(notifications)
    spared = [r for r in rows if r.attempts == 0]
    assert sorted(r.attempts for r in rows) == [0, 0, 1, 1]
    for row in spared:
        assert row.state == "pending" and row.last_error == reasons.circuit_open(provider)
        assert row.next_attempt_at == clock.now + timedelta(seconds=60)
        assert await history(notifications, row.id) == ["circuit_open"]

    clock.advance(seconds=30)  # the retries of the first two are due, the circuit still open
    assert await dispatcher.dispatch_due() == 2
    assert len(http_peer.requests) == 2

    clock.advance(seconds=31)  # cool-down over: one trial call, which fails: open again
    assert await dispatcher.dispatch_due() == 4
    assert len(http_peer.requests) == 3 and dispatcher.breakers[provider].state == "open"

    http_peer.failures.clear()  # the provider recovers
    clock.advance(seconds=61)
    assert await drive(dispatcher) == 4
    assert dispatcher.breakers[provider].state == "closed" and circuit_state(provider) == 0
    assert [r.state for r in await deliveries(notifications)] == ["sent"] * 4
    assert len(http_peer.requests) == 3 + 4


async def test_quiet_hours_defer_sms_and_whatsapp_but_not_email(
    notifications: Any,
    smtp: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    intake = make_intake(contact={"email": "warga@example.org", "phone": PHONE})
    await plan(notifications, make_status(intake, ReferralStatus.rejected), intake=intake)
    clock = future_clock(hour=22)
    dispatcher = notifications.dispatcher(
        smtp_port=smtp.port,
        channels={"sms": twilio(http_peer, http_client)},
        clock=clock,
        quiet_hours=QuietHours(time(21), time(7), WIB),
    )
    assert await drive(dispatcher) == 3  # e-mail, inbox, and the SMS deferred
    assert len(smtp.messages) == 1 and http_peer.requests == []
    [sms] = await deliveries(notifications, "sms")
    morning = datetime.combine(clock.now.astimezone(WIB).date() + timedelta(days=1), time(7), WIB)
    assert sms.state == "pending" and sms.attempts == 0
    assert sms.next_attempt_at == morning
    assert sms.last_error == "quiet_hours: Jam tenang sampai pukul 07:00; dikirim sesudahnya."
    clock.advance(hours=8, minutes=59)  # 06:59
    assert await dispatcher.dispatch_due() == 0
    clock.advance(minutes=1)
    assert await dispatcher.dispatch_due() == 1
    [sms] = await deliveries(notifications, "sms")
    assert sms.state == "sent" and sms.attempts == 1 and len(http_peer.requests) == 1
    assert await history(notifications, sms.id) == ["deferred", "sent"]


async def test_a_recipient_gets_at_most_n_messages_per_window(
    notifications: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    intake = make_intake(contact={"email": None, "phone": PHONE})
    other = make_intake(contact={"email": None, "phone": "081299990000"})
    clock = future_clock()
    dispatcher = notifications.dispatcher(
        channels={"sms": twilio(http_peer, http_client)},
        clock=clock,
        rate_limit=2,
        rate_window=timedelta(hours=1),
    )
    for status in (ReferralStatus.accepted, ReferralStatus.rejected, ReferralStatus.completed):
        await plan(notifications, make_status(intake, status), intake=intake)
        await dispatcher.dispatch_due()  # a message of its own each time
    await plan(notifications, make_status(other, ReferralStatus.accepted), intake=other)
    await drive(dispatcher)
    assert len(await deliveries(notifications, "sms")) == 4
    to = [r.form()["To"] for r in http_peer.requests]
    assert sorted(to) == sorted([PHONE, PHONE, "+6281299990000"])  # the other is not limited
    [waiting] = [r for r in await deliveries(notifications) if r.state == "pending"]
    assert waiting.household_id == intake.household_id and waiting.attempts == 0
    assert waiting.next_attempt_at == clock.now + timedelta(hours=1)
    assert waiting.last_error == reasons.rate_limit(2, 3600)
    assert waiting.last_error.startswith(
        "rate_limit: Paling banyak 2 pesan ke satu keluarga per 3600"
    )
    clock.advance(minutes=59)
    assert await dispatcher.dispatch_due() == 0
    clock.advance(minutes=1)
    assert await dispatcher.dispatch_due() == 1
    assert len(http_peer.requests) == 4
    assert await history(notifications, waiting.id) == ["deferred", "sent"]


@pytest.mark.integration
async def test_a_commit_of_the_service_wakes_its_dispatcher(
    notifications: NotificationsHarness,
) -> None:
    """Deliveries planned by a consumer are looked for when their unit of work commits, not at
    the dispatcher's next poll (up to ``dispatch_idle_poll_seconds`` apart when quiet)."""
    dispatcher: Dispatcher = notifications.runtime.deps.dispatcher
    assert await dispatcher._poll.wait(0.01) is False  # nothing woke it yet
    async with notifications.runtime.unit_of_work() as uow:
        await uow.commit()
    assert await dispatcher._poll.wait(0.01) is True

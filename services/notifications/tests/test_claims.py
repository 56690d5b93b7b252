"""Claim, send, record: no transaction or row lock across a send, a sender that died mid-send is
taken over after its lease, and every copy carries the delivery's idempotency handle. Against
real PostgreSQL, a real SMTP server (aiosmtpd) and a real local HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import make_url

from rujukan_contracts.events import IntakeSubmittedV1, ReferralStatus, ReferralStatusChangedV1
from rujukan_notifications.adapters.gateways import GenericGateway, TwilioGateway
from rujukan_notifications.adapters.http import HttpClient
from rujukan_notifications.adapters.inbox import InboxChannel
from rujukan_notifications.adapters.smtp import EmailChannel
from rujukan_notifications.domain import reasons
from rujukan_notifications.domain.audience import Routing
from rujukan_notifications.domain.channels import ChannelName
from rujukan_notifications.domain.messages import Message
from rujukan_notifications.service_layer.backlog import observe_due
from rujukan_notifications.service_layer.dispatch import Dispatcher
from rujukan_notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from rujukan_notifications.settings import GenericGatewaySettings, TwilioSettings
from rujukan_platform.db import make_engine, make_sessions
from rujukan_platform.testing import TcpProxy

from .conftest import (
    SENDER,
    Clock,
    HttpPeer,
    Inbox,
    MakeIntake,
    MakeStatus,
    apply,
    contact_of,
    due_gauges,
    running_smtp,
)

pytestmark = pytest.mark.integration

LEASE = timedelta(seconds=60)


def clock() -> Clock:
    """A clock the test moves, a minute ahead of the rows' ``now()``."""
    return Clock(datetime.now(UTC) + timedelta(minutes=1))


async def plan(
    notifications: Any,
    events: list[tuple[IntakeSubmittedV1, ReferralStatusChangedV1]],
    routing: Routing = Routing(),
    **contact: Any,
) -> None:
    handled = [e for intake, event in events for e in (contact_of(intake), event)]
    await apply(notifications.runtime, *handled, routing=routing, **contact)


async def emails(
    notifications: Any, make_intake: MakeIntake, make_status: MakeStatus, n: int = 1
) -> None:
    """``n`` residents with an e-mail contact, each told of an accepted referral."""
    intakes = [make_intake(contact={"email": f"warga-{i}@example.org"}) for i in range(n)]
    await plan(notifications, [(i, make_status(i, ReferralStatus.accepted)) for i in intakes])


async def drive(dispatcher: Dispatcher) -> int:
    total = 0
    while handled := await dispatcher.dispatch_due():
        total += handled
    return total


async def history(notifications: Any, delivery_id: uuid.UUID) -> list[str]:
    rows = await notifications.rows(
        "SELECT outcome FROM delivery_attempts WHERE delivery_id = :d ORDER BY id", d=delivery_id
    )
    return [r.outcome for r in rows]


def message_id(delivery_id: uuid.UUID) -> str:
    return f"<{delivery_id}@rujukan.example>"  # the sender's domain (conftest.SENDER)


def counter(name: str, channel: str) -> float:
    return REGISTRY.get_sample_value(name, {"channel": channel}) or 0.0


class WatchingInbox(Inbox):
    """While the SMTP server holds a message, looks at its delivery from another connection:
    its state, and whether a row lock can be taken without waiting."""

    def __init__(self, dsn: str) -> None:
        super().__init__()
        self.dsn = dsn
        self.seen: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        conn = await asyncpg.connect(self.dsn)
        try:
            row = await conn.fetchrow("SELECT id, state, claimed_by, lease_until FROM deliveries")
            assert row is not None
            seen = dict(row)
            try:
                async with conn.transaction():
                    await conn.execute(
                        "SELECT 1 FROM deliveries WHERE id = $1 FOR UPDATE NOWAIT", row["id"]
                    )
                seen["lock"] = "free"
            except asyncpg.LockNotAvailableError:
                seen["lock"] = "held"
            self.seen.append(seen)
        finally:
            await conn.close()
        return await super().handle_DATA(server, session, envelope)


async def test_the_claim_is_committed_before_the_send_and_no_row_lock_is_held(
    notifications: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    await emails(notifications, make_intake, make_status)
    watcher = WatchingInbox(notifications.pg_dsn)
    now = clock()
    async with running_smtp(watcher) as smtp:
        dispatcher = notifications.dispatcher(smtp_port=smtp.port, clock=now)
        assert await dispatcher.dispatch_due() == 1
    [seen] = watcher.seen
    assert seen["state"] == "sending" and seen["claimed_by"] == dispatcher.id
    assert seen["lease_until"] == now.now + LEASE
    assert seen["lock"] == "free"
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.state == "sent" and row.claimed_by is None and row.lease_until is None
    [(_to, mail)] = smtp.messages
    assert mail["Message-ID"] == message_id(row.id)
    assert await history(notifications, row.id) == ["sent"]


class DiesAfterSending:
    """A channel whose sender dies right after the provider took the message: ``send`` never
    returns (the test cancels the dispatcher, as SIGKILL stops a process) unless released."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent = asyncio.Event()
        self.release = asyncio.Event()

    def provider(self, recipient: str) -> str:
        return str(self.inner.provider(recipient))

    async def send(self, recipient: str, message: Message) -> None:
        await self.inner.send(recipient, message)
        self.sent.set()
        await self.release.wait()


async def killed_after_sending(
    notifications: Any, channel: ChannelName, provider: Any, now: Clock
) -> Dispatcher:
    """A dispatcher killed (cancelled, as SIGKILL stops a process) right after ``provider``
    took its message: the row is left ``sending``, its result unrecorded."""
    dying = DiesAfterSending(provider)
    dispatcher = notifications.dispatcher(channels={channel: dying}, clock=now)
    task = asyncio.create_task(dispatcher.dispatch_due())
    await dying.sent.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return dispatcher


def email_to(smtp: Any) -> EmailChannel:
    return EmailChannel(host="127.0.0.1", port=smtp.port, sender=SENDER, timeout=5)


async def test_a_sender_that_died_mid_send_is_taken_over_and_sent_with_the_same_message_id(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    await emails(notifications, make_intake, make_status)
    now = clock()
    first = await killed_after_sending(notifications, "email", email_to(smtp), now)
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.state == "sending" and row.claimed_by == first.id and row.attempts == 0
    assert await history(notifications, row.id) == []

    # the operators see the row wait from the end of its lease (RujukanDeliveriesOverdue)
    units, email = notifications.runtime.unit_of_work, dict.fromkeys(["email"])
    await observe_due(units, now.now + timedelta(seconds=59), email)
    assert due_gauges("email")[0] == 0
    await observe_due(units, now.now + timedelta(seconds=90), email)
    assert due_gauges("email") == (1, 30.0)

    takeovers = counter("rujukan_notifications_takeovers_total", "email")
    second = notifications.dispatcher(smtp_port=smtp.port, clock=now)
    assert second.id != first.id
    now.advance(seconds=59)
    assert await second.dispatch_due() == 0  # the lease still holds
    now.advance(seconds=1)
    assert await second.dispatch_due() == 1
    assert counter("rujukan_notifications_takeovers_total", "email") == takeovers + 1

    assert [m["Message-ID"] for _to, m in smtp.messages] == [message_id(row.id)] * 2
    assert smtp.messages[0][1].get_content() == smtp.messages[1][1].get_content()
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.state == "sent" and row.attempts == 2 and row.claimed_by is None
    steps = await notifications.rows(
        "SELECT attempt, outcome, detail FROM delivery_attempts ORDER BY id"
    )
    assert [(s.attempt, s.outcome) for s in steps] == [(1, "taken_over"), (2, "sent")]
    assert first.id in steps[0].detail
    [event] = await notifications.rows("SELECT payload::text AS p FROM outbox")
    assert '"result":"sent"' in event.p and '"attempts":2' in event.p
    await observe_due(units, now.now + timedelta(seconds=90), email)
    assert due_gauges("email")[0] == 0


async def test_waiting_for_a_late_contact_spends_none_of_the_sends_attempts(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    """The 100,000-household chaos run's six failed e-mails: four waits for a contact still on
    its way, then a dispatcher killed on the first send. The take-over still has sends left."""
    intake = make_intake(contact={"email": "warga@example.org"})
    await apply(notifications.runtime, make_status(intake, ReferralStatus.accepted))
    now = clock()
    waiter = notifications.dispatcher(smtp_port=smtp.port, clock=now)
    for _ in range(4):
        assert await waiter.dispatch_due() == 1
        now.advance(seconds=61)  # past the wait (at most 60 s after the fourth)
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.state == "pending" and row.attempts == 4 and row.waits == 4
    assert row.last_error == reasons.NO_CONTACT_YET
    assert await history(notifications, row.id) == ["waiting"] * 4

    await apply(notifications.runtime, contact_of(intake))  # the contact arrives
    await killed_after_sending(notifications, "email", email_to(smtp), now)

    now.advance(seconds=61)
    second = notifications.dispatcher(smtp_port=smtp.port, clock=now)
    assert await second.dispatch_due() == 1
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.state == "sent" and row.attempts == 6 and row.waits == 4
    assert await history(notifications, row.id) == ["waiting"] * 4 + ["taken_over", "sent"]
    assert [m["Message-ID"] for _to, m in smtp.messages] == [message_id(row.id)] * 2
    [event] = await notifications.rows("SELECT payload::text AS p FROM outbox")
    assert '"result":"sent"' in event.p and '"attempts":6' in event.p


async def test_the_contact_that_comes_wakes_the_delivery_waiting_for_it(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    """A resident's delivery waiting for their contact goes when the contact comes, not when
    its backoff (8-16 s by the third wait, up to a minute later) runs out."""
    intake = make_intake(contact={"email": "warga@example.org"})
    await apply(notifications.runtime, make_status(intake, ReferralStatus.accepted))
    now = clock()
    dispatcher = notifications.dispatcher(smtp_port=smtp.port, clock=now)
    for past_the_wait in (2, 5, 0):  # waits of at most 1 s, 2-4 s, then 8-16 s
        assert await dispatcher.dispatch_due() == 1
        now.advance(seconds=past_the_wait)
    assert await dispatcher.dispatch_due() == 0  # the third wait is not over
    await apply(notifications.runtime, contact_of(intake))  # the contact arrives
    assert await dispatcher.dispatch_due() == 1  # at once
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.state == "sent" and (row.attempts, row.waits) == (4, 3)
    assert [to for to, _mail in smtp.messages] == [["warga@example.org"]]


async def test_the_puskesos_reads_how_often_sending_failed_not_the_waits_for_the_contact(
    notifications: Any, dead_port: int, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intake = make_intake(contact={"email": "warga@example.org"})
    await apply(notifications.runtime, make_status(intake, ReferralStatus.accepted))
    now = clock()
    dispatcher = notifications.dispatcher(smtp_port=dead_port, clock=now, max_attempts=2)
    assert await dispatcher.dispatch_due() == 1  # no contact yet: it waits
    await apply(notifications.runtime, contact_of(intake))
    for _ in range(2):  # then two sends, both refused
        now.advance(seconds=10)
        assert await dispatcher.dispatch_due() == 1
    [row] = await notifications.rows("SELECT * FROM deliveries WHERE channel = 'email'")
    assert row.state == "failed" and (row.attempts, row.waits) == (3, 1)
    assert await history(notifications, row.id) == ["waiting", "retry", "failed"]
    assert await dispatcher.dispatch_due() == 1  # the village Puskesos' task to tell them
    [told] = await notifications.rows("SELECT * FROM inbox_messages")
    assert "gagal terkirim (2 kali dicoba)" in told.body


async def test_a_late_result_of_a_claim_taken_over_is_not_recorded(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    """A sender that stalled past its lease comes back while another, having taken the row
    over, is sending it: the first one's result is dropped; the row, its history and the
    published result are the taker's."""
    await emails(notifications, make_intake, make_status)
    now = clock()
    stalled = [DiesAfterSending(email_to(smtp)) for _ in range(2)]
    first, second = (
        notifications.dispatcher(channels={"email": channel}, clock=now) for channel in stalled
    )
    first_run = asyncio.create_task(first.dispatch_due())
    await stalled[0].sent.wait()
    now.advance(seconds=61)
    second_run = asyncio.create_task(second.dispatch_due())
    await stalled[1].sent.wait()

    lost = counter("rujukan_notifications_claims_lost_total", "email")
    stalled[0].release.set()
    assert await first_run == 1
    assert counter("rujukan_notifications_claims_lost_total", "email") == lost + 1
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.state == "sending" and row.claimed_by == second.id
    assert await history(notifications, row.id) == ["taken_over"]

    stalled[1].release.set()
    assert await second_run == 1
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.state == "sent" and row.attempts == 2
    assert await history(notifications, row.id) == ["taken_over", "sent"]
    assert len(await notifications.rows("SELECT 1 FROM outbox")) == 1
    assert len(smtp.messages) == 2


async def test_an_inbox_delivery_taken_over_is_stored_once(
    notifications: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    intake = make_intake(village_code="33.04.01.2001")
    await plan(
        notifications,
        [(intake, make_status(intake, ReferralStatus.rejected))],
        Routing(),
        resident_news=(),  # the Puskesos inbox alone
    )
    now = clock()
    await killed_after_sending(
        notifications, "inbox", InboxChannel(notifications.runtime.sessions), now
    )
    now.advance(seconds=61)
    assert await notifications.dispatcher(clock=now).dispatch_due() == 1
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.channel == "inbox" and row.state == "sent"
    assert await history(notifications, row.id) == ["taken_over", "sent"]
    [message] = await notifications.rows("SELECT * FROM inbox_messages")
    assert message.id == row.id and message.recipient == "puskesos:33.04.01.2001"


async def test_two_dispatchers_send_each_of_200_deliveries_exactly_once(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    await emails(notifications, make_intake, make_status, n=200)
    now = clock()
    a, b = (notifications.dispatcher(smtp_port=smtp.port, clock=now, batch=10) for _ in "ab")
    claimed = await asyncio.gather(drive(a), drive(b))
    assert sum(claimed) == 200 and min(claimed) > 0, claimed  # both took part
    rows = await notifications.rows("SELECT * FROM deliveries")
    assert len(rows) == 200
    assert {(r.state, r.attempts, r.claimed_by) for r in rows} == {("sent", 1, None)}
    sent = Counter(m["Message-ID"] for _to, m in smtp.messages)
    assert len(smtp.messages) == 200 and set(sent.values()) == {1}
    assert set(sent) == {message_id(r.id) for r in rows}
    steps = await notifications.rows("SELECT delivery_id, outcome FROM delivery_attempts")
    assert len(steps) == 200 and {s.outcome for s in steps} == {"sent"}
    assert len({s.delivery_id for s in steps}) == 200
    assert len(await notifications.rows("SELECT 1 FROM outbox")) == 200


class SlowChannel:
    """Takes ``seconds`` of the test's clock per send (a provider that answers slowly)."""

    def __init__(self, inner: Any, now: Clock, seconds: float) -> None:
        self.inner, self.now, self.seconds = inner, now, seconds

    def provider(self, recipient: str) -> str:
        return str(self.inner.provider(recipient))

    async def send(self, recipient: str, message: Message) -> None:
        self.now.advance(seconds=self.seconds)
        await self.inner.send(recipient, message)


async def test_a_row_that_waited_half_its_lease_for_a_send_slot_is_released_unsent(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    await emails(notifications, make_intake, make_status, n=2)
    now = clock()
    slow = SlowChannel(
        EmailChannel(host="127.0.0.1", port=smtp.port, sender=SENDER, timeout=5), now, 31
    )
    dispatcher = notifications.dispatcher(channels={"email": slow}, clock=now, concurrency=1)
    assert await dispatcher.dispatch_due() == 2
    assert len(smtp.messages) == 1
    rows = await notifications.rows("SELECT * FROM deliveries ORDER BY sent_at NULLS LAST")
    assert [(r.state, r.attempts) for r in rows] == [("sent", 1), ("pending", 0)]
    assert rows[1].last_error == reasons.NO_SEND_SLOT
    assert await history(notifications, rows[1].id) == ["released"]
    assert await dispatcher.dispatch_due() == 1
    assert len(smtp.messages) == 2
    assert await history(notifications, rows[1].id) == ["released", "sent"]


async def test_http_gateways_carry_the_delivery_id_as_idempotency_key_on_every_try(
    notifications: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    http_peer.failures = [503]  # the first request fails: its retry carries the same key
    sms = GenericGateway(
        GenericGatewaySettings(
            name="gw",
            url=http_peer.url + "/sms",
            body={"to": "{to}", "text": "{body}", "ref": "{id}"},
        ),
        http_client,
    )
    twilio = TwilioSettings(
        account_sid="AC42",
        auth_token="token",
        from_number="whatsapp:+14155238886",
        base_url=http_peer.url,
    )
    whatsapp = TwilioGateway(twilio, http_client, whatsapp=True)
    intake = make_intake(contact={"email": None, "phone": "+6281234567890"})
    await plan(
        notifications,
        [(intake, make_status(intake, ReferralStatus.accepted))],
        Routing(),
        phone_channels=("sms", "whatsapp"),
    )
    now = clock()
    dispatcher = notifications.dispatcher(channels={"sms": sms, "whatsapp": whatsapp}, clock=now)
    assert await dispatcher.dispatch_due() == 2
    now.advance(seconds=2)  # past the first retry's backoff (at most 1 s)
    assert await dispatcher.dispatch_due() == 1
    ids = {r.channel: str(r.id) for r in await notifications.rows("SELECT * FROM deliveries")}
    by_path = {"/sms": ids["sms"], "/2010-04-01/Accounts/AC42/Messages.json": ids["whatsapp"]}
    assert len(http_peer.requests) == 3
    for request in http_peer.requests:
        assert request.headers["idempotency-key"] == by_path[request.path]
    keys = Counter(r.headers["idempotency-key"] for r in http_peer.requests)
    assert sorted(keys.values()) == [1, 2]  # the retried one twice, with its own key
    assert {r.json()["ref"] for r in http_peer.requests if r.path == "/sms"} == {ids["sms"]}


class Unanswering:
    """A provider that takes the connection and never answers."""

    def provider(self, recipient: str) -> str:
        return "smtp"

    async def send(self, recipient: str, message: Message) -> None:
        await asyncio.Event().wait()


async def test_a_send_that_outlives_most_of_its_lease_is_abandoned_before_a_takeover(
    notifications: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    """The dispatcher gives up on a provider while its claim still holds and records a retry,
    so no other dispatcher can take the row over meanwhile."""
    await emails(notifications, make_intake, make_status)
    dispatcher = notifications.dispatcher(
        channels={"email": Unanswering()}, clock=clock(), lease=timedelta(seconds=2)
    )
    assert await dispatcher.dispatch_due() == 1  # after 1.8 s: the lease less a tenth
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.state == "pending" and row.attempts == 1 and row.claimed_by is None
    assert row.last_error == reasons.provider_failed(
        "smtp", "tidak ada jawaban dalam 2 detik", final=False
    )
    assert await history(notifications, row.id) == ["retry"]


class CutsTheDatabase(Inbox):
    """Takes each message, then cuts the dispatcher's database connection (as a PostgreSQL
    restart does) before the dispatcher can record the send; it comes back ``after`` seconds.
    (aiosmtpd runs its own loop in a thread: the proxy lives on the test's.)"""

    def __init__(self, proxy: TcpProxy, after: float) -> None:
        super().__init__()
        self.proxy, self.after = proxy, after
        self.loop = asyncio.get_running_loop()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        cut = asyncio.run_coroutine_threadsafe(self.proxy.down(), self.loop)
        await asyncio.wrap_future(cut)
        self.loop.call_soon_threadsafe(
            self.loop.call_later, self.after, lambda: self.loop.create_task(self.proxy.up())
        )
        return await super().handle_DATA(server, session, envelope)


async def test_a_result_waits_out_a_database_restart_instead_of_being_taken_over(
    notifications: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    """PostgreSQL gone between the provider's answer and the record: the dispatcher keeps its
    claim and records once the database is back, within the lease. Nothing is taken over, so
    nothing is sent twice by a dispatcher that never died."""
    await emails(notifications, make_intake, make_status, n=3)
    url = make_url(notifications.runtime.settings.dsn)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.up()
    engine = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
    waits = REGISTRY.get_sample_value("rujukan_notifications_dispatch_db_waits_total") or 0.0
    try:
        inbox = CutsTheDatabase(proxy, after=2.0)
        async with running_smtp(inbox) as smtp:
            dispatcher = notifications.dispatcher(smtp_port=smtp.port, concurrency=1)
            dispatcher.unit_of_work = lambda: NotificationsUnitOfWork(make_sessions(engine))
            assert await drive(dispatcher) == 3
    finally:
        await engine.dispose()
        await proxy.down()
    rows = await notifications.rows("SELECT id, state, attempts FROM deliveries")
    assert sorted((r.state, r.attempts) for r in rows) == [("sent", 1)] * 3
    assert [await history(notifications, r.id) for r in rows] == [["sent"]] * 3
    assert len(inbox.received) == 3  # each once
    assert (REGISTRY.get_sample_value("rujukan_notifications_dispatch_db_waits_total") or 0) > waits

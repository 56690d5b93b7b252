"""What lets the dispatcher send many messages a second without giving up the send-once rule:
SMTP connections kept between messages, results recorded together, batches sent side by side.
Against real PostgreSQL and a real SMTP server (aiosmtpd); rates themselves are measured by
``bench/notifications_throughput.py``, never here."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from rujukan_notifications.adapters.smtp import EmailChannel
from rujukan_notifications.domain.channels import DeliveryFailed
from rujukan_notifications.domain.messages import Message
from rujukan_notifications.service_layer.dispatch import Dispatcher
from rujukan_platform.testing import TcpProxy

from .conftest import SENDER, MakeIntake, MakeStatus
from .test_claims import clock, drive, emails

pytestmark = pytest.mark.integration


def email_through(port: int, **options: Any) -> EmailChannel:
    return EmailChannel(host="127.0.0.1", port=port, sender=SENDER, timeout=5, **options)


def counting(dispatcher: Dispatcher) -> Callable[[], int]:
    """Counts the units of work ``dispatcher`` opens from now on."""
    opened = 0
    inner = dispatcher.unit_of_work

    def unit_of_work() -> Any:
        nonlocal opened
        opened += 1
        return inner()

    dispatcher.unit_of_work = unit_of_work
    return lambda: opened


async def sent_once_each(notifications: Any, smtp: Any, n: int) -> None:
    rows = await notifications.rows("SELECT state, attempts FROM deliveries")
    assert Counter((r.state, r.attempts) for r in rows) == {("sent", 1): n}
    ids = Counter(m["Message-ID"] for _to, m in smtp.messages)
    assert len(ids) == n and set(ids.values()) == {1}


async def test_messages_share_connections_and_a_dropped_connection_costs_no_attempt(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    proxy = TcpProxy("127.0.0.1", smtp.port)
    await proxy.up()
    channel = email_through(proxy.port)
    dispatcher = notifications.dispatcher(
        channels={"email": channel}, clock=clock(), batch=10, concurrency=3
    )
    await emails(notifications, make_intake, make_status, n=30)
    assert await drive(dispatcher) == 30
    assert 1 <= channel.opened <= 3  # 30 messages over at most the three slots' connections
    await proxy.down()  # the relay drops every kept connection
    await proxy.up()
    await emails(notifications, make_intake, make_status, n=5)
    assert await drive(dispatcher) == 5
    await sent_once_each(notifications, smtp, 35)  # no retry: each sent at its first attempt
    assert channel.opened > 1
    await proxy.down()
    await channel.close()


async def test_a_connection_idle_too_long_is_not_reused(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    channel = email_through(smtp.port, idle_seconds=0)
    dispatcher = notifications.dispatcher(channels={"email": channel}, clock=clock(), concurrency=1)
    await emails(notifications, make_intake, make_status, n=4)
    assert await drive(dispatcher) == 4
    assert channel.opened == 4
    await sent_once_each(notifications, smtp, 4)


async def test_the_results_of_a_batch_are_recorded_in_a_few_units_of_work_not_one_each(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    await emails(notifications, make_intake, make_status, n=40)
    dispatcher = notifications.dispatcher(smtp_port=smtp.port, clock=clock(), batch=40)
    opened = counting(dispatcher)
    assert await dispatcher.dispatch_due() == 40
    # sum up, claim, read contacts, then the records: one each would be 43
    assert opened() <= 13, opened()
    await sent_once_each(notifications, smtp, 40)
    steps = await notifications.rows("SELECT outcome FROM delivery_attempts")
    assert Counter(s.outcome for s in steps) == {"sent": 40}
    assert len(await notifications.rows("SELECT 1 FROM outbox")) == 40


@contextlib.asynccontextmanager
async def running(dispatcher: Dispatcher) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_batches_sent_side_by_side_send_each_delivery_once(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    await emails(notifications, make_intake, make_status, n=120)
    dispatcher = notifications.dispatcher(
        smtp_port=smtp.port, clock=clock(), batch=10, batches_in_flight=3, concurrency=4
    )
    async with running(dispatcher):
        async with asyncio.timeout(60):
            while len(smtp.messages) < 120:
                await asyncio.sleep(0.05)
            while await notifications.rows("SELECT 1 FROM deliveries WHERE state <> 'sent'"):
                await asyncio.sleep(0.05)
    await sent_once_each(notifications, smtp, 120)


async def test_a_message_written_out_by_hand_reads_back_as_it_was_given(smtp: Any) -> None:
    """The e-mail is written without the email package's generator: what a mail client reads
    back (non-ASCII words, a line longer than SMTP allows) is still what was sent."""
    channel = email_through(smtp.port)
    long_line = "Bantuan " * 150  # 1,200 characters on one line
    body = f"Yth. Ibu Siti Aisyah,\nrujukan Anda — disetujui.\n{long_line}\n. a line of one dot"
    delivery = uuid.uuid4()
    await channel.send("warga@example.org", Message("Rujukan — Ibu Ñoña", body, delivery))
    await channel.send("warga@example.org", Message("Rujukan\r\nBcc: x@evil.example", "ok"))
    await channel.close()
    [(to, mail), (_, injected)] = smtp.messages
    assert to == ["warga@example.org"] and mail["To"] == "warga@example.org"
    assert mail["Subject"] == "Rujukan — Ibu Ñoña"
    assert mail["From"] == SENDER and mail["Message-ID"] == f"<{delivery}@rujukan.example>"
    assert mail["Date"] is not None
    assert mail.get_content().replace("\r\n", "\n") == body + "\n"  # as sent, lines ending CRLF
    assert injected["Subject"] == "Rujukan Bcc: x@evil.example" and injected["Bcc"] is None
    with pytest.raises(DeliveryFailed):
        await channel.send("warga@example.org\r\nBcc: x@evil.example", Message("s", "b"))

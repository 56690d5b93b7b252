"""Residents' e-mail addresses and phone numbers are sealed at rest: no contact in any row nor in
a dump of the database, before or after the sends; each message still goes to its resident; a
contact moved to another household does not open; keys rotate (``reseal``); the migration seals
the contacts kept before."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from rujukan_contracts.events import ReferralStatus, ReferralStatusChangedV1
from rujukan_notifications.adapters.contacts import open_contact
from rujukan_notifications.adapters.gateways import GenericGateway
from rujukan_notifications.adapters.http import HttpClient
from rujukan_notifications.domain.audience import Routing
from rujukan_notifications.settings import GenericGatewaySettings, NotificationSettings
from rujukan_platform.db import make_engine
from rujukan_platform.runtime import Runtime, migrate
from rujukan_platform.sealing import Sealer, is_sealed
from rujukan_platform.testing import Servers, pg_dump

from .conftest import (
    HEADLESS,
    HttpPeer,
    MakeIntake,
    MakeStatus,
    NotificationsHarness,
    apply,
    contact_of,
    notification_settings,
)

pytestmark = pytest.mark.integration

SMS_AND_EMAIL = Routing()


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def residents(count: int) -> list[tuple[str, str | None]]:
    """(e-mail, phone) of ``count`` residents, unlike any other test's; the last has no phone."""
    tag = uuid.uuid4().hex[:8]
    return [
        (f"rahasia-{tag}-{n}@example.org", f"+62812{tag[:4].translate(DIGITS)}{n:04d}")
        for n in range(count - 1)
    ] + [(f"rahasia-{tag}-last@example.org", None)]


DIGITS = str.maketrans("abcdef", "123456")


def secrets_of(people: list[tuple[str, str | None]]) -> list[str]:
    """What no stored row may hold: each address, its local part, each number without '+62'."""
    found = [p for email, _ in people for p in (email, email.split("@")[0])]
    return found + [phone[3:] for _, phone in people if phone]


def opened(sealer: Sealer, row: Any) -> tuple[str | None, str | None]:
    """A ``contacts`` row's (e-mail, phone), as the dispatcher opens them."""
    return open_contact(sealer, "email", row), open_contact(sealer, "phone", row)


async def every_row(notifications: NotificationsHarness) -> str:
    """Every row of every table, as text."""
    public = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    tables = [r[0] for r in await notifications.rows(public)]
    assert {"contacts", "deliveries", "delivery_attempts", "outbox"} <= set(tables)
    texts = []
    for t in tables:
        texts += [r[0] for r in await notifications.rows(f'SELECT t::text FROM "{t}" t')]
    return "\n".join(texts)


async def assert_nothing_in_the_clear(
    notifications: NotificationsHarness, people: list[tuple[str, str | None]]
) -> None:
    rows = await every_row(notifications)
    dump = (await asyncio.to_thread(pg_dump, notifications.runtime.settings.dsn)).decode()
    [sealed] = await notifications.rows("SELECT email FROM contacts LIMIT 1")
    assert sealed.email in dump  # the dump holds the contacts' rows: sealed
    for secret in secrets_of(people):
        assert secret not in rows, f"a stored row holds {secret!r}"
        assert secret not in dump, f"the dump holds {secret!r}"


async def plan(notifications: Any, events: list[ReferralStatusChangedV1]) -> None:
    await apply(notifications.runtime, *events, routing=SMS_AND_EMAIL)


async def drive(dispatcher: Any) -> int:
    total = 0
    while handled := await dispatcher.dispatch_due():
        total += handled
    return total


def sms_gateway(peer: HttpPeer, client: HttpClient) -> GenericGateway:
    settings = GenericGatewaySettings(name=f"gw-{uuid.uuid4().hex[:6]}", url=peer.url + "/send")
    return GenericGateway(settings, client)


async def test_contacts_are_sealed_at_rest_yet_each_message_reaches_its_resident(
    notifications: Any,
    smtp: Any,
    http_peer: HttpPeer,
    http_client: HttpClient,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    people = residents(5)
    intakes = [make_intake(contact={"email": e, "phone": p}) for e, p in people]
    topic, consumer = await notifications.run_consumer("notifications-contacts")
    for intake in intakes:
        await notifications.publish(topic, contact_of(intake))
    await consumer.drain()

    rows = await notifications.rows("SELECT * FROM contacts")
    assert len(rows) == len(people)
    current = notifications.sealer.current
    for row in rows:
        assert is_sealed(row.email) and notifications.sealer.key_id(row.email) == current
        assert row.phone is None or is_sealed(row.phone)
    assert {opened(notifications.sealer, r) for r in rows} == set(people)
    await assert_nothing_in_the_clear(notifications, people)

    await plan(notifications, [make_status(i, ReferralStatus.accepted) for i in intakes])
    dispatcher = notifications.dispatcher(
        smtp_port=smtp.port, channels={"sms": sms_gateway(http_peer, http_client)}
    )
    assert await drive(dispatcher) == 2 * len(people) - 1
    # each message went to the household its delivery is for (by its delivery id)
    household_of = {
        str(r.id): r.household_id for r in await notifications.rows("SELECT * FROM deliveries")
    }
    given = {i.household_id: person for i, person in zip(intakes, people, strict=True)}
    mailed = {
        message["Message-ID"].strip("<>").split("@")[0]: rcpts for rcpts, message in smtp.messages
    }
    assert {household_of[d]: rcpts for d, rcpts in mailed.items()} == {
        h: [email] for h, (email, _) in given.items()
    }
    texted = {r.headers["idempotency-key"]: r.json()["to"] for r in http_peer.requests}
    assert {household_of[d]: to for d, to in texted.items()} == {
        h: phone for h, (_, phone) in given.items() if phone
    }
    states = {r.state for r in await notifications.rows("SELECT state FROM deliveries")}
    assert states == {"sent"}
    await assert_nothing_in_the_clear(notifications, people)  # masked in deliveries and events


async def test_a_contact_moved_to_another_household_does_not_open(
    notifications: Any, smtp: Any, make_intake: MakeIntake, make_status: MakeStatus
) -> None:
    (mine, _), (theirs, _) = residents(3)[:2]
    me, them = make_intake(contact={"email": mine}), make_intake(contact={"email": theirs})
    await apply(notifications.runtime, contact_of(me), contact_of(them))
    await notifications.execute(  # someone with the database copies my address into their row
        "UPDATE contacts SET email = (SELECT email FROM contacts WHERE household_id = :me)"
        " WHERE household_id = :them",
        me=me.household_id,
        them=them.household_id,
    )
    await plan(notifications, [make_status(them, ReferralStatus.accepted)])
    assert await notifications.dispatcher(smtp_port=smtp.port).dispatch_due() == 1
    assert smtp.messages == []  # neither my address nor theirs
    [row] = await notifications.rows("SELECT * FROM deliveries")
    assert row.state == "pending" and "does not open" in row.last_error
    [step] = await notifications.rows("SELECT outcome FROM delivery_attempts")
    assert step.outcome == "retry"


@asynccontextmanager
async def running(
    servers: Servers, database: str, **extra: Any
) -> AsyncIterator[NotificationsHarness]:
    """The notifications fixture, with other settings (its data keys)."""
    settings = notification_settings(servers, database, **extra)
    await asyncio.to_thread(migrate, HEADLESS, settings.dsn)
    runtime = Runtime(HEADLESS, settings)
    runtime.on_fatal = lambda _exc: None
    harness = NotificationsHarness(servers, runtime)
    try:
        yield harness
    finally:
        await harness.close()
        for close in runtime.closers:
            await close()
        await runtime.engine.dispose()


async def reseal(dsn: str, keys: dict[str, str], current: str) -> tuple[int, str]:
    """``python -m rujukan_notifications reseal`` with these keys: exit code, what it printed."""
    env = {
        **os.environ,
        "RUJUKAN_NOTIFICATIONS_DATABASE_URL": dsn,
        "RUJUKAN_NOTIFICATIONS_DATA_KEYS": json.dumps(keys),
        "RUJUKAN_NOTIFICATIONS_DATA_KEY_ID": current,
        "RUJUKAN_LOG_JSON": "false",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rujukan_notifications",
        "reseal",
        "--batch",
        "3",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_reseal_moves_every_contact_to_the_new_key(
    servers: Servers,
    fresh_database: str,
    smtp: Any,
    make_intake: MakeIntake,
    make_status: MakeStatus,
) -> None:
    old, new = new_key(), new_key()
    people = residents(8)
    intakes = [make_intake(contact={"email": e, "phone": p}) for e, p in people]
    async with running(servers, fresh_database, data_keys={"keya": old}, data_key_id="keya") as n:
        await apply(n.runtime, *(contact_of(intake) for intake in intakes))
        dsn = n.runtime.settings.dsn

    emails, phones = len(people), len(people) - 1
    code, out = await reseal(dsn, {"keya": old, "keyb": new}, "keyb")
    assert code == 0, out
    assert f"contacts.email: {emails} resealed under key keyb, 0 already were, 0 do not" in out
    assert f"contacts.phone: {phones} resealed under key keyb, 0 already were, 0 do not" in out
    code, out = await reseal(dsn, {"keyb": new}, "keyb")  # again: nothing to do
    assert code == 0, out
    assert f"contacts.email: 0 resealed under key keyb, {emails} already were, 0 do not" in out

    # the old key is gone: every contact still opens, and the mail still goes out
    async with running(servers, fresh_database, data_keys={"keyb": new}, data_key_id="keyb") as n:
        rows = await n.rows("SELECT * FROM contacts")
        assert {n.sealer.key_id(r.email) for r in rows} == {"keyb"}
        assert {n.sealer.key_id(r.phone) for r in rows if r.phone} == {"keyb"}
        assert {opened(n.sealer, r) for r in rows} == set(people)
        await plan(n, [make_status(intakes[0], ReferralStatus.accepted)])
        assert await drive(n.dispatcher(smtp_port=smtp.port)) == 1  # e-mail: no SMS provider
        assert [r for r, _ in smtp.messages] == [[people[0][0]]]


def alembic(dsn: str, action: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(HEADLESS.migrations))
    cfg.set_main_option("sqlalchemy.url", dsn)
    getattr(command, action)(cfg, revision)


async def test_the_migration_seals_the_contacts_kept_before(
    servers: Servers, fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration reads notifications' keys from the environment, as the service does."""
    monkeypatch.setenv("RUJUKAN_NOTIFICATIONS_DATA_KEYS", json.dumps({"keym": new_key()}))
    monkeypatch.setenv("RUJUKAN_NOTIFICATIONS_DATA_KEY_ID", "keym")
    sealer: Sealer = NotificationSettings().sealer
    dsn = f"{servers.pg_url}/{fresh_database}"
    await asyncio.to_thread(alembic, dsn, "upgrade", "0005")

    people = residents(30)
    plain = {uuid.uuid4(): person for person in people}
    engine = make_engine(dsn, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO contacts (household_id, language, email, phone, channels)"
                    " VALUES (:h, 'id', :email, :phone, ARRAY['email'])"
                ),
                [{"h": h, "email": e, "phone": p} for h, (e, p) in plain.items()],
            )

        async def contacts() -> dict[uuid.UUID, tuple[str, str | None]]:
            async with engine.connect() as conn:
                rows = await conn.execute(text("SELECT household_id, email, phone FROM contacts"))
                return {r.household_id: (r.email, r.phone) for r in rows}

        await asyncio.to_thread(alembic, dsn, "upgrade", "head")
        sealed = await contacts()
        assert all(is_sealed(e) and (p is None or is_sealed(p)) for e, p in sealed.values())
        assert {
            h: opened(sealer, SimpleNamespace(household_id=h, email=e, phone=p))
            for h, (e, p) in sealed.items()
        } == plain

        await asyncio.to_thread(alembic, dsn, "downgrade", "0005")
        assert await contacts() == plain
    finally:
        await engine.dispose()

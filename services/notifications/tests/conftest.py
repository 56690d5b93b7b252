"""Shared pieces for the notifications tests: a real SMTP server, an in-process service."""

from __future__ import annotations

import asyncio
import email
import itertools
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import uvicorn
from aiokafka.admin import NewTopic
from aiosmtpd.controller import Controller
from prometheus_client import REGISTRY
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import (
    Event,
    IntakeContactV1,
    IntakeSubmittedV1,
    ReferralStatus,
    ReferralStatusChangedV1,
)
from rujukan_notifications.adapters.http import HttpClient
from rujukan_notifications.adapters.inbox import InboxChannel
from rujukan_notifications.adapters.smtp import EmailChannel
from rujukan_notifications.bootstrap import Notifications, definition
from rujukan_notifications.domain.audience import Routing
from rujukan_notifications.domain.channels import Channel, ChannelName
from rujukan_notifications.domain.news import DEFAULT_RESIDENT_NEWS
from rujukan_notifications.entrypoints.consumers import consumers
from rujukan_notifications.service_layer.dispatch import DeliveryPolicy, Dispatcher
from rujukan_notifications.service_layer.handlers import handlers
from rujukan_notifications.service_layer.unit_of_work import NotificationsUnitOfWork, units_of
from rujukan_notifications.settings import NotificationSettings
from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.handlers import Handlers, Received
from rujukan_platform.kafka import create_topics
from rujukan_platform.runtime import Runtime, build_app, migrate
from rujukan_platform.sealing import Sealer
from rujukan_platform.testing import RunningConsumer, Servers, free_port, unique_topic
from rujukan_platform.uow import Envelope

SECRET = "a-test-secret-at-least-32-bytes-long!!"
SENDER = "Rujukan SLRT <noreply@rujukan.example>"

# Without background jobs: the program-names view tails the fixed programs.catalog topic and
# the dispatcher is driven by the tests themselves (``dispatch_due``).
HEADLESS = replace(definition, background=lambda _rt: [])


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, inbox: Inbox | None = None) -> None:
        self.inbox = inbox or Inbox()
        self.port = free_port()
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, server_hostname="smtp.test"
        )

    @property
    def messages(self) -> list[tuple[list[str], EmailMessage]]:
        return self.inbox.received


@asynccontextmanager
async def running_smtp(inbox: Inbox | None = None) -> AsyncIterator[SmtpServer]:
    """A real SMTP server (aiosmtpd, its own thread and loop) handing mail to ``inbox``."""
    server = SmtpServer(inbox)
    await asyncio.to_thread(server.controller.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.controller.stop)


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpServer]:
    async with running_smtp() as server:
        yield server


def example_intake_data() -> dict[str, Any]:
    path = resources.files("rujukan_contracts") / "examples" / "intake.submitted.json"
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


EXAMPLE_CONTACT: dict[str, Any] = {"language": "id", "email": "warga@example.org"}
#: the contact each intake made here was given (its intake.contacts event: ``contact_of``)
_CONTACTS: dict[uuid.UUID, dict[str, Any] | None] = {}
#: what the ``make_intake`` and ``make_status`` fixtures give, for the tests' signatures
MakeIntake = Callable[..., IntakeSubmittedV1]
MakeStatus = Callable[..., ReferralStatusChangedV1]


@pytest.fixture
def make_intake() -> MakeIntake:
    """The contract's example intake with fresh ids; ``consent=`` merges; ``contact=`` (merged
    into an example contact, or ``None``) is what the resident gave: ``contact_of`` makes the
    event intake sends notifications for it."""

    def build(**changes: Any) -> IntakeSubmittedV1:
        data = example_intake_data()
        data["intake_id"] = str(uuid.uuid4())
        data["household_id"] = str(uuid.uuid4())
        contact = changes.pop("contact", {})
        if isinstance(changes.get("consent"), dict):
            data["consent"] = {**data["consent"], **changes.pop("consent")}
        data.update(changes)
        intake = IntakeSubmittedV1.model_validate(data)
        _CONTACTS[intake.intake_id] = None if contact is None else {**EXAMPLE_CONTACT, **contact}
        return intake

    return build


def contact_of(intake: IntakeSubmittedV1) -> IntakeContactV1:
    """The ``intake.contacts`` event intake sends with ``intake`` (services/intake's
    ``submit_intakes``): the contact only with the 'notification' purpose consented."""
    given = _CONTACTS.get(intake.intake_id)
    consented = "notification" in intake.consent.purposes
    return IntakeContactV1.model_validate(
        {
            "intake_id": intake.intake_id,
            "household_id": intake.household_id,
            "submitted_at": intake.submitted_at,
            "contact": given if consented else None,
            "consented": consented,
        }
    )


def status_changed(
    intake: IntakeSubmittedV1,
    to: ReferralStatus,
    *,
    program_code: str = "PBI-JK",
    referral_id: uuid.UUID | None = None,
    frm: ReferralStatus | None = ReferralStatus.delivered,
    **extra: Any,
) -> ReferralStatusChangedV1:
    return ReferralStatusChangedV1(
        referral_id=referral_id or uuid.uuid4(),
        intake_id=intake.intake_id,
        household_id=intake.household_id,
        program_code=program_code,
        village_code=intake.village_code,
        from_status=frm,
        to_status=to,
        changed_at=datetime.now(UTC),
        **extra,
    )


@pytest.fixture
def make_status() -> MakeStatus:
    return status_changed


def handlers_for(
    runtime: Runtime[Notifications],
    routing: Routing = Routing(),
    phone_channels: tuple[ChannelName, ...] = ("sms",),
    resident_news: Collection[str] = DEFAULT_RESIDENT_NEWS,
    gather: timedelta = timedelta(0),
) -> Handlers[NotificationsUnitOfWork]:
    """The service's handler table, as a deployment offering ``routing``, counting a phone
    as consent to ``phone_channels`` and telling residents of ``resident_news`` gathered for
    ``gather`` would build it."""
    return handlers(
        sealer=sealer_of(runtime),
        phone_channels=phone_channels,
        routing=routing,
        program_names=runtime.deps.program_names.names,
        resident_news=resident_news,
        gather=gather,
    )


async def apply(
    runtime: Runtime[Notifications],
    *events: Event,
    routing: Routing = Routing(),
    phone_channels: tuple[ChannelName, ...] = ("sms",),
    resident_news: Collection[str] = DEFAULT_RESIDENT_NEWS,
    gather: timedelta = timedelta(0),
) -> None:
    """Handle ``events`` in one unit of work as a consumer batch is (each run of consecutive
    events of one type at once: a type's batch form where it has one), each with an envelope
    of its own (a fresh event id), through ``handlers_for(runtime, routing, phone_channels,
    resident_news, gather)``."""
    table = handlers_for(runtime, routing, phone_channels, resident_news, gather)
    received = []
    for offset, event in enumerate(events):
        meta = EventMeta(type=event.ce_type, source="/rujukan/test", subject=event.key())
        value = event.model_dump_json().encode()
        received.append(Received(event, Envelope(meta, "test", 0, offset, value)))
    async with runtime.unit_of_work() as uow:
        for kind, run in itertools.groupby(received, key=lambda r: type(r.message)):
            await table.handle_many(kind, list(run), uow)
        await uow.commit()


class NotificationsHarness:
    def __init__(self, servers: Servers, runtime: Runtime[Notifications]) -> None:
        self.servers = servers
        self.runtime = runtime
        self._consumers: list[RunningConsumer] = []

    def dispatcher(
        self,
        *,
        smtp_port: int = 1,
        max_attempts: int = 5,
        channels: dict[str, Channel] | None = None,
        clock: Callable[[], datetime] | None = None,
        **policy: Any,
    ) -> Dispatcher:
        """E-mail to ``smtp_port``, the inbox, and ``channels``; no quiet hours unless given."""
        return Dispatcher(
            unit_of_work=units_of(self.runtime),
            channels={
                "email": EmailChannel(host="127.0.0.1", port=smtp_port, sender=SENDER, timeout=5.0),
                "inbox": InboxChannel(self.runtime.sessions),
                **(channels or {}),
            },
            policy=DeliveryPolicy(max_attempts=max_attempts, **policy),
            poll_seconds=0.05,
            sealer=self.sealer,
            clock=clock or (lambda: datetime.now(UTC)),
        )

    @property
    def sealer(self) -> Sealer:
        """The service's: seals and opens residents' contacts."""
        return sealer_of(self.runtime)

    @property
    def deps(self) -> Notifications:
        return self.runtime.deps

    async def run_consumer(
        self, name: str, routing: Routing | None = None
    ) -> tuple[str, RunningConsumer]:
        """The named consumer on a new unique topic (and its DLQ); returns the topic too. With
        ``routing``, its handlers are those of a deployment offering it."""
        topic = unique_topic(name)
        await create_topics(
            self.servers.kafka_bootstrap, [NewTopic(topic, 1, 1), NewTopic(f"{topic}.dlq", 1, 1)]
        )
        spec = next(s for s in consumers(self.runtime) if s.name == name)
        if routing is not None:
            table = handlers_for(self.runtime, routing)
            spec = replace(spec, handlers=table.only(*spec.handlers.types))
        running = RunningConsumer(
            self.runtime, replace(spec, topics=[topic], group_id=f"test-{uuid.uuid4().hex}")
        )
        await running.start()
        self._consumers.append(running)
        return topic, running

    async def publish(self, topic: str, event: Event, meta: EventMeta | None = None) -> EventMeta:
        meta = meta or EventMeta(type=event.ce_type, source="/rujukan/test", subject=event.key())
        await self.runtime.producer.send_and_wait(
            topic,
            event.model_dump_json().encode(),
            key=event.key().encode(),
            headers=meta.to_headers(),
        )
        return meta

    @property
    def pg_dsn(self) -> str:
        """The test database for a plain asyncpg connection (not the service's pool)."""
        return self.runtime.settings.dsn.replace("postgresql+asyncpg://", "postgresql://")

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.runtime.sessions() as session:
            return list((await session.execute(text(sql), params)).all())

    async def execute(self, sql: str, **params: Any) -> int:
        """A change a test makes behind the service's back, committed; the rows it touched."""
        async with self.runtime.sessions() as session, session.begin():
            return (await session.execute(text(sql), params)).rowcount

    async def close(self) -> None:
        for running in self._consumers:
            await running.stop()


def sealer_of(runtime: Runtime[Notifications]) -> Sealer:
    return runtime.deps.settings.sealer


def notification_settings(servers: Servers, database: str, **extra: Any) -> NotificationSettings:
    return NotificationSettings(
        kafka_bootstrap=servers.kafka_bootstrap,
        pg_url=servers.pg_url,
        database=database,
        environment="test",
        auth_secret=SECRET,
        run_consumers="none",
        run_relay=False,
        log_json=False,
        **{"visit_window_seconds": 0, **extra},  # a visit's news is summed up at once
    )


@pytest.fixture
async def notifications(
    servers: Servers, fresh_database: str
) -> AsyncIterator[NotificationsHarness]:
    settings = notification_settings(servers, fresh_database)
    await asyncio.to_thread(migrate, HEADLESS, settings.dsn)
    runtime = Runtime(HEADLESS, settings)
    runtime.on_fatal = lambda _exc: None
    await runtime.producer.start()
    harness = NotificationsHarness(servers, runtime)
    try:
        yield harness
    finally:
        await harness.close()
        await runtime.producer.stop()
        for close in runtime.closers:
            await close()
        await runtime.engine.dispose()


class ApiHarness:
    def __init__(self, runtime: Runtime[Notifications], client: HttpClient) -> None:
        self.runtime = runtime
        self.client = client

    @property
    def sealer(self) -> Sealer:
        return sealer_of(self.runtime)

    def token(self, role: str, **scope: Any) -> dict[str, str]:
        principal = Principal(subject=f"test-{role}", role=role, **scope)  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {issue_token(SECRET, principal)}"}


@pytest.fixture
async def notifications_api(servers: Servers, fresh_database: str) -> AsyncIterator[ApiHarness]:
    """The notifications app in-process, its lifespan running (no consumers, no relay)."""
    settings = notification_settings(servers, fresh_database)
    await asyncio.to_thread(migrate, HEADLESS, settings.dsn)
    runtime = Runtime(HEADLESS, settings)
    runtime.on_fatal = lambda _exc: None
    app = build_app(runtime)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://notifications.test"
        ) as client,
    ):
        yield ApiHarness(runtime, client)


@pytest.fixture
def dead_port() -> Iterator[int]:
    """A local port nothing listens on (held bound, never listening, for the test)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


class Clock:
    """An injectable clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


class HttpPeer:
    """A real HTTP server (Starlette under uvicorn) standing in for a gateway or an agency: it
    records every request and answers with ``failures`` (status codes, in order) first, then
    with ``handler`` (default: 201 and a Twilio-like JSON)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.requests: list[Recorded] = []
        self.failures: list[int] = []
        self.handler: Callable[[Recorded], Response] | None = None
        app = Starlette(
            routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "PUT"])]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None)
        self.server = uvicorn.Server(config)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: Request) -> Response:
        recorded = Recorded(
            request.method,
            request.url.path,
            {k.lower(): v for k, v in request.headers.items()},
            await request.body(),
            dict(request.query_params),
        )
        self.requests.append(recorded)
        if self.failures:
            status = self.failures.pop(0)
            return JSONResponse({"code": 20500, "message": "gateway trouble"}, status_code=status)
        if self.handler is not None:
            return self.handler(recorded)
        return JSONResponse({"sid": f"SM{uuid.uuid4().hex}", "status": "queued"}, status_code=201)


@pytest.fixture
async def http_peer() -> AsyncIterator[HttpPeer]:
    peer = HttpPeer()
    task = asyncio.create_task(peer.server.serve())
    while not peer.server.started:
        assert not task.done(), "the local HTTP server did not start"
        await asyncio.sleep(0.01)
    try:
        yield peer
    finally:
        peer.server.should_exit = True
        await task


@pytest.fixture
async def http_client() -> AsyncIterator[HttpClient]:
    client = HttpClient(connections=100, timeout_seconds=5.0)
    try:
        yield client
    finally:
        await client.close()


def due_gauges(channel: str) -> tuple[float | None, float | None]:
    """This process's due-delivery gauges of ``channel`` (``service_layer.backlog``): how many,
    and the oldest's age."""
    labels = {"channel": channel}
    return (
        REGISTRY.get_sample_value("rujukan_notifications_due_deliveries", labels),
        REGISTRY.get_sample_value("rujukan_notifications_oldest_due_seconds", labels),
    )

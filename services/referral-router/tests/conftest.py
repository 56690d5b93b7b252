"""Shared pieces for the router's tests: seed catalogue, example intakes, an in-process router.

Everything runs against the real broker and a fresh database (``servers``, ``fresh_database``);
consumers read uniquely named topics with unique consumer groups.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from importlib import resources
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import NewTopic
from aiokafka.structs import ConsumerRecord
from sqlalchemy import text

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import (
    Event,
    IntakeSubmittedV1,
    ProgramPublishedV1,
)
from rujukan_eligibility.catalogue import load_seed_programs
from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.kafka import create_topics, ensure_catalogue_topics, security_options
from rujukan_platform.runtime import Runtime, build_app, migrate
from rujukan_platform.testing import RunningConsumer, Servers, unique_topic
from rujukan_registry.domain.programs import published_event
from rujukan_registry.settings import RegistrySettings
from rujukan_router.bootstrap import definition
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.entrypoints.consumers import CatalogueFeed, consumers
from rujukan_router.service_layer.routing import route_intake
from rujukan_router.service_layer.state import RouterState
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork
from rujukan_router.settings import RouterSettings

SECRET = "a-test-secret-at-least-32-bytes-long!!"
VILLAGE = "33.04.01.2001"

# The router without its background jobs: the catalogue view tails the fixed programs.catalog
# topic, which tests never use; they feed the catalogue directly.
HEADLESS = replace(definition, background=lambda _rt: [])


@pytest.fixture(scope="session")
def seed_events() -> list[ProgramPublishedV1]:
    return [published_event(p) for p in load_seed_programs(RegistrySettings().seed_dir)]


@pytest.fixture
def catalogue(seed_events: list[ProgramPublishedV1]) -> Catalogue:
    found = Catalogue()
    for event in seed_events:
        found.put(event)
    return found


def example_intake_data() -> dict[str, Any]:
    path = resources.files("rujukan_contracts") / "examples" / "intake.submitted.json"
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


#: the ``make_intake`` fixture's type, for the tests that take it
MakeIntake = Callable[..., IntakeSubmittedV1]


@pytest.fixture
def make_intake() -> MakeIntake:
    """The contract's example household (eligible for PKH and PBI-JK), with fresh ids.

    Keyword arguments replace top-level fields; ``registry=`` / ``consent=`` take dicts merged
    into the example's."""

    def build(**changes: Any) -> IntakeSubmittedV1:
        data = example_intake_data()
        data["intake_id"] = str(uuid.uuid4())
        data["household_id"] = str(uuid.uuid4())
        for key in ("registry", "consent", "household"):
            if isinstance(changes.get(key), dict):
                data[key] = {**data[key], **changes.pop(key)}
        data.update(changes)
        return IntakeSubmittedV1.model_validate(data)

    return build


def router_settings(servers: Servers, database: str, **extra: Any) -> RouterSettings:
    return RouterSettings(
        kafka_bootstrap=servers.kafka_bootstrap,
        pg_url=servers.pg_url,
        database=database,
        environment="test",
        auth_secret=SECRET,
        run_consumers="none",
        log_json=False,
        **extra,
    )


def credentials(role: str = "agency", **scope: Any) -> list[tuple[str, bytes]]:
    """The header an agency's Kafka client sends with its outcomes (a token it was issued)."""
    subject = f"agency:{','.join(scope.get('programs', []))}" if role == "agency" else role
    principal = Principal(subject=subject, role=role, **scope)  # type: ignore[arg-type]
    return [("authorization", f"Bearer {issue_token(SECRET, principal)}".encode())]


@dataclass(frozen=True, slots=True)
class Delivered:
    """An intake's referrals, delivered, with the router's outcome consumer waiting for the
    agencies' reports."""

    #: each program's outcome topic (a unique name)
    outcomes: dict[str, str]
    #: ``router-outcomes`` running on those topics
    consumer: RunningConsumer
    #: the intake's referral to each program it was referred to
    referrals: dict[str, uuid.UUID]


class RouterHarness:
    def __init__(self, servers: Servers, runtime: Runtime, st: RouterState) -> None:
        self.servers = servers
        self.runtime = runtime
        self.state = st
        self._consumers: list[RunningConsumer] = []

    async def new_topic(self, base: str) -> str:
        name = unique_topic(base)
        await create_topics(
            self.servers.kafka_bootstrap, [NewTopic(name, 1, 1), NewTopic(f"{name}.dlq", 1, 1)]
        )
        return name

    async def run_consumer(self, name: str, *topics: str) -> RunningConsumer:
        """The named consumer on ``topics`` (unique ones) instead of its own or its pattern."""
        spec = next(s for s in consumers(self.runtime) if s.name == name)
        running = RunningConsumer(
            self.runtime,
            replace(spec, topics=list(topics), pattern=None, group_id=f"test-{uuid.uuid4().hex}"),
        )
        await running.start()
        self._consumers.append(running)
        return running

    async def publish(
        self,
        topic: str,
        event: Event | None = None,
        *,
        meta: EventMeta | None = None,
        value: bytes | None = None,
        key: str | None = None,
        extra_headers: list[tuple[str, bytes]] | None = None,
    ) -> EventMeta | None:
        """Send an event with CloudEvents headers (or raw bytes and headers) and wait for acks;
        ``extra_headers``: credentials, say."""
        if event is not None and meta is None:
            meta = EventMeta(type=event.ce_type, source="/rujukan/test", subject=event.key())
        payload = value if value is not None else event.model_dump_json().encode()  # type: ignore[union-attr]
        await self.runtime.producer.send_and_wait(
            topic,
            payload,
            key=(key or (event.key() if event is not None else str(uuid.uuid4()))).encode(),
            headers=(meta.to_headers() if meta is not None else []) + (extra_headers or []),
        )
        return meta

    async def delivered(self, intake: IntakeSubmittedV1, *programs: str) -> Delivered:
        """``intake`` routed by the real intakes consumer and its referrals relayed
        ('delivered'), with ``router-outcomes`` running on a fresh outcome topic for each of
        ``programs``: how an agency's report meets the router."""
        intakes = await self.new_topic("intake.submitted")
        topics = {p: await self.new_topic(f"referrals.{p}.outcomes") for p in programs}
        intake_consumer = await self.run_consumer("router-intakes", intakes)
        outcome_consumer = await self.run_consumer("router-outcomes", *topics.values())
        await self.publish(intakes, intake)
        await intake_consumer.drain()
        rows = await self.rows(
            "SELECT id, program_code FROM referrals WHERE intake_id = :i", i=intake.intake_id
        )
        await self.relay_all()
        return Delivered(topics, outcome_consumer, {r.program_code: r.id for r in rows})

    async def relay_all(self) -> int:
        sent = 0
        while (n := await self.runtime.relay.relay_once()) > 0:
            sent += n
        return sent

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.runtime.sessions() as session:
            return list((await session.execute(text(sql), params)).all())

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.sessions() as session:
            return await session.scalar(text(sql), params)

    async def close(self) -> None:
        for running in self._consumers:
            await running.stop()
        await self.runtime.producer.stop()
        await self.runtime.engine.dispose()


@pytest.fixture
async def router(
    servers: Servers, fresh_database: str, seed_events: list[ProgramPublishedV1]
) -> AsyncIterator[RouterHarness]:
    """A migrated router database, the runtime's producer and relay, the seed catalogue loaded."""
    settings = router_settings(servers, fresh_database)
    await asyncio.to_thread(migrate, HEADLESS, settings.dsn)
    await ensure_catalogue_topics(servers.kafka_bootstrap)  # referrals.status, as `make up` does
    runtime = Runtime(HEADLESS, settings)
    runtime.on_fatal = lambda _exc: None
    await runtime.producer.start()
    st = runtime.deps
    harness = RouterHarness(servers, runtime, st)
    try:
        feed = CatalogueFeed(runtime)  # as the catalogue view applies programs.catalog
        for event in seed_events:
            await feed.apply(event.code, event)
        st.view.ready.set()
        yield harness
    finally:
        await harness.close()


async def _read_records(
    servers: Servers,
    topic: str,
    want: Callable[[ConsumerRecord[bytes, bytes]], bool],
    *,
    count: int,
    timeout: float = 15.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read ``topic`` from the beginning (no group) until ``count`` records match ``want``."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=100,
        **security_options(),
    )
    await consumer.start()
    found: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                found.extend(r for r in records if want(r))
    finally:
        await consumer.stop()
    return found


@pytest.fixture
def read_records(servers: Servers) -> Callable[..., Any]:
    """``await read_records(topic, want, count=n)``: matching records, read from the beginning."""

    async def read(
        topic: str, want: Callable[[ConsumerRecord[bytes, bytes]], bool], *, count: int
    ) -> list[ConsumerRecord[bytes, bytes]]:
        return await _read_records(servers, topic, want, count=count)

    return read


class ApiHarness:
    """The router's real FastAPI app in-process (lifespan running), with the seed catalogue."""

    def __init__(self, runtime: Runtime, st: RouterState, client: httpx.AsyncClient) -> None:
        self.runtime = runtime
        self.state = st
        self.client = client

    def token(self, role: str, **scope: Any) -> dict[str, str]:
        principal = Principal(subject=f"test-{role}", role=role, **scope)  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {issue_token(SECRET, principal)}"}

    async def route(self, intake: IntakeSubmittedV1) -> dict[str, Any]:
        """Route an intake as the intake consumer does (same use case, same transaction shape);
        returns the referral ids by program code."""
        uow = self.runtime.unit_of_work()
        assert isinstance(uow, RouterUnitOfWork)
        async with uow:
            routed = await route_intake(uow, intake, self.state.catalogue)
            await uow.commit()
        return {r.program_code: r.id for r in routed.referrals}

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.runtime.sessions() as session:
            return list((await session.execute(text(sql), params)).all())


@pytest.fixture
async def api(
    servers: Servers, fresh_database: str, seed_events: list[ProgramPublishedV1]
) -> AsyncIterator[ApiHarness]:
    settings = router_settings(servers, fresh_database, run_relay=False)
    await asyncio.to_thread(migrate, HEADLESS, settings.dsn)
    runtime = Runtime(HEADLESS, settings)
    runtime.on_fatal = lambda _exc: None
    st = runtime.deps
    for event in seed_events:
        st.catalogue.put(event)
    st.view.ready.set()
    app = build_app(runtime)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router.test"
        ) as client,
    ):
        yield ApiHarness(runtime, st, client)

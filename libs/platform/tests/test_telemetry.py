"""Tracing: one trace from an HTTP request through the relay and two consumers, recorded by an
in-memory exporter; log lines name the trace; with tracing off the headers stay valid."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import UUID, uuid4

import httpx
import pytest
import structlog
from aiokafka.admin import NewTopic
from fastapi import APIRouter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy import Column, Table, Text, select

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import ReferralStatusChangedV1
from rujukan_platform import telemetry
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.db import new_metadata
from rujukan_platform.dependencies import Caller, UnitOfWorkDep
from rujukan_platform.handlers import Handlers
from rujukan_platform.kafka import create_topics
from rujukan_platform.logging import configure_logging, get_logger
from rujukan_platform.runtime import Runtime, ServiceDefinition, build_app
from rujukan_platform.settings import ServiceSettings
from rujukan_platform.testing import (
    Servers,
    bearer,
    client_of,
    create_tables,
    eventually,
    own_service,
    status_changed,
    tail,
    unique_topic,
)
from rujukan_platform.uow import UnitOfWork

pytestmark = pytest.mark.integration

TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$")
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
CALLER = f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"
#: personal data a handler stores: it must not reach a span
NIK = "3304011203840001"

log = get_logger(__name__)
metadata = new_metadata()
effects = Table("effects", metadata, Column("note", Text))


@dataclass
class Chain:
    """Two topics: the API publishes on ``first``; its consumer publishes on ``second``; the
    second consumer stores what it read."""

    first: str
    second: str


def _definition(chain: Chain) -> ServiceDefinition[None]:
    router = APIRouter(prefix="/v1")

    @router.post("/start")
    async def start(_caller: Caller, uow: UnitOfWorkDep) -> None:
        log.info("starting the chain")
        uow.publish(chain.first, status_changed("first"))
        await uow.commit()

    async def handle(event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
        log.info("handling", note=event.note)
        if event.note == "first":
            uow.publish(chain.second, status_changed("second"))
        else:
            await uow.session.execute(effects.insert().values(note=NIK))

    def consumers(rt: Runtime[None]) -> list[ConsumerSpec]:
        return [
            ConsumerSpec(
                name=f"trace-{n}",
                topics=[topic],
                group_id=f"g-{uuid4().hex[:8]}",
                handlers=rt.handlers.only(ReferralStatusChangedV1),
            )
            for n, topic in enumerate((chain.first, chain.second))
        ]

    return own_service(
        "trace-test",
        metadata,
        router,
        handlers=lambda _rt: Handlers[UnitOfWork]().on(ReferralStatusChangedV1, handle),
        consumers=consumers,
    )


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """Tracing on for this test, every span kept in memory."""
    found = InMemorySpanExporter()
    provider = telemetry.new_provider("trace-test", environment="test", version="0")
    telemetry.install(provider, SimpleSpanProcessor(found))
    yield found
    telemetry.uninstall()


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """The process's logging put back after the test (which configures it to write JSON lines
    on the captured stdout)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    config = structlog.get_config()
    yield capsys
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)
    structlog.contextvars.clear_contextvars()


@pytest.fixture
async def chain(servers: Servers) -> Chain:
    found = Chain(unique_topic("first"), unique_topic("second"))
    await create_topics(
        servers.kafka_bootstrap, [NewTopic(found.first, 2, 1), NewTopic(found.second, 2, 1)]
    )
    return found


@asynccontextmanager
async def running(
    servers: Servers, database: str, chain: Chain
) -> AsyncIterator[tuple[Runtime[None], httpx.AsyncClient]]:
    """The test service with its relay and both consumers, its API in process."""
    dsn = f"{servers.pg_url}/{database}"
    await create_tables(dsn, metadata)
    settings = ServiceSettings(
        service="trace-test",
        environment="test",
        database_url=dsn,
        kafka_bootstrap=servers.kafka_bootstrap,
    )
    runtime = Runtime(_definition(chain), settings)
    app = build_app(runtime)
    await runtime.start(relay=True, consumers=None)
    try:
        async with client_of(app, **bearer()) as client:
            yield runtime, client
    finally:
        await runtime.stop()


async def stored(runtime: Runtime[None]) -> list[str]:
    async with runtime.sessions() as session:
        return list((await session.execute(select(effects.c.note))).scalars())


def one(spans: list[ReadableSpan], name: str, kind: SpanKind) -> ReadableSpan:
    found = [s for s in spans if s.name == name and s.kind is kind]
    assert len(found) == 1, f"{name}: {[s.name for s in spans]}"
    return found[0]


def parent_of(span: ReadableSpan) -> int:
    assert span.parent is not None, f"{span.name} has no parent"
    return span.parent.span_id


def id_of(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


def log_lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


async def test_one_trace_runs_from_the_request_through_the_relay_and_both_consumers(
    servers: Servers,
    fresh_database: str,
    chain: Chain,
    exporter: InMemorySpanExporter,
    logs: pytest.CaptureFixture[str],
) -> None:
    configure_logging(service="trace-test", json=True)
    async with running(servers, fresh_database, chain) as (runtime, client):
        # a query string may name someone: it is not recorded, nor is the caller's address
        r = await client.post("/v1/start", params={"q": NIK}, headers={"traceparent": CALLER})
        assert r.status_code == 200, r.text
        assert await eventually(lambda: stored(runtime), timeout=30) == [NIK]
        await eventually(
            lambda: any(s.name == f"process {chain.second}" for s in exporter.get_finished_spans())
        )
    spans = [
        s
        for s in exporter.get_finished_spans()
        if s.context is not None and f"{s.context.trace_id:032x}" == CALLER_TRACE
    ]
    request = one(spans, "POST /v1/start", SpanKind.SERVER)
    sent_first = one(spans, f"publish {chain.first}", SpanKind.PRODUCER)
    read_first = one(spans, f"process {chain.first}", SpanKind.CONSUMER)
    sent_second = one(spans, f"publish {chain.second}", SpanKind.PRODUCER)
    read_second = one(spans, f"process {chain.second}", SpanKind.CONSUMER)

    assert dict(request.attributes or {}).get("net.peer.ip", "") == ""
    # each step is the child of the one before it, the request of the caller's span
    assert parent_of(request) == int(CALLER_SPAN, 16)
    assert parent_of(sent_first) == id_of(request)
    assert parent_of(read_first) == id_of(sent_first)
    assert parent_of(sent_second) == id_of(read_first)
    assert parent_of(read_second) == id_of(sent_second)
    # no phantom parents: every parent in the trace but the caller's was recorded
    recorded = {id_of(s) for s in spans} | {int(CALLER_SPAN, 16)}
    assert all(parent_of(s) in recorded for s in spans)

    attributes = dict(read_second.attributes or {})
    assert attributes["messaging.system"] == "kafka"
    assert attributes["messaging.destination.name"] == chain.second
    assert attributes["messaging.consumer.group.name"].startswith("g-")  # type: ignore[union-attr]
    assert isinstance(attributes["messaging.kafka.offset"], int)
    assert attributes["messaging.destination.partition.id"] in ("0", "1")
    UUID(str(attributes["messaging.message.id"]))  # the ce_id of the record
    assert (
        dict(sent_second.attributes or {})["messaging.message.id"]
        == (attributes["messaging.message.id"])
    )

    # the database call of the second handler is the child of its consumer span, and the
    # personal data it wrote is in no span
    insert = next(
        s for s in spans if s.kind is SpanKind.CLIENT and "INSERT INTO effects" in str(s.attributes)
    )
    assert parent_of(insert) == id_of(read_second)
    everything = [s.to_json() for s in exporter.get_finished_spans()]
    assert not [s for s in everything if NIK in s]

    # log lines written inside the request and the handlers name their spans
    lines = log_lines(logs.readouterr().out)
    started = next(line for line in lines if line.get("event") == "starting the chain")
    assert started["trace_id"] == CALLER_TRACE
    assert started["span_id"] == f"{id_of(request):016x}"
    second = next(line for line in lines if line.get("note") == "second")
    assert (second["trace_id"], second["span_id"]) == (CALLER_TRACE, f"{id_of(read_second):016x}")
    assert request.resource.attributes["service.name"] == "trace-test"


async def test_probes_are_not_traced(
    servers: Servers, fresh_database: str, chain: Chain, exporter: InMemorySpanExporter
) -> None:
    async with running(servers, fresh_database, chain) as (_runtime, client):
        for path in ("/healthz", "/readyz", "/metrics"):
            await client.get(path)
        await client.get("/openapi.json")
    names = {s.name for s in exporter.get_finished_spans() if s.kind is SpanKind.SERVER}
    assert names == {"GET /openapi.json"}


async def test_with_tracing_off_the_headers_still_carry_one_valid_trace(
    servers: Servers, fresh_database: str, chain: Chain, logs: pytest.CaptureFixture[str]
) -> None:
    assert not telemetry.enabled()
    configure_logging(service="trace-test", json=True)
    async with (
        running(servers, fresh_database, chain) as (runtime, client),
        tail(servers, chain.first) as first,
        tail(servers, chain.second) as second,
    ):
        r = await client.post("/v1/start", headers={"traceparent": CALLER})
        assert r.status_code == 200, r.text
        sent = [*await first.find(lambda _r: True), *await second.find(lambda _r: True)]
        assert await eventually(lambda: stored(runtime), timeout=30) == [NIK]
    assert len(sent) == 2
    contexts = [EventMeta.from_headers(record.headers).traceparent for record in sent]
    assert all(TRACEPARENT.match(c) for c in contexts), contexts
    assert {c.split("-")[1] for c in contexts} == {CALLER_TRACE}  # the caller's trace
    assert set(contexts) == {CALLER}  # the caller's context, passed on as it is
    lines = log_lines(logs.readouterr().out)
    started = next(line for line in lines if line.get("event") == "starting the chain")
    assert (started["trace_id"], started["span_id"]) == (CALLER_TRACE, CALLER_SPAN)
    handled = next(line for line in lines if line.get("note") == "second")
    assert handled["trace_id"] == CALLER_TRACE


async def test_a_made_up_traceparent_header_reaches_neither_events_nor_logs(
    servers: Servers, fresh_database: str, chain: Chain, logs: pytest.CaptureFixture[str]
) -> None:
    """Only a W3C traceparent continues the caller's trace; anything else starts a new one."""
    assert not telemetry.enabled()
    configure_logging(service="trace-test", json=True)
    made_up = f"00-{'x' * 500}-{CALLER_SPAN}-01"  # three dashes, not a trace id
    async with (
        running(servers, fresh_database, chain) as (runtime, client),
        tail(servers, chain.first) as first,
    ):
        r = await client.post("/v1/start", headers={"traceparent": made_up})
        assert r.status_code == 200, r.text
        [record] = await first.find(lambda _r: True)
        assert await eventually(lambda: stored(runtime), timeout=30) == [NIK]
    assert TRACEPARENT.match(EventMeta.from_headers(record.headers).traceparent)
    # the header as written (a reader would replace a made-up one itself: EventMeta above)
    written = dict(record.headers)["traceparent"].decode()
    assert TRACEPARENT.match(written) and CALLER_SPAN not in written, written
    lines = log_lines(logs.readouterr().out)
    started = next(line for line in lines if line.get("event") == "starting the chain")
    assert "trace_id" not in started
    assert not [line for line in lines if "x" * 32 in json.dumps(line)]


@pytest.mark.parametrize(
    ("ratio", "parent", "kind", "recorded"),
    [
        ("0", None, SpanKind.SERVER, False),  # a new trace, sampled out
        ("1", None, SpanKind.SERVER, True),
        ("0", CALLER, SpanKind.SERVER, True),  # the caller sampled it: so do we
        ("1", f"00-{CALLER_TRACE}-{CALLER_SPAN}-00", SpanKind.CONSUMER, False),
        ("1", None, SpanKind.CLIENT, False),  # a database call outside any span
        ("1", CALLER, SpanKind.CLIENT, True),
    ],
)
def test_which_spans_are_recorded(
    monkeypatch: pytest.MonkeyPatch, ratio: str, parent: str | None, kind: SpanKind, recorded: bool
) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", ratio)
    provider = telemetry.new_provider("trace-test", environment="test", version="0")
    context = TraceContextTextMapPropagator().extract({"traceparent": parent} if parent else {})
    span = provider.get_tracer("t").start_span("s", context=context, kind=kind)
    assert span.is_recording() is recorded
    assert span.get_span_context().trace_flags.sampled is recorded

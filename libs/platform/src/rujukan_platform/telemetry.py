"""Tracing with OpenTelemetry: HTTP requests, Kafka produce and consume, database calls.

A process records spans only when tracing is configured (``configure``): the standard
``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` names a collector
(OTLP over HTTP, batched), and ``OTEL_SDK_DISABLED=true`` turns it off whatever else is set.
Tests install a provider of their own (``install``, with an in-memory exporter). Without one no
provider, no instrumentation and no span exists: tracing costs a flag test per batch (and per
relayed batch), plus one context variable set per message handled so its log lines name its
``traceparent``; every event carries its cause's ``traceparent`` (``continued_traceparent``),
so logs and headers still correlate what one intake caused.

With tracing on, a trace is carried across the broker by the ``traceparent`` of each event:

* an HTTP request's SERVER span (FastAPI's instrumentation; a caller's ``traceparent`` header
  continues the caller's trace) is active when the request's unit of work writes outbox rows,
  and its context is their ``traceparent``;
* the relay publishes each row in a PRODUCER span ``publish <topic>`` whose parent is the
  row's ``traceparent``; the record's header is the producer span's context;
* a consumer applies each record in a CONSUMER span ``process <topic>`` whose parent is the
  header's context (``messaging.*`` attributes); the rows its handler writes carry that span's
  context, so the next relay and consumer continue the same trace;
* database calls are spans under the active span; a call with no active span (a poll, the
  relay's lock) is not recorded, and no statement's parameters ever are (personal data).

Either way a ``traceparent`` handed down is passed on as it is: with tracing on it is the
context of a recorded span, and a minted child would name a parent nobody exported.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes
from starlette.types import ASGIApp, Receive, Scope, Send

from rujukan_contracts.envelope import is_traceparent

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.ext.asyncio import AsyncEngine

#: routes no span is recorded for: probes and Prometheus scrapes, many a minute
UNTRACED_ROUTES = "/healthz$,/readyz$,/metrics$"
#: the variables that name a collector (OpenTelemetry's own, read by its exporter too)
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")

_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None
_tracer: Tracer | None = None

#: the trace a log line names when no span is active (tracing off): the traceparent of the
#: request or the event being handled
_carried: ContextVar[str | None] = ContextVar("rujukan_traceparent", default=None)


# -- the provider --------------------------------------------------------------------------


class _NoLoneDatabaseCalls(Sampler):
    """How a new trace is sampled: a database call made outside any span (a consumer's poll,
    the relay's lock, a background job's query) never is, since alone it would be a trace of
    its own every few milliseconds, answering nothing; any other root is, in ``ratio`` of the
    traces (by trace id)."""

    def __init__(self, ratio: float = 1.0) -> None:
        self._ratio = TraceIdRatioBased(ratio)

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Any] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        if kind is SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return self._ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"NoLoneDatabaseCalls{{{self._ratio.get_description()}}}"


def sampled_ratio() -> float:
    """The share of new traces recorded: ``OTEL_TRACES_SAMPLER=parentbased_traceidratio`` with
    ``OTEL_TRACES_SAMPLER_ARG`` (say ``0.05``) records that share; a trace that arrives with a
    parent follows the parent's decision (its ``traceparent`` flags) either way."""
    sampler = os.environ.get("OTEL_TRACES_SAMPLER", "").strip().lower()
    if sampler not in ("parentbased_traceidratio", "traceidratio"):
        return 1.0
    try:
        return min(1.0, max(0.0, float(os.environ.get("OTEL_TRACES_SAMPLER_ARG", "1.0"))))
    except ValueError:
        return 1.0


def configured() -> bool:
    """Whether the environment asks for spans to be exported (and does not disable the SDK)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(os.environ.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def new_provider(service: str, *, environment: str, version: str | None = None) -> TracerProvider:
    """A tracer provider for ``service`` with no processor yet (``install`` adds one)."""
    resource = Resource.create(
        {
            "service.name": service,
            "service.version": version or service_version(service),
            "deployment.environment": environment,
        }
    )
    sampler = ParentBased(root=_NoLoneDatabaseCalls(sampled_ratio()))
    return TracerProvider(resource=resource, sampler=sampler)


def configure(service: str, *, environment: str) -> bool:
    """At process start: export spans over OTLP/HTTP when the environment names a collector
    (the exporter reads the endpoint, headers and timeout from OpenTelemetry's variables).
    Returns whether tracing is on."""
    if _provider is not None:
        return True
    if not configured():
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = new_provider(service, environment=environment)
    install(provider, BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)  # for any library that asks the API for a tracer
    return True


def install(provider: TracerProvider, processor: SpanProcessor) -> None:
    """Make ``provider`` (with ``processor``) the process's: from then on the runtime
    instruments what it starts. Tests install one with
    an in-memory exporter, and ``uninstall`` it after."""
    global _provider, _tracer
    provider.add_span_processor(processor)
    _provider = provider
    _tracer = provider.get_tracer("rujukan_platform")


def uninstall() -> None:
    """Tracing off again (tests): what was instrumented keeps its provider."""
    global _provider, _tracer
    _provider = _tracer = None


def enabled() -> bool:
    return _provider is not None


def shutdown() -> None:
    """Export what is still buffered (the process is stopping)."""
    if _provider is not None:
        _provider.shutdown()


def service_version(service: str) -> str:
    """The version of the service's distribution (``rujukan-<service>``), else the platform's."""
    for name in (f"rujukan-{service}", f"rujukan-{service.rsplit('-', 1)[-1]}", "rujukan-platform"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


# -- what the runtime instruments ----------------------------------------------------------


def instrument_app(app: FastAPI) -> None:
    """A SERVER span per request (not for probes nor scrapes); a ``traceparent`` header
    continues the caller's trace. Nothing is done with tracing off."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=_provider,
        server_request_hook=_without_query_nor_peer,
        excluded_urls=UNTRACED_ROUTES,
        exclude_spans=["receive", "send"],  # one span per request, not one per ASGI message
    )


#: what the ASGI instrumentation records of a request that may say who asked or about whom:
#: the caller's address, and the query string (a filter's value)
_PERSONAL_REQUEST_ATTRIBUTES = ("net.peer.ip", "client.address", "url.query")


def _without_query_nor_peer(span: Span, scope: dict[str, Any]) -> None:
    """A request's span keeps its route, method and path, not the query string nor the
    caller's address (attributes cannot be removed, so they are overwritten)."""
    if not span.is_recording():
        return
    recorded = getattr(span, "attributes", None) or {}  # the SDK's span shows its attributes
    for name in _PERSONAL_REQUEST_ATTRIBUTES:
        if name in recorded:
            span.set_attribute(name, "")
    host = dict(scope.get("headers") or ()).get(b"host", b"").decode("latin-1")
    span.set_attribute("http.url", f"{scope.get('scheme', 'http')}://{host}{scope.get('path', '')}")


def instrument_engine(engine: AsyncEngine) -> None:
    """A span per database call under the active span, naming the statement as written (its
    parameters are never recorded, nor is a trace comment added to it). Only this engine's
    events are listened to: no library function is patched for the whole process."""
    if _provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy import __name__ as scope
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeter

    connections = NoOpMeter(scope).create_up_down_counter("db.client.connections.usage")
    EngineTracer(_provider.get_tracer(scope), engine.sync_engine, connections, False)  # type: ignore[no-untyped-call]


# -- spans across the broker ---------------------------------------------------------------


def from_caller(header: str | None) -> str | None:
    """A request's ``traceparent`` header when it is a W3C one, else ``None``: a made-up value
    reaches neither the events the request raises nor its log lines (a new trace starts)."""
    return header if is_traceparent(header) else None


def traceparent_of(span: Span) -> str:
    """The W3C ``traceparent`` of ``span``'s context."""
    ctx = span.get_span_context()
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def current_traceparent() -> str | None:
    """The context of the span active now, when tracing is on and one is."""
    if _provider is None:
        return None
    span = trace.get_current_span()
    return traceparent_of(span) if span.get_span_context().is_valid else None


@lru_cache(maxsize=4096)
def _parent(traceparent: str | None) -> Context | None:
    """The context a ``traceparent`` names (cached: the rows one cause raised share theirs, and
    a context is immutable)."""
    if not traceparent:
        return None
    return _propagator.extract({"traceparent": traceparent})


def _messaging_span(
    name: str, kind: SpanKind, traceparent: str | None, attributes: dict[str, Any]
) -> Span:
    """A Kafka span named ``name``, a child of the context ``traceparent`` names."""
    assert _tracer is not None
    return _tracer.start_span(
        name,
        context=_parent(traceparent),
        kind=kind,
        attributes={"messaging.system": "kafka", **attributes},
    )


def producer_span(topic: str, message_id: str, traceparent: str | None) -> Span:
    """The span of publishing one event, a child of the context the event carries."""
    return _messaging_span(
        f"publish {topic}",
        SpanKind.PRODUCER,
        traceparent,
        {
            "messaging.operation.type": "send",
            "messaging.destination.name": topic,
            "messaging.message.id": message_id,
        },
    )


def consumer_span(
    *,
    topic: str,
    partition: int,
    offset: int,
    group: str,
    message_id: str,
    traceparent: str | None,
) -> Span:
    """The span of applying one record, a child of the context its header carries."""
    return _messaging_span(
        f"process {topic}",
        SpanKind.CONSUMER,
        traceparent,
        {
            "messaging.operation.type": "process",
            "messaging.destination.name": topic,
            "messaging.destination.partition.id": str(partition),
            "messaging.kafka.offset": offset,
            "messaging.consumer.group.name": group,
            "messaging.message.id": message_id,
        },
    )


@contextmanager
def ended(spans: Sequence[Span]) -> Iterator[None]:
    """End ``spans`` when the block ends; a failure marks each of them failed."""
    try:
        yield
    except BaseException as exc:
        for span in spans:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        raise
    finally:
        for span in spans:
            span.end()


@contextmanager
def handling(span: Span | None, traceparent: str | None) -> Iterator[None]:
    """While one message is handled: its span is the active one (database calls are its
    children), or with tracing off its ``traceparent`` is what log lines name."""
    if span is not None:
        with trace.use_span(span, end_on_exit=False):
            yield
        return
    token = _carried.set(traceparent)
    try:
        yield
    finally:
        _carried.reset(token)


# -- logs ----------------------------------------------------------------------------------


def log_ids() -> tuple[str, str] | None:
    """The trace and span ids a log line carries: the active span's, or (tracing off) those
    of the traceparent of the request or message being handled."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"
    carried = _carried.get()
    if carried and carried.count("-") == 3:
        _version, trace_id, span_id, _flags = carried.split("-")
        return trace_id, span_id
    return None


class CarryTraceparent:
    """ASGI middleware: with tracing off, a request's ``traceparent`` header is what its log
    lines name (with tracing on, its span is)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _provider is not None:
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"traceparent"), None)
        token = _carried.set(from_caller(header.decode("latin-1") if header else None))
        try:
            await self.app(scope, receive, send)
        finally:
            _carried.reset(token)

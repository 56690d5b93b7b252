"""One trace across the platform: the services run as processes exporting spans over OTLP/HTTP
to a receiver in the test, and the intake API's request, the router's consumption and the
notifications consumer's are links of one chain of parents."""

from __future__ import annotations

import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanProto

from rujukan_contracts.topics import INTAKE_SUBMITTED, REFERRALS_STATUS
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.testing import Servers, eventually, free_port
from tests.e2e.platform import Platform, running_platform

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"


@dataclass(frozen=True)
class Span:
    """A span as a collector received it, with the service that sent it."""

    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


class Receiver(ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver on loopback (protobuf, as the SDK's exporter sends)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", free_port()), _Export)
        self.spans: list[Span] = []
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add(self, request: ExportTraceServiceRequest) -> None:
        found = []
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                found += [
                    Span(
                        service=str(resource.get("service.name")),
                        name=s.name,
                        kind=s.kind,
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_id=s.parent_span_id.hex(),
                        attributes={a.key: _value(a.value) for a in s.attributes},
                    )
                    for s in scope_spans.spans
                ]
        with self.lock:
            self.spans += found

    def trace(self, trace_id: str) -> list[Span]:
        with self.lock:
            return [s for s in self.spans if s.trace_id == trace_id]


class _Export(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/traces":
            self.send_error(404)
            return
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.add(request)
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
async def platform(
    servers: Servers, tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Platform]:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "200")  # export within a fifth of a second
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    async with running_platform(servers, tmp_path) as p:
        yield p


def _one(spans: list[Span], service: str, name: str, kind: int) -> list[Span]:
    return [s for s in spans if (s.service, s.name, s.kind) == (service, name, kind)]


async def test_one_trace_runs_from_the_intake_api_through_the_router_to_notifications(
    platform: Platform, receiver: Receiver
) -> None:
    operator = platform.token("operator", regions=["33.04"])
    headers = {**operator, "traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"}
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            platform.url("intake") + "/v1/intakes", json=EXAMPLE_INTAKE, headers=headers
        )
    assert r.status_code == 202, r.text

    def notified() -> list[Span]:
        spans = receiver.trace(CALLER_TRACE)
        return _one(
            spans, "notifications", f"process {REFERRALS_STATUS}", SpanProto.SPAN_KIND_CONSUMER
        )

    await eventually(notified, timeout=60)

    def whole() -> list[Span]:
        """The trace once every parent in it has arrived (the caller's span is not ours)."""
        spans = receiver.trace(CALLER_TRACE)
        ids = {s.span_id for s in spans} | {CALLER_SPAN}
        return spans if all(s.parent_id in ids for s in spans) else []

    spans = await eventually(whole, timeout=15)
    by_id = {s.span_id: s for s in spans}

    (request,) = _one(spans, "intake", "POST /v1/intakes", SpanProto.SPAN_KIND_SERVER)
    assert request.parent_id == CALLER_SPAN
    (submitted,) = _one(
        spans, "intake", f"publish {INTAKE_SUBMITTED}", SpanProto.SPAN_KIND_PRODUCER
    )
    assert submitted.parent_id == request.span_id
    (routed,) = _one(
        spans, "referral-router", f"process {INTAKE_SUBMITTED}", SpanProto.SPAN_KIND_CONSUMER
    )
    assert routed.parent_id == submitted.span_id
    assert routed.attributes["messaging.system"] == "kafka"
    assert routed.attributes["messaging.consumer.group.name"] == "router-intakes"
    assert routed.attributes["messaging.message.id"] == submitted.attributes["messaging.message.id"]
    for notice in notified():  # each status the router published, read by notifications
        sent = by_id[notice.parent_id]
        assert (sent.service, sent.name) == ("referral-router", f"publish {REFERRALS_STATUS}")
        assert sent.kind == SpanProto.SPAN_KIND_PRODUCER
        assert by_id[sent.parent_id] == routed
    # the database calls of the request and of the routing are their children
    queries = [s for s in spans if s.kind == SpanProto.SPAN_KIND_CLIENT]
    assert {request.span_id, routed.span_id} <= {q.parent_id for q in queries}

    # no member's NIK or name reached a span (statements are recorded without parameters)
    personal = [v for m in EXAMPLE_INTAKE["members"] for k, v in m.items() if k in ("nik", "name")]
    everything = json.dumps([s.attributes for s in receiver.spans])
    assert personal and not [p for p in personal if p in everything]

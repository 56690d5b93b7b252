"""An OTLP/HTTP trace receiver on loopback, for e2e tests whose services export their spans
(``OTEL_EXPORTER_OTLP_ENDPOINT``): what a collector would receive, readable by the test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from rujukan_platform.testing import free_port


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
        #: every export request as it arrived: span names, events (an exception's message),
        #: status messages and resources too, which ``Span`` leaves out
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add(self, body: bytes) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
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
            self.bodies.append(body)

    def trace(self, trace_id: str) -> list[Span]:
        with self.lock:
            return [s for s in self.spans if s.trace_id == trace_id]

    def everything(self) -> bytes:
        """All that was received, to scan: every export as sent (its strings are UTF-8 in the
        protobuf) and every span attribute as JSON text (a number as its digits)."""
        with self.lock:
            attributes = json.dumps([s.attributes for s in self.spans], ensure_ascii=False)
            return b"\0".join([attributes.encode(), *self.bodies])


class _Export(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/traces":
            self.send_error(404)
            return
        self.server.add(body)
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A receiver serving on a thread until the block ends."""
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()

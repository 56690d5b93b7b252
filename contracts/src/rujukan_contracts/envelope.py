"""CloudEvents 1.0 in Kafka binary mode: the record value is the JSON data, metadata in headers.

Headers: ``ce_specversion``, ``ce_id`` (the outbox row id), ``ce_source`` (``/rujukan/<service>``),
``ce_type``, ``ce_time``, ``ce_subject`` (aggregate id), ``content-type`` and W3C ``traceparent``.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from uuid import UUID, uuid4

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

Headers = list[tuple[str, bytes]]


class EnvelopeError(ValueError):
    """The record is not a CloudEvent we can read; it can never succeed (goes to the DLQ)."""


def new_traceparent() -> str:
    return f"00-{os.urandom(16).hex()}-{os.urandom(8).hex()}-01"


def child_traceparent(parent: str | None) -> str:
    """Same trace, new span: correlates every event caused by one intake."""
    if not parent or parent.count("-") != 3:
        return new_traceparent()
    version, trace_id, _span, flags = parent.split("-")
    # a span id needs to be unique, not unguessable: no system call per event
    return f"{version}-{trace_id}-{random.getrandbits(64) or 1:016x}-{flags}"


@lru_cache(maxsize=256)
def _header(name: str, value: str) -> tuple[str, bytes]:
    """A header whose value repeats across records (spec version, source, type, content type,
    the creation time a batch of rows shares): encoded once."""
    return (name, value.encode())


def envelope_headers(
    *, id: str, source: str, type: str, time: datetime, subject: bytes, traceparent: str
) -> Headers:
    """The CloudEvents binary-mode headers of one record (the relay builds thousands a second)."""
    return [
        _header("ce_specversion", SPEC_VERSION),
        ("ce_id", id.encode()),
        _header("ce_source", source),
        _header("ce_type", type),
        _header("ce_time", time.isoformat()),
        ("ce_subject", subject),
        _header("content-type", CONTENT_TYPE),
        ("traceparent", traceparent.encode()),
    ]


@dataclass(frozen=True, slots=True)
class EventMeta:
    type: str
    source: str
    subject: str
    id: UUID = field(default_factory=uuid4)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    traceparent: str = field(default_factory=new_traceparent)

    def to_headers(self) -> Headers:
        return envelope_headers(
            id=str(self.id),
            source=self.source,
            type=self.type,
            time=self.time,
            subject=self.subject.encode(),
            traceparent=self.traceparent,
        )

    @classmethod
    def from_headers(cls, headers: Sequence[tuple[str, bytes]]) -> EventMeta:
        h = {k: v.decode("utf-8", "replace") for k, v in headers}
        missing = [k for k in ("ce_id", "ce_type", "ce_source") if k not in h]
        if missing:
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        if h.get("ce_specversion", SPEC_VERSION) != SPEC_VERSION:
            raise EnvelopeError(f"unsupported ce_specversion {h['ce_specversion']!r}")
        try:
            event_id = UUID(h["ce_id"])
        except ValueError as exc:
            raise EnvelopeError(f"ce_id is not a UUID: {h['ce_id']!r}") from exc
        try:
            time = datetime.fromisoformat(h["ce_time"]) if "ce_time" in h else datetime.now(UTC)
        except ValueError as exc:
            raise EnvelopeError(f"ce_time is not ISO 8601: {h['ce_time']!r}") from exc
        return cls(
            type=h["ce_type"],
            source=h["ce_source"],
            subject=h.get("ce_subject", ""),
            id=event_id,
            time=time,
            traceparent=h.get("traceparent") or new_traceparent(),
        )


@dataclass(frozen=True, slots=True)
class CloudEvent:
    """A decoded record: metadata plus the raw JSON data (parsed into a model by the consumer)."""

    meta: EventMeta
    data: bytes

"""CloudEvents 1.0 on Kafka (the spec's Kafka protocol binding).

Rujukan writes binary mode: the record value is the JSON data, metadata in headers
``ce_specversion``, ``ce_id`` (the outbox row id), ``ce_source`` (``/rujukan/<service>``),
``ce_type``, ``ce_time``, ``ce_subject`` (aggregate id), ``ce_dataschema`` (the URN of the data's
JSON Schema, ``dataschema()``), ``content-type`` and W3C ``traceparent``. Readers need none but
id, source and type (an agency's client need not send ``ce_dataschema``).

It reads both modes (``read_cloudevent``): binary, and structured (``content-type:
application/cloudevents+json``, the whole event as one JSON object), since an agency's client may
write either. ``ce_id`` is any non-empty string, unique per ``ce_source``: ``EventMeta.id`` is the
key consumers deduplicate on (the id itself when it is a UUID, else a UUID derived from source
and id).
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeGuard
from uuid import UUID, uuid4, uuid5

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
STRUCTURED_CONTENT_TYPE = "application/cloudevents"  # +json, with or without parameters
# the namespace of the keys of events whose ce_id is not a UUID (uuid5 of source and id)
EVENT_KEY_NAMESPACE = UUID("5b0c5d1e-8a7e-4f0a-9c41-7a52e1d0c3a9")
MAX_ID_LENGTH = 1000  # the spec sets no limit; an id longer than this is not an id
#: the schemas' ``$id`` and every record's ``ce_dataschema``: the type names the major version
SCHEMA_URN_PREFIX = "urn:rujukan:schema:"

#: a W3C ``traceparent`` (version, trace id, parent id, flags), as every record's header carries
TRACEPARENT_PATTERN = "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"
_random_bits = random.getrandbits  # reseeded from the OS after a fork (``random``'s own hook)
_TRACEPARENT = re.compile(TRACEPARENT_PATTERN)

Headers = list[tuple[str, bytes]]


class EnvelopeError(ValueError):
    """The record is not a CloudEvent we can read; it can never succeed (goes to the DLQ)."""


def new_traceparent() -> str:
    """A new trace's W3C ``traceparent``: its trace and parent ids drawn from the process's
    generator (unique, not secret: OpenTelemetry's ``RandomIdGenerator`` draws its ids so; two
    system calls for each event's were 4 % of the batch endpoint's CPU), never all zeros, which
    the format forbids."""
    return f"00-{_random_bits(128) or 1:032x}-{_random_bits(64) or 1:016x}-01"


def is_traceparent(value: object) -> TypeGuard[str]:
    """Whether ``value`` is a W3C ``traceparent``: anything else a writer sent (an agency's
    client, a caller's header) starts a new trace rather than reaching the records Rujukan
    writes, whose header the contract holds to the pattern."""
    return isinstance(value, str) and _TRACEPARENT.fullmatch(value) is not None


def continued_traceparent(parent: str | None) -> str:
    """The ``traceparent`` an event caused by ``parent`` carries: ``parent`` itself when it is a
    W3C one (the context of the span, request or event that caused it, so every event one
    intake causes shares its trace), else a new trace."""
    return parent if is_traceparent(parent) else new_traceparent()


def dataschema(ce_type: str) -> str:
    """The URN of the JSON Schema of ``ce_type``'s data (``contracts/schemas/<type>.json``)."""
    return f"{SCHEMA_URN_PREFIX}{ce_type}"


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
        _header("ce_dataschema", dataschema(type)),
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
        """The metadata of a binary-mode record (``ce_`` headers)."""
        h = {k: v.decode("utf-8", "replace") for k, v in headers}
        attributes = {k.removeprefix("ce_"): v for k, v in h.items() if k.startswith("ce_")}
        if "traceparent" in h:
            attributes["traceparent"] = h["traceparent"]
        return cls.from_attributes(attributes, mode="headers")

    @classmethod
    def from_attributes(cls, attributes: dict[str, Any], *, mode: str) -> EventMeta:
        """The metadata from CloudEvents context attributes (``mode`` names where they were
        found, for the error: ``headers`` or ``structured``)."""
        prefix = "ce_" if mode == "headers" else ""
        missing = [f"{prefix}{k}" for k in ("id", "type", "source") if not attributes.get(k)]
        if missing:
            raise EnvelopeError(f"missing CloudEvents attributes ({mode}): {', '.join(missing)}")
        version = attributes.get("specversion", SPEC_VERSION)
        if version != SPEC_VERSION:
            raise EnvelopeError(f"unsupported {prefix}specversion {version!r}")
        text = {k: attributes.get(k) for k in ("id", "type", "source", "subject", "time")}
        bad = [f"{prefix}{k}" for k, v in text.items() if v is not None and not isinstance(v, str)]
        if bad:
            raise EnvelopeError(f"CloudEvents attributes are not strings: {', '.join(bad)}")
        time_text = attributes.get("time")
        try:
            time = datetime.fromisoformat(time_text) if time_text else datetime.now(UTC)
        except ValueError as exc:
            raise EnvelopeError(f"{prefix}time is not RFC 3339: {time_text!r}") from exc
        traceparent = attributes.get("traceparent")
        return cls(
            type=attributes["type"],
            source=attributes["source"],
            subject=attributes.get("subject") or "",
            id=event_key(attributes["source"], attributes["id"]),
            time=time,
            traceparent=traceparent if is_traceparent(traceparent) else new_traceparent(),
        )


def event_key(source: str, ce_id: str) -> UUID:
    """What a consumer deduplicates an event on. CloudEvents makes ``source`` + ``id`` unique;
    a UUID id is unique on its own and is its own key (every Rujukan event, and what
    ``processed_events`` holds from before), any other id is keyed by a UUID derived from both."""
    if len(ce_id) > MAX_ID_LENGTH:
        raise EnvelopeError(f"ce_id is longer than {MAX_ID_LENGTH} characters")
    try:
        return UUID(ce_id)
    except ValueError:
        return uuid5(EVENT_KEY_NAMESPACE, f"{source}\n{ce_id}")


def read_cloudevent(headers: Sequence[tuple[str, bytes]], value: bytes | None) -> CloudEvent:
    """A record as a CloudEvent, in binary or structured mode (``EnvelopeError`` when it is
    neither). A structured event's ``data`` (or ``data_base64``) becomes the data bytes."""
    content_type = next(
        (v.decode("utf-8", "replace") for k, v in headers if k.lower() == "content-type"), ""
    )
    if not content_type.strip().lower().startswith(STRUCTURED_CONTENT_TYPE):
        return CloudEvent(EventMeta.from_headers(headers), value if value is not None else b"")
    try:
        body = json.loads(value or b"")
    except ValueError as exc:
        raise EnvelopeError(f"structured CloudEvent is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise EnvelopeError("structured CloudEvent is not a JSON object")
    meta = EventMeta.from_attributes(body, mode="structured")
    if "data_base64" in body:
        try:
            data = base64.b64decode(body["data_base64"], validate=True)
        except (binascii.Error, TypeError, ValueError) as exc:
            raise EnvelopeError("structured CloudEvent: data_base64 is not base64") from exc
    else:
        data = json.dumps(body.get("data"), ensure_ascii=False).encode()
    return CloudEvent(meta, data)


@dataclass(frozen=True, slots=True)
class CloudEvent:
    """A decoded record: metadata plus the raw JSON data (parsed into a model by the consumer)."""

    meta: EventMeta
    data: bytes

"""Reading CloudEvents as the spec allows them (binary and structured mode, any non-empty id),
checked against the CloudEvents SDK as the writer."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary, to_binary, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from hypothesis import given
from hypothesis import strategies as st

from rujukan_contracts import envelope
from rujukan_contracts.envelope import (
    EnvelopeError,
    EventMeta,
    continued_traceparent,
    event_key,
    is_traceparent,
    new_traceparent,
    read_cloudevent,
)

TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def sdk_event(ce_id: str, source: str = "urn:agency:pkh") -> CloudEvent:
    attributes: dict[str, object] = {
        "type": "rujukan.referral.outcome.v1",
        "source": source,
        "id": ce_id,
        "subject": "r-1",
        "time": datetime(2026, 12, 4, 5, 6, 7, tzinfo=UTC),
        "datacontenttype": "application/json",
        "traceparent": TRACE,
    }
    return CloudEvent(attributes, {"outcome": "accepted", "note": "Sudah diverifikasi ✓"})


def headers_of(message: object) -> list[tuple[str, bytes]]:
    return list(message.headers.items())  # type: ignore[attr-defined]


@given(ce_id=st.text(min_size=1, max_size=200).filter(lambda s: "\x00" not in s))
def test_both_modes_of_one_sdk_event_read_the_same(ce_id: str) -> None:
    event = sdk_event(ce_id)
    binary = to_binary(event, JSONFormat())
    structured = to_structured(event, JSONFormat())
    a = read_cloudevent(headers_of(binary), binary.value)
    b = read_cloudevent(headers_of(structured), structured.value)
    assert a.meta == b.meta
    assert json.loads(a.data) == json.loads(b.data) == event.get_data()
    assert a.meta.id == event_key("urn:agency:pkh", ce_id)
    assert a.meta.traceparent == TRACE and a.meta.subject == "r-1"
    assert a.meta.time.isoformat() == "2026-12-04T05:06:07+00:00"


def test_the_key_is_the_uuid_itself_or_derived_from_source_and_id() -> None:
    ours = uuid4()
    assert event_key("/rujukan/intake", str(ours)) == ours  # what processed_events holds
    assert event_key("urn:a", "kasus-1") == event_key("urn:a", "kasus-1")
    assert event_key("urn:a", "kasus-1") != event_key("urn:b", "kasus-1")
    assert event_key("urn:a", "kasus-1") != event_key("urn:a", "kasus-2")
    assert isinstance(event_key("urn:a", "x"), UUID)


def test_structured_data_base64_is_the_data() -> None:
    body = {
        "specversion": "1.0",
        "id": "1",
        "source": "s",
        "type": "t",
        "data_base64": base64.b64encode(b'{"a": 1}').decode(),
    }
    read = read_cloudevent(
        [("content-type", b"application/cloudevents+json; charset=utf-8")],
        json.dumps(body).encode(),
    )
    assert read.data == b'{"a": 1}'


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        ([("ce_id", b""), ("ce_source", b"s"), ("ce_type", b"t")], b"{}", "ce_id"),
        ([("ce_id", b"1"), ("ce_type", b"t")], b"{}", "ce_source"),
        ([("ce_id", b"1" * 1001), ("ce_source", b"s"), ("ce_type", b"t")], b"{}", "longer"),
        (
            [("ce_id", b"1"), ("ce_source", b"s"), ("ce_type", b"t"), ("ce_specversion", b"0.3")],
            b"{}",
            "specversion",
        ),
        (
            [("ce_id", b"1"), ("ce_source", b"s"), ("ce_type", b"t"), ("ce_time", b"yesterday")],
            b"{}",
            "RFC 3339",
        ),
        ([("content-type", b"application/cloudevents+json")], b"{nope", "not JSON"),
        ([("content-type", b"application/cloudevents+json")], b"[1]", "not a JSON object"),
        (
            [("content-type", b"application/cloudevents+json")],
            b'{"id": 7, "source": "s", "type": "t"}',
            "not strings: id",
        ),
        (
            [("content-type", b"application/cloudevents+json")],
            b'{"id": "1", "source": "s", "type": "t", "data_base64": "%%%"}',
            "base64",
        ),
    ],
)
def test_what_is_no_cloudevent_is_refused_with_the_reason(
    headers: list[tuple[str, bytes]], value: bytes, reason: str
) -> None:
    with pytest.raises(EnvelopeError, match=reason):
        read_cloudevent(headers, value)


def test_our_own_headers_still_read_as_written() -> None:
    meta = EventMeta(type="t", source="/rujukan/router", subject="k")
    assert EventMeta.from_headers(meta.to_headers()) == meta


def test_every_record_names_its_data_schema_for_the_sdk_and_we_read_records_without_it() -> None:
    meta = EventMeta(type="rujukan.referral.created.v1", source="/rujukan/router", subject="r-1")
    message = KafkaMessage(headers=dict(meta.to_headers()), key=b"r-1", value=b"{}")
    event = from_binary(message, JSONFormat())
    assert event.get_attributes()["dataschema"] == "urn:rujukan:schema:rujukan.referral.created.v1"
    without = [(k, v) for k, v in meta.to_headers() if k != "ce_dataschema"]
    assert EventMeta.from_headers(without) == meta


@pytest.mark.parametrize(
    "sent",
    [
        "a-b-c-d",  # four parts, none of them W3C
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\n",
        "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033-01",
    ],
)
def test_a_traceparent_that_is_no_w3c_one_starts_a_new_trace(sent: str) -> None:
    headers = [
        ("ce_id", b"1"),
        ("ce_source", b"s"),
        ("ce_type", b"t"),
        ("traceparent", sent.encode()),
    ]
    meta = read_cloudevent(headers, b"{}").meta
    assert meta.traceparent != sent and is_traceparent(meta.traceparent)
    child = continued_traceparent(sent)
    assert is_traceparent(child) and child.split("-")[1] != sent.split("-")[1]
    assert continued_traceparent(TRACE) == TRACE  # a valid parent is passed on as it is


def test_new_traces_are_w3c_traceparents_apart_from_each_other() -> None:
    made = [new_traceparent() for _ in range(10_000)]
    assert all(is_traceparent(t) for t in made)
    assert len({t.split("-")[1] for t in made}) == len(made)  # a new trace id each
    assert len({t.split("-")[2] for t in made}) == len(made)


def test_a_new_trace_is_never_all_zeros(monkeypatch: pytest.MonkeyPatch) -> None:
    """The format forbids an all-zero trace or parent id; a draw of zero becomes one."""
    monkeypatch.setattr(envelope, "_random_bits", lambda _bits: 0)
    assert new_traceparent() == f"00-{1:032x}-{1:016x}-01"

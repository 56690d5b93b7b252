"""The contracts hold together: examples validate, every topic's events exist, files don't drift."""

from __future__ import annotations

import json
from importlib import resources
from uuid import uuid4

import pytest
from pydantic import ValidationError

from rujukan_contracts import EVENT_MODELS, TOPICS, EventMeta, program_topic, topic
from rujukan_contracts.envelope import EnvelopeError
from rujukan_contracts.events import Event
from rujukan_contracts.generate import CONTRACTS_DIR, schema_documents


def test_committed_schemas_and_asyncapi_match_the_models() -> None:
    for rel, content in schema_documents().items():
        path = CONTRACTS_DIR / rel
        assert path.exists(), f"{rel} missing: run python -m rujukan_contracts.generate"
        assert path.read_text("utf-8") == content, f"{rel} drifted: regenerate it"


@pytest.mark.parametrize("name", sorted(TOPICS))
def test_every_topic_example_validates_against_its_event_model(name: str) -> None:
    """Each example is one of the topic's events (all its fields the model's), and each
    event the topic carries has an example."""
    t = TOPICS[name]
    assert t.examples, f"{name} has no example"
    shown: set[str] = set()
    for example in t.examples:
        raw = (resources.files("rujukan_contracts") / "examples" / example).read_text("utf-8")
        fits = [e for e in t.events if _is_example_of(EVENT_MODELS[e], raw)]
        assert len(fits) == 1, f"{example}: an example of {fits or 'none'} of {t.events}"
        event = EVENT_MODELS[fits[0]].model_validate_json(raw)
        assert json.loads(event.model_dump_json())  # round-trips
        shown.add(fits[0])
    assert shown == set(t.events), f"{name}: no example of {set(t.events) - shown}"


def _is_example_of(model: type[Event], raw: str) -> bool:
    data = json.loads(raw)
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return set(data) <= set(model.model_fields)


def test_every_event_type_is_carried_by_a_topic() -> None:
    carried = {e for t in TOPICS.values() for e in t.events}
    assert carried == set(EVENT_MODELS)


@pytest.mark.parametrize("name", sorted(TOPICS))
def test_every_topic_key_is_a_field_of_each_of_its_events(name: str) -> None:
    """A topic's records are keyed by the field it names (a typo or a renamed field fails):
    on a topic of a single event its ``key()``; ``referrals.status`` by the visit, so that one
    consumer reads all of a visit's referrals."""
    t = TOPICS[name]
    models = [EVENT_MODELS[e] for e in t.events]
    assert all(t.key in m.model_fields for m in models), f"{name}: key {t.key} not on its events"
    if len(models) == 1:
        assert models[0].key_field == t.key, f"{name}: sent under {models[0].key_field}"


def test_program_topics_map_to_their_template() -> None:
    assert program_topic("PKH") == "referrals.PKH"
    assert topic("referrals.PKH").topic == "referrals.{program_code}"
    assert topic("referrals.status").topic == "referrals.status"
    with pytest.raises(KeyError):
        topic("nope")


def test_cloudevent_headers_round_trip() -> None:
    meta = EventMeta(type="rujukan.intake.submitted.v1", source="/rujukan/intake", subject="h1")
    back = EventMeta.from_headers(meta.to_headers())
    assert back == meta
    names = [k for k, _ in meta.to_headers()]
    assert {"ce_specversion", "ce_id", "ce_type", "traceparent", "content-type"} <= set(names)


def test_envelope_refuses_records_without_cloudevents_headers() -> None:
    with pytest.raises(EnvelopeError, match="ce_type"):
        EventMeta.from_headers([("ce_id", str(uuid4()).encode()), ("ce_source", b"/x")])
    with pytest.raises(EnvelopeError, match="ce_id"):
        EventMeta.from_headers([("ce_id", b""), ("ce_source", b"/x"), ("ce_type", b"t")])

"""Rujukan's event contracts: the topic catalogue, event models and the CloudEvents envelope.

Everything a producer and a consumer must agree on lives here, once. JSON Schema files and the
AsyncAPI document under ``contracts/`` are generated from these models (``python -m
rujukan_contracts.generate``) and a test fails when the committed files drift.
"""

from rujukan_contracts import auth_events  # noqa: F401 - registers its events in EVENT_MODELS
from rujukan_contracts.envelope import CloudEvent, EventMeta
from rujukan_contracts.events import EVENT_MODELS, Event, event_model
from rujukan_contracts.topics import TOPICS, Topic, outcomes_topic, program_topic, topic

__all__ = [
    "EVENT_MODELS",
    "TOPICS",
    "CloudEvent",
    "Event",
    "EventMeta",
    "Topic",
    "event_model",
    "outcomes_topic",
    "program_topic",
    "topic",
]

"""The topic catalogue, loaded from one YAML file per topic in ``topics/``.

Topic names, keys, partition counts, configs, producers, consumers and event types are data,
declared once here. Brokers get their topics from here: ``rujukan kafka access apply|watch``
(every topic, each program's too, with the ACLs ``rujukan_contracts.access`` derives from the
producers and consumers), ``python -m rujukan_platform topics``
(``rujukan_platform.kafka.ensure_catalogue_topics``: the topics that are not per program) and
``deploy/k8s/build_topics.py`` (Strimzi KafkaTopics and KafkaUsers).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

PROGRAM_TOPIC_TEMPLATE = "referrals.{program_code}"
PROGRAM_OUTCOMES_TEMPLATE = "referrals.{program_code}.outcomes"
#: every program's outcome topic, for a pattern subscription
PROGRAM_OUTCOMES_PATTERN = r"^referrals\.[A-Z][A-Z0-9-]{1,31}\.outcomes$"


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str = Field(description="name, or a template such as referrals.{program_code}")
    description: str
    key: str
    partitions: int = Field(ge=1)
    config: dict[str, str] = Field(default_factory=dict)
    producers: list[str]
    consumers: list[str]
    events: list[str] = Field(description="CloudEvents types carried")
    examples: list[str] = Field(default_factory=list, description="files under examples/")
    dlq: bool = True

    @property
    def is_template(self) -> bool:
        return "{" in self.topic

    def dlq_name(self, name: str | None = None) -> str:
        return f"{name or self.topic}.dlq"


@cache
def _load() -> dict[str, Topic]:
    folder = resources.files("rujukan_contracts") / "topics"
    topics: dict[str, Topic] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            data: dict[str, Any] = yaml.safe_load(entry.read_text("utf-8"))
            t = Topic.model_validate(data)
            topics[t.topic] = t
    return topics


TOPICS = _load()


def topic(name: str) -> Topic:
    """The catalogue entry for a concrete topic name (program topics map to their template)."""
    if name in TOPICS:
        return TOPICS[name]
    if name.startswith("referrals.") and name.count(".") == 1:
        return TOPICS[PROGRAM_TOPIC_TEMPLATE]
    if program_of_outcomes(name) is not None:
        return TOPICS[PROGRAM_OUTCOMES_TEMPLATE]
    raise KeyError(f"topic {name!r} is not in the catalogue")


def program_topic(program_code: str) -> str:
    """``referrals.<program_code>``: one topic per program, read only by its owner agency."""
    return PROGRAM_TOPIC_TEMPLATE.format(program_code=program_code)


def outcomes_topic(program_code: str) -> str:
    """``referrals.<program_code>.outcomes``: written only by the program's owner agency."""
    return PROGRAM_OUTCOMES_TEMPLATE.format(program_code=program_code)


_OUTCOMES_NAME = re.compile(r"(?:^|\.)referrals\.([A-Z][A-Z0-9-]{1,31})\.outcomes$")


def program_of_outcomes(name: str) -> str | None:
    """The program whose outcome topic ``name`` is (``None``: not an outcome topic). Consumers
    subscribe by ``PROGRAM_OUTCOMES_PATTERN``, so what they read is exactly
    ``referrals.<CODE>.outcomes``; a prefix (the tests' unique topics) is allowed here."""
    found = _OUTCOMES_NAME.search(name)
    return found.group(1) if found else None


def agency_principal(program_code: str) -> str:
    """The broker principal of a program's owner agency: the only writer of its outcomes."""
    return f"agency-{program_code.lower()}"


INTAKE_SUBMITTED = "intake.submitted"
INTAKE_CONTACTS = "intake.contacts"
PROGRAMS_CATALOG = "programs.catalog"
REFERRALS_STATUS = "referrals.status"
NOTIFICATIONS_DISPATCHED = "notifications.dispatched"

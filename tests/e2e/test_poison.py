"""Poison on every consumed topic stops nothing: each bad record reaches its topic's DLQ once
per consumer, with the reason, and an intake submitted after the poison is still routed and
its resident told. The four services run as separate processes (as deployed)."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.topics import (
    INTAKE_CONTACTS,
    INTAKE_SUBMITTED,
    REFERRALS_STATUS,
    outcomes_topic,
)
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.kafka import make_producer, security_options
from rujukan_platform.testing import Servers, eventually
from tests.e2e.platform import Platform, running_platform

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

EXAMPLES = Path(__file__).resolve().parents[2] / "contracts/src/rujukan_contracts/examples"
REFERRALS_OUTCOMES = outcomes_topic("PBI-JK")  # one program's; the router reads them all

#: every consumer of each topic the platform consumes (the catalogue's consumers)
CONSUMERS = {
    INTAKE_SUBMITTED: {"router-intakes", "registry-intake-facts"},
    INTAKE_CONTACTS: {"notifications-contacts"},
    REFERRALS_STATUS: {"intake-referral-status", "notifications-status"},
    REFERRALS_OUTCOMES: {"router-outcomes"},
}


def _with_nul(topic: str) -> dict[str, Any]:
    """A record that is valid but for one NUL character in a text field."""
    if topic == INTAKE_SUBMITTED:
        body = json.loads((EXAMPLES / "intake.submitted.json").read_text())
        body |= {"intake_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4())}
        return body | {"other_need": "sumur\u0000"}
    if topic == INTAKE_CONTACTS:
        body = json.loads((EXAMPLES / "intake.contacts.json").read_text())
        body |= {"intake_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4())}
        return body | {"contact": {"language": "id", "email": "a\u0000@example.org"}}
    if topic == REFERRALS_STATUS:
        body = json.loads((EXAMPLES / "referrals.status.json").read_text())
        return body | {"referral_id": str(uuid.uuid4()), "note": "di\u0000terima"}
    body = json.loads((EXAMPLES / "referrals.outcomes.json").read_text())
    return body | {"referral_id": str(uuid.uuid4()), "note": "di\u0000terima"}


def _ce_type(topic: str) -> str:
    return {
        INTAKE_SUBMITTED: "rujukan.intake.submitted.v1",
        INTAKE_CONTACTS: "rujukan.intake.contact.v1",
        REFERRALS_STATUS: "rujukan.referral.status_changed.v1",
        REFERRALS_OUTCOMES: "rujukan.referral.outcome.v1",
    }[topic]


def poison(topic: str) -> dict[str, tuple[bytes, list[tuple[str, bytes]]]]:
    """The kinds of bad record, by name: (value, headers)."""
    ce_type = _ce_type(topic)
    good_headers = EventMeta(type=ce_type, source="/poison", subject="s").to_headers()
    valid_json = json.dumps(_with_nul(topic)).encode()
    return {
        "nul-text": (valid_json, good_headers),
        "wrong-shape": (b'{"intake_id": 5, "members": "many"}', good_headers),
        "not-json": (b"\xff\xfe{ not json", good_headers),
        "no-cloudevents-headers": (valid_json.replace(b"\\u0000", b""), []),
        "unknown-version": (
            valid_json.replace(b"\\u0000", b""),
            [
                *EventMeta(type=ce_type[:-1] + "99", source="/p", subject="s").to_headers(),
            ],
        ),
    }


@pytest.fixture
async def platform(servers: Servers, tmp_path: Path) -> AsyncIterator[Platform]:
    async with running_platform(servers, tmp_path) as p:
        yield p


async def dead_letters(servers: Servers, topic: str, since_ms: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers.kafka_bootstrap, group_id=None, **security_options()
    )
    await consumer.start()
    try:
        tp = TopicPartition(f"{topic}.dlq", 0)
        consumer.assign([tp])
        found = (await consumer.offsets_for_times({tp: since_ms}))[tp]
        if found is None:
            return []
        consumer.seek(tp, found.offset)
        end = (await consumer.end_offsets([tp]))[tp]
        records: list[Any] = []
        while await consumer.position(tp) < end:
            for recs in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(recs)
        return records
    finally:
        await consumer.stop()


async def test_poison_on_every_topic_is_dead_lettered_and_the_pipeline_carries_on(
    platform: Platform, servers: Servers
) -> None:
    since_ms = int(time.time() * 1000) - 1000
    producer = make_producer(servers.kafka_bootstrap, client_id="poisoner")
    await producer.start()
    sent: dict[bytes, str] = {}  # poison key → topic
    try:
        for topic in CONSUMERS:
            # on every partition, so whichever one the next good intake lands on, poison is
            # in front of it
            for partition in sorted(await producer.partitions_for(topic)):
                for kind, (value, headers) in poison(topic).items():
                    key = f"poison-{kind}-{uuid.uuid4().hex[:8]}".encode()
                    await producer.send_and_wait(
                        topic, value, key=key, headers=headers, partition=partition
                    )
                    sent[key] = topic
    finally:
        await producer.stop()

    admin = platform.token("admin")
    operator = platform.token("operator", regions=["33.04"])
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            platform.url("intake") + "/v1/intakes", json=EXAMPLE_INTAKE, headers=operator
        )
        assert r.status_code == 202, r.text
        intake_id = r.json()["intake_id"]

        async def delivered_referrals() -> list[str]:
            got = await http.get(
                platform.url("referral-router") + "/v1/referrals",
                params={"intake_id": intake_id},
                headers=admin,
            )
            items = got.json()["items"]
            done = [i["referral_id"] for i in items if i["status"] == "delivered"]
            return done if items and len(done) == len(items) else []

        referral_ids = await eventually(delivered_referrals, timeout=60)

        async def resident_told() -> bool:
            got = await http.get(
                platform.url("notifications") + "/v1/notifications",
                params={"referral_id": referral_ids[0]},
                headers=admin,
            )
            return any(
                d["audience"] == "resident" and d["state"] == "sent" for d in got.json()["items"]
            )

        await eventually(resident_told, timeout=60)
        assert any(m["To"] == EXAMPLE_INTAKE["contact"]["email"] for m in platform.mailbox.messages)

        # every poison record once on its topic's DLQ for each consumer of the topic
        expected = Counter({(k, c): 1 for k, t in sent.items() for c in CONSUMERS[t]})

        async def all_dead_lettered() -> Counter[tuple[bytes, str]]:
            got: Counter[tuple[bytes, str]] = Counter()
            for topic in CONSUMERS:
                for r in await dead_letters(servers, topic, since_ms):
                    if r.key in sent:
                        got[(r.key, dict(r.headers)["dlq_consumer"].decode())] += 1
            return got if got == expected else Counter()

        await eventually(all_dead_lettered, timeout=90)
        for topic in CONSUMERS:
            for r in await dead_letters(servers, topic, since_ms):
                if r.key in sent:
                    h = {k: v.decode() for k, v in r.headers}
                    assert h["dlq_reason"] and h["dlq_exception"] and h["dlq_attempts"]
                    assert h["dlq_source_topic"] == topic
                    assert "authorization" not in h  # credentials never reach a DLQ

        for name, proc in platform.processes.items():
            assert proc.poll() is None, f"{name} stopped"
            ready = await http.get(platform.url(name) + "/readyz")
            assert ready.status_code == 200, (name, ready.text)

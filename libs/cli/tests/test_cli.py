"""The operator CLI against the real broker: topics, tail, lag, DLQ inspect and replay."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from aiokafka.admin import NewTopic
from typer.testing import CliRunner

from rujukan_cli.main import app
from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import ReferralStatus, ReferralStatusChangedV1
from rujukan_platform.kafka import create_topics, make_consumer, make_producer
from rujukan_platform.testing import Servers, unique_topic

pytestmark = pytest.mark.integration


def event() -> ReferralStatusChangedV1:
    return ReferralStatusChangedV1(
        referral_id=uuid4(),
        intake_id=uuid4(),
        household_id=uuid4(),
        program_code="PKH",
        village_code="33.04.01.2001",
        from_status=None,
        to_status=ReferralStatus.created,
        changed_at=datetime.now(UTC),
    )


async def prepare(servers: Servers, topic: str) -> ReferralStatusChangedV1:
    await create_topics(
        servers.kafka_bootstrap, [NewTopic(topic, 2, 1), NewTopic(f"{topic}.dlq", 1, 1)]
    )
    producer = make_producer(servers.kafka_bootstrap, client_id="cli-test")
    await producer.start()
    good = event()
    meta = EventMeta(type=good.ce_type, source="/rujukan/test", subject=good.key())
    await producer.send_and_wait(
        topic, good.model_dump_json().encode(), key=good.key().encode(), headers=meta.to_headers()
    )
    dead_headers = [
        *meta.to_headers(),
        ("dlq_reason", b"invalid: referral_id"),
        ("dlq_source_topic", topic.encode()),
        ("dlq_consumer", b"test-consumer"),
        ("dlq_source_offset", b"7"),
    ]
    await producer.send_and_wait(
        f"{topic}.dlq",
        good.model_dump_json().encode(),
        key=good.key().encode(),
        headers=dead_headers,
    )
    await producer.stop()
    return good


async def commit_group(servers: Servers, topic: str, group: str) -> None:
    consumer = make_consumer(servers.kafka_bootstrap, group_id=group, client_id="cli-test")
    consumer.subscribe([topic])
    await consumer.start()
    for _ in range(50):
        batch = await consumer.getmany(timeout_ms=300)
        if batch:
            await consumer.commit()
            break
    await consumer.stop()


def test_topics_tail_lag_and_dlq_replay(servers: Servers) -> None:
    topic = unique_topic("status")
    group = f"cli-{uuid4().hex[:8]}"
    good = asyncio.run(prepare(servers, topic))
    env = {"RUJUKAN_KAFKA_BOOTSTRAP": servers.kafka_bootstrap}
    cli = CliRunner()

    listed = json.loads(cli.invoke(app, ["topics", "list", "--json"], env=env).stdout)
    mine = {t["topic"]: t for t in listed}
    assert mine[topic] == {"topic": topic, "partitions": 2, "messages": 1}

    tail = cli.invoke(
        app, ["topics", "tail", topic, "--from-beginning", "--limit", "1", "--json"], env=env
    )
    (record,) = [json.loads(line) for line in tail.stdout.splitlines()]
    assert record["type"] == ReferralStatusChangedV1.ce_type
    assert record["data"]["referral_id"] == str(good.referral_id)

    asyncio.run(commit_group(servers, topic, group))
    lag = json.loads(cli.invoke(app, ["lag", "--group", group, "--json"], env=env).stdout)
    assert sum(row["lag"] for row in lag) == 0 and {row["topic"] for row in lag} == {topic}

    inspected = json.loads(
        cli.invoke(app, ["dlq", "inspect", f"{topic}.dlq", "--json"], env=env).stdout
    )
    assert inspected[0]["dead_letter"]["reason"] == "invalid: referral_id"

    dry = json.loads(cli.invoke(app, ["dlq", "replay", f"{topic}.dlq", "--json"], env=env).stdout)
    assert dry["would_replay"] == 1 and dry["records"][0]["replay_to"] == topic
    assert mine[topic]["messages"] == 1  # nothing sent by the dry run
    done = json.loads(
        cli.invoke(app, ["dlq", "replay", f"{topic}.dlq", "--apply", "--json"], env=env).stdout
    )
    assert done["replayed"] == 1
    again = json.loads(
        cli.invoke(app, ["dlq", "replay", f"{topic}.dlq", "--apply", "--json"], env=env).stdout
    )
    assert again["replayed"] == 0  # replayed once only
    listed = json.loads(cli.invoke(app, ["topics", "list", "--json"], env=env).stdout)
    assert {t["topic"]: t["messages"] for t in listed}[topic] == 2
    tail = cli.invoke(app, ["topics", "tail", topic, "--from-beginning", "--json"], env=env)
    replayed = [json.loads(line) for line in tail.stdout.splitlines()][-1]
    assert "dead_letter" not in replayed  # the dlq_* headers were removed
    assert replayed["id"] == record["id"]  # same event id: consumers deduplicate it

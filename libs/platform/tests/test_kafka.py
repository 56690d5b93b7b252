"""Kafka clients and topics (``rujukan_platform.kafka``) against the real broker: topics made
from the catalogue with the cluster's replication, an honest account of what was created, and
clients that authenticate as the principal they are given and never commit on their own."""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError

from rujukan_contracts.topics import TOPICS, Topic
from rujukan_platform import kafka
from rujukan_platform.kafka import (
    create_topics,
    ensure_catalogue_topics,
    make_consumer,
    make_producer,
    principal_options,
    security_options,
    topic_specs,
)
from rujukan_platform.testing import Servers, unique_topic

pytestmark = pytest.mark.integration


@pytest.fixture
async def admin(servers: Servers) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap, **security_options())
    await client.start()
    yield client
    await client.close()


async def topic_config(admin: AIOKafkaAdminClient, topic: str) -> dict[str, str]:
    (response,) = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    (resource,) = response.resources
    return {entry[0]: entry[1] for entry in resource[4]}


async def test_missing_topics_are_created_once_as_asked_with_the_clusters_replication(
    servers: Servers, admin: AIOKafkaAdminClient
) -> None:
    compacted, plain = unique_topic("catalog"), unique_topic("events")
    specs = [
        NewTopic(compacted, 2, 3, topic_configs={"cleanup.policy": "compact"}),
        NewTopic(plain, 3, 1),
    ]
    assert sorted(await create_topics(servers.kafka_bootstrap, specs)) == sorted([compacted, plain])
    assert await create_topics(servers.kafka_bootstrap, specs) == []  # nothing left to create

    described = {t["topic"]: t for t in await admin.describe_topics([compacted, plain])}
    brokers = len((await admin.describe_cluster())["brokers"])
    replicas = min(3, brokers)  # 3 were asked for: the cluster decides
    assert len(described[compacted]["partitions"]) == 2
    assert len(described[plain]["partitions"]) == 3
    for t in described.values():
        assert all(len(p["replicas"]) == replicas for p in t["partitions"])
    config = await topic_config(admin, compacted)
    assert config["cleanup.policy"] == "compact"
    assert config["min.insync.replicas"] == ("2" if replicas == 3 else "1")


async def test_two_creators_at_once_create_a_topic_once(servers: Servers) -> None:
    topic = unique_topic("raced")
    first, second = await asyncio.gather(
        create_topics(servers.kafka_bootstrap, [NewTopic(topic, 1, 1)]),
        create_topics(servers.kafka_bootstrap, [NewTopic(topic, 1, 1)]),
    )
    assert sorted([first, second]) == [[], [topic]]  # one made it; the other was told so


async def test_a_topic_the_broker_refuses_is_not_reported_as_created(
    servers: Servers, admin: AIOKafkaAdminClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = structlog.testing.CapturingLogger()
    monkeypatch.setattr(kafka, "log", log)
    refused, fine = unique_topic("refused"), unique_topic("fine")
    specs = [
        NewTopic(refused, 1, 1, topic_configs={"cleanup.policy": "sometimes"}),
        NewTopic(fine, 1, 1),
    ]
    assert await create_topics(servers.kafka_bootstrap, specs) == [fine]
    assert refused not in await admin.list_topics()
    (call,) = log.calls
    assert (call.method_name, call.args) == ("warning", ("topics not created",))
    assert list(call.kwargs["refused"]) == [refused]
    assert call.kwargs["refused"][refused].startswith("InvalidConfigurationError: ")


def test_catalogue_specs_are_its_concrete_topics_and_their_dead_letter_topics() -> None:
    specs = {s.name: s for s in topic_specs()}
    for t in TOPICS.values():
        if t.is_template:
            assert not any("{" in name for name in specs)
            continue
        assert specs[t.topic].num_partitions == t.partitions
        assert specs[t.topic].topic_configs == t.config
        assert (t.dlq_name() in specs) == t.dlq
        if t.dlq:
            assert specs[t.dlq_name()].num_partitions == 1
    one = Topic(
        topic="x.events",
        description="x",
        key="id",
        partitions=4,
        producers=["a"],
        consumers=["b"],
        events=["x"],
        dlq=False,
    )
    assert [(s.name, s.num_partitions) for s in topic_specs([one])] == [("x.events", 4)]


async def test_the_platform_command_creates_every_catalogue_topic(
    servers: Servers, admin: AIOKafkaAdminClient
) -> None:
    await ensure_catalogue_topics(servers.kafka_bootstrap)  # others may have made some before
    existing = set(await admin.list_topics())
    assert {s.name for s in topic_specs()} <= existing
    assert await ensure_catalogue_topics(servers.kafka_bootstrap) == []


def test_a_principals_credentials_file_gives_its_client_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # this process is another principal, say the intake service
    monkeypatch.setenv("RUJUKAN_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("RUJUKAN_KAFKA_SASL_USERNAME", "intake")
    monkeypatch.setenv("RUJUKAN_KAFKA_SASL_PASSWORD", "intake-secret")
    env = tmp_path / "agency-pkh.env"
    env.write_text(
        "# written by rujukan kafka access apply\n"
        "RUJUKAN_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT\n"
        "RUJUKAN_KAFKA_SASL_MECHANISM=SCRAM-SHA-512\n"
        "RUJUKAN_KAFKA_SASL_USERNAME=agency-pkh\n"
        "RUJUKAN_KAFKA_SASL_PASSWORD=pa=ss\n"  # only the first '=' separates
        "RUJUKAN_PG_URL=postgresql://elsewhere\n"
    )
    assert principal_options(env) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "agency-pkh",
        "sasl_plain_password": "pa=ss",
    }
    # what the file leaves out is the default, never this process's own credentials
    (tmp_path / "plain.env").write_text("")
    assert principal_options(tmp_path / "plain.env") == {"security_protocol": "PLAINTEXT"}
    (tmp_path / "no-password.env").write_text(
        "RUJUKAN_KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT\nRUJUKAN_KAFKA_SASL_USERNAME=agency-pkh\n"
    )
    no_password = principal_options(tmp_path / "no-password.env")
    assert no_password["sasl_plain_username"] == "agency-pkh"
    assert no_password["sasl_plain_password"] is None


def test_tls_in_production_trusts_the_clusters_ca(tmp_path: Path) -> None:
    env = tmp_path / "intake.env"
    env.write_text(
        "RUJUKAN_KAFKA_SECURITY_PROTOCOL=SASL_SSL\n"
        "RUJUKAN_KAFKA_SASL_USERNAME=intake\n"
        "RUJUKAN_KAFKA_SASL_PASSWORD=p\n"
    )
    options = principal_options(env)
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED
    assert options["ssl_context"].check_hostname
    assert options["sasl_plain_username"] == "intake"
    env.write_text("RUJUKAN_KAFKA_SECURITY_PROTOCOL=SSL\n")
    assert set(principal_options(env)) == {"security_protocol", "ssl_context"}


async def test_a_client_with_a_principals_file_talks_as_that_principal(
    servers: Servers, tmp_path: Path
) -> None:
    """The process's own credentials written as a principal's file: accepted; the same file
    with another password: refused (on a broker that authenticates)."""
    own = {k: v for k, v in os.environ.items() if k.startswith("RUJUKAN_KAFKA_S")}
    env = tmp_path / "me.env"
    env.write_text("".join(f"{k}={v}\n" for k, v in own.items()))
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap, **principal_options(env))
    await admin.start()
    try:
        assert isinstance(await admin.list_topics(), list)
    finally:
        await admin.close()
    if own.get("RUJUKAN_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT") == "PLAINTEXT":
        return  # a broker with KAFKA_AUTH=none takes anyone
    env.write_text(
        "".join(f"{k}={'wrong' if k.endswith('PASSWORD') else v}\n" for k, v in own.items())
    )
    impostor = AIOKafkaAdminClient(
        bootstrap_servers=servers.kafka_bootstrap, **principal_options(env)
    )
    with pytest.raises(KafkaError):
        await impostor.start()
    await impostor.close()


async def test_a_consumer_never_commits_on_its_own(servers: Servers) -> None:
    """Read but not committed is read again by the group: at least once, never at most once."""
    topic = unique_topic("uncommitted")
    await create_topics(servers.kafka_bootstrap, [NewTopic(topic, 1, 1)])
    producer = make_producer(servers.kafka_bootstrap, client_id="test")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"one", key=b"k")
    finally:
        await producer.stop()

    async def read_once() -> list[Any]:
        consumer: AIOKafkaConsumer = make_consumer(
            servers.kafka_bootstrap, group_id=f"{topic}.group", client_id="test"
        )
        consumer.subscribe([topic])
        await consumer.start()
        try:
            for _ in range(100):
                batch = await consumer.getmany(timeout_ms=200)
                if batch:
                    await asyncio.sleep(0.3)  # longer than any auto-commit interval would be
                    return [r.value for records in batch.values() for r in records]
            return []
        finally:
            await consumer.stop()

    assert await read_once() == [b"one"]
    assert await read_once() == [b"one"]  # nothing was committed: the group reads it again

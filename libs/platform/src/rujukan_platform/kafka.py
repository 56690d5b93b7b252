"""Kafka clients with the settings the design requires, and topic creation from the catalogue.

The producer always runs with ``acks="all"`` and idempotence on (aiokafka defaults to neither);
consumers never auto-commit (aiokafka's default is at-most-once).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from aiokafka.helpers import create_ssl_context
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from rujukan_contracts.topics import TOPICS, Topic
from rujukan_platform.logging import get_logger

log = get_logger(__name__)


class KafkaSecurity(BaseSettings):
    """How every client authenticates: SASL/SCRAM-SHA-512 everywhere, with TLS in production.

    Locally (``make up``) ``SASL_PLAINTEXT`` with the process's own principal's credentials
    (``<name>.env`` from ``rujukan kafka access apply``); in production ``SASL_SSL``,
    ``RUJUKAN_KAFKA_SASL_USERNAME`` and ``_PASSWORD`` from the service's Strimzi KafkaUser
    secret, ``RUJUKAN_KAFKA_SSL_CAFILE`` for the cluster CA. Unset: PLAINTEXT (a broker with
    KAFKA_AUTH=none)."""

    model_config = SettingsConfigDict(env_prefix="RUJUKAN_KAFKA_", extra="ignore")

    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None


@cache
def security_options() -> dict[str, Any]:
    """Keyword arguments for every aiokafka client, from the environment (read once)."""
    return _options(KafkaSecurity())


def principal_options(env_file: str | Path) -> dict[str, Any]:
    """Keyword arguments for an aiokafka client acting as the principal whose credentials file
    is ``env_file`` (``<name>.env``, as ``rujukan kafka access apply`` writes them): a tool that
    writes as a program's agency, say, whatever this process's own environment says."""
    values: dict[str, str] = {}
    for line in Path(env_file).read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith("RUJUKAN_KAFKA_"):
            values[key.removeprefix("RUJUKAN_KAFKA_").lower()] = value
    # every field from the file or its default: never this process's own credentials
    defaults = {name: field.default for name, field in KafkaSecurity.model_fields.items()}
    return _options(KafkaSecurity.model_validate(defaults | values))


def _options(s: KafkaSecurity) -> dict[str, Any]:
    options: dict[str, Any] = {"security_protocol": s.security_protocol}
    if s.security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context(cafile=s.ssl_cafile)
    if s.security_protocol.startswith("SASL"):
        options["sasl_mechanism"] = s.sasl_mechanism
        options["sasl_plain_username"] = s.sasl_username
        options["sasl_plain_password"] = (
            s.sasl_password.get_secret_value() if s.sasl_password else None
        )
    return options


def make_producer(bootstrap: str, *, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
        compression_type=None,
        request_timeout_ms=30_000,
        **security_options(),
    )


def make_consumer(
    bootstrap: str,
    *,
    group_id: str,
    client_id: str,
    max_poll_records: int = 500,
    fetch_min_bytes: int = 1,
    fetch_max_wait_ms: int = 100,
    metadata_max_age_ms: int = 300_000,
) -> AIOKafkaConsumer:
    """A group consumer that never auto-commits. ``fetch_min_bytes``/``fetch_max_wait_ms``:
    let the broker gather a batch worth processing at low rates (a batch costs a transaction
    and a dozen round trips whatever its size), at the price of at most that wait."""
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_poll_records,
        max_poll_interval_ms=300_000,
        session_timeout_ms=30_000,
        heartbeat_interval_ms=3_000,
        fetch_min_bytes=fetch_min_bytes,
        fetch_max_wait_ms=fetch_max_wait_ms,
        metadata_max_age_ms=metadata_max_age_ms,
        **security_options(),
    )


def replication_for(brokers: int) -> tuple[int, dict[str, str]]:
    """Replicas of a topic on a cluster of ``brokers``, and the topic configs that go with them.

    Three replicas where there are three brokers, two of which must be in sync for a write
    (producers use acks=all): one broker can be lost without losing a write or refusing one.
    Fewer brokers (local development) get one replica per broker and no such demand."""
    factor = max(1, min(3, brokers))
    return factor, {"min.insync.replicas": "2" if factor == 3 else "1"}


def topic_specs(topics: Iterable[Topic] | None = None) -> list[NewTopic]:
    """Concrete topics (and their DLQs) of the catalogue; templates are created per program.

    Their replication factor (1 here) is replaced by ``create_topics`` with the one of the
    cluster it creates them on."""
    specs: list[NewTopic] = []
    for t in topics if topics is not None else TOPICS.values():
        if t.is_template:
            continue
        specs.append(NewTopic(t.topic, t.partitions, 1, topic_configs=dict(t.config)))
        if t.dlq:
            specs.append(NewTopic(t.dlq_name(), 1, 1))
    return specs


async def topic_partitions(bootstrap: str, topics: list[str] | None = None) -> dict[str, list[int]]:
    """Each existing topic's partition numbers, of ``topics`` or of every topic this principal
    may describe (``None``): one metadata request of aiokafka's public admin client."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security_options())
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return {
        t["topic"]: sorted(p["partition"] for p in t["partitions"])
        for t in described
        if t["error_code"] == 0 and t["partitions"]
    }


async def create_topics(bootstrap: str, specs: list[NewTopic]) -> list[str]:
    """Create the topics that do not exist yet; returns the names created.

    Every topic gets the replication the cluster can give (``replication_for`` the brokers the
    admin client sees), whatever factor and min.insync.replicas the spec asked for: the same
    specs serve a single development broker and a replicated cluster."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="rujukan-admin", **security_options()
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        brokers = len((await admin.describe_cluster())["brokers"])
        factor, configs = replication_for(brokers)
        missing = [
            NewTopic(s.name, s.num_partitions, factor, topic_configs={**s.topic_configs, **configs})
            for s in specs
            if s.name not in existing
        ]
        if not missing:
            return []
        return _created((await admin.create_topics(missing)).topic_errors)
    finally:
        await admin.close()


def _created(topic_errors: Iterable[tuple[Any, ...]]) -> list[str]:
    """The topics the broker created, from its answer to CreateTopics (aiokafka raises for none
    it refused). One that exists already is not ours (a concurrent creator won, which is all we
    need); any other refusal (a principal without the Create right, a config the broker refuses)
    is logged and the caller goes on, its topic not reported as created."""
    created: list[str] = []
    refused: dict[str, str] = {}
    for name, code, *message in topic_errors:
        if code == 0:
            created.append(name)
        elif (error := for_code(code)) is not TopicAlreadyExistsError:
            refused[name] = ": ".join([error.__name__, *(m for m in message if m)])
    if refused:
        log.warning("topics not created", refused=refused)
    return created


async def ensure_catalogue_topics(bootstrap: str) -> list[str]:
    created = await create_topics(bootstrap, topic_specs())
    if created:
        log.info("topics created", topics=created)
    return created

"""Kafka knows every client: `rujukan kafka access apply` puts the catalogue's principals into a
fresh SASL/SCRAM broker with the StandardAuthorizer (deploy/local/kafka.sh, KAFKA_AUTH=scram),
and real clients, each with its own principal's credentials, may do there exactly what the
rights table (rujukan_contracts.access) says: the matrix below is generated from it, for every
principal and every topic; the named cases are the refusals the platform relies on."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, TopicAuthorizationFailedError
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from rujukan_cli.kafka_access import read_password, seed_programs
from rujukan_contracts import access
from rujukan_contracts.envelope import envelope_headers
from rujukan_contracts.topics import PROGRAMS_CATALOG, agency_principal
from rujukan_platform.testing import free_port

# one broker for the module: its tests stay on one xdist worker
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("kafka-access")]

REPO = Path(__file__).resolve().parents[3]
KAFKA_SH = REPO / "deploy" / "local" / "kafka.sh"
SEEDS = REPO / "services" / "program-registry" / "seed" / "programs"
EXAMPLES = REPO / "contracts" / "src" / "rujukan_contracts" / "examples"
RUJUKAN = Path(sys.executable).with_name("rujukan")
CODES = seed_programs(SEEDS)
TABLE = {p.name: p for p in access.principals(CODES)}
TOPICS = sorted(
    {t.name for t in access.concrete_topics(CODES)}
    | {t.dlq for t in access.concrete_topics(CODES) if t.dlq}
)


def group_for(name: str) -> str:
    """A consumer group ``name`` may use: under its group prefix (an agency's: ``<name>.``)."""
    prefixes = [a.name for a in TABLE[name].acls if a.resource == "group"] if name in TABLE else []
    return (prefixes[0] if prefixes else f"{name}.") + uuid4().hex[:8]


@dataclass(frozen=True)
class Cluster:
    bootstrap: str
    admin_env: dict[str, str]
    credentials: Path  # where `apply` writes every principal's files

    def env(self) -> dict[str, str]:
        """The environment of a `rujukan` process run as this cluster's admin."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("RUJUKAN_KAFKA_")}
        return {**base, **self.admin_env, "RUJUKAN_KAFKA_BOOTSTRAP": self.bootstrap}

    def password(self, name: str) -> str:
        found = read_password(self.credentials, name)
        assert found, f"no credentials written for {name}"
        return found

    def rdkafka(self, name: str, password: str | None = None) -> dict[str, Any]:
        """A librdkafka client (kcat's library) as principal ``name``."""
        return {
            "bootstrap.servers": self.bootstrap,
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanisms": "SCRAM-SHA-512",
            "sasl.username": name,
            "sasl.password": password or self.password(name),
        }

    def aiokafka(self, name: str, password: str | None = None) -> dict[str, Any]:
        """An aiokafka client (the platform's) as principal ``name``."""
        return {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_plain_username": name,
            "sasl_plain_password": password or self.password(name),
        }

    def admin(self) -> dict[str, Any]:
        return self.rdkafka("admin", self.admin_env["RUJUKAN_KAFKA_SASL_PASSWORD"])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A fresh single SCRAM broker on free ports, stopped after the module."""
    state = tmp_path_factory.mktemp("kafka-scram")
    env = {
        **os.environ,
        "RUJUKAN_STATE_DIR": str(state),
        "KAFKA_PORT": str(free_port()),
        "KAFKA_CONTROLLER_PORT": str(free_port()),
        "KAFKA_AUTH": "scram",
        "BROKERS": "1",
        "KAFKA_HEAP": "384m",
    }
    try:  # a start that fails midway may have left a broker running: stop it all the same
        subprocess.run(["bash", str(KAFKA_SH), "start"], env=env, check=True)
        out = subprocess.run(
            ["bash", str(KAFKA_SH), "env"], env=env, check=True, capture_output=True, text=True
        ).stdout
        settings = dict(line.split("=", 1) for line in out.split())
        yield Cluster(
            bootstrap=settings.pop("RUJUKAN_KAFKA_BOOTSTRAP"),
            admin_env=settings,
            credentials=state / "access",
        )
    finally:
        subprocess.run(["bash", str(KAFKA_SH), "stop"], env=env, check=False)


def command(cluster: Cluster, verb: str, *extra: str) -> list[str]:
    """`rujukan kafka access VERB` on this cluster's credentials and the seed catalogue."""
    where = ["--credentials-dir", str(cluster.credentials), "--programs", str(SEEDS)]
    return [str(RUJUKAN), "kafka", "access", verb, *extra, *where]


def apply(cluster: Cluster) -> dict[str, Any]:
    done = subprocess.run(
        command(cluster, "apply", "--json"),
        env=cluster.env(),
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def applied(cluster: Cluster) -> dict[str, Any]:
    return apply(cluster)


# -- what a principal can do, asked of the broker with real clients ---------------------------


async def writable(cluster: Cluster, name: str, topics: list[str]) -> dict[str, bool]:
    """topic -> whether ``name``'s producer (aiokafka, as the services') got the write acked."""
    producer = AIOKafkaProducer(acks="all", request_timeout_ms=15_000, **cluster.aiokafka(name))
    out = {}
    try:
        await producer.start()
        for topic in topics:
            try:
                await producer.send_and_wait(topic, b'{"probe": true}', key=b"probe")
                out[topic] = True
            except TopicAuthorizationFailedError:
                out[topic] = False
    finally:
        await producer.stop()
    return out


async def may_write(cluster: Cluster, name: str, topic: str) -> bool:
    """Whether ``name`` can log in and write ``topic`` yet (False while either is refused)."""
    try:
        return (await writable(cluster, name, [topic]))[topic]
    except KafkaConnectionError:
        return False


def readable(cluster: Cluster, name: str, topics: list[str]) -> dict[str, bool]:
    """topic -> whether ``name``'s consumer (librdkafka, as kcat's) may fetch from it: the topic
    is in the metadata it may see (Describe) and a fetch from its start is not refused."""
    group = group_for(name)
    consumer = Consumer(
        {
            **cluster.rdkafka(name),
            "group.id": group,
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        visible = set(consumer.list_topics(timeout=15).topics)
        out = {t: False for t in topics}
        pending = [t for t in topics if t in visible]
        consumer.assign([TopicPartition(t, 0, OFFSET_BEGINNING) for t in pending])
        deadline = time.monotonic() + 30
        while pending and time.monotonic() < deadline:
            msg = consumer.poll(1)
            if msg is None or msg.topic() not in pending:
                continue
            error = msg.error()
            if error is None or error.code() == KafkaError._PARTITION_EOF:
                out[msg.topic()] = True
            elif error.code() != KafkaError.TOPIC_AUTHORIZATION_FAILED:
                continue  # weather: wait for the answer
            pending.remove(msg.topic())
        assert not pending, f"no answer for {pending}"
        return out
    finally:
        consumer.close()


def describe_error(cluster: Cluster, name: str, topic: str) -> str | None:
    """What the broker answers ``name`` asking for one topic's metadata (None: no error)."""
    consumer = Consumer({**cluster.rdkafka(name), "group.id": f"{name}.describe"})
    try:
        found = consumer.list_topics(topic=topic, timeout=15).topics[topic]
        return found.error.name() if found.error else None
    finally:
        consumer.close()


# -- the matrix: every principal x every topic x {read, write}, from the rights table ---------


@pytest.mark.parametrize("name", list(TABLE))
async def test_the_broker_grants_each_principal_exactly_its_rights(
    cluster: Cluster, applied: dict[str, Any], name: str
) -> None:
    principal = TABLE[name]
    expected_reads = {t: access.may(principal, "Read", "topic", t) for t in TOPICS}
    expected_writes = {t: access.may(principal, "Write", "topic", t) for t in TOPICS}
    assert any(expected_reads.values()) or any(expected_writes.values())

    reads = await asyncio.to_thread(readable, cluster, name, TOPICS)
    writes = await writable(cluster, name, TOPICS)

    assert {t for t, ok in reads.items() if ok} == {t for t, ok in expected_reads.items() if ok}
    assert {t for t, ok in writes.items() if ok} == {t for t, ok in expected_writes.items() if ok}


def test_apply_makes_every_principal_and_reports_it(applied: dict[str, Any]) -> None:
    assert applied["principals"] == list(TABLE)
    assert applied["programs"] == CODES
    assert sorted(applied["users_created"]) == sorted(TABLE)
    assert (
        applied["acls"]
        == applied["acls_added"]
        == len({(p.name, a, op) for p in TABLE.values() for a in p.acls for op in a.operations})
    )
    assert set(TOPICS) <= set(applied["topics_created"])


# -- the named cases --------------------------------------------------------------------------


async def test_an_agency_reads_its_referrals_and_writes_its_outcomes_as_itself(
    cluster: Cluster, applied: dict[str, Any]
) -> None:
    """The router's principal writes a referral to referrals.PKH; PKH's agency reads it and
    answers on referrals.PKH.outcomes; the router's principal reads the answer."""
    referral, outcome = uuid4().hex.encode(), uuid4().hex.encode()
    router = AIOKafkaProducer(acks="all", **cluster.aiokafka("referral-router"))
    await router.start()
    try:
        await router.send_and_wait("referrals.PKH", referral, key=b"r-1")
    finally:
        await router.stop()

    assert referral in await asyncio.to_thread(values, cluster, "agency-pkh", "referrals.PKH")
    agency = Producer(cluster.rdkafka("agency-pkh"))
    failures: list[Any] = []
    agency.produce(
        "referrals.PKH.outcomes",
        outcome,
        key=b"r-1",
        on_delivery=lambda err, _msg: failures.append(err) if err else None,
    )
    assert agency.flush(30) == 0
    assert failures == []
    assert outcome in await asyncio.to_thread(
        values, cluster, "referral-router", "referrals.PKH.outcomes"
    )


def values(cluster: Cluster, name: str, topic: str) -> list[bytes]:
    """Every record value of ``topic`` as principal ``name`` sees it, through its own group."""
    group = group_for(name)
    consumer = Consumer(
        {
            **cluster.rdkafka(name),
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.partition.eof": True,
        }
    )
    try:
        consumer.subscribe([topic])
        partitions = len(consumer.list_topics(topic=topic, timeout=15).topics[topic].partitions)
        out: list[bytes] = []
        ended: set[int] = set()
        deadline = time.monotonic() + 30
        while len(ended) < partitions and time.monotonic() < deadline:
            msg = consumer.poll(1)
            if msg is None:
                continue
            error = msg.error()
            if error is not None:
                assert error.code() == KafkaError._PARTITION_EOF, error
                ended.add(msg.partition() or 0)
                continue
            out.append(msg.value() or b"")
        consumer.commit(asynchronous=False)  # the group is its own: Read on the group allowed
        return out
    finally:
        consumer.close()


async def test_an_agency_is_refused_other_programs_and_the_platforms_topics(
    cluster: Cluster, applied: dict[str, Any]
) -> None:
    for topic in ("referrals.PIP", "intake.submitted", "referrals.status"):
        assert describe_error(cluster, "agency-pkh", topic) == "TOPIC_AUTHORIZATION_FAILED"
    reads = readable(cluster, "agency-pkh", ["referrals.PIP", "intake.submitted"])
    assert reads == {"referrals.PIP": False, "intake.submitted": False}
    # its own outcomes it may describe and write, but not read back
    assert readable(cluster, "agency-pkh", ["referrals.PKH.outcomes"]) == {
        "referrals.PKH.outcomes": False
    }
    # what the router refused of its outcomes it reads back (with the reasons); not PIP's
    assert readable(
        cluster, "agency-pkh", ["referrals.PKH.outcomes.dlq", "referrals.PIP.outcomes.dlq"]
    ) == {"referrals.PKH.outcomes.dlq": True, "referrals.PIP.outcomes.dlq": False}
    producer = AIOKafkaProducer(acks="all", **cluster.aiokafka("agency-pkh"))
    await producer.start()
    try:
        for topic in ("referrals.PIP.outcomes", "referrals.PKH", "referrals.status"):
            with pytest.raises(TopicAuthorizationFailedError):
                await producer.send_and_wait(topic, b"forged", key=b"r-1")
    finally:
        await producer.stop()


async def test_a_service_cannot_write_a_topic_it_does_not_produce(
    cluster: Cluster, applied: dict[str, Any]
) -> None:
    producer = AIOKafkaProducer(acks="all", **cluster.aiokafka("notifications"))
    await producer.start()
    try:
        for topic in ("intake.submitted", "referrals.status", "referrals.PKH.outcomes"):
            with pytest.raises(TopicAuthorizationFailedError):
                await producer.send_and_wait(topic, b"forged", key=b"k")
    finally:
        await producer.stop()


def test_a_group_outside_the_principals_prefix_is_refused(
    cluster: Cluster, applied: dict[str, Any]
) -> None:
    consumer = Consumer(
        {
            **cluster.rdkafka("agency-pkh"),
            "group.id": "router-outcomes",  # the router's group
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe(["referrals.PKH"])
        deadline = time.monotonic() + 30
        error = None
        while error is None and time.monotonic() < deadline:
            msg = consumer.poll(1)
            if msg is not None and msg.error() is not None:
                error = msg.error()
        assert error is not None and error.code() == KafkaError.GROUP_AUTHORIZATION_FAILED
    finally:
        consumer.close()


async def test_a_wrong_password_and_no_credentials_are_refused(
    cluster: Cluster, applied: dict[str, Any]
) -> None:
    for options in (
        cluster.aiokafka("agency-pkh", password="not-its-password"),
        cluster.aiokafka("nobody", password="whatever"),
        {"bootstrap_servers": cluster.bootstrap},  # PLAINTEXT: no credentials at all
    ):
        producer = AIOKafkaProducer(request_timeout_ms=5_000, **options)
        try:
            with pytest.raises(KafkaConnectionError):
                await producer.start()
        finally:
            await producer.stop()


# -- applying again ---------------------------------------------------------------------------


async def test_apply_again_changes_nothing_keeps_passwords_and_drops_stray_acls(
    cluster: Cluster, applied: dict[str, Any]
) -> None:
    before = {name: cluster.password(name) for name in TABLE}
    again = apply(cluster)
    assert (again["acls_added"], again["acls_removed"]) == (0, 0)
    assert again["users_created"] == again["topics_created"] == []
    assert {name: cluster.password(name) for name in TABLE} == before
    for name in TABLE:
        for suffix in (".env", ".properties"):
            assert (cluster.credentials / f"{name}{suffix}").stat().st_mode & 0o777 == 0o600

    # an ACL the table does not grant (given by hand) is taken away by the next apply
    stray = AclBinding(
        ResourceType.TOPIC,
        "intake.submitted",
        ResourcePatternType.LITERAL,
        "User:agency-pkh",
        "*",
        AclOperation.WRITE,
        AclPermissionType.ALLOW,
    )
    admin = AdminClient(cluster.admin())
    for created in admin.create_acls([stray]).values():
        created.result(30)
    assert (await writable(cluster, "agency-pkh", ["intake.submitted"]))["intake.submitted"]
    fixed = apply(cluster)
    assert (fixed["acls_added"], fixed["acls_removed"]) == (0, 1)
    assert not (await writable(cluster, "agency-pkh", ["intake.submitted"]))["intake.submitted"]


async def test_watch_gives_a_program_published_later_its_topics_and_agency(
    cluster: Cluster, applied: dict[str, Any]
) -> None:
    code = "ZZ" + uuid4().hex[:6].upper()
    watcher = subprocess.Popen(
        command(cluster, "watch"),
        env=cluster.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        program = json.loads((EXAMPLES / "programs.catalog.json").read_text())
        program["code"] = code
        headers = envelope_headers(
            id=str(uuid4()),
            source="/rujukan/program-registry",
            type="rujukan.program.published.v1",
            time=datetime.now(UTC),
            subject=code.encode(),
            traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01",
        )
        registry = AIOKafkaProducer(acks="all", **cluster.aiokafka("program-registry"))
        await registry.start()
        try:
            await registry.send_and_wait(
                PROGRAMS_CATALOG, json.dumps(program).encode(), key=code.encode(), headers=headers
            )
        finally:
            await registry.stop()

        agency = agency_principal(code)
        deadline = time.monotonic() + 90
        while read_password(cluster.credentials, agency) is None:
            assert watcher.poll() is None, watcher.stderr.read() if watcher.stderr else ""
            assert time.monotonic() < deadline, "the watcher did not make the new agency"
            await asyncio.sleep(0.5)
        topics = [f"referrals.{code}", f"referrals.{code}.outcomes"]
        while not await may_write(cluster, agency, topics[1]):  # its ACLs follow its file
            assert time.monotonic() < deadline, "the new agency cannot write its outcomes"
            await asyncio.sleep(0.5)
        assert (await writable(cluster, "referral-router", topics[:1])) == {topics[0]: True}
        assert readable(cluster, agency, topics) == {topics[0]: True, topics[1]: False}
        assert (await writable(cluster, agency, topics)) == {topics[0]: False, topics[1]: True}
    finally:
        watcher.send_signal(signal.SIGTERM)
        assert watcher.wait(timeout=60) == 0

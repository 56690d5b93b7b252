"""``rujukan dlq inspect|replay`` against the real broker: dead letters as the consumer runner
writes them go back to their source topic once, without dlq_* headers or credentials, a filtered
replay leaves the others replayable, and mistakes end in one line, not a traceback."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from typer.testing import CliRunner, Result

from rujukan_cli.dlq import DlqFilter, ReplayState, group_for, replay_headers
from rujukan_cli.main import app
from rujukan_contracts.envelope import EventMeta
from rujukan_platform.kafka import create_topics, make_producer, security_options
from rujukan_platform.testing import Servers, free_port, unique_topic

Headers = list[tuple[str, bytes]]


def dead_letter_headers(
    original: Headers,
    *,
    reason: str,
    consumer: str,
    offset: int,
    exception: str,
    reason_id: str | None = None,
) -> Headers:
    """The headers the consumer runner adds when it gives up on a record (``reason_id``:
    none on a record dead-lettered before the runner wrote it)."""
    said = [("dlq_reason_id", reason_id.encode())] if reason_id is not None else []
    return [
        *original,
        ("dlq_reason", reason.encode()),
        *said,
        ("dlq_exception", exception.encode()),
        ("dlq_consumer", consumer.encode()),
        ("dlq_source_topic", b"SOURCE"),
        ("dlq_source_partition", b"1"),
        ("dlq_source_offset", str(offset).encode()),
        ("dlq_first_failed_at", b"2026-12-03T08:00:00.123456+00:00"),
        ("dlq_last_failed_at", b"2026-12-03T08:00:04.5+00:00"),
        ("dlq_attempts", b"3"),
    ]


def original_headers(*, credentials: Headers | None = None) -> Headers:
    meta = EventMeta(type="rujukan.referral.outcome.v1", source="/agency/test", subject="s")
    return [*meta.to_headers(), *(credentials or [])]


async def prepare(servers: Servers, letters: list[tuple[bytes, Headers]]) -> str:
    """A source topic and its DLQ holding ``letters`` (value, headers), keys ``k<i>``."""
    topic = unique_topic("outcomes")
    await create_topics(
        servers.kafka_bootstrap, [NewTopic(topic, 2, 1), NewTopic(f"{topic}.dlq", 1, 1)]
    )
    producer = make_producer(servers.kafka_bootstrap, client_id="dlq-test")
    await producer.start()
    for i, (value, headers) in enumerate(letters):
        named = [(k, topic.encode() if v == b"SOURCE" else v) for k, v in headers]
        await producer.send_and_wait(f"{topic}.dlq", value, key=f"k{i}".encode(), headers=named)
    await producer.stop()
    return topic


async def partitions_of(servers: Servers, topic: str) -> set[int]:
    """The topic's partitions, waiting out a leader the broker has not elected yet.

    Right after a topic is created (by a replay's first send) its metadata can list
    no partitions for a moment; reading then would find nothing and prove nothing.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap, **security_options())
    await admin.start()
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            [described] = await admin.describe_topics([topic])
            parts = described["partitions"] if described["error_code"] == 0 else []
            if parts and all(p["leader"] >= 0 for p in parts):
                return {p["partition"] for p in parts}
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{topic} has no partitions with a leader after 30 s")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def records(servers: Servers, topic: str) -> list[Any]:
    """Every record of ``topic`` now, by key."""
    # "earliest" from the start: a seek_to_beginning after assign() races the fetcher's
    # own reset to the default "latest", and then a full topic reads as empty.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers.kafka_bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        **security_options(),
    )
    await consumer.start()
    try:
        parts = await partitions_of(servers, topic)
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        found: list[Any] = []
        while any([await consumer.position(tp) < ends[tp] for tp in tps]):
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(batch)
        return sorted(found, key=lambda r: r.key)
    finally:
        await consumer.stop()


async def committed(servers: Servers, topic: str) -> tuple[int, str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap, **security_options())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group_for(f"{topic}.dlq"))
    finally:
        await admin.close()
    meta = offsets[TopicPartition(f"{topic}.dlq", 0)]
    return meta.offset, meta.metadata


def cli(servers: Servers, *args: str) -> Result:
    return CliRunner().invoke(
        app, list(args), env={"RUJUKAN_KAFKA_BOOTSTRAP": servers.kafka_bootstrap}
    )


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.integration
def test_replay_puts_two_dead_letters_back_once_without_dlq_headers_or_credentials(
    servers: Servers,
) -> None:
    plain = original_headers()
    agency = [*plain, ("Authorization", b"Bearer agency-token")]
    topic = asyncio.run(
        prepare(
            servers,
            [
                (
                    b'{"note": "a\\u0000"}',
                    dead_letter_headers(
                        agency,
                        reason="invalid: note: NUL",
                        consumer="router",
                        offset=41,
                        exception="ValidationError",
                        reason_id="tidak sah: note: NUL",
                    ),
                ),
                (
                    b"not json",
                    dead_letter_headers(
                        plain,
                        reason="not JSON",
                        consumer="router",
                        offset=42,
                        exception="InvalidMessage",
                    ),
                ),
            ],
        )
    )
    dlq = f"{topic}.dlq"

    listed = as_json(cli(servers, "dlq", "inspect", dlq, "--json"))
    assert [r["replayed"] for r in listed] == [False, False]
    assert listed[0]["dead_letter"] == {
        "reason": "invalid: note: NUL",
        "reason_id": "tidak sah: note: NUL",
        "exception": "ValidationError",
        "consumer": "router",
        "source_topic": topic,
        "source_partition": "1",
        "source_offset": "41",
        "first_failed_at": "2026-12-03T08:00:00.123456+00:00",
        "last_failed_at": "2026-12-03T08:00:04.5+00:00",
        "attempts": "3",
    }
    shown = cli(servers, "dlq", "inspect", dlq)
    assert shown.exit_code == 0, shown.output
    assert "exception    ValidationError" in shown.stdout
    # the Indonesian reason first, the English after it; the English alone where none was written
    said = shown.stdout.index("alasan       tidak sah: note: NUL")
    assert said < shown.stdout.index("reason       invalid: note: NUL")
    assert "alasan       not JSON" in shown.stdout
    assert f"source       {topic}:1@41" in shown.stdout
    assert "first failed 2026-12-03 08:00:00 UTC" in shown.stdout
    assert "last failed  2026-12-03 08:00:04 UTC" in shown.stdout
    assert "attempts     3" in shown.stdout
    assert "agency-token" not in shown.stdout

    dry = as_json(cli(servers, "dlq", "replay", dlq, "--json"))
    assert dry["would_replay"] == 2 and {r["replay_to"] for r in dry["records"]} == {topic}
    assert asyncio.run(records(servers, topic)) == []  # a dry run sends nothing

    done = as_json(cli(servers, "dlq", "replay", dlq, "--apply", "--json"))
    assert done["replayed"] == 2 and done["credentials_removed"] == 1
    first, second = asyncio.run(records(servers, topic))
    assert (first.key, first.value) == (b"k0", b'{"note": "a\\u0000"}')
    assert list(first.headers) == plain  # no dlq_* header, no credentials, the rest as they were
    assert (second.key, second.value, list(second.headers)) == (b"k1", b"not json", plain)

    again = as_json(cli(servers, "dlq", "replay", dlq, "--apply", "--json"))
    assert again["replayed"] == 0 and again["already_replayed"] == 2
    assert len(asyncio.run(records(servers, topic))) == 2
    assert [r["replayed"] for r in as_json(cli(servers, "dlq", "inspect", dlq, "--json"))] == [
        True,
        True,
    ]


@pytest.mark.integration
def test_a_filtered_replay_leaves_the_others_replayable(servers: Servers) -> None:
    letters = [
        (
            f"v{i}".encode(),
            dead_letter_headers(
                original_headers(),
                reason=["DataError: NUL in e-mail", "handler bug"][i % 2],
                consumer=["notifications-contacts", "registry-intake-facts"][i % 2],
                offset=i,
                exception="DataError",
            ),
        )
        for i in range(6)
    ]
    topic = asyncio.run(prepare(servers, letters))
    dlq = f"{topic}.dlq"

    fixed = as_json(cli(servers, "dlq", "replay", dlq, "--reason", "nul", "--apply", "--json"))
    assert [r["offset"] for r in fixed["records"]] == [0, 2, 4] and fixed["not_matching"] == 3
    assert asyncio.run(committed(servers, topic)) == (1, "v1:2,4")  # 0 done; 2 and 4 beyond 1
    inspected = as_json(cli(servers, "dlq", "inspect", dlq, "--json"))
    assert [r["replayed"] for r in inspected] == [True, False] * 3

    narrow = as_json(
        cli(
            servers,
            "dlq",
            "replay",
            dlq,
            "--consumer",
            "registry-intake-facts",
            "--from-offset",
            "2",
            "--to-offset",
            "3",
            "--json",
        )
    )
    assert [r["offset"] for r in narrow["records"]] == [3]  # a dry run
    one = as_json(cli(servers, "dlq", "replay", dlq, "--apply", "--limit", "1", "--json"))
    assert [r["offset"] for r in one["records"]] == [1] and one["limit_reached"]
    assert asyncio.run(committed(servers, topic)) == (3, "v1:4")
    rest = as_json(cli(servers, "dlq", "replay", dlq, "--apply", "--json"))
    assert [r["offset"] for r in rest["records"]] == [3, 5] and rest["already_replayed"] == 4
    assert asyncio.run(committed(servers, topic)) == (6, "v1:")
    assert as_json(cli(servers, "dlq", "replay", dlq, "--apply", "--json"))["replayed"] == 0
    assert sorted(r.value for r in asyncio.run(records(servers, topic))) == [
        f"v{i}".encode() for i in range(6)
    ]  # each exactly once


@pytest.mark.integration
def test_mistakes_are_one_line_and_an_exit_code(servers: Servers) -> None:
    missing = cli(servers, "dlq", "replay", "no-such-topic.dlq")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    assert cli(servers, "dlq", "inspect", "no-such-topic.dlq").exit_code == 2
    topic = asyncio.run(prepare(servers, []))
    wrong = cli(servers, "dlq", "replay", topic, "--apply")
    assert wrong.exit_code == 2 and "is not a dead-letter topic" in wrong.stderr
    for result in (missing, wrong):
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output
    nobody = CliRunner().invoke(
        app,
        ["dlq", "inspect", "x.dlq"],
        env={"RUJUKAN_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}"},
    )
    assert nobody.exit_code == 1 and "broker 127.0.0.1:" in nobody.stderr


# --- pure logic ----------------------------------------------------------------------------


def test_replay_headers_drop_every_dlq_header_and_credentials() -> None:
    headers = [
        ("ce_id", b"1"),
        ("dlq_reason", b"x"),
        ("dlq_something_new", b"y"),
        ("DLQ_Attempts", b"3"),
        ("authorization", b"Bearer t"),
        ("X-Api-Key", b"k"),
        ("traceparent", b"00-..."),
    ]
    assert replay_headers(headers) == ([("ce_id", b"1"), ("traceparent", b"00-...")], True)
    assert replay_headers([("ce_id", b"1")]) == ([("ce_id", b"1")], False)


def test_replay_state_remembers_replayed_offsets_as_ranges() -> None:
    state = ReplayState()
    for offset in (0, 1, 3, 4, 5, 9):
        state = state.with_offset(offset)
    assert (state.low, state.metadata()) == (2, "v1:3-5,9")
    again = ReplayState.from_commit(2, "v1:3-5,9")
    assert [again.replayed(o) for o in range(11)] == [
        True,
        True,
        False,
        True,
        True,
        True,
        False,
        False,
        False,
        True,
        False,
    ]
    assert again.with_offset(2).low == 6
    assert ReplayState.from_commit(None, None) == ReplayState()
    assert ReplayState.from_commit(7, "").low == 7  # committed before metadata was kept
    scattered = ReplayState()
    for offset in range(1, 2_000, 2):
        scattered = scattered.with_offset(offset)
    assert not scattered.fits()  # Kafka would refuse that much commit metadata


def test_filter_conditions_all_hold() -> None:
    info = {"offset": 5, "dead_letter": {"reason": "DataError: NUL", "consumer": "c1"}}
    assert DlqFilter().matches(info)
    assert DlqFilter(reason="nul", consumer="c1", from_offset=5, to_offset=5).matches(info)
    assert not DlqFilter(reason="json").matches(info)
    said = {"offset": 5, "dead_letter": {"reason": "invalid: x", "reason_id": "x tidak sah"}}
    assert DlqFilter(reason="TIDAK SAH").matches(said) and DlqFilter(reason="invalid").matches(said)
    assert not DlqFilter(reason="bukan").matches(said)
    assert not DlqFilter(consumer="c2").matches(info)
    assert not DlqFilter(from_offset=6).matches(info)
    assert not DlqFilter(to_offset=4).matches(info)

"""A fresh process rebuilds a compacted topic's whole state from the topic alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
import structlog
from aiokafka.admin import NewTopic

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import Event, LocalizedText, ProgramPublishedV1, SlaDays
from rujukan_platform import view as view_module
from rujukan_platform.kafka import create_topics, make_producer
from rujukan_platform.testing import Servers, unique_topic
from rujukan_platform.view import CompactedTopicView

pytestmark = pytest.mark.integration


def program(code: str, version: int) -> ProgramPublishedV1:
    return ProgramPublishedV1(
        code=code,
        version=version,
        effective_from=date(2024, 1, version),
        status="active",
        name=LocalizedText(id=code, en=code),
        owner_agency="Kemensos",
        level="national",
        sla_days=SlaDays(receive=1, decide=1, serve=1),
        rule={"kind": "criterion", "name": "yes", "label": "yes", "cel": "true"},
        published_at=datetime.now(UTC),
    )


async def test_a_fresh_view_rebuilds_the_latest_state_of_every_key(servers: Servers) -> None:
    topic = unique_topic("programs.catalog")
    await create_topics(
        servers.kafka_bootstrap,
        [NewTopic(topic, 1, 1, topic_configs={"cleanup.policy": "compact"})],
    )
    producer = make_producer(servers.kafka_bootstrap, client_id="test")
    await producer.start()
    try:
        for code, version in [("AA", 1), ("BB", 1), ("AA", 2), ("CC", 1), ("BB", 2), ("AA", 3)]:
            event = program(code, version)
            meta = EventMeta(type=event.ce_type, source="/rujukan/program-registry", subject=code)
            await producer.send_and_wait(
                topic,
                event.model_dump_json().encode(),
                key=code.encode(),
                headers=meta.to_headers(),
            )
        await producer.send_and_wait(topic, None, key=b"CC")  # tombstone: CC was removed
    finally:
        await producer.stop()

    state: dict[str, int] = {}

    async def apply(key: str, event: Event | None) -> None:
        if event is None:
            state.pop(key, None)
        else:
            assert isinstance(event, ProgramPublishedV1)
            state[key] = event.version

    view = CompactedTopicView(
        bootstrap=servers.kafka_bootstrap, topic=topic, apply=apply, client_id="test-view"
    )
    stop = asyncio.Event()
    task = asyncio.create_task(view.run(stop))
    try:
        await asyncio.wait_for(view.ready.wait(), timeout=20)
        assert state == {"AA": 3, "BB": 2}  # ready means caught up: nothing half-loaded
    finally:
        stop.set()
        await task


async def test_records_the_view_cannot_read_or_hold_are_skipped_and_the_rest_is_loaded(
    servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record without a key, without CloudEvents headers, of an unknown type or with invalid
    data, and an entry the service refuses (a rule that no longer compiles): each is logged and
    skipped; the view still becomes ready with every other entry."""
    log = structlog.testing.CapturingLogger()
    monkeypatch.setattr(view_module, "log", log)
    topic = unique_topic("programs.catalog")
    # not compacted: a compacted topic refuses the record without a key
    await create_topics(servers.kafka_bootstrap, [NewTopic(topic, 2, 1)])
    good, refused = program("AA", 1), program("BB", 1)
    headers = EventMeta(type=good.ce_type, source="/test", subject="AA").to_headers()
    unknown = EventMeta(type="rujukan.unknown.v9", source="/test", subject="CC").to_headers()
    producer = make_producer(servers.kafka_bootstrap, client_id="test")
    await producer.start()
    try:
        await producer.send_and_wait(topic, good.model_dump_json().encode(), headers=headers)
        await producer.send_and_wait(topic, good.model_dump_json().encode(), key=b"NOHEADERS")
        await producer.send_and_wait(topic, b"{}", key=b"CC", headers=unknown)
        await producer.send_and_wait(topic, b'{"code": 1}', key=b"DD", headers=headers)
        await producer.send_and_wait(
            topic, refused.model_dump_json().encode(), key=b"BB", headers=headers
        )
        await producer.send_and_wait(
            topic, good.model_dump_json().encode(), key=b"AA", headers=headers
        )
    finally:
        await producer.stop()

    state: dict[str, int] = {}

    async def apply(key: str, event: Event | None) -> None:
        assert isinstance(event, ProgramPublishedV1)
        if key == "BB":
            raise ValueError("rule does not compile")
        state[key] = event.version

    view = CompactedTopicView(
        bootstrap=servers.kafka_bootstrap, topic=topic, apply=apply, client_id="test-view"
    )
    stop = asyncio.Event()
    task = asyncio.create_task(view.run(stop))
    try:
        await asyncio.wait_for(view.ready.wait(), timeout=20)
        assert state == {"AA": 1}
    finally:
        stop.set()
        await task
    events = [c.args[0] for c in log.calls]
    assert events.count("view record skipped") == 3  # no headers, unknown type, invalid data
    reasons = [c.kwargs["reason"] for c in log.calls if c.args[0] == "view record skipped"]
    assert any("unknown event type 'rujukan.unknown.v9'" in r for r in reasons)
    (not_applied,) = [c for c in log.calls if c.args[0] == "view record not applied"]
    assert not_applied.kwargs["key"] == "BB"
    assert not_applied.kwargs["error"] == "ValueError: rule does not compile"


async def test_weather_while_applying_stops_the_run_so_it_starts_again_from_the_beginning(
    servers: Servers,
) -> None:
    topic = unique_topic("programs.catalog")
    await create_topics(servers.kafka_bootstrap, [NewTopic(topic, 1, 1)])
    event = program("AA", 1)
    producer = make_producer(servers.kafka_bootstrap, client_id="test")
    await producer.start()
    try:
        meta = EventMeta(type=event.ce_type, source="/test", subject="AA")
        await producer.send_and_wait(
            topic, event.model_dump_json().encode(), key=b"AA", headers=meta.to_headers()
        )
    finally:
        await producer.stop()

    async def apply(key: str, event: Event | None) -> None:
        raise ConnectionRefusedError("the database is away")

    view = CompactedTopicView(
        bootstrap=servers.kafka_bootstrap, topic=topic, apply=apply, client_id="test-view"
    )
    with pytest.raises(ConnectionRefusedError):
        await asyncio.wait_for(view.run(asyncio.Event()), timeout=20)
    assert not view.ready.is_set()


async def test_a_view_waits_for_its_topic_to_appear(servers: Servers) -> None:
    topic = unique_topic("programs.catalog")
    seen: list[str] = []

    async def apply(key: str, event: Event | None) -> None:
        seen.append(key)

    view = CompactedTopicView(
        bootstrap=servers.kafka_bootstrap, topic=topic, apply=apply, client_id="test-view"
    )
    stop = asyncio.Event()
    task = asyncio.create_task(view.run(stop))
    try:
        await asyncio.sleep(1.0)
        assert not view.ready.is_set() and not task.done()  # no topic yet: not ready, waiting
        await create_topics(servers.kafka_bootstrap, [NewTopic(topic, 1, 1)])
        await asyncio.wait_for(view.ready.wait(), timeout=20)
        assert seen == []
    finally:
        stop.set()
        await task

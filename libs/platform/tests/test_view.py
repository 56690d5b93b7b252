"""A fresh process rebuilds a compacted topic's whole state from the topic alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from aiokafka.admin import NewTopic

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import Event, LocalizedText, ProgramPublishedV1, SlaDays
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

"""A local view of a compacted topic, rebuilt from its beginning at every start.

Used for the router's catalogue: each process (every replica) reads *all* partitions without a
consumer group, so every replica holds the whole view. ``ready`` is set once the view has caught
up with the end offsets seen at start; consumers that decide with the view wait for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from rujukan_contracts.envelope import EnvelopeError, read_cloudevent
from rujukan_contracts.events import Event, event_model
from rujukan_platform.failures import describe, is_transient
from rujukan_platform.heap import tune_collector
from rujukan_platform.kafka import security_options, topic_partitions
from rujukan_platform.logging import get_logger

log = get_logger(__name__)

Apply = Callable[[str, Event | None], Awaitable[None]]


class CompactedTopicView:
    def __init__(self, *, bootstrap: str, topic: str, apply: Apply, client_id: str) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._apply = apply
        self._client_id = client_id
        self.ready = asyncio.Event()

    def _new_consumer(self) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            group_id=None,
            client_id=self._client_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # a fetch returns as soon as a record is there; an empty one is held this long
            # (at 100 ms every view of every process fetched ten times a second for nothing)
            fetch_max_wait_ms=500,
            **security_options(),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Read the topic from its beginning; a run that fails (the broker away) is started
        again from the beginning by the runtime, with a new client."""
        self._consumer = self._new_consumer()
        await self._consumer.start()
        try:
            partitions = (await topic_partitions(self._bootstrap, [self._topic])).get(self._topic)
            while not partitions:  # the topic is not made yet: wait for it
                await asyncio.sleep(0.5)
                found = await topic_partitions(self._bootstrap, [self._topic])
                partitions = found.get(self._topic)
            tps = [TopicPartition(self._topic, p) for p in partitions]
            self._consumer.assign(tps)
            await self._consumer.seek_to_beginning(*tps)
            end = await self._consumer.end_offsets(tps)
            applied = 0
            while not stop.is_set():
                if not self.ready.is_set() and all(
                    await asyncio.gather(*(self._caught_up(tp, end[tp]) for tp in tps))
                ):
                    self.ready.set()
                    tune_collector()  # the view is loaded: it lives as long as the process
                    log.info("view ready", topic=self._topic, records=applied)
                batch = await self._consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        await self._apply_record(record.key, record.value, record.headers)
                        applied += 1
        finally:
            await self._consumer.stop()

    async def _caught_up(self, tp: TopicPartition, end: int) -> bool:
        position: int = await self._consumer.position(tp)
        return position >= end

    async def _apply_record(self, key: bytes | None, value: bytes | None, headers: object) -> None:
        if key is None:
            return
        if value is None:  # tombstone: the entry was deleted
            await self._apply(key.decode(), None)
            return
        try:
            cloudevent = read_cloudevent(list(headers or ()), value)  # type: ignore[call-overload]
            model = event_model(cloudevent.meta.type)
            if model is None:
                raise EnvelopeError(f"unknown event type {cloudevent.meta.type!r}")
            event = model.model_validate_json(cloudevent.data)
        except (EnvelopeError, ValueError) as exc:
            log.error("view record skipped", topic=self._topic, reason=str(exc)[:300])
            return
        try:
            await self._apply(key.decode(), event)
        except Exception as exc:
            if is_transient(exc):
                raise  # the run starts again from the beginning when the weather has passed
            # an entry the view cannot hold (a rule that no longer compiles, ...) must not stop
            # the process: the rest of the view is still right
            log.error(
                "view record not applied", topic=self._topic, key=key.decode(), error=describe(exc)
            )

"""Broker-side operations for the CLI: topics, tailing with decoding, lag (DLQs: ``dlq``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord

from rujukan_cli.failures import UnknownTopic
from rujukan_contracts.envelope import EnvelopeError, read_cloudevent
from rujukan_platform.kafka import security_options, topic_partitions


def decode(record: ConsumerRecord[bytes, bytes]) -> dict[str, Any]:
    """A record as an operator wants to read it: envelope, key, data (or why it is unreadable)."""
    headers = {k: v.decode("utf-8", "replace") for k, v in record.headers or ()}
    out: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": record.key.decode("utf-8", "replace") if record.key else None,
    }
    value = record.value
    try:
        cloudevent = read_cloudevent(list(record.headers or ()), record.value)
        meta = cloudevent.meta
        out.update(
            type=meta.type, id=headers.get("ce_id", str(meta.id)), subject=meta.subject,
            time=meta.time.isoformat(),
        )  # fmt: skip
        value = cloudevent.data if record.value is not None else None
    except EnvelopeError as exc:
        out["envelope_error"] = str(exc)
    try:
        out["data"] = orjson.loads(value) if value else None
    except orjson.JSONDecodeError:
        out["data"] = (value or b"").decode("utf-8", "replace")
    dlq = {k.removeprefix("dlq_"): v for k, v in headers.items() if k.startswith("dlq_")}
    if dlq:
        out["dead_letter"] = dlq
    return out


async def hand_over(
    batches: AsyncIterator[list[ConsumerRecord[bytes, bytes]]],
    on_record: Callable[[dict[str, Any]], None],
    limit: int | None,
    read: Callable[[ConsumerRecord[bytes, bytes]], dict[str, Any] | None] = decode,
) -> int:
    """Hand each record of ``batches``, as ``read`` makes it (None: passed over), to
    ``on_record`` until ``limit``; how many were handed over."""
    handed = 0
    if limit is not None and limit < 1:
        return handed
    async for records in batches:
        for record in records:
            info = read(record)
            if info is None:
                continue
            on_record(info)
            handed += 1
            if handed == limit:
                return handed
    return handed


async def partitions(bootstrap: str, topic: str) -> list[TopicPartition]:
    numbers = (await topic_partitions(bootstrap, [topic])).get(topic)
    if not numbers:
        raise UnknownTopic(topic)
    return [TopicPartition(topic, p) for p in numbers]


async def list_topics(bootstrap: str) -> list[dict[str, Any]]:
    found = await topic_partitions(bootstrap)
    names = sorted(t for t in found if not t.startswith("__"))
    tps = [TopicPartition(t, p) for t in names for p in found[t]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, **security_options())
    await consumer.start()
    try:
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)  # one request for every partition
        starts = await consumer.beginning_offsets(tps)
        out = []
        for topic in names:
            mine = [tp for tp in tps if tp.topic == topic]
            out.append(
                {
                    "topic": topic,
                    "partitions": len(mine),
                    "messages": sum(ends[tp] - starts[tp] for tp in mine),
                }
            )
        return out
    finally:
        await consumer.stop()


async def read(
    bootstrap: str,
    topic: str,
    *,
    from_beginning: bool,
    limit: int | None,
    on_record: Callable[[dict[str, Any]], None],
    idle_seconds: float = 2.0,
    follow: bool = False,
) -> int:
    """Decode records of ``topic``; stops after ``limit``, or when idle unless ``follow``."""
    tps = await partitions(bootstrap, topic)  # before the consumer: an unknown topic leaks none
    # The start is the reset policy, not a seek after assign(): a seek races the fetcher's own
    # reset, and the loser's position wins (a full topic then reads as empty).
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        **security_options(),
    )
    await consumer.start()
    try:
        consumer.assign(tps)
        return await hand_over(_until_idle(consumer, idle_seconds, follow), on_record, limit)
    finally:
        await consumer.stop()


async def _until_idle(
    consumer: AIOKafkaConsumer, idle_seconds: float, follow: bool
) -> AsyncIterator[list[ConsumerRecord[bytes, bytes]]]:
    """Fetched batches, each of one partition; they end after ``idle_seconds`` without a
    record, unless ``follow``."""
    idle = 0.0
    while follow or idle < idle_seconds:
        batch = await consumer.getmany(timeout_ms=500)
        idle = 0.0 if batch else idle + 0.5
        for records in batch.values():
            yield records


@dataclass
class GroupLag:
    group: str
    topic: str
    partition: int
    committed: int | None
    end: int

    @property
    def lag(self) -> int:
        return self.end - (self.committed or 0)


async def consumer_lag(bootstrap: str, group: str | None = None) -> list[GroupLag]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security_options())
    await admin.start()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, **security_options())
    await consumer.start()
    try:
        groups = [group] if group else sorted(g[0] for g in await admin.list_consumer_groups())
        out: list[GroupLag] = []
        for g in groups:
            offsets = await admin.list_consumer_group_offsets(g)
            if not offsets:
                continue
            consumer.assign(list(offsets))
            ends = await consumer.end_offsets(list(offsets))
            for tp, meta in sorted(offsets.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
                out.append(GroupLag(g, tp.topic, tp.partition, meta.offset, ends[tp]))
        return out
    finally:
        await consumer.stop()
        await admin.close()

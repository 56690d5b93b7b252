"""Publishing many records at once: one record batch per partition instead of one ``send`` each.

``AIOKafkaProducer.send`` costs microseconds of Python per record (partitioner, futures,
accumulator bookkeeping). The outbox relay publishes thousands of records per round, so
``RecordPublisher`` uses aiokafka's documented "direct batch control" instead
(``create_batch``, the batch's ``append`` and ``close``, ``send_batch``): it fills one batch per
(topic, partition) — the batch's append is C code — and awaits one future per batch.

Partitions are chosen as aiokafka's default partitioner chooses them (the Java client's murmur2
of the key, ``aiokafka.partitioner.murmur2``: a public name, though not in aiokafka's API
reference), so a key lands on the same partition whichever path published it, and its order
holds: records of one partition are appended in the order given, and aiokafka sends one batch
per partition at a time. The broker judges sizes: a batch holding a record larger than the
topic allows is refused as a whole, and ``publish`` raises. ``libs/platform/tests/test_publish.py``
holds these promises against a real broker, so an aiokafka upgrade that changes them fails there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

Headers = list[tuple[str, bytes]]


class RecordBatch(Protocol):
    """What is used of the batch ``AIOKafkaProducer.create_batch`` returns: its class,
    ``BatchBuilder``, is not among the names aiokafka exports, so it is not imported."""

    def append(
        self,
        *,
        timestamp: float | None,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
    ) -> object | None:
        """The record's metadata, or None when the batch is full (it is then closed)."""

    def close(self) -> None: ...


@dataclass(slots=True)
class OutgoingRecord:
    topic: str
    key: bytes
    value: bytes
    headers: Headers = field(default_factory=list)


# One key is published several times (a referral, its 'created', later its 'delivered' status):
# murmur2 in pure Python costs microseconds, a cache hit a fraction of one.
_key_hash = lru_cache(maxsize=1 << 16)(murmur2)


def partition_of(key_hash: int, partitions: Sequence[int]) -> int:
    """aiokafka's ``DefaultPartitioner`` for a key whose ``murmur2`` is ``key_hash``."""
    return partitions[(key_hash & 0x7FFFFFFF) % len(partitions)]


class RecordPublisher:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer

    async def publish(self, records: Sequence[OutgoingRecord]) -> None:
        """Send every record and wait until Kafka acknowledged all of them (acks=all)."""
        if not records:
            return
        partitions: dict[str, list[int]] = {}
        for topic in {r.topic for r in records}:
            partitions[topic] = sorted(await self._producer.partitions_for(topic))
        batches: dict[tuple[str, int], list[OutgoingRecord]] = {}
        for record in records:
            tp = (record.topic, partition_of(_key_hash(record.key), partitions[record.topic]))
            batches.setdefault(tp, []).append(record)
        pending = [
            future
            for (topic, partition), recs in batches.items()
            for future in await self._send_partition(topic, partition, recs)
        ]
        await asyncio.gather(*pending)

    async def _send_partition(
        self, topic: str, partition: int, records: list[OutgoingRecord]
    ) -> list[asyncio.Future[object]]:
        """Append to a batch, sending it and starting another whenever one is full."""
        futures: list[asyncio.Future[object]] = []
        batch: RecordBatch = self._producer.create_batch()
        for record in records:
            if _append(batch, record):
                continue
            futures.append(await self._producer.send_batch(batch, topic, partition=partition))
            batch = self._producer.create_batch()
            if not _append(batch, record):
                # aiokafka takes any record into an empty batch and leaves its size to the
                # broker; were that to change, fail rather than drop the record
                raise ValueError(f"an empty batch refused a record for {topic}")
        batch.close()
        futures.append(await self._producer.send_batch(batch, topic, partition=partition))
        return futures


def _append(batch: RecordBatch, record: OutgoingRecord) -> bool:
    """False when the batch is full (aiokafka then closes it)."""
    added = batch.append(timestamp=None, key=record.key, value=record.value, headers=record.headers)
    return added is not None

"""What the outbox relay's publisher relies on in aiokafka's direct batch control, on a real
broker: keys land where ``send`` puts them, order holds across batches, and a record larger
than the topic allows is refused, not dropped. An aiokafka upgrade that changes any of it
fails here (rujukan_platform.publish; docs/decisions.md, "aiokafka: public APIs only")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import NewTopic
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.structs import ConsumerRecord

from rujukan_platform.kafka import create_topics, make_producer, security_options
from rujukan_platform.publish import OutgoingRecord, RecordPublisher
from rujukan_platform.testing import Servers, unique_topic

pytestmark = pytest.mark.integration


@pytest.fixture
async def producer(servers: Servers) -> AsyncIterator[AIOKafkaProducer]:
    producer = make_producer(servers.kafka_bootstrap, client_id="test-publish")
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def read_all(
    servers: Servers, topic: str, partitions: int
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic``, each partition in offset order."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=servers.kafka_bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **security_options(),
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        out: list[ConsumerRecord[bytes, bytes]] = []
        async with asyncio.timeout(30):
            while any([await consumer.position(tp) < ends[tp] for tp in tps]):
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    out.extend(records)
        return sorted(out, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


async def test_each_key_lands_on_the_partition_the_default_partitioner_chooses(
    servers: Servers, producer: AIOKafkaProducer
) -> None:
    batched, sent = unique_topic("batched"), unique_topic("sent")
    await create_topics(servers.kafka_bootstrap, [NewTopic(batched, 6, 1), NewTopic(sent, 6, 1)])
    keys = [f"referral-{n}".encode() for n in range(300)]

    await RecordPublisher(producer).publish([OutgoingRecord(batched, k, b"v") for k in keys])
    await asyncio.gather(*[await producer.send(sent, b"v", key=k) for k in keys])

    by_batch = {r.key: r.partition for r in await read_all(servers, batched, 6)}
    by_send = {r.key: r.partition for r in await read_all(servers, sent, 6)}
    assert set(by_batch) == set(keys)
    assert len(set(by_send.values())) == 6  # the keys spread: a constant partition would not
    assert by_batch == by_send


async def test_a_partitions_records_keep_their_order_across_many_batches(
    servers: Servers, producer: AIOKafkaProducer
) -> None:
    topic = unique_topic("ordered")
    await create_topics(servers.kafka_bootstrap, [NewTopic(topic, 3, 1)])
    # 2 MiB for one key: more than one request may carry (1 MiB), so only if the publisher
    # starts a new batch whenever aiokafka says one is full (256 KiB) do all of them land
    values = [n.to_bytes(4, "big") + b"." * 10_000 for n in range(200)]
    other = [OutgoingRecord(topic, f"other-{n}".encode(), b"o") for n in range(30)]
    mine = [OutgoingRecord(topic, b"household-1", v) for v in values]

    await RecordPublisher(producer).publish(
        [r for pair in zip(mine[:30], other, strict=True) for r in pair] + mine[30:]
    )

    records = await read_all(servers, topic, 3)
    assert [r.value for r in records if r.key == b"household-1"] == values
    assert len({r.partition for r in records if r.key == b"household-1"}) == 1
    assert sorted(r.key for r in records if r.key != b"household-1") == sorted(r.key for r in other)


async def test_a_record_larger_than_the_topic_allows_is_refused_with_its_batch(
    servers: Servers, producer: AIOKafkaProducer
) -> None:
    topic = unique_topic("small")
    await create_topics(
        servers.kafka_bootstrap,
        [NewTopic(topic, 1, 1, topic_configs={"max.message.bytes": "65536"})],
    )
    publisher = RecordPublisher(producer)
    with pytest.raises(MessageSizeTooLargeError):
        await publisher.publish(
            [OutgoingRecord(topic, b"k", b"small"), OutgoingRecord(topic, b"k", b"x" * 100_000)]
        )
    # the same producer goes on (the relay keeps it): the next round lands, alone
    await publisher.publish([OutgoingRecord(topic, b"k", b"next")])
    assert [r.value for r in await read_all(servers, topic, 1)] == [b"next"]

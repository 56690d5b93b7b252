"""The consumer runner never stops: poison goes to the DLQ after bounded tries, weather is
waited out with partitions paused, and a handler that fails everything pauses its partition
instead of draining the topic. Real broker, real database; outages through a TCP proxy."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import NewTopic
from aiokafka.structs import ConsumerRecord
from prometheus_client import REGISTRY
from sqlalchemy import Column, MetaData, Table, Text, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import ConsentWithdrawnV1, ReferralStatusChangedV1
from rujukan_platform.consumer import ConsumerRunner, ConsumerSpec, DlqLimit
from rujukan_platform.db import make_engine, make_sessions, new_metadata
from rujukan_platform.handlers import Handlers, Received
from rujukan_platform.kafka import create_topics, make_consumer, make_producer, security_options
from rujukan_platform.testing import Servers, TcpProxy, eventually, unique_topic
from rujukan_platform.testing import status_changed as status_event
from rujukan_platform.uow import UnitOfWork

pytestmark = pytest.mark.integration

Handler = Callable[[ReferralStatusChangedV1, UnitOfWork], Awaitable[None]]


@dataclass
class Bench:
    servers: Servers
    topic: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    metadata: MetaData
    effects: Table
    producer: AIOKafkaProducer

    async def send(self, *notes: str, key: UUID | None = None) -> None:
        k = str(key or uuid4()).encode()
        for note in notes:
            e = status_event(note)
            meta = EventMeta(type=e.ce_type, source="/test", subject=str(e.referral_id))
            await self.producer.send_and_wait(
                self.topic, e.model_dump_json().encode(), key=k, headers=meta.to_headers()
            )

    async def notes(self) -> list[str]:
        async with self.sessions() as session:
            return list((await session.execute(select(self.effects.c.note))).scalars())

    def spec(self, handle: Handler, **limits: float) -> ConsumerSpec:
        return ConsumerSpec(
            name=f"c-{uuid4().hex[:6]}",
            topics=[self.topic],
            handlers=Handlers[UnitOfWork]().on(ReferralStatusChangedV1, handle),
            dlq_limit=DlqLimit(**limits),  # type: ignore[arg-type]
        )

    async def dead_letters(self, expected: int) -> list[ConsumerRecord[bytes, bytes]]:
        return await read_topic(self.servers, f"{self.topic}.dlq", expected)


async def read_topic(
    servers: Servers, topic: str, expected: int, timeout: float = 20.0
) -> list[ConsumerRecord[bytes, bytes]]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers.kafka_bootstrap,
        auto_offset_reset="earliest",
        **security_options(),
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(records) < expected and asyncio.get_running_loop().time() < deadline:
            for recs in (await consumer.getmany(timeout_ms=300)).values():
                records.extend(recs)
    finally:
        await consumer.stop()
    return records


@pytest.fixture
async def bench(servers: Servers, fresh_database: str) -> AsyncIterator[Bench]:
    topic = unique_topic("runner")
    await create_topics(
        servers.kafka_bootstrap, [NewTopic(topic, 1, 1), NewTopic(f"{topic}.dlq", 1, 1)]
    )
    metadata = new_metadata()
    effects = Table("effects", metadata, Column("note", Text))
    engine = make_engine(f"{servers.pg_url}/{fresh_database}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    producer = make_producer(servers.kafka_bootstrap, client_id="test")
    await producer.start()
    yield Bench(servers, topic, engine, make_sessions(engine), metadata, effects, producer)
    await producer.stop()
    await engine.dispose()


@asynccontextmanager
async def running(
    bench: Bench, spec: ConsumerSpec, sessions: async_sessionmaker[AsyncSession] | None = None
) -> AsyncIterator[tuple[ConsumerRunner, AIOKafkaConsumer]]:
    consumer = make_consumer(
        bench.servers.kafka_bootstrap, group_id=f"g-{uuid4().hex[:8]}", client_id="t"
    )
    await consumer.start()
    runner = ConsumerRunner(
        spec,
        consumer=consumer,
        producer=bench.producer,
        unit_of_work=lambda: UnitOfWork(sessions or bench.sessions),
        max_backoff_seconds=0.5,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        yield runner, consumer
        assert not task.done(), "the consumer stopped"
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
        await consumer.stop()


async def committed(consumer: AIOKafkaConsumer, topic: str) -> int:
    return await consumer.committed(TopicPartition(topic, 0)) or 0


def _texts(headers: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    return {k: v.decode() for k, v in headers}


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_record_its_handler_cannot_store_goes_to_the_dlq_after_bounded_tries(
    bench: Bench,
) -> None:
    """A NUL in jsonb is refused by PostgreSQL (22P05): poison, not weather."""
    tries: list[str] = []

    async def handle(event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
        tries.append(event.note or "")
        value = '"a\\u0000b"' if event.note == "poison" else f'"{event.note}"'
        await uow.session.execute(text("SELECT CAST(:v AS jsonb)"), {"v": value})
        await uow.session.execute(bench.effects.insert().values(note=event.note))

    await bench.send("1", "2", "poison", "3")
    spec = bench.spec(handle)
    async with running(bench, spec) as (runner, consumer):
        await eventually(lambda: committed(consumer, bench.topic), timeout=30)
        await eventually(lambda: _equals(committed(consumer, bench.topic), 4), timeout=30)
        await bench.send("after")  # the consumer carries on
        await eventually(lambda: _equals(committed(consumer, bench.topic), 5), timeout=30)
        assert runner.problems() == []
    assert sorted(await bench.notes()) == ["1", "2", "3", "after"]
    assert tries.count("poison") == 1 + spec.max_attempts  # the batch, then alone 3 times
    [dead] = await bench.dead_letters(1)
    headers = {k: v.decode() for k, v in dead.headers}
    assert headers["dlq_exception"] == "UntranslatableCharacterError"
    assert "unsupported Unicode escape sequence (SQLSTATE 22P05)" in headers["dlq_reason"]
    assert "CAST" not in headers["dlq_reason"]  # no SQL, no parameters (personal data)
    assert headers["dlq_reason_id"] == headers["dlq_reason"]  # said in English only
    assert headers["dlq_attempts"] == "3"
    assert headers["dlq_consumer"] == spec.name
    assert (headers["dlq_source_topic"], headers["dlq_source_partition"]) == (bench.topic, "0")
    assert headers["dlq_source_offset"] == "2"
    first = datetime.fromisoformat(headers["dlq_first_failed_at"])
    assert first < datetime.fromisoformat(headers["dlq_last_failed_at"])
    assert "ce_id" in headers  # the original CloudEvents headers travel with it


async def test_credentials_never_reach_the_dlq(bench: Bench) -> None:
    async def handle(event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
        raise ValueError("refused")

    e = status_event("x")
    meta = EventMeta(type=e.ce_type, source="/test", subject=str(e.referral_id))
    await bench.producer.send_and_wait(
        bench.topic,
        e.model_dump_json().encode(),
        key=b"k",
        headers=[*meta.to_headers(), ("Authorization", b"Bearer eyJ.secret"), ("x-api-key", b"k")],
    )
    async with running(bench, bench.spec(handle)):
        [dead] = await bench.dead_letters(1)
    names = {k.lower() for k, _ in dead.headers}
    assert "authorization" not in names and "x-api-key" not in names
    assert b"secret" not in b"".join(v for _, v in dead.headers)


async def test_undecodable_records_go_to_the_dlq_at_once_and_the_rest_is_processed(
    bench: Bench,
) -> None:
    async def handle(event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
        await uow.session.execute(bench.effects.insert().values(note=event.note))

    e = status_event("x")
    meta = EventMeta(type=e.ce_type, source="/test", subject="s")
    unknown = EventMeta(type="rujukan.referral.status_changed.v9", source="/t", subject="s")
    await bench.producer.send_and_wait(bench.topic, b"not json", headers=meta.to_headers())
    await bench.producer.send_and_wait(bench.topic, e.model_dump_json().encode())  # no headers
    await bench.producer.send_and_wait(
        bench.topic, e.model_dump_json().encode(), headers=unknown.to_headers()
    )
    await bench.send("good")
    async with running(bench, bench.spec(handle)):
        dead = await bench.dead_letters(3)
        await eventually(bench.notes)
    reasons = sorted(dict(r.headers)["dlq_reason"].decode() for r in dead)
    assert len(reasons) == 3, reasons
    assert any("invalid rujukan.referral.status_changed.v1" in r for r in reasons)
    assert any("CloudEvents" in r for r in reasons)
    assert any("status_changed.v9" in r for r in reasons)
    # in Indonesian too where the runner says it in both languages, else the English again
    said = {h["dlq_reason"]: h["dlq_reason_id"] for h in (_texts(r.headers) for r in dead)}
    envelope, invalid, unknown_type = (
        next(r for r in reasons if part in r) for part in ("CloudEvents", "invalid", "v9")
    )
    assert said[envelope] == envelope
    assert said[invalid].startswith("rujukan.referral.status_changed.v1 tidak sah: ")
    assert said[unknown_type] == (
        "tidak ada penangan untuk jenis peristiwa 'rujukan.referral.status_changed.v9'"
    )
    assert all(dict(r.headers)["dlq_attempts"] == b"1" for r in dead)
    assert await bench.notes() == ["good"]


async def test_a_refused_field_is_dead_lettered_in_the_words_of_the_apis_problem_details(
    bench: Bench,
) -> None:
    """An officer reading the DLQ reads why a field was refused as the API would say it: in
    Indonesian, without pydantic's raw pattern, and never with the refused value."""

    async def handle(event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
        raise AssertionError("a refused record reached its handler")

    e = status_event("x")
    meta = EventMeta(type=e.ce_type, source="/test", subject=str(e.referral_id))
    valid = json.loads(e.model_dump_json())
    for refused in ({"note": "rahasia\x00"}, {"to_status": "rahasia"}):
        value = json.dumps({**valid, **refused}).encode()
        await bench.producer.send_and_wait(bench.topic, value, headers=meta.to_headers())
    async with running(bench, bench.spec(handle)):
        dead = await bench.dead_letters(2)
    control, status = (_texts(r.headers) for r in sorted(dead, key=lambda r: r.offset))
    assert control["dlq_reason_id"] == (
        "rujukan.referral.status_changed.v1 tidak sah: note: mengandung karakter kontrol "
        "(U+0000) (1 kesalahan)"
    )
    assert control["dlq_reason"] == (
        "invalid rujukan.referral.status_changed.v1: note: contains a control character "
        "(U+0000) (1 errors)"
    )
    assert status["dlq_reason_id"].startswith(
        "rujukan.referral.status_changed.v1 tidak sah: to_status: harus salah satu dari: "
    )
    assert "'created'" in status["dlq_reason_id"] and " atau " in status["dlq_reason_id"]
    for headers in (control, status):
        assert "pattern" not in headers["dlq_reason"] + headers["dlq_reason_id"]
        assert "rahasia" not in headers["dlq_reason"] + headers["dlq_reason_id"]
        assert headers["dlq_exception"] == "InvalidMessage"


async def test_the_database_going_away_is_waited_out_with_partitions_paused(
    bench: Bench, fresh_database: str
) -> None:
    host, port = bench.servers.pg_url.rsplit("@", 1)[1].split(":")
    proxy = TcpProxy(host, int(port))
    await proxy.up()
    user = bench.servers.pg_url.rsplit("@", 1)[0]
    engine = make_engine(f"{user}@{proxy.address}/{fresh_database}")

    async def handle(event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
        await uow.session.execute(bench.effects.insert().values(note=event.note))

    spec = bench.spec(handle)
    retries_before = metric("rujukan_consumer_retries_total", consumer=spec.name)
    try:
        async with running(bench, spec, make_sessions(engine)) as (runner, consumer):
            await bench.send("before")
            await eventually(lambda: _equals(committed(consumer, bench.topic), 1), timeout=30)
            await proxy.down()
            await bench.send("during-1", "during-2")
            await eventually(lambda: runner.waiting_for, timeout=30)
            assert consumer.paused() == {TopicPartition(bench.topic, 0)}
            assert runner.problems()[0].startswith("waiting: ")
            assert metric("rujukan_consumer_waiting", consumer=spec.name) == 1
            await asyncio.sleep(1.5)  # several retries, none of them a dead letter
            assert await committed(consumer, bench.topic) == 1
            await proxy.up()
            await eventually(lambda: _equals(committed(consumer, bench.topic), 3), timeout=30)
            assert runner.waiting_for is None and not consumer.paused()
            assert metric("rujukan_consumer_waiting", consumer=spec.name) == 0
    finally:
        await proxy.down()
        await engine.dispose()
    assert sorted(await bench.notes()) == ["before", "during-1", "during-2"]
    assert metric("rujukan_consumer_retries_total", consumer=spec.name) > retries_before + 1
    assert await bench.dead_letters(0) == []


async def test_a_handler_that_fails_everything_pauses_its_partition_instead_of_draining_it(
    bench: Bench,
) -> None:
    broken = True

    async def handle(event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
        if broken:
            raise KeyError("a bug in the handler")
        await uow.session.execute(bench.effects.insert().values(note=event.note))

    await bench.send(*(str(n) for n in range(10)))
    spec = bench.spec(handle, max_consecutive=3, pause_seconds=1.0)
    spec.max_attempts = 1
    async with running(bench, spec) as (runner, consumer):
        paused = lambda: metric(  # noqa: E731
            "rujukan_consumer_paused", consumer=spec.name, topic=bench.topic, partition="0"
        )
        await eventually(paused, timeout=30)
        assert len(await bench.dead_letters(2)) == 2  # then it stopped dead-lettering
        assert await committed(consumer, bench.topic) == 2  # held at the third record
        assert "dead-lettering too fast" in runner.problems()[0]
        await asyncio.sleep(1.5)  # resumed after its pause, tripped again on the same record
        assert len(await bench.dead_letters(3)) == 2
        broken = False  # the bug is fixed; the next resume processes the rest
        await eventually(lambda: _equals(committed(consumer, bench.topic), 10), timeout=30)
        assert paused() == 0 and runner.problems() == []
    assert sorted(await bench.notes(), key=int) == [str(n) for n in range(2, 10)]


async def _equals(value: object, expected: int) -> bool:
    return await value == expected  # type: ignore[misc]


async def test_records_read_again_have_no_second_effect(bench: Bench) -> None:
    """Redelivered records (a second group over the same topic) have no second effect."""

    async def handle(event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
        await uow.session.execute(bench.effects.insert().values(note=event.note))

    await bench.send(*(str(n) for n in range(25)))
    spec = bench.spec(handle)
    for _ in range(2):  # each run is a new consumer group: everything is read again
        async with running(bench, spec) as (_runner, consumer):
            await eventually(lambda: _equals(committed(consumer, bench.topic), 25), timeout=30)
    async with bench.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(bench.effects))
    assert count == 25


async def test_a_batch_is_applied_in_offset_order_across_event_types(bench: Bench) -> None:
    """A record of another type between two runs of a batched type is applied between them
    (a consent withdrawal between two intakes of a household takes effect between them)."""
    applied: list[list[str]] = []

    async def one(event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
        applied.append([event.note or ""])

    async def many(items: Sequence[Received[ReferralStatusChangedV1]], uow: UnitOfWork) -> None:
        applied.append([item.message.note or "" for item in items])

    async def withdrawn(event: ConsentWithdrawnV1, uow: UnitOfWork) -> None:
        applied.append(["withdrawn"])

    await bench.send("a", "b")
    consent = ConsentWithdrawnV1(
        withdrawal_id=uuid4(),
        household_id=uuid4(),
        purposes=["referral"],
        withdrawn_at=datetime.now(UTC),
        recorded_by="officer-1",
    )
    meta = EventMeta(type=consent.ce_type, source="/test", subject=str(consent.household_id))
    await bench.producer.send_and_wait(
        bench.topic, consent.model_dump_json().encode(), key=b"k", headers=meta.to_headers()
    )
    await bench.send("c", "d")
    handlers = (
        Handlers[UnitOfWork]()
        .on(ReferralStatusChangedV1, one, many=many)
        .on(ConsentWithdrawnV1, withdrawn)
    )
    spec = replace(bench.spec(one), handlers=handlers)
    async with running(bench, spec) as (_runner, consumer):
        await eventually(lambda: _equals(committed(consumer, bench.topic), 5), timeout=30)
    assert [note for run in applied for note in run] == ["a", "b", "withdrawn", "c", "d"]
    assert ["a", "b"] in applied or ["c", "d"] in applied  # runs of the batched type at once

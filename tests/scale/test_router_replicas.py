"""Two router replicas in one consumer group share a stream: no lost intake, no duplicate referral.

Two ``Runtime``s of the router on one database, each with its own catalogue, outbox relay and a
``router-intakes`` ConsumerRunner (wired as ``Runtime._run_consumer`` wires it, small batches so
the work interleaves), both in one consumer group on a unique 6-partition topic. About 600
intakes go in, with redelivered duplicates (the very same record — same ce_id — sent again, some
right behind the original, some after the owner of the partition changed), intakes re-published
under a new ce_id (right behind the original, and later), and households that come back with a
second intake. One replica is stopped once a third of the stream is routed (a rebalance hands its
partitions to the other), the rest of the stream follows. Expected referrals are computed with
``decide`` directly.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import IntakeSubmittedV1, ProgramPublishedV1, ReferralCreatedV1
from rujukan_contracts.topics import program_topic
from rujukan_contracts.topics import topic as topic_spec
from rujukan_eligibility.catalogue import load_seed_programs
from rujukan_platform.consumer import ConsumerRunner
from rujukan_platform.handlers import Handlers, Received
from rujukan_platform.kafka import (
    create_topics,
    ensure_catalogue_topics,
    make_consumer,
    make_producer,
    security_options,
)
from rujukan_platform.runtime import Runtime, migrate
from rujukan_platform.testing import Servers, unique_topic
from rujukan_platform.uow import UnitOfWork
from rujukan_registry.domain.programs import published_event
from rujukan_registry.settings import RegistrySettings
from rujukan_router.bootstrap import definition
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import complaint_target, decide
from rujukan_router.entrypoints.consumers import CatalogueFeed, consumers
from rujukan_router.settings import RouterSettings

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("heavy")]

# Without the background jobs (catalogue view on the shared programs.catalog, SLA timers):
# the catalogue is fed directly, as in the router's own tests.
HEADLESS = replace(definition, background=lambda _rt: [])
CONSUMER = "router-intakes"
PARTITIONS = 6
BATCH = 20  # small consumer batches: the replicas interleave and the rebalance lands mid-stream
VILLAGES = ["33.04.01.2001", "33.16.03.2010", "18.13.04.2002", "31.71.01.1001"]
NEEDS = ["health_insurance", "schooling", "food", "cash", "housing", "disability_care",
         "elderly_care", "civil_documents"]  # fmt: skip


# ------------------------------------------------------------------------------ households


def _member(rng: random.Random, relationship: str, age: int, today: date) -> dict[str, Any]:
    sex = "female" if relationship == "spouse" else rng.choice(["female", "male"])
    return {
        "member_id": str(uuid.uuid4()),
        "relationship": relationship,
        "birth_date": min(  # an infant of age 0 is not born later this year
            date(today.year - age, rng.randint(1, 12), rng.randint(1, 28)), today
        ).isoformat(),
        "sex": sex,
        "pregnant": sex == "female" and 16 <= age <= 45 and rng.random() < 0.1,
        "disability": rng.choice(["none"] * 12 + ["mild", "moderate", "severe"]),
        "schooling": "in_school" if 6 <= age <= 18 and rng.random() < 0.85 else "not_in_school",
        "working": 18 <= age <= 65 and rng.random() < 0.6,
    }


def household_intake(rng: random.Random, codes: list[str], household_id: str | None = None) -> Any:
    now = datetime.now(UTC)
    today = now.date()
    head = rng.randint(18, 95)
    members = [_member(rng, "head", head, today)]
    if rng.random() < 0.7:
        members.append(_member(rng, "spouse", max(18, head + rng.randint(-8, 3)), today))
    for _ in range(rng.choice([0, 1, 2, 3])):
        members.append(_member(rng, "child", rng.randint(0, max(0, min(25, head - 18))), today))
    found = rng.random() < 0.75
    registry: dict[str, Any] = {
        "found": found,
        "enrolments": rng.sample(["PKH", "SEMBAKO", "PBI-JK", "PIP"], rng.randint(0, 2))
        if found
        else [],
        "has_kks": found and rng.random() < 0.5,
        "checked_at": now.isoformat(),
    }
    if found:
        registry["decile"] = rng.randint(1, 10)
    recipients = ["*"] if rng.random() < 0.9 else rng.sample(codes, rng.randint(1, 5))
    data: dict[str, Any] = {
        "intake_id": str(uuid.uuid4()),
        "household_id": household_id or str(uuid.uuid4()),
        "village_code": rng.choice(VILLAGES),
        "submitted_at": now.isoformat(),
        "members": members,
        "household": {
            "owns_land": rng.random() < 0.6,
            "house_below_standard": rng.random() < 0.2,
            "missing_documents": ["birth_certificate"] if rng.random() < 0.1 else [],
        },
        "registry": registry,
        "needs": rng.sample(NEEDS, rng.randint(1, 3)),
        "priority_lanes": ["elderly"] if head >= 60 else [],
        "consent": {
            "purposes": ["referral"],
            "recipients": recipients,
            "given_at": now.isoformat(),
        },
    }
    if rng.random() < 0.05:
        data["complaint"] = {"kind": "complaint", "about_program": rng.choice(codes), "text": "-"}
    return IntakeSubmittedV1.model_validate(data)


def expected_codes(intake: IntakeSubmittedV1, catalogue: Catalogue, open_: set[str]) -> set[str]:
    """What route_intake must refer (the seed programs with a capacity queue when full): the
    chosen programs' need referrals by code, the complaint case as ``CODE#complaint`` (a
    complaint about a program the household is also referred to is a second referral to it)."""
    decided = decide(intake, catalogue, open_programs=open_, as_of=datetime.now(UTC).date())
    codes = {d.program.code for d in decided.chosen()}
    complaint = complaint_target(intake, catalogue)
    if complaint is not None:
        codes.add(f"{complaint.code}#complaint")
    return codes


def label(referral: Any) -> str:
    """A stored referral named as expected_codes names it."""
    kind = referral.kind
    return referral.program_code if kind == "need" else f"{referral.program_code}#{kind}"


@dataclass
class Message:
    intake: IntakeSubmittedV1
    meta: EventMeta

    def record(self) -> dict[str, Any]:
        return {
            "value": self.intake.model_dump_json().encode(),
            "key": self.intake.key().encode(),
            "headers": self.meta.to_headers(),
        }


def message(intake: IntakeSubmittedV1) -> Message:
    return Message(
        intake,
        EventMeta(type=IntakeSubmittedV1.ce_type, source="/rujukan/intake", subject=intake.key()),
    )


# ------------------------------------------------------------------------------ replicas


class Replica:
    """One router process: its own Runtime (engine, producer, relay) and intake consumer."""

    def __init__(self, name: str, settings: RouterSettings, topic: str, group: str) -> None:
        self.name = name
        self.settings = settings
        self.topic = topic
        self.group = group
        self.handled: list[tuple[uuid.UUID, int]] = []  # (intake id, partition), in order
        self.failures: list[BaseException] = []
        self.stop_event = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self, seeds: list[ProgramPublishedV1]) -> None:
        self.runtime = Runtime(HEADLESS, self.settings)
        self.runtime.on_fatal = self.failures.append
        await self.runtime.producer.start()
        feed = CatalogueFeed(self.runtime)  # as the catalogue view applies programs.catalog
        for event in seeds:
            await feed.apply(event.code, event)
        self.runtime.deps.view.ready.set()
        spec = next(s for s in consumers(self.runtime) if s.name == CONSUMER)
        table = spec.handlers

        async def noted(event: IntakeSubmittedV1, uow: UnitOfWork) -> None:
            await table.handle(event, uow)
            assert uow.cause is not None
            self.handled.append((event.intake_id, uow.cause.partition))

        async def noted_batch(
            items: Sequence[Received[IntakeSubmittedV1]], uow: UnitOfWork
        ) -> None:
            await table.handle_many(IntakeSubmittedV1, items, uow)
            self.handled.extend((i.message.intake_id, i.envelope.partition) for i in items)

        spec = replace(
            spec,
            topics=[self.topic],
            group_id=self.group,
            handlers=Handlers[UnitOfWork]().on(IntakeSubmittedV1, noted, many=noted_batch),
        )
        rt = self.runtime
        self.consumer = make_consumer(
            rt.settings.kafka_bootstrap,
            group_id=spec.group,
            client_id=f"test-{self.name}",
            max_poll_records=rt.settings.consumer_batch,
        )
        runner = ConsumerRunner(
            spec,
            consumer=self.consumer,
            producer=rt.producer,
            unit_of_work=rt.unit_of_work,
            max_records=rt.settings.consumer_batch,
        )
        await self.consumer.start()
        consumer = self.consumer

        async def consume() -> None:
            try:
                await runner.run(self.stop_event)
            finally:
                await runner.wait_idle()
                await consumer.stop()

        for name, coro in (("consumer", consume()), ("relay", rt.relay.run(self.stop_event))):
            task = asyncio.create_task(coro, name=f"{self.name}:{name}")
            task.add_done_callback(self._done)
            self.tasks.append(task)

    def _done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self.failures.append(task.exception())  # type: ignore[arg-type]

    def assigned(self) -> set[int]:
        return {tp.partition for tp in self.consumer.assignment()}

    def check(self) -> None:
        assert not self.failures, f"replica {self.name} failed: {self.failures!r}"
        for task in self.tasks:
            assert not task.done() or self.stop_event.is_set(), f"{task.get_name()} stopped"

    async def stop(self) -> None:
        """As ``Runtime.stop``: the batch in flight commits, the consumer leaves the group."""
        if self.stop_event.is_set():
            return
        self.stop_event.set()
        if self.tasks:
            _done, pending = await asyncio.wait(self.tasks, timeout=15)
            assert not pending, f"replica {self.name} did not stop"
        await self.runtime.producer.stop()
        await self.runtime.engine.dispose()


async def until(probe: Any, what: str, replicas: list[Replica], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while True:
        for r in replicas:
            r.check()
        result = probe()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.02)


# ------------------------------------------------------------------------------ the test


@pytest.fixture(scope="module")
def seeds() -> list[ProgramPublishedV1]:
    return [published_event(p) for p in load_seed_programs(RegistrySettings().seed_dir)]


@pytest.fixture
async def database(servers: Servers, fresh_database: str) -> AsyncIterator[str]:
    settings = RouterSettings(
        pg_url=servers.pg_url, database=fresh_database, environment="test", log_json=False
    )
    await asyncio.to_thread(migrate, HEADLESS, settings.dsn)
    yield fresh_database


async def test_two_replicas_route_every_intake_exactly_once_across_a_rebalance(
    servers: Servers, database: str, seeds: list[ProgramPublishedV1]
) -> None:
    started = time.monotonic()
    bootstrap = servers.kafka_bootstrap
    rng = random.Random(20261124)
    codes = sorted(e.code for e in seeds)
    catalogue = Catalogue()
    for event in seeds:
        catalogue.put(event)

    # --- the stream: wave 1 before the rebalance, wave 2 after ---------------------------------
    first = [message(household_intake(rng, codes)) for _ in range(380)]
    returning = first[:25]  # these households come back with another intake in wave 2
    second = [message(household_intake(rng, codes)) for _ in range(175)]
    second += [message(household_intake(rng, codes, str(m.intake.household_id))) for m in returning]
    republished = [message(m.intake) for m in first[40:50]]  # same intake, new ce_id, later
    wave1 = list(first)
    for k in range(0, 380, 19):  # 20 redeliveries right behind their original
        wave1.insert(wave1.index(first[k]) + 1, first[k])
    republished_now = [message(m.intake) for m in first[60:65]]  # new ce_id, likely same batch
    for m, again in zip(first[60:65], republished_now, strict=True):
        wave1.insert(wave1.index(m) + 1, again)
    intakes = [m.intake for m in first + second]
    assert len({i.intake_id for i in intakes}) == len(intakes) == 580

    # Expected, from decide itself. A returning household's open programs are those its first
    # intake was referred to (same key, same partition: the first is routed before the second).
    want: dict[uuid.UUID, set[str]] = {}
    want_decided: set[tuple[uuid.UUID, str]] = set()
    referred: dict[uuid.UUID, set[str]] = {}
    today = datetime.now(UTC).date()
    for m in first + second:
        open_ = referred.get(m.intake.household_id, set())
        want[m.intake.intake_id] = expected_codes(m.intake, catalogue, open_)
        needs = {c for c in want[m.intake.intake_id] if "#" not in c}  # complaints never block
        referred[m.intake.household_id] = open_ | needs
        want_decided |= {
            (m.intake.intake_id, d.program.code)
            for d in decide(m.intake, catalogue, open_programs=open_, as_of=today).programs
        }
    assert sum(map(len, want.values())) > 600  # the stream refers plenty

    topic = unique_topic("intake.submitted")
    await create_topics(bootstrap, [NewTopic(topic, PARTITIONS, 1), NewTopic(f"{topic}.dlq", 1, 1)])
    await ensure_catalogue_topics(bootstrap)  # referrals.status
    group = f"test-{uuid.uuid4().hex}"

    def settings() -> RouterSettings:
        return RouterSettings(
            kafka_bootstrap=bootstrap,
            pg_url=servers.pg_url,
            database=database,
            environment="test",
            run_consumers="none",
            log_json=False,
            consumer_batch=BATCH,
        )

    a = Replica("a", settings(), topic, group)
    b = Replica("b", settings(), topic, group)
    replicas = [a, b]
    tail = await ProgramTopics.open(bootstrap, codes)
    producer = make_producer(bootstrap, client_id="test-intake")
    await producer.start()
    try:
        await a.start(seeds)
        await until(lambda: a.assigned(), "replica a's partitions", replicas)
        await b.start(seeds)
        await until(
            lambda: a.assigned() and b.assigned() and a.assigned() | b.assigned() == set(
                range(PARTITIONS)
            ) and not a.assigned() & b.assigned(),
            "the two replicas to split the partitions",
            replicas,
        )  # fmt: skip
        b_partitions = b.assigned()

        for m in wave1:
            await producer.send(topic, **m.record())
        await producer.flush()

        async def processed() -> int:
            return int(
                await scalar(
                    a, "SELECT count(*) FROM processed_events WHERE consumer = :c", c=CONSUMER
                )
            )

        # Stop b a third of the way through wave 1 (it normally still has records of its own
        # to route then: b_left, printed); wave 2 comes after, so a must take b's partitions over.
        async def a_third_done() -> bool:
            return bool(a.handled and b.handled and await processed() >= 190)

        await until(a_third_done, "a third of the stream routed by both replicas", replicas)
        await b.stop()
        b_done = {i for i, _p in b.handled}
        b_left = await lag(bootstrap, group, topic, b_partitions)

        # Wave 2: new intakes, returning households, redeliveries of what b had routed (now on
        # a's partitions) and of a's, and re-publications of the same intake under a new ce_id.
        redelivered = [m for m in first if m.intake.intake_id in b_done][:15]
        redelivered += [m for m in first if m.intake.intake_id not in b_done][:15]
        wave2 = second + redelivered + republished
        rng.shuffle(wave2)
        for m in wave2:
            await producer.send(topic, **m.record())
        await producer.flush()

        ends = await end_offsets(bootstrap, [topic])

        async def all_routed_and_relayed() -> bool:
            if not await committed_to_end(bootstrap, group, ends):
                return False
            return int(await scalar(a, "SELECT count(*) FROM outbox")) == 0

        await until(all_routed_and_relayed, "every intake routed and relayed", replicas, 40)
        a.check()

        # --- what the database holds --------------------------------------------------------
        referrals = await rows(a, "SELECT id, intake_id, program_code, kind, status FROM referrals")
        decisions = await rows(
            a,
            "SELECT d.intake_id, p->>'program_code' AS program_code"
            " FROM decisions d, jsonb_array_elements(d.programs) p",
        )
        seen = await scalar(
            a, "SELECT count(*) FROM processed_events WHERE consumer = :c", c=CONSUMER
        )
        published = await tail.referrals(set(want))  # ReferralCreated on the program topics
    finally:
        await producer.stop()
        for r in replicas:
            if hasattr(r, "runtime"):
                await r.stop()
        await tail.close()

    per_pair = Counter((r.intake_id, label(r)) for r in referrals)
    duplicates = {k: n for k, n in per_pair.items() if n > 1}
    assert not duplicates, f"duplicate referrals: {list(duplicates.items())[:5]}"
    got: dict[uuid.UUID, set[str]] = {}
    for r in referrals:
        got.setdefault(r.intake_id, set()).add(label(r))
    wrong = {i: (got.get(i, set()), w) for i, w in want.items() if got.get(i, set()) != w}
    assert not wrong, (
        f"{len(wrong)} intakes routed differently from decide: {list(wrong.items())[:3]}"
    )
    assert set(got) <= set(want), "referrals for intakes never sent"
    assert len(referrals) == sum(map(len, want.values()))
    decided = {(d.intake_id, d.program_code) for d in decisions}
    assert {i for i, _c in decided} == set(want), "an intake was lost (no decisions stored)"
    assert decided == want_decided and len(decisions) == len(want_decided)  # each decided once
    distinct_ce_ids = len({m.meta.id for m in wave1 + wave2})
    assert seen == distinct_ce_ids == len(intakes) + len(republished) + len(republished_now)
    assert {r.status for r in referrals} == {"delivered"}, "a referral was not relayed"

    # --- both replicas worked, and the rebalance moved b's partitions to a ---------------------
    a_partitions = {p for _i, p in a.handled}
    assert a.handled and b.handled, (len(a.handled), len(b.handled))
    assert a_partitions & b_partitions, "replica a never took over b's partitions"
    handled = Counter(i for i, _p in a.handled + b.handled)
    assert set(handled) == set(want)

    # --- on Kafka: each referral once on its program topic --------------------------------------
    by_id = Counter(published)
    assert set(by_id) == {r.id for r in referrals}, "referrals on Kafka differ from the database"
    assert max(by_id.values()) == 1, f"republished: {[k for k, n in by_id.items() if n > 1][:5]}"
    assert await end_offsets(bootstrap, [f"{topic}.dlq"]) == {TopicPartition(f"{topic}.dlq", 0): 0}

    print(
        f"\nreplica a routed {len(a.handled)}, b {len(b.handled)} (b stopped with {b_left} "
        f"records left on its partitions); {len(referrals)} referrals; "
        f"{time.monotonic() - started:.1f} s"
    )


# ------------------------------------------------------------------------------ helpers


async def scalar(replica: Replica, sql: str, **params: Any) -> Any:
    async with replica.runtime.sessions() as session:
        return await session.scalar(text(sql), params)


async def rows(replica: Replica, sql: str, **params: Any) -> list[Any]:
    async with replica.runtime.sessions() as session:
        return list((await session.execute(text(sql), params)).all())


async def end_offsets(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, **security_options())
    await consumer.start()
    try:
        tps = [
            TopicPartition(t, p)
            for t in topics
            for p in sorted(await _partitions(consumer, t))
        ]  # fmt: skip
        found: dict[TopicPartition, int] = await consumer.end_offsets(tps)
        return found
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    parts = consumer.partitions_for_topic(topic)
    while not parts:
        await consumer._client.force_metadata_update()
        parts = consumer.partitions_for_topic(topic)
    return set(parts)


async def _committed(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **security_options())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp: o.offset for tp, o in offsets.items()}
    finally:
        await admin.close()


async def committed_to_end(bootstrap: str, group: str, ends: dict[TopicPartition, int]) -> bool:
    committed = await _committed(bootstrap, group)
    return all(committed.get(tp, -1) >= end for tp, end in ends.items())


async def lag(bootstrap: str, group: str, topic: str, partitions: set[int]) -> int:
    ends = await end_offsets(bootstrap, [topic])
    committed = await _committed(bootstrap, group)
    return sum(
        max(0, end - committed.get(tp, 0)) for tp, end in ends.items() if tp.partition in partitions
    )


class ProgramTopics:
    """The program topics read from where they ended before the test produced anything."""

    def __init__(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> None:
        self.consumer = consumer
        self.tps = tps

    @classmethod
    async def open(cls, bootstrap: str, codes: list[str]) -> ProgramTopics:
        specs = [(program_topic(c), topic_spec(program_topic(c))) for c in codes]
        await create_topics(
            bootstrap,
            [NewTopic(n, t.partitions, 1, topic_configs=dict(t.config)) for n, t in specs],
        )
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, **security_options()
        )
        await consumer.start()
        tps = [
            TopicPartition(program_topic(c), p)
            for c in codes
            for p in sorted(await _partitions(consumer, program_topic(c)))
        ]  # fmt: skip
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)
        return cls(consumer, tps)

    async def referrals(self, intake_ids: set[uuid.UUID]) -> list[uuid.UUID]:
        """Referral ids of ReferralCreated records for these intakes, up to the current end."""
        ends = await self.consumer.end_offsets(self.tps)
        wanted = {str(i) for i in intake_ids}
        found: list[uuid.UUID] = []
        deadline = time.monotonic() + 20
        while any([await self.consumer.position(tp) < ends[tp] for tp in self.tps]):
            assert time.monotonic() < deadline, "program topics not read in time"
            for records in (await self.consumer.getmany(timeout_ms=200)).values():
                for r in records:
                    if dict(r.headers).get("ce_type") != ReferralCreatedV1.ce_type.encode():
                        continue
                    data = orjson.loads(r.value)
                    if data["intake_id"] in wanted:
                        found.append(uuid.UUID(data["referral_id"]))
        return found

    async def close(self) -> None:
        await self.consumer.stop()

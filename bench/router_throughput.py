"""Benchmark: the referral router end to end, next to a raw aiokafka passthrough on the same broker.

Run:  cd /work/main && uv run python bench/router_throughput.py --households 20000
      (servers: --kafka 127.0.0.1:29092 --pg-url postgresql+asyncpg://rujukan:rujukan@127.0.0.1:55449)

Phases, one process, one broker, one PostgreSQL server:

a. router throughput — N ``IntakeSubmittedV1`` events (CloudEvents headers, generated households
   with a fixed seed, fresh uuid4 ids) are pre-produced into a unique 6-partition topic. A router is
   built in-process exactly as the router's tests build it (fresh database migrated with alembic,
   seed catalogue applied through ``RouterState.apply_program``, ``view.ready`` set) and runs the
   ``router-intakes`` ConsumerRunner (spec from ``state(runtime).consumers()``, topic and group
   replaced, wired like ``Runtime._run_consumer``) together with the outbox relay
   (``runtime.relay.run``). Clock: from the first record handed to the handler until the group's
   committed offsets reach the end of every partition AND the outbox is empty (referrals and both
   status events relayed). Afterwards every intake's referrals are checked against ``decide``.
b. passthrough — the same pre-produced topic read with a fresh group; every record produced to
   another unique topic (acks=all, idempotent: the platform's ``make_producer``), acks awaited,
   offsets committed per batch (same 500-record batches as the runner).
c. latency — a fresh router; intakes produced at a steady rate (default 200/s, 30 s) with ce_time
   set at send; a tail consumer on the program topics (referrals.<CODE>, see below) records when
   each household's ReferralCreated records appear. Per household: send -> last (and first) of its
   referrals read.
   Run at each of --rates (default 200/s, the issue's figure, then 50/s for comparison).
d. profile — cProfile around consume+relay of a smaller run (--profile-households): own time by
   layer and the top functions by own time, with file:line (cProfile's cumulative times are
   meaningless for coroutines and SQLAlchemy's greenlets, so none are shown). If pyinstrument is
   importable, the same workload is run again under it for an inclusive call tree; to have it
   without touching the project: ``uv pip install --target /tmp/pyi pyinstrument`` and run with
   ``PYTHONPATH=/tmp/pyi``.

Output topics: a full run relays ~260 k records. So that they do not pile up in the shared
program topics and referrals.status (which tests read from the beginning), the relay's producer
is wrapped to send to bench-<run>.referrals.<CODE> / bench-<run>.referrals.status, created with the
real topics' partitions and configs and deleted at the end; --shared-topics relays to the real
topics, as production does.

CPU accounting: /proc is read for this process, the Kafka broker and the PostgreSQL cluster named
by --kafka/--pg-url, and the whole machine; "other" is everything else running meanwhile.
Everything the benchmark creates (databases, topics) it removes at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import platform
import pstats
import random
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from sqlalchemy import text

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import IntakeSubmittedV1, ProgramPublishedV1, ReferralCreatedV1
from rujukan_contracts.topics import REFERRALS_STATUS, program_topic
from rujukan_contracts.topics import topic as topic_spec
from rujukan_eligibility.catalogue import load_seed_programs
from rujukan_platform.consumer import ConsumerRunner, HandlerContext
from rujukan_platform.heap import tune_collector
from rujukan_platform.kafka import (
    create_topics,
    ensure_catalogue_topics,
    make_consumer,
    make_producer,
)
from rujukan_platform.logging import configure_logging
from rujukan_platform.publish import RecordPublisher
from rujukan_platform.runtime import Runtime, migrate
from rujukan_platform.testing import Servers, create_database, drop_database
from rujukan_registry.domain.programs import published_event
from rujukan_router.bootstrap import definition, state
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import complaint_target, decide
from rujukan_router.settings import RouterSettings

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "services" / "program-registry" / "seed" / "programs"
VILLAGES = ["33.04.01.2001", "33.04.02.2005", "33.16.03.2010", "18.13.04.2002", "31.71.01.1001"]
NEEDS = [
    "health_insurance", "schooling", "food", "cash", "housing",
    "disability_care", "elderly_care", "civil_documents", "other",
]  # fmt: skip
ENROLMENT_CODES = ["PKH", "SEMBAKO", "PBI-JK", "PIP"]
INTAKE_CONSUMER = "router-intakes"
# The router without its background jobs: the catalogue view would tail the shared
# programs.catalog topic; the benchmark feeds the catalogue directly, as the router's tests do.
HEADLESS = replace(definition, background=lambda _rt: [])


# ------------------------------------------------------------------------------ households


def _member(rng: random.Random, relationship: str, age: int, today: date) -> dict[str, Any]:
    sex = rng.choice(["female", "male"])
    if relationship == "head":
        sex = "male" if rng.random() < 0.85 else "female"
    elif relationship == "spouse":
        sex = "female"
    birth = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
    pregnant = sex == "female" and 16 <= age <= 45 and rng.random() < 0.08
    if age < 6:
        schooling = "not_yet"
    elif age <= 18:
        schooling = "in_school" if rng.random() < 0.9 else "not_in_school"
    elif age <= 21:
        schooling = rng.choice(["in_school", "not_in_school", "completed_12y"])
    else:
        schooling = "completed_12y" if rng.random() < 0.4 else "not_in_school"
    r = rng.random()
    disability = "none" if r < 0.9 else "mild" if r < 0.95 else "moderate" if r < 0.98 else "severe"
    return {
        "member_id": str(uuid.uuid4()),
        "relationship": relationship,
        "birth_date": birth.isoformat(),
        "sex": sex,
        "pregnant": pregnant,
        "breastfeeding": sex == "female" and not pregnant and rng.random() < 0.05,
        "disability": disability,
        "schooling": schooling,
        "working": 18 <= age <= 65 and rng.random() < 0.6,
    }


def intake_data(rng: random.Random, codes: list[str], now: datetime) -> dict[str, Any]:
    """One generated intake: 1-8 members of all ages, deciles 1-10, found / not found / found
    without a decile, enrolments, needs, priority lanes, consent variants, some complaints."""
    today = now.date()
    head_age = rng.randint(18, 90)
    members = [_member(rng, "head", head_age, today)]
    if rng.random() < 0.8:
        members.append(_member(rng, "spouse", max(18, head_age + rng.randint(-8, 3)), today))
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
        members.append(_member(rng, "child", rng.randint(0, max(0, min(30, head_age - 18))), today))
    if rng.random() < 0.15:
        members.append(_member(rng, "parent", rng.randint(60, 100), today))
    found = rng.random() < 0.75
    registry: dict[str, Any] = {
        "found": found,
        "enrolments": rng.sample(ENROLMENT_CODES, rng.randint(0, 2)) if found else [],
        "has_kks": found and rng.random() < 0.5,
        "source": "local",
        "checked_at": now.isoformat(),
    }
    if found and rng.random() < 0.97:  # a few registry hits without a decile
        registry["decile"] = rng.randint(1, 10)
    needs = rng.sample(NEEDS, rng.randint(1, 3))
    lanes = []
    if any(m["pregnant"] or m["breastfeeding"] for m in members):
        lanes.append("pregnant_or_breastfeeding")
    if any(today.year - int(m["birth_date"][:4]) >= 60 for m in members):
        lanes.append("elderly")
    if any(m["disability"] != "none" for m in members):
        lanes.append("disability")
    if rng.random() < 0.01:
        lanes.append("violence_victim")
    r = rng.random()
    if r < 0.90:
        consent = {"purposes": ["referral", "notification"], "recipients": ["*"]}
    elif r < 0.97:
        consent = {"purposes": ["referral"], "recipients": rng.sample(codes, rng.randint(2, 6))}
    else:
        consent = {"purposes": ["notification"], "recipients": ["*"]}  # no referral consent
    data: dict[str, Any] = {
        "intake_id": str(uuid.uuid4()),
        "household_id": str(uuid.uuid4()),
        "village_code": rng.choice(VILLAGES),
        "submitted_at": now.isoformat(),
        "members": members,
        "household": {
            "owns_land": rng.random() < 0.6,
            "house_below_standard": rng.random() < 0.2,
            "missing_documents": ["birth_certificate"] if rng.random() < 0.1 else [],
        },
        "registry": registry,
        "needs": needs,
        "priority_lanes": lanes,
        "consent": {**consent, "given_at": now.isoformat()},
        "contact": {"language": "id", "email": "warga@example.org"} if rng.random() < 0.5 else None,
    }
    if "other" in needs:
        data["other_need"] = "Perbaikan atap rumah"
    r = rng.random()
    if r < 0.04:
        data["complaint"] = {
            "kind": "complaint",
            "about_program": rng.choice(codes),
            "text": "Bantuan belum cair",
        }
    elif r < 0.05:
        data["complaint"] = {"kind": "question", "text": "Kapan bantuan cair?"}
    return data


def generate(n: int, seed: int, codes: list[str]) -> list[IntakeSubmittedV1]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    return [IntakeSubmittedV1.model_validate(intake_data(rng, codes, now)) for _ in range(n)]


def expected_referrals(intake: IntakeSubmittedV1, catalogue: Catalogue) -> set[str]:
    """What route_intake must create for a household with no open referral (fresh ids)."""
    decided = decide(intake, catalogue, open_programs=set(), as_of=datetime.now(UTC).date())
    codes = {d.program.code for d in decided.eligible()}
    complaint = complaint_target(intake, catalogue, set())
    if complaint is not None:
        codes.add(complaint.code)
    return codes


# ------------------------------------------------------------------------------ CPU accounting

CLK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: int) -> tuple[int, int, int]:
    """(ppid, own ticks, waited-for children's ticks) of one process."""
    with open(f"/proc/{pid}/stat") as f:
        raw = f.read()
    rest = raw[raw.rindex(")") + 2 :].split()
    return int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14])


def _cmdline(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def find_kafka_pid(bootstrap: str) -> int | None:
    port = bootstrap.rsplit(":", 1)[-1]
    for pid in _pids():
        args = _cmdline(pid)
        if "kafka.Kafka" in args and args[-1].endswith(".properties"):
            try:
                if f":{port}" in Path(args[-1]).read_text():
                    return pid
            except OSError:
                continue
    return None


def find_postmaster_pid(pg_url: str) -> int | None:
    port = str(urlparse(pg_url.replace("postgresql+asyncpg", "postgresql")).port or 5432)
    for pid in _pids():
        args = _cmdline(pid)
        if args and args[0].endswith("/postgres") and "-D" in args:
            data_dir = Path(args[args.index("-D") + 1])
            try:
                lines = (data_dir / "postmaster.pid").read_text().splitlines()
            except OSError:
                lines = []
            if (len(lines) > 3 and lines[3].strip() == port) or (
                not lines and port in str(data_dir)
            ):
                return pid
    return None


@dataclass
class CpuSnapshot:
    at: float
    me: int
    kafka: int
    pg: int
    pg_mine: int
    busy: int


class CpuMeter:
    def __init__(self, kafka_pid: int | None, postmaster_pid: int | None) -> None:
        self.kafka_pid = kafka_pid
        self.postmaster_pid = postmaster_pid

    def _pg_ticks(self) -> tuple[int, int]:
        """The whole cluster, and the live backends of the benchmark's databases."""
        if self.postmaster_pid is None:
            return 0, 0
        _ppid, own, children = _proc_stat(self.postmaster_pid)
        total = own + children  # children: backends that exited (waited for by the postmaster)
        mine = 0
        for pid in _pids():
            try:
                ppid, ticks, _ = _proc_stat(pid)
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.postmaster_pid:
                total += ticks
                if any(" bench_" in a or a.startswith("bench_") for a in _cmdline(pid)):
                    mine += ticks
        return total, mine

    def snapshot(self) -> CpuSnapshot:
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        busy = sum(cpu) - cpu[3] - cpu[4]  # minus idle and iowait
        kafka = _proc_stat(self.kafka_pid)[1] if self.kafka_pid else 0
        pg, pg_mine = self._pg_ticks()
        me = _proc_stat(os.getpid())[1]
        return CpuSnapshot(time.perf_counter(), me, kafka, pg, pg_mine, busy)

    @staticmethod
    def report(a: CpuSnapshot, b: CpuSnapshot) -> str:
        wall = b.at - a.at
        cores = os.cpu_count() or 1
        parts = {
            "bench process (router/passthrough)": b.me - a.me,
            "kafka broker (shared)": b.kafka - a.kafka,
            "postgresql: the bench's backends": b.pg_mine - a.pg_mine,
            "postgresql: the rest of the cluster": (b.pg - a.pg) - (b.pg_mine - a.pg_mine),
        }
        parts["everything else on the machine"] = max(0, (b.busy - a.busy) - sum(parts.values()))
        busy = (b.busy - a.busy) / CLK
        out = [f"    CPU over {wall:.1f} s wall ({cores} cores = {cores * wall:.1f} core-s):"]
        for name, ticks in parts.items():
            out.append(
                f"      {name:36s} {ticks / CLK:7.1f} core-s  {ticks / CLK / wall:5.2f} cores"
            )
        out.append(f"      {'machine busy':36s} {busy:7.1f} core-s  {busy / wall:5.2f} cores")
        return "\n".join(out)


# ------------------------------------------------------------------------------ Kafka helpers


async def produce_intakes(
    bootstrap: str, topic: str, intakes: list[IntakeSubmittedV1]
) -> tuple[float, dict[TopicPartition, int]]:
    """Pre-produce with the platform's producer (acks=all, idempotent); returns seconds taken and
    the end offsets."""
    producer = make_producer(bootstrap, client_id="bench-intake")
    await producer.start()
    try:
        t0 = time.perf_counter()
        futures = []
        for intake in intakes:
            meta = EventMeta(
                type=IntakeSubmittedV1.ce_type, source="/rujukan/intake", subject=intake.key()
            )
            futures.append(
                await producer.send(
                    topic,
                    value=intake.model_dump_json().encode(),
                    key=intake.key().encode(),
                    headers=meta.to_headers(),
                )
            )
        await asyncio.gather(*futures)
        elapsed = time.perf_counter() - t0
    finally:
        await producer.stop()
    return elapsed, await end_offsets(bootstrap, [topic])


async def end_offsets(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        tps = []
        for t in topics:
            parts = consumer.partitions_for_topic(t)
            while not parts:
                await consumer._client.force_metadata_update()
                parts = consumer.partitions_for_topic(t)
            tps += [TopicPartition(t, p) for p in sorted(parts)]
        ends: dict[TopicPartition, int] = await consumer.end_offsets(tps)
        return ends
    finally:
        await consumer.stop()


async def committed_to_end(
    admin: AIOKafkaAdminClient, group: str, ends: dict[TopicPartition, int]
) -> bool:
    offsets = await admin.list_consumer_group_offsets(group)
    return all((o.offset if (o := offsets.get(tp)) else -1) >= end for tp, end in ends.items())


# ------------------------------------------------------------------------------ the router


# Where the relay's records go. By default "bench-<run>." is put before every topic the relay
# publishes to (bench-<run>.referrals.<CODE>, bench-<run>.referrals.status: created like the real
# ones, deleted at the end) so that the runs do not pile records into the shared program topics
# and referrals.status that tests read from the beginning; --shared-topics publishes to the real
# topics, as production does. The work measured is the same: one more Python call per record.
OUTPUT_PREFIX = ""


class RenamingProducer:
    """The relay's producer, sending to ``OUTPUT_PREFIX + topic``."""

    def __init__(self, inner: Any, prefix: str) -> None:
        self._inner = inner
        self._prefix = prefix

    async def send(self, topic: str, *args: Any, **kwargs: Any) -> Any:
        return await self._inner.send(self._prefix + topic, *args, **kwargs)

    async def partitions_for(self, topic: str) -> Any:
        return await self._inner.partitions_for(self._prefix + topic)

    async def send_batch(self, batch: Any, topic: str, *, partition: int) -> Any:
        return await self._inner.send_batch(batch, self._prefix + topic, partition=partition)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def output_topics(codes: list[str]) -> list[NewTopic]:
    """The private copies of the topics the relay publishes to (same partitions and configs)."""
    names = [program_topic(c) for c in codes] + [REFERRALS_STATUS]
    return [
        NewTopic(
            OUTPUT_PREFIX + n, topic_spec(n).partitions, 1, topic_configs=dict(topic_spec(n).config)
        )
        for n in names
    ]


@dataclass
class RunResult:
    first: float = 0.0
    consumed: float = 0.0
    done: float = 0.0
    handled: int = 0
    cpu_first: CpuSnapshot | None = None
    cpu_done: CpuSnapshot | None = None


class RouterUnderTest:
    """A router in-process: fresh migrated database, seed catalogue, the intake consumer and the
    outbox relay, wired like ``Runtime.start`` wires them."""

    def __init__(
        self, servers: Servers, seeds: list[ProgramPublishedV1], meter: CpuMeter | None
    ) -> None:
        self.servers = servers
        self.seeds = seeds
        self.meter = meter
        self.database = ""
        self.result = RunResult()
        self.stop_event = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []
        self.consumer: AIOKafkaConsumer | None = None
        self.failed: BaseException | None = None

    async def start(self) -> None:
        self.database = await create_database(self.servers, prefix="bench")
        settings = RouterSettings(
            kafka_bootstrap=self.servers.kafka_bootstrap,
            pg_url=self.servers.pg_url,
            database=self.database,
            environment="test",
            run_consumers="none",
            log_json=False,
            log_level="WARNING",
        )
        await asyncio.to_thread(migrate, HEADLESS, settings.dsn)
        self.runtime = Runtime(HEADLESS, settings)
        self.runtime.on_fatal = self._fatal
        if OUTPUT_PREFIX:
            self.runtime.relay._publisher = RecordPublisher(
                RenamingProducer(self.runtime.producer, OUTPUT_PREFIX)  # type: ignore[arg-type]
            )
        await self.runtime.producer.start()
        self.state = state(self.runtime)
        for event in self.seeds:
            await self.state.apply_program(event.code, event)
        self.state.view.ready.set()
        tune_collector()  # as Runtime.start and the catalogue view do

    def _fatal(self, exc: BaseException) -> None:
        self.failed = exc

    async def run(self, topic: str, group: str) -> None:
        """Start the router-intakes consumer on ``topic`` and the outbox relay."""
        rt = self.runtime
        spec = next(s for s in self.state.consumers() if s.name == INTAKE_CONSUMER)
        t = IntakeSubmittedV1.ce_type
        handle = spec.handlers[t]
        batches = dict(getattr(spec, "batch_handlers", {}))  # the runner prefers these

        def note(n: int) -> None:
            if self.result.handled == 0:
                self.result.first = time.perf_counter()
                if self.meter is not None:
                    self.result.cpu_first = self.meter.snapshot()
            self.result.handled += n

        async def timed(ctx: HandlerContext, event: Any) -> None:
            note(1)
            await handle(ctx, event)

        extra: dict[str, Any] = {}
        if t in batches:
            handle_batch = batches[t]

            async def timed_batch(items: list[tuple[HandlerContext, Any]]) -> None:
                note(len(items))
                await handle_batch(items)

            extra["batch_handlers"] = {**batches, t: timed_batch}
        spec = replace(spec, topics=[topic], group_id=group, handlers={t: timed}, **extra)
        # as Runtime._run_consumer does
        self.consumer = make_consumer(
            rt.settings.kafka_bootstrap,
            group_id=spec.group,
            client_id=f"bench-{spec.name}-{os.getpid()}",
            max_poll_records=rt.settings.consumer_batch,
        )
        runner = ConsumerRunner(
            spec,
            consumer=self.consumer,
            producer=rt.producer,
            sessions=rt.sessions,
            outbox=rt.outbox,
            on_committed=lambda _n: rt.relay.wake(),
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

        self.tasks = [
            asyncio.create_task(consume(), name="consumer"),
            asyncio.create_task(rt.relay.run(self.stop_event), name="relay"),
        ]

    def check_tasks(self) -> None:
        for task in self.tasks:
            if task.done():
                task.result()
                raise RuntimeError(f"router task {task.get_name()} stopped")
        if self.failed is not None:
            raise RuntimeError(f"router failed: {self.failed!r}")

    async def wait_assigned(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while not (self.consumer and self.consumer.assignment()):
            self.check_tasks()
            if time.monotonic() > deadline:
                raise TimeoutError("the router's consumer got no partitions")
            await asyncio.sleep(0.05)

    async def wait_done(
        self, group: str, ends: dict[TopicPartition, int], *, within: float, poll: float = 0.05
    ) -> RunResult:
        """Until committed to the end and the outbox is empty."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.servers.kafka_bootstrap)
        await admin.start()
        deadline = time.monotonic() + within
        try:
            while True:
                self.check_tasks()
                if time.monotonic() > deadline:
                    raise TimeoutError(f"router did not finish in {within}s")
                if self.result.handled and await committed_to_end(admin, group, ends):
                    now = time.perf_counter()
                    self.result.consumed = self.result.consumed or now
                    if await self.scalar("SELECT count(*) FROM outbox") == 0:
                        self.result.done = time.perf_counter()
                        if self.meter is not None:
                            self.result.cpu_done = self.meter.snapshot()
                        return self.result
                await asyncio.sleep(poll)
        finally:
            await admin.close()

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.sessions() as session:
            return await session.scalar(text(sql), params)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.runtime.sessions() as session:
            return list((await session.execute(text(sql), params)).all())

    async def stop(self) -> None:
        self.stop_event.set()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=30)
        if hasattr(self, "runtime"):
            await self.runtime.producer.stop()
            await self.runtime.engine.dispose()
        if hasattr(self, "state"):
            await self.state.view._consumer.stop()  # built, never started (no background jobs)
        if self.database:
            await drop_bench_database(self.servers, self.database)


async def drop_bench_database(servers: Servers, name: str) -> None:
    """Plain DROP first: it makes an autovacuum worker on the database exit, where
    ``DROP ... WITH (FORCE)`` (``rujukan_platform.testing.drop_database``) fails with
    'must be a member of the role whose process is being terminated' for a non-superuser."""
    import asyncpg

    for attempt in range(10):
        conn = await asyncpg.connect(servers.pg_dsn + "/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except asyncpg.exceptions.ObjectInUseError:
            if attempt == 9:
                await drop_database(servers, name)  # WITH (FORCE)
                return
        finally:
            await conn.close()
        await asyncio.sleep(0.5)


async def verify(router: RouterUnderTest, intakes: list[IntakeSubmittedV1]) -> str:
    """Every intake: decisions stored, processed once, referrals == decide's, all delivered."""
    catalogue = router.state.catalogue
    want = {i.intake_id: expected_referrals(i, catalogue) for i in intakes}
    got: dict[Any, set[str]] = {}
    rows = await router.rows("SELECT intake_id, program_code, status FROM referrals")
    statuses: dict[str, int] = {}
    dupes = 0
    for r in rows:
        codes = got.setdefault(r.intake_id, set())
        dupes += r.program_code in codes
        codes.add(r.program_code)
        statuses[r.status] = statuses.get(r.status, 0) + 1
    wrong = sum(1 for i, codes in want.items() if got.get(i, set()) != codes)
    processed = await router.scalar(
        "SELECT count(*) FROM processed_events WHERE consumer = :c", c=INTAKE_CONSUMER
    )
    decided = await router.scalar("SELECT count(DISTINCT intake_id) FROM decisions")
    expected_total = sum(len(c) for c in want.values())
    ok = wrong == 0 and dupes == 0 and processed == len(intakes) and decided == len(intakes)
    return (
        f"    check: {'OK' if ok else 'MISMATCH'} — referrals {len(rows)} (decide says "
        f"{expected_total}), intakes with a different set {wrong}, duplicate rows {dupes}, "
        f"processed_events {processed}/{len(intakes)}, intakes with decisions {decided}, "
        f"statuses {statuses}"
    )


# ------------------------------------------------------------------------------ phases


def _partition_spread(ends: dict[TopicPartition, int]) -> str:
    return "/".join(str(ends[tp]) for tp in sorted(ends, key=lambda t: t.partition))


async def new_topics(bootstrap: str, names: list[str], partitions: int) -> None:
    specs = [NewTopic(n, partitions, 1) for n in names] + [
        NewTopic(f"{n}.dlq", 1, 1) for n in names
    ]
    await create_topics(bootstrap, specs)


async def dlq_count(bootstrap: str, topic: str) -> int:
    ends = await end_offsets(bootstrap, [f"{topic}.dlq"])
    return sum(ends.values())


async def phase_throughput(
    servers: Servers,
    seeds: list[ProgramPublishedV1],
    topic: str,
    intakes: list[IntakeSubmittedV1],
    ends: dict[TopicPartition, int],
    meter: CpuMeter,
    run_id: str,
) -> dict[str, Any]:
    n = len(intakes)
    router = RouterUnderTest(servers, seeds, meter)
    try:
        await router.start()
        group = f"bench-{run_id}-router"
        await router.run(topic, group)
        res = await router.wait_done(group, ends, within=max(600.0, n / 20))
        referrals = await router.scalar("SELECT count(*) FROM referrals")
        print("a. router: consume -> decide -> commit -> relay (consumer + relay, one process)")
        total, consume = res.done - res.first, res.consumed - res.first
        print(
            f"    households {n}, referrals {referrals} ({referrals / n:.2f}/household), "
            f"events relayed {3 * referrals} (ReferralCreated + created + delivered status)"
        )
        print(
            f"    consumed and committed to the end: {consume:.2f} s"
            f"  ({n / consume:.0f} households/s)"
        )
        print(f"    + outbox drained (all relayed):    {total:.2f} s")
        print(
            f"    ROUTER: {n / total:.0f} households/s, {referrals / total:.0f} referrals/s, "
            f"{3 * referrals / total:.0f} events published/s"
        )
        if res.cpu_first and res.cpu_done:
            print(CpuMeter.report(res.cpu_first, res.cpu_done))
        print(await verify(router, intakes))
        print(f"    DLQ records: {await dlq_count(servers.kafka_bootstrap, topic)}")
        return {"hh_s": n / total, "ref_s": referrals / total, "seconds": total}
    finally:
        await router.stop()


async def phase_passthrough(
    servers: Servers,
    src: str,
    dst: str,
    ends: dict[TopicPartition, int],
    meter: CpuMeter,
    run_id: str,
) -> dict[str, Any]:
    bootstrap = servers.kafka_bootstrap
    consumer = make_consumer(
        bootstrap, group_id=f"bench-{run_id}-passthrough", client_id="bench-pt"
    )
    producer = make_producer(bootstrap, client_id="bench-passthrough")
    await producer.start()
    await consumer.start()
    consumer.subscribe([src])
    committed = {tp: 0 for tp in ends}
    first = 0.0
    count = 0
    cpu0 = None
    try:
        deadline = time.monotonic() + 600
        while any(committed[tp] < end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                raise TimeoutError("passthrough did not finish")
            batch = await consumer.getmany(timeout_ms=200, max_records=500)
            if not batch:
                continue
            if not first:
                first = time.perf_counter()
                cpu0 = meter.snapshot()
            futures = []
            for records in batch.values():
                for r in records:
                    futures.append(
                        await producer.send(dst, value=r.value, key=r.key, headers=list(r.headers))
                    )
            await asyncio.gather(*futures)
            offsets = {tp: recs[-1].offset + 1 for tp, recs in batch.items()}
            await consumer.commit(offsets)
            committed.update(offsets)
            count += len(futures)
        elapsed = time.perf_counter() - first
        cpu1 = meter.snapshot()
    finally:
        await consumer.stop()
        await producer.stop()
    print("b. passthrough: aiokafka consume -> produce (acks=all, idempotent) -> commit, 500/batch")
    print(f"    records {count} in {elapsed:.2f} s")
    print(f"    PASSTHROUGH: {count / elapsed:.0f} records/s")
    assert cpu0 is not None
    print(CpuMeter.report(cpu0, cpu1))
    return {"rec_s": count / elapsed}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


class Tail:
    """Reads the program topics from their current end; notes when each referral appears."""

    def __init__(self, bootstrap: str, codes: list[str]) -> None:
        self.bootstrap = bootstrap
        self.topics = [OUTPUT_PREFIX + program_topic(c) for c in codes]
        self.seen: dict[str, list[tuple[float, float]]] = {}  # intake -> [(read at, created ms)]
        self.stop_event = asyncio.Event()

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, fetch_max_wait_ms=20
        )
        await self.consumer.start()
        tps = []
        for t in self.topics:
            parts = self.consumer.partitions_for_topic(t)
            while not parts:
                await self.consumer._client.force_metadata_update()
                parts = self.consumer.partitions_for_topic(t)
            tps += [TopicPartition(t, p) for p in parts]
        self.consumer.assign(tps)
        await self.consumer.seek_to_end(*tps)
        for tp in tps:
            await self.consumer.position(tp)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self.stop_event.is_set():
            batch = await self.consumer.getmany(timeout_ms=100)
            now = time.time()
            for records in batch.values():
                for r in records:
                    if dict(r.headers).get("ce_type") != ReferralCreatedV1.ce_type.encode():
                        continue
                    intake = orjson.loads(r.value)["intake_id"]
                    self.seen.setdefault(intake, []).append((now, r.timestamp / 1000))

    async def stop(self) -> None:
        self.stop_event.set()
        await self.task
        await self.consumer.stop()


async def phase_latency(
    servers: Servers,
    seeds: list[ProgramPublishedV1],
    topic: str,
    codes: list[str],
    rate: float,
    seconds: float,
    seed: int,
    meter: CpuMeter,
    run_id: str,
) -> dict[str, Any]:
    bootstrap = servers.kafka_bootstrap
    n = int(rate * seconds)
    warm = int(rate)  # one second of warm-up, not measured
    intakes = generate(n + warm, seed + 1, codes)
    router = RouterUnderTest(servers, seeds, None)
    tail = Tail(bootstrap, codes)
    producer = make_producer(bootstrap, client_id="bench-intake-paced")
    try:
        await router.start()
        want = {
            str(i.intake_id): len(expected_referrals(i, router.state.catalogue)) for i in intakes
        }
        await tail.start()
        group = f"bench-{run_id}-latency"
        await router.run(topic, group)
        await router.wait_assigned()
        await producer.start()
        sent_at: dict[str, float] = {}

        async def paced(batch: list[IntakeSubmittedV1]) -> float:
            futures = []
            t0 = time.perf_counter()
            behind = 0.0
            for k, intake in enumerate(batch):
                target = t0 + k / rate
                delay = target - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    behind = max(behind, -delay)
                meta = EventMeta(
                    type=IntakeSubmittedV1.ce_type, source="/rujukan/intake", subject=intake.key()
                )
                sent_at[str(intake.intake_id)] = meta.time.timestamp()
                futures.append(
                    await producer.send(
                        topic,
                        value=intake.model_dump_json().encode(),
                        key=intake.key().encode(),
                        headers=meta.to_headers(),
                    )
                )
            await asyncio.gather(*futures)
            return behind

        def complete(ids: list[str]) -> bool:
            return all(len(tail.seen.get(i, ())) >= want[i] for i in ids)

        async def until_complete(ids: list[str], within: float) -> None:
            deadline = time.monotonic() + within
            while not complete(ids):
                router.check_tasks()
                if time.monotonic() > deadline:
                    missing = sum(1 for i in ids if len(tail.seen.get(i, ())) < want[i])
                    raise TimeoutError(f"{missing} households' referrals never appeared")
                await asyncio.sleep(0.05)

        await paced(intakes[:warm])
        await until_complete([str(i.intake_id) for i in intakes[:warm]], 60)
        measured = intakes[warm:]
        cpu0 = meter.snapshot()
        t0 = time.perf_counter()
        behind = await paced(measured)
        send_seconds = time.perf_counter() - t0
        ids = [str(i.intake_id) for i in measured]
        await until_complete(ids, 120)
        cpu1 = meter.snapshot()
        last, first, relayed = [], [], []
        no_referral = 0
        for i in ids:
            if want[i] == 0:
                no_referral += 1
                continue
            seen = tail.seen[i]
            last.append(max(s[0] for s in seen) - sent_at[i])
            first.append(min(s[0] for s in seen) - sent_at[i])
            relayed.append(max(s[1] for s in seen) - sent_at[i])
        extra = sum(max(0, len(tail.seen.get(i, ())) - want[i]) for i in ids)
        print(
            f"c. latency: {n} intakes at a steady {rate:.0f}/s ({send_seconds:.1f} s of sending, "
            f"producer at most {behind * 1e3:.0f} ms behind schedule), after {warm} warm-up intakes"
        )
        print(
            f"    households with referrals {len(last)}, without (nothing eligible) {no_referral}, "
            f"referrals seen beyond decide's {extra}"
        )
        for label, values in (
            ("send -> last referral read", last),
            ("send -> first referral read", first),
            ("send -> last referral produced", relayed),
        ):
            ms = [v * 1e3 for v in values]
            print(
                f"    {label:31s} p50 {_pct(ms, 50):6.0f} ms  p95 {_pct(ms, 95):6.0f} ms  "
                f"p99 {_pct(ms, 99):6.0f} ms  max {max(ms):6.0f} ms"
            )
        print(CpuMeter.report(cpu0, cpu1))
        return {"p50": _pct(last, 50), "p95": _pct(last, 95), "p99": _pct(last, 99)}
    finally:
        await producer.stop()
        if hasattr(tail, "task"):
            await tail.stop()
        await router.stop()


def _where(filename: str) -> str:
    for marker in ("/site-packages/", "/src/", "/lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.replace(str(ROOT) + "/", "")


EPOLL = "<method 'poll' of 'select.epoll' objects>"
LAYERS = [  # (substring of the file path, layer); the first match wins
    ("/sqlalchemy/", "SQLAlchemy (Core/ORM, async adaption)"),
    ("/asyncpg/", "asyncpg (protocol, in Python)"),
    ("/aiokafka/", "aiokafka (producer/consumer)"),
    ("/pydantic/", "pydantic (models, dumps)"),
    ("/rujukan_eligibility/", "eligibility (context, CEL rules)"),
    ("/rujukan_router/", "router (domain + service layer)"),
    ("/rujukan_platform/", "platform (runner, outbox relay)"),
    ("/rujukan_contracts/", "contracts (envelope, events)"),
    ("/asyncio/", "asyncio event loop"),
    ("selectors.py", "asyncio event loop"),
    ("/greenlet/", "greenlet"),
    ("router_throughput.py", "benchmark harness"),
]


def _layer(key: tuple[str, int, str]) -> str | None:
    """The layer of a Python function; None for a C function (attributed to its callers)."""
    filename, _line, name = key
    if filename == "~":
        if "_socket.socket" in name:
            return "socket send/recv (syscalls, loopback TCP)"
        if "pydantic_core" in name:
            return "pydantic (models, dumps)"
        if "builtins.Program" in name or "cel." in name:
            return "eligibility (context, CEL rules)"
        return None
    for marker, layer in LAYERS:
        if marker in filename:
            return layer
    return "other Python (stdlib: uuid, datetime, json, ...)"


def layer_breakdown(raw: dict[Any, Any]) -> dict[str, float]:
    """Own time per layer; C functions without a layer of their own count for their callers."""
    out: dict[str, float] = {}
    for key, (_cc, _nc, tt, _ct, callers) in raw.items():
        if key[2] == EPOLL:
            continue
        layer = _layer(key)
        if layer is not None:
            out[layer] = out.get(layer, 0.0) + tt
            continue
        spread = sum(c[2] for c in callers.values()) or 1.0
        for caller, c in callers.items():
            owner = _layer(caller) or "other C functions"
            out[owner] = out.get(owner, 0.0) + tt * c[2] / spread
    return out


async def profiled_run(
    servers: Servers,
    seeds: list[ProgramPublishedV1],
    topic: str,
    intakes: list[IntakeSubmittedV1],
    ends: dict[TopicPartition, int],
    group: str,
    start: Callable[[], None],
    stop: Callable[[], None],
) -> float:
    router = RouterUnderTest(servers, seeds, None)
    try:
        await router.start()
        start()
        try:
            await router.run(topic, group)
            res = await router.wait_done(group, ends, within=max(600.0, len(intakes) / 10))
        finally:
            stop()
        return len(intakes) / (res.done - res.first)
    finally:
        await router.stop()


async def phase_profile(
    servers: Servers,
    seeds: list[ProgramPublishedV1],
    intakes: list[IntakeSubmittedV1],
    topics: list[str],
    run_id: str,
    top: int,
    out: Path | None,
    use_pyinstrument: bool,
) -> None:
    n = len(intakes)
    bootstrap = servers.kafka_bootstrap
    _took, ends = await produce_intakes(bootstrap, topics[0], intakes)
    profiler = cProfile.Profile()
    rate = await profiled_run(
        servers, seeds, topics[0], intakes, ends, f"bench-{run_id}-profile",
        profiler.enable, profiler.disable,
    )  # fmt: skip
    stats = pstats.Stats(profiler)
    if out is not None:
        stats.dump_stats(str(out))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    idle = sum(v[2] for k, v in raw.items() if k[2] == EPOLL)
    cpu = sum(v[2] for v in raw.values()) - idle
    print(
        f"d. profile: cProfile around consume+relay of {n} households ({rate:.0f} households/s "
        f"under the profiler); {cpu:.1f} s in this process's code, {idle:.1f} s waiting in epoll"
    )
    print("    own time by layer (C functions counted for their Python callers):")
    for layer, t in sorted(layer_breakdown(raw).items(), key=lambda kv: -kv[1]):
        print(f"    {t / cpu * 100:5.1f}%  {t / n * 1e6:7.0f} us/household  {layer}")
    print(f"    top {top} functions by own time (% of non-idle; us per household; calls):")
    shown = 0
    for (filename, line, name), (_cc, nc, tt, _ct, _callers) in sorted(
        raw.items(), key=lambda kv: kv[1][2], reverse=True
    ):
        if name == EPOLL:
            continue
        print(
            f"    {tt / cpu * 100:5.1f}%  {tt / n * 1e6:6.0f} us  {nc:8d}  "
            f"{_where(filename)}:{line} {name}"
        )
        shown += 1
        if shown >= top:
            break
    if not use_pyinstrument:
        return
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("    (pyinstrument not installed: no inclusive call tree)")
        return
    _took, ends = await produce_intakes(bootstrap, topics[1], intakes)
    sampler = Profiler(interval=0.0005, async_mode="disabled")
    rate = await profiled_run(
        servers, seeds, topics[1], intakes, ends, f"bench-{run_id}-pyinstrument",
        sampler.start, sampler.stop,
    )  # fmt: skip
    print(
        f"    pyinstrument (sampling every 0.5 ms, same workload again, {rate:.0f} households/s): "
        "inclusive wall time, % of the run; SQLAlchemy runs statements in greenlets, whose "
        "frames appear as separate roots (Session.execute ...) rather than under their caller"
    )
    text_tree = sampler.output_text(
        unicode=False,
        color=False,
        time="percent_of_total",
        processor_options={"filter_threshold": 0.012},
    )
    for line in text_tree.splitlines():
        if line.strip() and not line.lstrip().startswith(("_", "/", "Recorded", "Profile at")):
            print("    " + line)


# ------------------------------------------------------------------------------ main


def _glob_libs(arg: str) -> list[str]:
    folder = arg.split(":")[0].rstrip("*").rstrip("/")
    try:
        return os.listdir(folder)[:500]
    except OSError:
        return []


def machine_facts(servers: Servers) -> str:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(
                cmd, shell=True, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"

    model = sh("lscpu | sed -n 's/^Model name:[ \\t]*//p'") or platform.processor()
    mem = sh("free -h | awk '/^Mem:/ {print $2}'")
    kafka_version = "?"
    pid = find_kafka_pid(servers.kafka_bootstrap)
    if pid is not None:
        libs = [a for a in _cmdline(pid) if "/libs" in a]
        jars = " ".join(libs + [os.path.basename(j) for d in libs for j in _glob_libs(d)])
        m = re.search(r"kafka(?:_2\.\d+)?-(\d+\.\d+\.\d+)", jars)
        kafka_version = m.group(1) if m else "?"
    return (
        f"{os.cpu_count()} cores ({model}), {mem} RAM, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; python {platform.python_version()}; "
        f"Kafka {kafka_version} (pid {pid})"
    )


def code_state() -> str:
    """The commit measured and the router-related files that differ from it (read-only git)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", "--no-optional-locks", "-C", str(ROOT), *args],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout.rstrip()
        except (OSError, subprocess.SubprocessError):
            return "?"

    head = git("log", "-1", "--format=%h %s")
    paths = ["services/referral-router/src", "libs", "contracts/src"]
    porcelain = git("status", "--porcelain", "--", *paths).splitlines()
    dirty = [ln[3:] for ln in porcelain if len(ln) > 3]  # "XY path"
    return f"code: {head}; uncommitted in router/libs/contracts: {', '.join(dirty) or 'none'}"


async def pg_version(servers: Servers) -> str:
    import asyncpg

    conn = await asyncpg.connect(servers.pg_dsn + "/postgres")
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


async def amain(args: argparse.Namespace) -> None:
    configure_logging(service="bench", level="WARNING", json=False)
    servers = Servers(args.kafka, args.pg_url.rstrip("/"))
    bootstrap = servers.kafka_bootstrap
    meter = CpuMeter(find_kafka_pid(bootstrap), find_postmaster_pid(servers.pg_url))
    run_id = uuid.uuid4().hex[:8]
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, run {run_id}")
    print(
        machine_facts(servers) + f"; PostgreSQL {await pg_version(servers)} "
        f"(postmaster pid {meter.postmaster_pid})"
    )
    print(code_state())
    seeds = [published_event(p) for p in load_seed_programs(SEED_DIR)]
    codes = sorted(e.code for e in seeds)
    print(
        f"catalogue: {len(seeds)} programs {codes}; {args.partitions} partitions per intake topic"
    )
    await ensure_catalogue_topics(bootstrap)  # referrals.status, as `make up` does

    topic = f"bench-{run_id}.intake.submitted"
    out_topic = f"bench-{run_id}.passthrough"
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    latency_topics = [f"bench-{run_id}.latency{k}.intake.submitted" for k in range(len(rates))]
    profile_topic = f"bench-{run_id}.profile.intake.submitted"
    mine = [topic, out_topic, *latency_topics, profile_topic, profile_topic + "-2"]
    global OUTPUT_PREFIX
    OUTPUT_PREFIX = "" if args.shared_topics else f"bench-{run_id}."
    private = output_topics(codes) if OUTPUT_PREFIX else []
    print(
        "relay output: "
        + (f"{OUTPUT_PREFIX}referrals.<CODE> and {OUTPUT_PREFIX}referrals.status" if private
           else "the shared referrals.<CODE> and referrals.status topics")
    )  # fmt: skip
    try:
        await new_topics(bootstrap, mine, args.partitions)
        if private:
            await create_topics(bootstrap, private)
        phases = set(args.phases.split(","))
        if phases & {"a", "b"}:
            t0 = time.perf_counter()
            intakes = generate(args.households, args.seed, codes)
            gen = time.perf_counter() - t0
            took, ends = await produce_intakes(bootstrap, topic, intakes)
            size = sum(len(i.model_dump_json()) for i in intakes[:1000]) / min(1000, len(intakes))
            print(
                f"pre-produced {len(intakes)} intakes (generated in {gen:.1f} s, ~{size:.0f} B "
                f"each) in {took:.1f} s ({len(intakes) / took:.0f}/s); per partition "
                f"{_partition_spread(ends)}"
            )
            router = pt = None
            if "a" in phases:
                router = await phase_throughput(servers, seeds, topic, intakes, ends, meter, run_id)
            if "b" in phases:
                pt = await phase_passthrough(servers, topic, out_topic, ends, meter, run_id)
            if router and pt:
                print(
                    f"=> router {router['hh_s']:.0f} households/s = "
                    f"{router['hh_s'] / pt['rec_s'] * 100:.1f}% of the passthrough's "
                    f"{pt['rec_s']:.0f} records/s (issue: >= 25%; aim 2,500 households/s = "
                    f"{router['hh_s'] / 2500 * 100:.0f}% of the aim)"
                )
            del intakes
        if "c" in phases:
            for rate, latency_topic in zip(rates, latency_topics, strict=True):
                await phase_latency(
                    servers, seeds, latency_topic, codes, rate, args.latency_seconds,
                    args.seed, meter, run_id,
                )  # fmt: skip
        if "d" in phases:
            await phase_profile(
                servers, seeds, generate(args.profile_households, args.seed + 2, codes),
                [profile_topic, profile_topic + "-2"], run_id, args.top,
                Path(args.profile_out) if args.profile_out else None, args.pyinstrument,
            )  # fmt: skip
    finally:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            ours = [*mine, *(f"{t}.dlq" for t in mine), *(t.name for t in private)]
            doomed = [t for t in ours if t in existing]
            if doomed:
                await admin.delete_topics(doomed)
        finally:
            await admin.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument(
        "--rates",
        default="200,50",
        help="intakes/s of the latency runs, each with a fresh router (200: the issue's figure; "
        "50: below saturation on the 2-core test bed, for comparison)",
    )
    ap.add_argument("--latency-seconds", type=float, default=30.0)
    ap.add_argument("--profile-households", type=int, default=3000)
    ap.add_argument("--top", type=int, default=30, help="profile rows shown")
    ap.add_argument("--profile-out", default=None, help="also dump the pstats file here")
    ap.add_argument(
        "--no-pyinstrument",
        dest="pyinstrument",
        action="store_false",
        help="skip the second, sampled profile (run only if pyinstrument is importable)",
    )
    ap.add_argument(
        "--shared-topics",
        action="store_true",
        help="relay to the real referrals.<CODE> / referrals.status topics (default: private "
        "bench-<run>.* copies, deleted at the end)",
    )
    ap.add_argument("--phases", default="a,b,c,d", help="any of a,b,c,d")
    ap.add_argument(
        "--kafka", default=os.environ.get("RUJUKAN_TEST_KAFKA_BOOTSTRAP", "127.0.0.1:29092")
    )
    ap.add_argument(
        "--pg-url",
        default=os.environ.get(
            "RUJUKAN_TEST_PG_URL", "postgresql+asyncpg://rujukan:rujukan@127.0.0.1:55449"
        ),
    )
    args = ap.parse_args()
    asyncio.run(amain(args))


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: the referral router end to end, as deployed, next to a raw aiokafka passthrough.

Run:  cd /work/main && uv run python bench/router_throughput.py            (about 4 minutes)
      uv run python bench/router_throughput.py --households 20000 --topologies 2+relay --phases a,b
      (two versions of the code against each other in one run: bench/router_ab.py)

The benchmark starts its own Kafka (KRaft) and PostgreSQL with the project's scripts
(deploy/local, ports 39092 and 55469, state in .local/bench-servers, wiped first) and stops
them at the end, so every run starts from an empty broker and database and uses the real topic
names. The router runs as the operating-system processes an operator would start:

  1        one ``python -m rujukan_router serve`` (API, relay and intake consumer in one
           process: what ``make up`` runs)
  1+relay  ``consume router-intakes`` and ``relay`` in two processes
  2+relay  two ``consume router-intakes`` replicas in one consumer group, and ``relay``

Phases, all on the same broker and database server:

a. throughput, for each of --topologies: N generated ``IntakeSubmittedV1`` events (fixed seed,
   CloudEvents headers) are produced into ``intake.submitted`` and the seed catalogue into
   ``programs.catalog``; then the router processes start on a fresh database. Clock: from the
   first intake batch's transaction (``processed_events.processed_at``) to the last referral
   marked delivered (``referral_history.at``), i.e. intake event consumed -> referrals on their
   program topics and 'delivered' on referrals.status, all state committed. Afterwards the
   group's committed offsets must be at the end, the outbox empty, every referral delivered,
   and every intake's referrals exactly what ``decide`` says.
b. passthrough: the same intake records read with a fresh group and produced to another topic
   by aiokafka (acks=all, idempotent: the platform's producer), acks awaited and offsets
   committed per 500-record batch.
c. latency: the router (--latency-topology) running and warm; intakes produced at a steady
   --rates (default 200/s) for --latency-seconds; a tail consumer on the program topics notes
   when each household's referrals appear: send -> first / last referral read.
d. profile: phase a once more with each router process under cProfile (own time by layer and
   the top functions, per process kind).

CPU: /proc is sampled every 100 ms for the router processes, the broker, the PostgreSQL
cluster, this process and the whole machine, and integrated over each measured window.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import pstats
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import IntakeSubmittedV1, ProgramPublishedV1, ReferralCreatedV1
from rujukan_contracts.topics import (
    INTAKE_SUBMITTED,
    PROGRAMS_CATALOG,
    program_topic,
)
from rujukan_eligibility.catalogue import load_seed_programs
from rujukan_platform.kafka import (
    create_topics,
    ensure_catalogue_topics,
    make_producer,
    security_options,
)
from rujukan_platform.logging import configure_logging
from rujukan_registry.domain.programs import published_event
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import complaint_target, decide

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "services" / "program-registry" / "seed" / "programs"
VILLAGES = ["33.04.01.2001", "33.04.02.2005", "33.16.03.2010", "18.13.04.2002", "31.71.01.1001"]
NEEDS = [
    "health_insurance", "schooling", "food", "cash", "housing",
    "disability_care", "elderly_care", "civil_documents", "other",
]  # fmt: skip
ENROLMENT_CODES = ["PKH", "SEMBAKO", "PBI-JK", "PIP"]
CONSUMER = "router-intakes"
KAFKA_PORT, PG_PORT = 39092, 55469
STATE_DIR = ROOT / ".local" / "bench-servers"
BOOTSTRAP = f"127.0.0.1:{KAFKA_PORT}"
PG_URL = f"postgresql+asyncpg://rujukan:rujukan@127.0.0.1:{PG_PORT}"
PG_DSN = f"postgresql://rujukan:rujukan@127.0.0.1:{PG_PORT}"


# ------------------------------------------------------------------------------ households


def _birth_date(rng: random.Random, age: int, today: date) -> date:
    """A day on which someone ``age`` years old today was born: never in the future, which
    the contract refuses (a birth month drawn from the whole year put babies in it)."""
    try:
        birthday = today.replace(year=today.year - age)
    except ValueError:  # today is 29 February
        birthday = today.replace(year=today.year - age, day=28)
    return birthday - timedelta(days=rng.randint(0, 364))


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _member(rng: random.Random, relationship: str, age: int, today: date) -> dict[str, Any]:
    sex = rng.choice(["female", "male"])
    if relationship == "head":
        sex = "male" if rng.random() < 0.85 else "female"
    elif relationship == "spouse":
        sex = "female"
    birth = _birth_date(rng, age, today)
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
    if any(_age(date.fromisoformat(m["birth_date"]), today) >= 60 for m in members):
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
    """What routing must create for a household with no open referral (fresh ids): the codes
    of its need referrals, and ``CODE#complaint`` for its complaint case (a complaint about a
    program the household is also referred to is a second referral to it, not a duplicate)."""
    decided = decide(intake, catalogue, open_programs=set(), as_of=datetime.now(UTC).date())
    codes = {d.program.code for d in decided.chosen()}
    complaint = complaint_target(intake, catalogue)
    if complaint is not None:
        codes.add(referral_label(complaint.code, "complaint"))
    return codes


def referral_label(program_code: str, kind: str) -> str:
    """How the checkers name one referral of an intake: its program, and its kind unless 'need'."""
    return program_code if kind == "need" else f"{program_code}#{kind}"


# ------------------------------------------------------------------------------ servers


def _local(script: str, action: str) -> str:
    env = {
        **os.environ,
        "RUJUKAN_STATE_DIR": str(STATE_DIR),
        "KAFKA_PORT": str(KAFKA_PORT),
        "KAFKA_CONTROLLER_PORT": str(KAFKA_PORT + 1),
        "PG_PORT": str(PG_PORT),
        "KAFKA_AUTH": "scram",  # as make up's broker: authentication costs what it costs
    }
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / "local" / script), action],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout


def start_servers() -> None:
    """A private, empty Kafka and PostgreSQL for this run (the real topic names are used); this
    process and the ones it starts are the broker's admin."""
    stop_servers()
    shutil.rmtree(STATE_DIR, ignore_errors=True)
    _local("postgres.sh", "start")
    _local("kafka.sh", "start")
    for line in _local("kafka.sh", "env").split():
        key, _, value = line.partition("=")
        if key.startswith("RUJUKAN_KAFKA_S"):  # _SECURITY_PROTOCOL, _SASL_*
            os.environ[key] = value
    security_options.cache_clear()


def stop_servers() -> None:
    for script in ("kafka.sh", "postgres.sh"):
        try:
            _local(script, "stop")
        except subprocess.CalledProcessError:
            pass


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


def find_kafka_pid() -> int | None:
    for pid in _pids():
        args = _cmdline(pid)
        if "kafka.Kafka" in args and args[-1].endswith(".properties"):
            try:
                if f":{KAFKA_PORT}" in Path(args[-1]).read_text():
                    return pid
            except OSError:
                continue
    return None


def find_postmaster_pid() -> int | None:
    for pid in _pids():
        args = _cmdline(pid)
        if args and args[0].endswith("/postgres") and "-D" in args:
            try:
                lines = (Path(args[args.index("-D") + 1]) / "postmaster.pid").read_text()
            except OSError:
                continue
            if len(lines.splitlines()) > 3 and lines.splitlines()[3].strip() == str(PG_PORT):
                return pid
    return None


def _ticks(pid: int) -> int:
    try:
        return _proc_stat(pid)[1]
    except (OSError, ValueError, IndexError):
        return 0


def cluster_ticks(postmaster: int | None) -> int:
    """CPU ticks of a PostgreSQL cluster: the postmaster, its live backends and the backends
    that have exited (the postmaster's waited-for children)."""
    if postmaster is None:
        return 0
    try:
        _ppid, own, children = _proc_stat(postmaster)
    except (OSError, ValueError, IndexError):
        return 0
    total = own + children
    for pid in _pids():
        try:
            ppid, ticks, _ = _proc_stat(pid)
        except (OSError, ValueError, IndexError):
            continue
        if ppid == postmaster:
            total += ticks
    return total


@dataclass
class Sample:
    at: float
    parts: dict[str, int]


class CpuSampler:
    """Samples CPU ticks of the router processes, the broker, PostgreSQL, this process and the
    machine every 100 ms; ``report`` integrates them over a window."""

    def __init__(self) -> None:
        self.kafka = find_kafka_pid()
        self.postmaster = find_postmaster_pid()
        self.router: dict[int, str] = {}  # pid -> process kind
        self.samples: list[Sample] = []
        self._task: asyncio.Task[None] | None = None
        self._router_seen: dict[int, int] = {}  # last ticks, kept when a process has exited

    def snapshot(self) -> Sample:
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        for pid in self.router:
            ticks = _ticks(pid)
            if ticks:
                self._router_seen[pid] = ticks
        kinds = {f"router: {k}": 0 for k in ("serve", "consumer", "relay")}
        for pid, ticks in self._router_seen.items():
            kinds[f"router: {self.router[pid]}"] += ticks
        return Sample(
            time.time(),
            {
                **kinds,
                "router processes": sum(self._router_seen.values()),
                "kafka broker": _ticks(self.kafka) if self.kafka else 0,
                "postgresql": cluster_ticks(self.postmaster),
                "this benchmark process": _ticks(os.getpid()),
                "machine busy": sum(cpu) - cpu[3] - cpu[4],  # minus idle and iowait
            },
        )

    async def _run(self) -> None:
        while True:
            self.samples.append(self.snapshot())
            await asyncio.sleep(0.1)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def watch(self, pids: dict[int, str]) -> None:
        self.router = dict(pids)
        self._router_seen = {}

    def _at(self, t: float) -> Sample:
        return min(self.samples, key=lambda s: abs(s.at - t))

    def report(self, start: float, end: float) -> tuple[str, dict[str, float]]:
        a, b = self._at(start), self._at(end)
        wall = max(b.at - a.at, 1e-9)
        cores = os.cpu_count() or 1
        used = {k: (b.parts[k] - a.parts[k]) / CLK for k in a.parts}
        named = sum(
            v for k, v in used.items() if k != "machine busy" and not k.startswith("router: ")
        )
        used["everything else"] = max(0.0, used["machine busy"] - named)
        lines = [f"    CPU over {wall:.1f} s ({cores} cores = {cores * wall:.1f} core-s):"]
        shown = [k for k in used if k.startswith("router: ") and used[k] > 0]
        shown += ["kafka broker", "postgresql", "this benchmark process", "everything else"]
        for k in [*shown, "machine busy"]:
            lines.append(f"      {k:26s} {used[k]:7.1f} core-s  {used[k] / wall:5.2f} cores")
        return "\n".join(lines), used


# ------------------------------------------------------------------------------ Kafka helpers


def _meta(intake: IntakeSubmittedV1) -> EventMeta:
    return EventMeta(type=IntakeSubmittedV1.ce_type, source="/rujukan/intake", subject=intake.key())


async def produce_intakes(intakes: list[IntakeSubmittedV1]) -> float:
    """Produce with the platform's producer (acks=all, idempotent); returns the seconds taken."""
    producer = make_producer(BOOTSTRAP, client_id="bench-intake")
    await producer.start()
    try:
        t0 = time.perf_counter()
        futures = [
            await producer.send(
                INTAKE_SUBMITTED,
                value=intake.model_dump_json().encode(),
                key=intake.key().encode(),
                headers=_meta(intake).to_headers(),
            )
            for intake in intakes
        ]
        await asyncio.gather(*futures)
        return time.perf_counter() - t0
    finally:
        await producer.stop()


async def publish_catalogue(seeds: list[ProgramPublishedV1]) -> None:
    """The seed catalogue on programs.catalog, as the program registry's relay publishes it."""
    producer = make_producer(BOOTSTRAP, client_id="bench-registry")
    await producer.start()
    try:
        for event in seeds:
            meta = EventMeta(
                type=event.ce_type, source="/rujukan/program-registry", subject=event.code
            )
            await producer.send_and_wait(
                PROGRAMS_CATALOG,
                value=event.model_dump_json().encode(),
                key=event.code.encode(),
                headers=meta.to_headers(),
            )
    finally:
        await producer.stop()


async def end_offsets(topics: list[str], bootstrap: str = BOOTSTRAP) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, **security_options())
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


async def committed_to_end(group: str, ends: dict[TopicPartition, int]) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP, **security_options())
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return all((o.offset if (o := offsets.get(tp)) else -1) >= end for tp, end in ends.items())


async def group_members(group: str) -> tuple[str, int]:
    """The consumer group's state and how many members it has."""
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP, **security_options())
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    [found] = response.to_object()["groups"]
    return str(found["state"]), len(found["members"])


async def skip_to_end(group: str) -> dict[TopicPartition, int]:
    """Commit ``group``'s offsets at the end of intake.submitted, so the next run routes only
    the intakes produced for it; returns those offsets (where the next run's intakes start).

    Topics are created once and never deleted between runs: Kafka deletes a topic's files a
    minute later, in the middle of the next run, and the benchmark would measure that."""
    ends = await end_offsets([INTAKE_SUBMITTED])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=BOOTSTRAP,
        group_id=group,
        enable_auto_commit=False,
        **security_options(),
    )
    await consumer.start()
    try:
        consumer.assign(list(ends))
        await consumer.commit(dict(ends))
    finally:
        await consumer.stop()
    return ends


# ------------------------------------------------------------------------------ the router


@dataclass(frozen=True)
class Topology:
    consumers: int
    own_relay: bool

    @classmethod
    def parse(cls, text: str) -> Topology:
        m = re.fullmatch(r"(\d+)(\+relay)?", text.strip())
        if not m or int(m.group(1)) < 1 or (m.group(2) is None and m.group(1) != "1"):
            raise argparse.ArgumentTypeError(f"{text!r}: 1, 1+relay, 2+relay, ...")
        return cls(int(m.group(1)), m.group(2) is not None)

    def __str__(self) -> str:
        return f"{self.consumers}{'+relay' if self.own_relay else ''}"

    def describe(self) -> str:
        if not self.own_relay:
            return "one `serve` process (API + relay + intake consumer)"
        return f"{self.consumers} x `consume router-intakes` + 1 x `relay`"


class RouterProcesses:
    """The router as separate OS processes on a fresh database, migrated by its own
    ``migrate`` command. ``process_env``: a side's own environment over the benchmark's
    (bench/router_ab.py's ``Side.process_env``: another checkout's sources first on PYTHONPATH,
    and that side's settings); without it, the working tree's code as it is."""

    def __init__(
        self,
        topology: Topology,
        *,
        profile_dir: Path | None = None,
        process_env: Callable[[dict[str, str]], dict[str, str]] | None = None,
    ) -> None:
        self.topology = topology
        self.profile_dir = profile_dir
        self.process_env = process_env
        self.database = f"bench_{uuid.uuid4().hex[:10]}"
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.logs = Path(tempfile.mkdtemp(prefix="rujukan-bench-"))

    async def create_database(self) -> None:
        conn = await asyncpg.connect(PG_DSN + "/postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            await conn.close()
        migrated = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "rujukan_router", "migrate"],
            env=self._env(),
            capture_output=True,
            text=True,
        )
        if migrated.returncode != 0:
            raise RuntimeError(f"router migrate failed:\n{migrated.stderr[-3000:]}")

    def _env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "RUJUKAN_KAFKA_BOOTSTRAP": BOOTSTRAP,
            "RUJUKAN_PG_URL": PG_URL,
            "RUJUKAN_REFERRAL_ROUTER_DATABASE": self.database,
            "RUJUKAN_REFERRAL_ROUTER_PORT": "18093",
            "RUJUKAN_RUN_CONSUMERS": CONSUMER,
            "RUJUKAN_LOG_LEVEL": "INFO",  # 'view ready' tells the benchmark a process is ready
            "RUJUKAN_LOG_JSON": "false",
            "RUJUKAN_ENVIRONMENT": "local",
        }
        return self.process_env(env) if self.process_env else env

    def imported_from(self, modules: list[str]) -> dict[str, Path]:
        """Where a child started as the router's are (same interpreter, environment and
        working directory, hence the same sys.path) imports each module from."""
        code = (
            "import importlib, sys\n"
            "for m in sys.argv[1:]: print(importlib.import_module(m).__file__)"
        )
        printed = subprocess.run(
            [sys.executable, "-c", code, *modules],
            env=self._env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        return dict(zip(modules, map(Path, printed), strict=True))

    def _spawn(self, kind: str, args: list[str]) -> None:
        command = [sys.executable]
        if self.profile_dir is not None:
            n = sum(1 for k, _p in self.procs if k == kind)
            command += ["-m", "cProfile", "-o", str(self.profile_dir / f"{kind}-{n}.prof")]
        command += ["-m", "rujukan_router", *args]
        log = (self.logs / f"{kind}-{len(self.procs)}.log").open("wb")
        self.procs.append(
            (kind, subprocess.Popen(command, env=self._env(), stdout=log, stderr=log))
        )

    def start(self) -> dict[int, str]:
        """Start the processes; returns their pids and kinds."""
        if self.topology.own_relay:
            for _ in range(self.topology.consumers):
                self._spawn("consumer", ["consume", CONSUMER])
            self._spawn("relay", ["relay"])
        else:
            self._spawn("serve", ["serve"])
        return {p.pid: k for k, p in self.procs}

    def signal(self, sig: signal.Signals) -> None:
        for _kind, p in self.procs:
            p.send_signal(sig)

    async def ready(self, within: float = 120.0) -> None:
        """Every process has loaded the catalogue and the consumer group is stable with every
        consumer in it, so the measured window holds no start-up and no rebalance."""
        deadline = time.monotonic() + within
        consumers = self.topology.consumers
        while time.monotonic() < deadline:
            self.check()
            logs = await asyncio.to_thread(
                lambda: [f.read_text(errors="replace") for f in self.logs.glob("*.log")]
            )
            if sum("view ready" in text for text in logs) == len(self.procs):
                state, members = await group_members(CONSUMER)
                if state == "Stable" and members == consumers:
                    return
            await asyncio.sleep(0.2)
        raise TimeoutError("the router processes did not get ready")

    def check(self) -> None:
        for kind, p in self.procs:
            if p.poll() is not None:
                log = sorted(self.logs.glob(f"{kind}-*.log"))
                tail = log[-1].read_text(errors="replace")[-3000:] if log else ""
                raise RuntimeError(f"router {kind} process exited ({p.returncode}):\n{tail}")

    async def stop(self) -> None:
        for _kind, p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for _kind, p in self.procs:
            for _ in range(300):
                if p.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                p.kill()
        self.procs = []

    async def drop_database(self) -> None:
        for attempt in range(20):
            conn = await asyncpg.connect(PG_DSN + "/postgres")
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
                break
            except asyncpg.PostgresError:
                if attempt == 19:
                    raise
            finally:
                await conn.close()
            await asyncio.sleep(0.5)
        shutil.rmtree(self.logs, ignore_errors=True)

    async def query(self, sql: str) -> Any:
        conn = await asyncpg.connect(f"{PG_DSN}/{self.database}")
        try:
            return await conn.fetch(sql)
        finally:
            await conn.close()

    async def scalar(self, sql: str) -> Any:
        return (await self.query(sql))[0][0]


@dataclass
class Routed:
    households: int
    referrals: int
    seconds: float
    start: float
    end: float
    check: str
    cpu: str
    used: dict[str, float] = field(default_factory=dict)
    starts: dict[TopicPartition, int] = field(default_factory=dict)  # where its intakes began


async def route_all(
    topology: Topology,
    intakes: list[IntakeSubmittedV1],
    catalogue: Catalogue,
    seeds: list[ProgramPublishedV1],
    sampler: CpuSampler | None,
    *,
    profile_dir: Path | None = None,
    process_env: Callable[[dict[str, str]], dict[str, str]] | None = None,
) -> Routed:
    """Produce the intakes and the catalogue, start the router, wait until everything is
    routed, committed and delivered; check the result."""
    await publish_catalogue(seeds)
    starts = await skip_to_end(CONSUMER)
    router = RouterProcesses(topology, profile_dir=profile_dir, process_env=process_env)
    await router.create_database()
    try:
        pids = router.start()
        if sampler is not None:
            sampler.watch(pids)
        await router.ready()
        # Paused while the intakes arrive, so the router starts on a full topic with a warm,
        # stable group (the heartbeat's session timeout is 30 s; this takes a second or two).
        router.signal(signal.SIGSTOP)
        try:
            await produce_intakes(intakes)
        finally:
            router.signal(signal.SIGCONT)
        ends = await end_offsets([INTAKE_SUBMITTED])
        assert sum(ends.values()) - sum(starts.values()) == len(intakes)
        deadline = time.monotonic() + 120 + len(intakes) / 100
        while True:
            router.check()
            if time.monotonic() > deadline:
                raise TimeoutError("the router did not finish in time")
            processed = await router.scalar("SELECT count(*) FROM processed_events")
            if processed >= len(intakes):
                pending = await router.scalar(
                    "SELECT (SELECT count(*) FROM outbox)"
                    " + (SELECT count(*) FROM referrals WHERE status = 'created')"
                )
                if pending == 0 and await committed_to_end(CONSUMER, ends):
                    break
            await asyncio.sleep(0.1)
        [(start, end)] = await router.query(
            "SELECT (SELECT extract(epoch FROM min(processed_at)) FROM processed_events),"
            " (SELECT extract(epoch FROM max(at)) FROM referral_history"
            "  WHERE to_status = 'delivered')"
        )
        start, end = float(start), float(end)
        await asyncio.sleep(0.2)  # one more CPU sample after the end
        check = await verify(router, intakes, catalogue)
        referrals = await router.scalar("SELECT count(*) FROM referrals")
    finally:
        await router.stop()
        await router.drop_database()
    cpu, used = sampler.report(start, end) if sampler is not None else ("", {})
    return Routed(len(intakes), referrals, end - start, start, end, check, cpu, used, starts)


async def verify(
    router: RouterProcesses, intakes: list[IntakeSubmittedV1], catalogue: Catalogue
) -> str:
    """Every intake processed once and decided once; its referrals exactly decide's; all
    delivered; nothing left in the outbox."""
    want = {i.intake_id: expected_referrals(i, catalogue) for i in intakes}
    got: dict[Any, set[str]] = {}
    statuses: dict[str, int] = {}
    dupes = 0
    for r in await router.query("SELECT intake_id, program_code, kind, status FROM referrals"):
        codes = got.setdefault(r["intake_id"], set())
        label = referral_label(r["program_code"], r["kind"])
        dupes += label in codes
        codes.add(label)
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    wrong = sum(1 for i, codes in want.items() if got.get(i, set()) != codes)
    processed = await router.scalar("SELECT count(*) FROM processed_events")
    decided = await router.scalar("SELECT count(DISTINCT intake_id) FROM decisions")
    decisions = await router.scalar("SELECT count(*) FROM decisions")
    outbox = await router.scalar("SELECT count(*) FROM outbox")
    expected = sum(len(c) for c in want.values())
    ok = (
        wrong == 0
        and dupes == 0
        and processed == decided == decisions == len(intakes)
        and outbox == 0
        and set(statuses) == {"delivered"}
    )
    return (
        f"    check: {'OK' if ok else 'MISMATCH'} - referrals {sum(statuses.values())} "
        f"(decide says {expected}), intakes routed differently {wrong}, duplicates {dupes}, "
        f"processed_events {processed}/{len(intakes)}, decisions {decisions}, outbox {outbox}, "
        f"statuses {statuses}"
    )


# ------------------------------------------------------------------------------ phases


async def phase_throughput(
    topologies: list[Topology],
    intakes: list[IntakeSubmittedV1],
    catalogue: Catalogue,
    seeds: list[ProgramPublishedV1],
    sampler: CpuSampler,
) -> tuple[dict[str, float], dict[TopicPartition, int]]:
    """Routes the intakes once per topology (after a warm-up run); returns households/s per
    topology and where the last run's intakes start on intake.submitted."""
    rates: dict[str, float] = {}
    for k, topology in enumerate([topologies[0], *topologies]):
        r = await route_all(topology, intakes, catalogue, seeds, sampler)
        rate = r.households / r.seconds
        if k == 0:
            # Fresh servers are cold: the broker's JVM has compiled nothing yet and PostgreSQL
            # zero-fills every new WAL segment instead of recycling old ones. Production
            # servers are warm, so the first run only warms them up (its figure is shown).
            print(
                f"a. warm-up, topology {topology} on the fresh servers: {rate:.0f} households/s "
                f"(CPU per household: router {r.used['router processes'] / r.households * 1e6:.0f}"
                f" us, PostgreSQL {r.used['postgresql'] / r.households * 1e6:.0f} us, Kafka "
                f"{r.used['kafka broker'] / r.households * 1e6:.0f} us); not counted"
            )
            continue
        rates[str(topology)] = rate
        print(f"a. router, topology {topology}: {topology.describe()}")
        print(
            f"    households {r.households}, referrals {r.referrals} "
            f"({r.referrals / r.households:.2f}/household), records published {3 * r.referrals} "
            "(ReferralCreated, 'created' and 'delivered' status per referral)"
        )
        print(
            f"    ROUTER: {rate:.0f} households/s, {r.referrals / r.seconds:.0f} referrals/s, "
            f"{3 * r.referrals / r.seconds:.0f} records published/s ({r.seconds:.2f} s)"
        )
        print(r.cpu)
        per = {k: v / r.households * 1e6 for k, v in r.used.items()}
        print(
            f"    CPU per household: router {per['router processes']:.0f} us, PostgreSQL "
            f"{per['postgresql']:.0f} us, Kafka {per['kafka broker']:.0f} us"
        )
        print(r.check)
    return rates, r.starts


async def passthrough(
    bootstrap: str, starts: dict[TopicPartition, int], ends: dict[TopicPartition, int]
) -> tuple[int, float, float]:
    """aiokafka alone over the records of ``starts``..``ends``: consume with a fresh group,
    produce every record to another topic (acks=all, idempotent: the platform's producer),
    await the acks and commit per 500-record batch. Returns (records, first, last)."""
    await create_topics(bootstrap, [NewTopic("bench.passthrough", 6, 1)])
    group = f"bench-passthrough-{uuid.uuid4().hex[:6]}"
    seed = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, **security_options())
    await seed.start()
    try:
        seed.assign(list(starts))
        await seed.commit(dict(starts))  # the passthrough begins where those records begin
    finally:
        await seed.stop()
    consumer = AIOKafkaConsumer(
        *sorted({tp.topic for tp in starts}),
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=500,
        fetch_max_wait_ms=100,
        **security_options(),
    )
    producer = make_producer(bootstrap, client_id="bench-passthrough")
    await producer.start()
    await consumer.start()
    committed = dict(starts)
    first = last = 0.0
    n = 0
    try:
        while any(committed.get(tp, 0) < end for tp, end in ends.items()):
            batch = await consumer.getmany(timeout_ms=200, max_records=500)
            if not batch:
                continue
            first = first or time.time()
            futures = [
                await producer.send(
                    "bench.passthrough", value=r.value, key=r.key, headers=list(r.headers)
                )
                for records in batch.values()
                for r in records
            ]
            await asyncio.gather(*futures)
            offsets = {tp: recs[-1].offset + 1 for tp, recs in batch.items()}
            await consumer.commit(offsets)
            committed.update(offsets)
            n += len(futures)
        last = time.time()
    finally:
        await consumer.stop()
        await producer.stop()
    return n, first, last


async def phase_passthrough(
    count: int, starts: dict[TopicPartition, int], sampler: CpuSampler
) -> float:
    """The last run's intakes through aiokafka alone (``passthrough``)."""
    ends = await end_offsets([INTAKE_SUBMITTED])
    n, first, last = await passthrough(BOOTSTRAP, starts, ends)
    await asyncio.sleep(0.2)
    rate = n / (last - first)
    print("b. passthrough: aiokafka consume -> produce (acks=all, idempotent) -> commit, 500/batch")
    print(f"    PASSTHROUGH: {rate:.0f} records/s ({n} records in {last - first:.2f} s)")
    print(sampler.report(first, last)[0])
    assert n == count
    return rate


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


async def reading_from_end(
    bootstrap: str, topics: list[str], *, fetch_max_wait_ms: int
) -> AIOKafkaConsumer:
    """A started consumer without a group, assigned every partition of ``topics`` and placed at
    their current ends: it reads only what is written from now on."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        fetch_max_wait_ms=fetch_max_wait_ms,
        **security_options(),
    )
    await consumer.start()
    tps = []
    for t in topics:
        while not (parts := consumer.partitions_for_topic(t)):
            await consumer._client.force_metadata_update()
        tps += [TopicPartition(t, p) for p in parts]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)
    return consumer


class Tail:
    """Reads the program topics from their current end; notes when each referral appears."""

    def __init__(self, codes: list[str], bootstrap: str = BOOTSTRAP) -> None:
        self.bootstrap = bootstrap
        self.topics = [program_topic(c) for c in codes]
        self.seen: dict[str, list[tuple[float, float]]] = {}  # intake -> [(read at, created)]
        self.stop_event = asyncio.Event()

    async def start(self) -> None:
        self.consumer = await reading_from_end(self.bootstrap, self.topics, fetch_max_wait_ms=20)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        created = ReferralCreatedV1.ce_type.encode()
        while not self.stop_event.is_set():
            batch = await self.consumer.getmany(timeout_ms=100)
            now = time.time()
            for records in batch.values():
                for r in records:
                    if dict(r.headers).get("ce_type") == created:
                        intake = orjson.loads(r.value)["intake_id"]
                        self.seen.setdefault(intake, []).append((now, r.timestamp / 1000))

    async def stop(self) -> None:
        self.stop_event.set()
        await self.task
        await self.consumer.stop()


async def phase_latency(
    topology: Topology,
    rate: float,
    seconds: float,
    seed: int,
    catalogue: Catalogue,
    seeds: list[ProgramPublishedV1],
    sampler: CpuSampler,
) -> None:
    codes = sorted(e.code for e in seeds)
    n, warm = int(rate * seconds), int(rate)
    intakes = generate(n + warm, seed + 1, codes)
    want = {str(i.intake_id): len(expected_referrals(i, catalogue)) for i in intakes}
    await publish_catalogue(seeds)
    await skip_to_end(CONSUMER)
    router = RouterProcesses(topology)
    await router.create_database()
    tail = Tail(codes)
    producer = make_producer(BOOTSTRAP, client_id="bench-intake-paced")
    try:
        sampler.watch(router.start())
        await producer.start()
        await tail.start()
        sent_at: dict[str, float] = {}

        async def paced(batch: list[IntakeSubmittedV1]) -> float:
            futures = []
            t0 = time.perf_counter()
            behind = 0.0
            for k, intake in enumerate(batch):
                delay = t0 + k / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                else:
                    behind = max(behind, -delay)
                meta = _meta(intake)
                sent_at[str(intake.intake_id)] = meta.time.timestamp()
                futures.append(
                    await producer.send(
                        INTAKE_SUBMITTED,
                        value=intake.model_dump_json().encode(),
                        key=intake.key().encode(),
                        headers=meta.to_headers(),
                    )
                )
            await asyncio.gather(*futures)
            return behind

        async def until_complete(ids: list[str], within: float) -> None:
            deadline = time.monotonic() + within
            while any(len(tail.seen.get(i, ())) < want[i] for i in ids):
                router.check()
                if time.monotonic() > deadline:
                    missing = sum(1 for i in ids if len(tail.seen.get(i, ())) < want[i])
                    raise TimeoutError(f"{missing} households' referrals never appeared")
                await asyncio.sleep(0.05)

        await paced(intakes[:warm])  # also waits for the router to load the catalogue
        await until_complete([str(i.intake_id) for i in intakes[:warm]], 120)
        t0 = time.time()
        behind = await paced(intakes[warm:])
        sending = time.time() - t0
        ids = [str(i.intake_id) for i in intakes[warm:]]
        await until_complete(ids, 120)
        t1 = time.time()
        last, first, produced = [], [], []
        for i in ids:
            if want[i]:
                seen = tail.seen[i]
                last.append(max(s[0] for s in seen) - sent_at[i])
                first.append(min(s[0] for s in seen) - sent_at[i])
                produced.append(max(s[1] for s in seen) - sent_at[i])
        print(
            f"c. latency, topology {topology}: {n} intakes at a steady {rate:.0f}/s "
            f"({sending:.1f} s of sending, at most {behind * 1e3:.0f} ms behind schedule), "
            f"after {warm} warm-up intakes; {len(last)} households with referrals"
        )
        for label, values in (
            ("send -> last referral read", last),
            ("send -> first referral read", first),
            ("send -> last referral produced", produced),
        ):
            ms = [v * 1e3 for v in values]
            print(
                f"    {label:31s} p50 {_pct(ms, 50):6.0f} ms  p95 {_pct(ms, 95):6.0f} ms  "
                f"p99 {_pct(ms, 99):6.0f} ms  max {max(ms):6.0f} ms"
            )
        print(sampler.report(t0, t1)[0])
    finally:
        await producer.stop()
        if hasattr(tail, "task"):
            await tail.stop()
        await router.stop()
        await router.drop_database()


async def phase_profile(
    topology: Topology,
    intakes: list[IntakeSubmittedV1],
    catalogue: Catalogue,
    seeds: list[ProgramPublishedV1],
    top: int,
) -> None:
    out = Path(tempfile.mkdtemp(prefix="rujukan-profile-"))
    try:
        r = await route_all(topology, intakes, catalogue, seeds, None, profile_dir=out)
        n = len(intakes)
        print(
            f"d. profile: topology {topology}, each process under cProfile; {n} households "
            f"({n / r.seconds:.0f}/s under the profiler)"
        )
        for path in sorted(await asyncio.to_thread(lambda: list(out.glob("*.prof")))):
            stats = pstats.Stats(str(path))
            raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
            idle = sum(v[2] for k, v in raw.items() if k[2] == EPOLL)
            cpu = sum(v[2] for v in raw.values()) - idle
            print(
                f"    {path.stem}: {cpu:.1f} s of CPU ({cpu / n * 1e6:.0f} us/household under "
                f"the profiler), {idle:.1f} s waiting in epoll; own time by layer:"
            )
            for layer, t in sorted(layer_breakdown(raw).items(), key=lambda kv: -kv[1]):
                print(f"      {t / cpu * 100:5.1f}%  {t / n * 1e6:6.0f} us/household  {layer}")
            print(f"      top {top} functions by own time (% of busy; us/household; calls):")
            shown = 0
            for (filename, line, name), (_cc, nc, tt, _ct, _callers) in sorted(
                raw.items(), key=lambda kv: kv[1][2], reverse=True
            ):
                if name == EPOLL:
                    continue
                print(
                    f"      {tt / cpu * 100:5.1f}%  {tt / n * 1e6:6.0f} us  {nc:8d}  "
                    f"{_where(filename)}:{line} {name}"
                )
                shown += 1
                if shown >= top:
                    break
    finally:
        shutil.rmtree(out, ignore_errors=True)


# ------------------------------------------------------------------------------ profiles


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


def _glob_libs(arg: str) -> list[str]:
    folder = arg.split(":")[0].rstrip("*").rstrip("/")
    try:
        return os.listdir(folder)[:500]
    except OSError:
        return []


def machine_facts() -> str:
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
    pid = find_kafka_pid()
    if pid is not None:
        libs = [a for a in _cmdline(pid) if "/libs" in a]
        jars = " ".join(libs + [os.path.basename(j) for d in libs for j in _glob_libs(d)])
        m = re.search(r"kafka(?:_2\.\d+)?-(\d+\.\d+\.\d+)", jars)
        kafka_version = m.group(1) if m else "?"
    return (
        f"{os.cpu_count()} cores ({model}), {mem} RAM, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; python {platform.python_version()}; "
        f"Kafka {kafka_version}"
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


async def pg_version() -> str:
    conn = await asyncpg.connect(PG_DSN + "/postgres")
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


# ------------------------------------------------------------------------------ main


async def amain(args: argparse.Namespace) -> None:
    configure_logging(service="bench", level="WARNING", json=False)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(code_state())
    start_servers()
    sampler = CpuSampler()
    sampler.start()
    try:
        print(
            f"{machine_facts()}; PostgreSQL {await pg_version()}; private servers started for "
            f"this run (Kafka 127.0.0.1:{KAFKA_PORT}, PostgreSQL 127.0.0.1:{PG_PORT})"
        )
        seeds = [published_event(p) for p in load_seed_programs(SEED_DIR)]
        codes = sorted(e.code for e in seeds)
        catalogue = Catalogue()
        for event in seeds:
            catalogue.put(event)
        await ensure_catalogue_topics(BOOTSTRAP)  # created once: see skip_to_end
        print(f"catalogue: {len(seeds)} programs {codes}; intake.submitted has 6 partitions")
        phases = set(args.phases.split(","))
        rates: dict[str, float] = {}
        if phases & {"a", "b"}:
            t0 = time.perf_counter()
            intakes = generate(args.households, args.seed, codes)
            size = sum(len(i.model_dump_json()) for i in intakes[:1000]) / min(1000, len(intakes))
            print(
                f"{len(intakes)} intakes generated in {time.perf_counter() - t0:.1f} s "
                f"(seed {args.seed}, ~{size:.0f} B each)"
            )
            starts: dict[TopicPartition, int] = {}
            if "a" in phases:
                rates, starts = await phase_throughput(
                    args.topologies, intakes, catalogue, seeds, sampler
                )
            if "b" in phases:
                if "a" not in phases:
                    starts = await skip_to_end("bench-producer")
                    await produce_intakes(intakes)
                passthrough = await phase_passthrough(len(intakes), starts, sampler)
                for name, rate in rates.items():
                    print(
                        f"=> topology {name}: router {rate:.0f} households/s = "
                        f"{rate / passthrough * 100:.1f}% of the passthrough's {passthrough:.0f} "
                        f"records/s (issue: >= 25%); {rate / 2500 * 100:.0f}% of the 2,500/s aim; "
                        f"25.7 M households in {25.7e6 / rate / 3600:.1f} h"
                    )
        if "c" in phases:
            for rate in args.rates:
                await phase_latency(
                    args.latency_topology, rate, args.latency_seconds, args.seed, catalogue,
                    seeds, sampler,
                )  # fmt: skip
        if "d" in phases:
            profiled = generate(args.profile_households, args.seed + 2, codes)
            await phase_profile(args.latency_topology, profiled, catalogue, seeds, args.top)
    finally:
        await sampler.stop()
        if not args.keep_servers:
            stop_servers()
            shutil.rmtree(STATE_DIR, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--topologies",
        type=lambda s: [Topology.parse(t) for t in s.split(",")],
        default=[Topology.parse(t) for t in ("1", "1+relay", "2+relay")],
        help="router process layouts for phase a: 1, 1+relay, 2+relay, ... (comma-separated)",
    )
    ap.add_argument(
        "--latency-topology", type=Topology.parse, default=Topology.parse("2+relay"),
        help="the layout for phases c and d",
    )  # fmt: skip
    ap.add_argument(
        "--rates",
        type=lambda s: [float(r) for r in s.split(",")],
        default=[200.0],
        help="intakes/s of the latency runs (200: the issue's figure)",
    )
    ap.add_argument("--latency-seconds", type=float, default=30.0)
    ap.add_argument("--profile-households", type=int, default=10_000)
    ap.add_argument("--top", type=int, default=25, help="profile rows shown per process")
    ap.add_argument("--phases", default="a,b,c", help="any of a,b,c,d")
    ap.add_argument(
        "--keep-servers", action="store_true", help="leave the private servers running after"
    )
    asyncio.run(amain(ap.parse_args()))


if __name__ == "__main__":
    main()

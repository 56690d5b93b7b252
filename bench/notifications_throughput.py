"""A/B: the notifications dispatcher's send rate for two versions of the code, in one run.

Run:  cd /work/main && uv run python bench/notifications_throughput.py --baseline aca9f08
      uv run python bench/notifications_throughput.py --baseline aca9f08 --candidate aca9f08 \\
          --messages 1000 --rounds 2 --sink both          (an A/A: what noise alone gives)
      uv run python bench/notifications_throughput.py --baseline aca9f08 \\
          --env RUJUKAN_NOTIFICATIONS_DISPATCH_BATCH=100 \\
          --env RUJUKAN_NOTIFICATIONS_SEND_CONCURRENCY=32      (settings of both sides)

What it measures: how fast one notifications process hands residents' e-mails to SMTP, the
number issue 15 sets targets for (>= 2,000 messages/s against a local SMTP server, >= 200
messages/s against one that takes 200 ms a message). Only the dispatcher is measured: N pending
resident e-mail deliveries are written straight into a fresh notifications database before the
process starts, so planning them (consumers, the visit's sum-up) and seeding are not in it.

How: a private PostgreSQL (port 55479) and one Kafka broker (19222, SASL/SCRAM as ``make up``'s)
are started with the project's scripts (chaos_platform's ``Cluster``, state in
.local/bench-notifications, wiped at the start and the end). The broker is there only because a
notifications process starts its background jobs (the dispatcher among them) once its producer
has reached one; nothing is published (no relay runs). Each round:

1. a fresh database, migrated by that side's own ``python -m rujukan_notifications migrate``;
2. seeded by COPY with N consented contacts, their e-mail addresses sealed as the service seals
   them (``seal_contact``, with the run's own ``RUJUKAN_NOTIFICATIONS_DATA_KEYS``), and N pending
   resident e-mail deliveries of the visit-summary template (``status_news``, a new referral's
   news, ``digest_context``), due now; then ANALYZE. The same rows (ids included) every round;
3. ``python -m rujukan_notifications consume dispatcher-only`` (a consumer name nobody has: the
   process runs its background jobs alone, as chaos_platform's dispatcher program) with
   chaos_platform's ``service_env`` as the broker's admin, plus --env settings, sends them to an
   SMTP sink in this process until every delivery has arrived (or none arrived for 30 s);
4. the process is stopped (SIGTERM) and the database dropped.

The sink is a lean counting one (chaos_platform's ``SmtpSink`` with its handler replaced): it
notes the time, the ``X-Rujukan-Delivery`` header and whether the subject is non-empty, in
memory, without the chaos sink's header parse, JSON line and file append per message: at
aiosmtpd's own cost (the ``sink`` column) it already takes ~0.5-1.2 ms of CPU a message.
``fast`` answers at once; ``slow`` awaits 200 ms in ``handle_DATA`` (aiosmtpd serves sessions
concurrently), so the rate there is what the dispatcher keeps in flight. The message's time is
when the sink answers 250.

Per round: messages/s from the first to the last message at the sink; CPU per message of the
notifications process, of PostgreSQL and of the sink's thread (this process's sampling apart),
and the cores busy with anything else on the machine (other agents), read from /proc every
100 ms and taken over that window; and the check: every delivery arrived exactly once
(distinct ``X-Rujukan-Delivery``, duplicates and missing counted), every subject non-empty,
every row ``sent`` in the database. A round whose check fails voids the comparison. One run at
a time: the ports and the state folder are fixed, and a run starts by stopping what it finds
there (an interrupted run's servers).

A/B exactly as bench/router_ab.py (its ``Side``, ``checked_out`` and ``summarise``):
A is --baseline checked out with ``git worktree add --detach`` under .local/bench-baseline/, B the
working tree or --candidate; each side's sources go first on PYTHONPATH, and a child started as
the processes are must import rujukan_notifications, rujukan_platform and rujukan_contracts from
its side's tree. The benchmark process (seeding, sink) is the working tree's for both. Rounds
alternate A, B, A, B per sink mode after one warm-up round (A, the first mode; not counted).
"Within noise" as router_ab defines it: |median B / median A - 1| below A's spread (max - min) /
median of its rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
import orjson
from chaos import code_state
from chaos_platform import ROOT, SERVICES, Cluster, Ports, SmtpSink, service_env
from pipeline_throughput import Cpu, machine
from router_ab import (
    Side,
    add_sides,
    drop_database,
    run_sides,
    setting,
    summarise,
    terminate,
    verified,
)
from router_throughput import CLK, VILLAGES, _ticks

from rujukan_notifications.adapters.contacts import seal_contact
from rujukan_notifications.domain.news import News, digest_context
from rujukan_platform.kafka import ensure_catalogue_topics, security_options
from rujukan_platform.sealing import Sealer
from rujukan_platform.testing import free_port

STATE = ROOT / ".local" / "bench-notifications"
PG_PORT, KAFKA_PORT = 55479, 19222
PROBED = ["rujukan_notifications", "rujukan_platform", "rujukan_contracts"]
KEY_ID = "bench"
SLOW_SECONDS = 0.2
STALL_SECONDS = 30.0
Samples = list[tuple[float, dict[str, float]]]  # (time, CPU seconds so far by part)
PROGRAMS = {
    "PKH": {"id": "Program Keluarga Harapan", "en": "Family Hope Program"},
    "PBI-JK": {"id": "Penerima Bantuan Iuran JKN", "en": "JKN contribution assistance"},
}
_DELIVERY = re.compile(rb"^X-Rujukan-Delivery:[ \t]*(\S+)", re.MULTILINE | re.IGNORECASE)
_SUBJECT = re.compile(rb"^Subject:[ \t]*\S", re.MULTILINE | re.IGNORECASE)


@dataclass
class CountingSink(SmtpSink):
    """A real SMTP server that only notes each message (time, delivery id, subject present),
    after ``delay`` seconds per message."""

    delay: float = 0.0
    arrivals: list[tuple[float, str | None, bool]] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        found = _DELIVERY.search(head)
        delivery = found.group(1).decode() if found else None
        self.arrivals.append((time.time(), delivery, bool(_SUBJECT.search(head))))
        return "250 OK"

    def cpu_seconds(self) -> float:
        """CPU time of the sink's own thread (aiosmtpd's loop), apart from this process's
        sampling."""
        thread = self._controller._thread if self._controller else None
        if thread is None or thread.native_id is None:
            return 0.0
        with open(f"/proc/{os.getpid()}/task/{thread.native_id}/stat") as f:
            raw = f.read()
        rest = raw[raw.rindex(")") + 2 :].split()
        return (int(rest[11]) + int(rest[12])) / CLK


@dataclass(frozen=True)
class Seed:
    """The rows every round starts from: contacts (sealed) and pending deliveries."""

    contacts: list[tuple[Any, ...]]
    deliveries: list[tuple[Any, ...]]

    @classmethod
    def make(cls, n: int, sealer: Sealer) -> Seed:
        contacts, deliveries = [], []
        for i in range(n):
            household, referral = uuid.uuid4(), uuid.uuid4()
            code = list(PROGRAMS)[i % len(PROGRAMS)]
            news = News(referral, code, PROGRAMS[code], "created", datetime.now(UTC))
            context = digest_context(VILLAGES[i % len(VILLAGES)], [news])
            email = seal_contact(sealer, "email", household, f"warga{i}@bench.example")
            contacts.append((household, "id", email, None, ["email"]))
            deliveries.append(
                (uuid.uuid4(), uuid.uuid4(), referral, household, "resident", "email",
                 "status_news", orjson.dumps(context).decode(), "pending")
            )  # fmt: skip
        return cls(contacts, deliveries)

    async def into(self, dsn: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.copy_records_to_table(
                "contacts",
                records=self.contacts,
                columns=["household_id", "language", "email", "phone", "channels"],
            )
            await conn.copy_records_to_table(
                "deliveries",
                records=self.deliveries,
                columns=["id", "source_event_id", "referral_id", "household_id", "audience",
                         "channel", "template", "context", "state"],
            )  # fmt: skip
            await conn.execute("ANALYZE contacts; ANALYZE deliveries")
        finally:
            await conn.close()


@dataclass
class Round:
    messages: int
    seconds: float
    used: dict[str, float]  # core-seconds over the window, by part
    check: str
    wall: float = 0.0  # the whole round: database, migration, seed, sends, stop

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0

    def per_message(self, part: str) -> float:
        return self.used.get(part, 0.0) / max(self.messages, 1) * 1e6


class Bench:
    """The run's servers, seed, sinks and settings; ``round`` measures one side once."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.n: int = args.messages
        self.settings: dict[str, str] = dict(args.env)
        self.ports = Ports(KAFKA_PORT, PG_PORT, smtp=0, services=dict.fromkeys(SERVICES, 0))
        self.cluster = Cluster(STATE, self.ports, brokers=1, log=STATE / "servers.log")
        key = base64.b64encode(os.urandom(32)).decode()
        self.keys = {KEY_ID: key}
        self.seed = Seed.make(self.n, Sealer.from_base64(self.keys, KEY_ID))

    def start(self) -> None:
        self.cluster.stop()  # left by an interrupted run
        shutil.rmtree(STATE, ignore_errors=True)
        STATE.mkdir(parents=True)
        self.cluster.start()
        os.environ.update(self.cluster.kafka_env("admin"))
        security_options.cache_clear()
        asyncio.run(ensure_catalogue_topics(self.cluster.bootstrap))  # program names' view

    def stop(self) -> None:
        self.cluster.stop()
        shutil.rmtree(STATE, ignore_errors=True)

    def env(self, side: Side, database: str, smtp: int) -> dict[str, str]:
        env = service_env(self.cluster, "admin") | {
            "RUJUKAN_NOTIFICATIONS_DATABASE": database,
            "RUJUKAN_NOTIFICATIONS_SMTP_PORT": str(smtp),
            "RUJUKAN_NOTIFICATIONS_DATA_KEYS": orjson.dumps(self.keys).decode(),
            "RUJUKAN_NOTIFICATIONS_DATA_KEY_ID": KEY_ID,
        }
        return side.process_env(env | self.settings)

    async def admin(self, sql: str) -> None:
        conn = await asyncpg.connect(self.cluster.pg_dsn + "/postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def drop(self, database: str) -> None:
        await drop_database(self.cluster.pg_dsn, database)

    async def round(self, side: Side, sink: CountingSink) -> Round:
        started = time.monotonic()
        database = f"nbench_{uuid.uuid4().hex[:10]}"
        env = self.env(side, database, sink.port)
        await self.admin(f'CREATE DATABASE "{database}"')
        try:
            migrated = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "rujukan_notifications", "migrate"],
                env=env, cwd=ROOT, capture_output=True, text=True,
            )  # fmt: skip
            if migrated.returncode != 0:
                raise RuntimeError(f"migrate failed:\n{migrated.stderr[-3000:]}")
            await self.seed.into(f"{self.cluster.pg_dsn}/{database}")
            sink.arrivals.clear()
            measured = await self._dispatch(env, sink, f"{self.cluster.pg_dsn}/{database}")
        finally:
            await self.drop(database)
        measured.wall = time.monotonic() - started
        return measured

    async def _dispatch(self, env: dict[str, str], sink: CountingSink, dsn: str) -> Round:
        log = STATE / "notifications.log"
        proc = await asyncio.to_thread(_spawn, env, log)
        cpu = Cpu(self.cluster, _OneProcess(proc.pid))
        samples: Samples = []
        try:
            await self._until_all_arrived(proc, sink, cpu, samples, log)
            sent = await _states(dsn, wait_for=self.n)
        finally:
            await terminate(proc)
        arrivals = list(sink.arrivals)
        first, last = arrivals[0][0], arrivals[-1][0]
        used = _used(samples, first, last)
        return Round(len(arrivals), last - first, used, self._check(arrivals, sent))

    async def _until_all_arrived(
        self,
        proc: subprocess.Popen[bytes],
        sink: CountingSink,
        cpu: Cpu,
        samples: Samples,
        log: Path,
    ) -> None:
        seen, moved = 0, time.monotonic()
        while True:
            samples.append(await _sample(cpu, sink))
            if proc.poll() is not None:
                tail = await asyncio.to_thread(_tail, log)
                raise RuntimeError(f"the notifications process exited ({proc.returncode}):\n{tail}")
            count = len(sink.arrivals)
            if count != seen:
                seen, moved = count, time.monotonic()
            if len({d for _t, d, _s in sink.arrivals}) >= self.n:
                await asyncio.sleep(0.3)  # a copy sent right after would show
                samples.append(await _sample(cpu, sink))
                return
            if time.monotonic() - moved > STALL_SECONDS:
                if not seen:
                    tail = await asyncio.to_thread(_tail, log)
                    raise RuntimeError(f"no message arrived in {STALL_SECONDS:.0f} s:\n{tail}")
                return
            await asyncio.sleep(0.1)

    def _check(self, arrivals: list[tuple[float, str | None, bool]], sent: dict[str, int]) -> str:
        ids = [d for _t, d, _s in arrivals]
        distinct = set(ids)
        expected = {str(row[0]) for row in self.seed.deliveries}
        problems = []
        if missing := len(expected - distinct):
            problems.append(f"{missing} missing")
        if duplicates := len(ids) - len(distinct):
            problems.append(f"{duplicates} duplicates")
        if strangers := len(distinct - expected):
            problems.append(f"{strangers} unknown ids")
        if blank := sum(1 for _t, _d, subject in arrivals if not subject):
            problems.append(f"{blank} without a subject")
        if sent != {"sent": self.n}:
            problems.append("rows " + ", ".join(f"{k} {v}" for k, v in sorted(sent.items())))
        return "FAILED: " + "; ".join(problems) if problems else "OK"


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The process that runs the dispatcher (and the program names' view) alone."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "rujukan_notifications", "consume", "dispatcher-only"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


@dataclass
class _OneProcess:
    """What ``pipeline_throughput.Cpu`` reads from supervisord, for one process of ours."""

    pid: int

    def info(self) -> dict[str, dict[str, Any]]:
        return {"notifications": {"pid": self.pid}}


async def _sample(cpu: Cpu, sink: CountingSink) -> tuple[float, dict[str, float]]:
    """Now, and the CPU seconds so far of each part; ``bench``: this process (the sink's thread
    and the sampling), ``sink``: the sink's thread alone."""
    parts = await asyncio.to_thread(cpu.snapshot)
    return time.time(), parts | {"bench": _ticks(os.getpid()) / CLK, "sink": sink.cpu_seconds()}


async def _states(dsn: str, *, wait_for: int) -> dict[str, int]:
    """Deliveries by state, once ``wait_for`` are final (a send is recorded after the sink
    answered) or after 10 s."""
    conn = await asyncpg.connect(dsn)
    try:
        for _ in range(50):
            rows = await conn.fetch("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
            states = {r["state"]: r["n"] for r in rows}
            if sum(states.get(s, 0) for s in ("sent", "failed", "skipped")) >= wait_for:
                break
            await asyncio.sleep(0.2)
        return states
    finally:
        await conn.close()


def _used(samples: Samples, start: float, end: float) -> dict[str, float]:
    """Core-seconds of each part from the sample nearest ``start`` to the one nearest ``end``."""
    a = min(samples, key=lambda s: abs(s[0] - start))[1]
    b = min(samples, key=lambda s: abs(s[0] - end))[1]
    return {k: b.get(k, 0.0) - a.get(k, 0.0) for k in b}


COLUMNS = "  {:7s} {:28.28s} {:>7s}  {:>8s}  {:>10s}  {:>8s}  {:>6s}  {:>7s}  {}"


async def compare(bench: Bench, mode: str, sides: tuple[Side, Side], rounds: int) -> bool:
    """A, B, A, B, ... against the ``mode`` sink; prints each round, the medians and the
    verdict; returns whether every round's check passed."""
    sink = CountingSink(STATE / "unused.jsonl", free_port(), delay=_delay(mode))
    sink.start()
    try:
        print(f"\nsink {mode}: {_describe(mode)}; {bench.n} messages a round")
        print(
            "  messages/s; CPU per message in us of the notifications process, PostgreSQL, the"
            " sink's thread;\n  other: cores busy with anything else on the machine in the"
            " window"
        )
        print(COLUMNS.format("round", "side", "msg/s", "notif.", "PostgreSQL", "sink", "other",
                             "round s", "check"))  # fmt: skip
        ok = True
        for side in sides:
            side.rates, side.cpu = [], []
        for k in range(1, rounds + 1):
            for side in sides:
                r = await bench.round(side, sink)
                passed = r.check == "OK"
                ok = ok and passed
                side.rates.append(r.rate)
                side.cpu.append(r.per_message("notifications"))
                print(_line(str(k), side, r), flush=True)
        summarise(sides, ok, rounds, rate="messages/s", cpu="notifications CPU per message",
                  columns=COLUMNS, blanks=5)  # fmt: skip
        return ok
    finally:
        sink.stop()


def _line(label: str, side: Side, r: Round) -> str:
    other = r.used["machine busy"] - sum(
        r.used.get(k, 0.0) for k in ("notifications", "postgresql", "kafka broker", "bench")
    )
    return COLUMNS.format(
        label, side.title, f"{r.rate:.0f}", f"{r.per_message('notifications'):.0f}",
        f"{r.per_message('postgresql'):.0f}", f"{r.per_message('sink'):.0f}",
        f"{max(other, 0.0) / max(r.seconds, 1e-9):.2f}", f"{r.wall:.0f}", r.check,
    )  # fmt: skip


def _delay(mode: str) -> float:
    return SLOW_SECONDS if mode == "slow" else 0.0


def _describe(mode: str) -> str:
    if mode == "slow":
        return f"each message takes {SLOW_SECONDS * 1000:.0f} ms (concurrent sessions)"
    return "answers at once"


async def amain(args: argparse.Namespace, sides: tuple[Side, Side]) -> bool:
    modes = ["fast", "slow"] if args.sink == "both" else [args.sink]
    verified(sides, PROBED)
    bench = Bench(args)
    await asyncio.to_thread(bench.start)
    try:
        print(
            f"{machine()}; private servers (PostgreSQL 127.0.0.1:{PG_PORT}, Kafka "
            f"{bench.cluster.bootstrap}); settings: "
            + (" ".join(f"{k}={v}" for k, v in bench.settings.items()) or "the defaults")
        )
        sink = CountingSink(STATE / "unused.jsonl", free_port(), delay=_delay(modes[0]))
        sink.start()
        try:
            warm = await bench.round(sides[0], sink)
        finally:
            sink.stop()
        print(
            f"warm-up, sink {modes[0]}, side A, on the fresh servers: {warm.rate:.0f} messages/s,"
            f" {warm.check}, {warm.wall:.0f} s; not counted"
        )
        checked = [await compare(bench, mode, sides, args.rounds) for mode in modes]
        return all(checked)
    finally:
        await asyncio.to_thread(bench.stop)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_sides(ap)
    ap.add_argument("--messages", type=int, default=3000, help="deliveries sent per round")
    ap.add_argument("--sink", choices=["fast", "slow", "both"], default="both")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per side and sink mode")
    ap.add_argument(
        "--env",
        type=setting,
        action="append",
        default=[],
        help="a setting of the notifications process of both sides, RUJUKAN_X=value (repeatable)",
    )
    args = ap.parse_args()
    return run_sides("notifications_throughput.py", args, amain, code_state())


if __name__ == "__main__":
    sys.exit(main())

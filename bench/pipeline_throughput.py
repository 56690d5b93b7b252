"""Benchmark: the whole pipeline as ``make up`` runs it, from the intake API to the resident's
e-mail, next to a raw aiokafka passthrough in the same run.

Run:  cd /work/main && uv run python bench/pipeline_throughput.py          (about 10 minutes)
      uv run python bench/pipeline_throughput.py --households 20000 --latency-seconds 60
      uv run python bench/pipeline_throughput.py --replicas 2   (router and notifications x2)
      uv run python bench/pipeline_throughput.py --scale-out 1,2,3 --households 2000 --backlog 3000

It starts its own PostgreSQL, one Kafka broker (SASL/SCRAM and ACLs, as ``make up``), an SMTP
sink, a webhook sink every program's agency is told of its new referrals at (``--no-webhooks``:
none, as the runs before it was added) and, under supervisord, one ``serve`` process per
service (API, consumers, relay and the dispatcher in one process: what ``make up`` runs), plus
--replicas - 1 extra ``consume`` processes of the router's intake consumer and of
notifications' status consumer. Setup is
the chaos run's (``bench/chaos.py``): migrations, seeded catalogue, a registry for every
generated household, half of them consenting to be told by e-mail.

Phases, on the same servers:

a. bulk: --households through the bulk importer (the batch endpoint, 500 per request, as fast
   as served) until the pipeline is quiet. Per stage, when it reached its final count:
   accepted by the API (intake's database), routed (the router's), referrals delivered to
   their program topics, the residents' messages at the SMTP sink, the agencies' webhooks at
   theirs. End to end: households/s
   from the first request to the last resident message handed to SMTP; messages/s at the sink;
   the largest consumer lag seen per group; CPU per household by process.
b. router on a backlog: the router's processes stopped, --backlog households imported, the
   router started again: households/s from its first to its last routed intake (its own speed,
   not the API's), and aiokafka's passthrough of the same intake.submitted records (the
   median of three passes).
c. single intakes: ``POST /v1/intakes`` one household each at concurrency 1, 4, 16 and 32;
   intakes/s and latency percentiles. With --ab-intake, a second intake API process (its own
   port, no consumers nor relay, ``RUJUKAN_INTAKE_SUBMIT_BATCH_MAX=1``: each intake its own
   commit) is measured beside ``make up``'s (group commit), A, B, A, B at each concurrency.
d. latency: single intakes at a steady --latency-rate (200/s) for --latency-seconds, open loop;
   a tail consumer on every program topic and the SMTP sink note when each household's first
   referral reaches its agency topic and when its resident's message reaches SMTP; the API's
   own answer (a request's start to its 202: issue 15's p99 <= 50 ms at 200/s); where the
   time goes (API to ``intake.submitted``, from there to the referral) and every process's
   CPU while sending, this benchmark's own (clients and sinks) included. First
   --latency-warmup seconds at the same rate, not counted, and the pipeline left to go quiet:
   run alone (``--phases d``), the first households otherwise pay what a running platform has
   done long before (statements prepared on each pooled connection, the broker's JIT).
q. quiet: once the pipeline is quiet, every process's CPU over 30 s with nothing submitted.

--profile FOLDER: py-spy records every service process during phases a and d (raw stacks, one
file a process and phase; ``bench/profiles.py`` sums them by function).

s. scale-out (``--scale-out 1,2,3``, instead of a-d): phases a and b again at each number of
   router and notifications consumer processes in turn, in one run on the same servers
   (replicas beyond the number stopped, the others started), each on fresh households; a table
   compares them.

The last line is the summary the issue asks for:
``pipeline: N households/s end to end, M messages/s, p99 X ms API to agency topic at 200/s,
router R households/s = S% of the passthrough``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiohttp
import asyncpg
import httpx
import machine_probe
import orjson
import profiles
from chaos import code_state, setup, wait_catalogue, wait_ready
from chaos_checks import LagReader, pipeline_pending, scalar
from chaos_platform import (
    ROOT,
    SECRET,
    SERVICES,
    Cluster,
    Ports,
    Program,
    SmtpSink,
    Supervisor,
    service_env,
    stop_everything,
)
from router_ab import setting
from router_throughput import (
    CLK,
    SEED_DIR,
    Tail,
    _pct,
    _ticks,
    cluster_ticks,
    end_offsets,
    passthrough,
    reading_from_end,
)

from rujukan_contracts.topics import INTAKE_SUBMITTED
from rujukan_eligibility.catalogue import load_seed_programs
from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.testing import ThreadedHttp, free_port

ROUTER = "referral-router-serve"
#: phase c's B: an intake API process that commits each single intake alone
INTAKE_OFF = "intake-api-one-commit-each"
NOTIFICATIONS = "notifications-serve"
WEBHOOK_SECRET = "pipeline-bench-webhook-secret"


def make_up_niceness() -> dict[str, str]:
    """Each service's CPU niceness as ``make up`` runs it (``deploy/local/env.sh``'s SERVICES)."""
    env_sh = (ROOT / "deploy" / "local" / "env.sh").read_text()
    found = dict(re.findall(r'^\s*"([a-z-]+) rujukan_\w+ \$\w+ (\d+)"$', env_sh, re.M))
    if set(found) != set(SERVICES):
        raise RuntimeError(f"deploy/local/env.sh's SERVICES name {sorted(found)}, not {SERVICES}")
    return found


def make_up_processes(
    replicas: int,
    intake_off_port: int = 0,
    webhooks: str = "",
    settings: tuple[tuple[str, str], ...] = (),
) -> list[Program]:
    """What ``make up`` runs (one ``serve`` a service, at its niceness), the documented replicas
    and, on ``intake_off_port``, an intake API without group commit (phase c's B);
    ``webhooks``: the agencies' webhooks notifications sends to; ``settings``: for every
    process (``--env``; ``RUJUKAN_<SERVICE>_CPU_NICENESS`` overrides make up's)."""
    env = {s: (("RUJUKAN_CPU_NICENESS", n), *settings) for s, n in make_up_niceness().items()}
    if webhooks:
        env["notifications"] += (("RUJUKAN_NOTIFICATIONS_AGENCY_WEBHOOKS", webhooks),)
    out = [Program(f"{s}-serve", "serve", s, ("serve",), env=env[s]) for s in SERVICES]
    if intake_off_port:
        off = (*settings, ("RUJUKAN_INTAKE_PORT", str(intake_off_port)),
               ("RUJUKAN_INTAKE_SUBMIT_BATCH_MAX", "1"))  # fmt: skip
        out.append(Program(INTAKE_OFF, "api", "intake", ("serve",), env=off))
    for i in range(2, replicas + 1):
        out.append(
            Program(
                f"router-intakes-{i}",
                "replica",
                "referral-router",
                ("consume", "router-intakes"),
                env=env["referral-router"],
            )
        )
        out.append(
            Program(
                f"notifications-status-{i}",
                "replica",
                "notifications",
                ("consume", "notifications-status"),
                env=env["notifications"],
            )
        )
    return out


class WebhookSink:
    """Every program's agency webhook (``RUJUKAN_NOTIFICATIONS_AGENCY_WEBHOOKS``): a real HTTP
    server in a thread of its own that answers each POST 200 at once and notes when it came."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._times: list[float] = []
        self._lock = threading.Lock()
        self._server: ThreadedHttp | None = None

    def setting(self, codes: list[str]) -> str:
        """The notifications setting that sends every program's agency webhooks here."""
        hooks = {
            code: {"url": f"http://127.0.0.1:{self.port}/hook/{code}", "secret": WEBHOOK_SECRET}
            for code in codes
        }
        return json.dumps(hooks)

    def start(self) -> None:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as httpx's pool uses it

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink._lock:
                    sink._times.append(time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadedHttp(Handler, self.port)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def arrivals(self) -> list[float]:
        with self._lock:
            return list(self._times)


# ------------------------------------------------------------------------------ sampling


class Programs(Protocol):
    """What ``Cpu`` reads of the programs it follows: each one's pid (supervisord's ``info``)."""

    def info(self) -> dict[str, dict[str, Any]]: ...


class Cpu:
    """CPU ticks per supervisord program (a restarted program's earlier pids kept), the
    brokers, the PostgreSQL cluster and the machine, read from /proc when asked."""

    def __init__(self, cluster: Cluster, supervisor: Programs) -> None:
        self.cluster, self.supervisor = cluster, supervisor
        self._seen: dict[int, tuple[str, int]] = {}  # pid -> (program, last ticks)

    def snapshot(self) -> dict[str, float]:
        for name, info in self.supervisor.info().items():
            pid = int(info["pid"] or 0)
            if pid and (ticks := _ticks(pid)):
                self._seen[pid] = (name, ticks)
        parts: dict[str, float] = {}
        for name, ticks in self._seen.values():
            parts[name] = parts.get(name, 0) + ticks
        brokers = (self.cluster.broker_pid(i) for i in range(self.cluster.brokers))
        parts["kafka broker"] = sum(_ticks(pid) for pid in brokers if pid)
        parts["postgresql"] = cluster_ticks(self.cluster.postmaster_pid())
        parts["this benchmark (client, sinks)"] = _ticks(os.getpid())  # it shares the machine
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        parts["machine busy"] = sum(cpu) - cpu[3] - cpu[4]  # minus idle and iowait
        return {k: v / CLK for k, v in parts.items()}


def cpu_lines(before: dict[str, float], after: dict[str, float], households: int) -> list[str]:
    used = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    lines = [f"    {'process':30s} {'core-s':>8s} {'us/household':>13s}"]
    busy = used.pop("machine busy")
    for name, seconds in [*sorted(used.items(), key=lambda kv: -kv[1]), ("machine busy", busy)]:
        lines.append(f"    {name:30s} {seconds:8.1f} {seconds / households * 1e6:13.0f}")
    return lines


@dataclass
class Stage:
    """One count that grows to ``target``; ``done`` is when it got there."""

    name: str
    target: int
    probe: Callable[[], Awaitable[int]]
    first: float = 0.0
    done: float = 0.0
    last_value: int = 0

    async def sample(self, now: float) -> None:
        if self.done:
            return
        try:
            value = await self.probe()
        except Exception:  # a probe is best effort; the next one counts
            return
        if value > self.last_value and not self.first:
            self.first = now
        self.last_value = value
        if value >= self.target:
            self.done = now


@dataclass
class Bench:
    args: argparse.Namespace
    cluster: Cluster
    supervisor: Supervisor
    sink: SmtpSink
    households: Path
    token: str = ""
    taken: int = 0  # the generated households the phases have used so far
    replicas: int = 1  # the router's and notifications' consumer processes running now
    max_replicas: int = 1
    intake_off_port: int = 0  # --ab-intake: the intake API without group commit
    summary: dict[str, float] = field(default_factory=dict)
    webhooks: WebhookSink | None = None
    #: one connection a database for the probes, kept open: a new one each probe cost
    #: PostgreSQL a backend's start and a SCRAM exchange, counted as the platform's CPU
    probes: dict[str, asyncpg.Connection] = field(default_factory=dict)
    #: consumer lags, through Kafka clients kept open for the same reason
    lag_reader: LagReader | None = None

    @contextlib.contextmanager
    def profiled(self, phase: str) -> Iterator[None]:
        """With --profile, py-spy records every service process while the block runs."""
        if not self.args.profile:
            yield
            return
        folder = Path(self.args.profile)
        spies = [
            profiles.record(int(info["pid"]), folder / f"{phase}-{name}.txt")
            for name, info in self.supervisor.info().items()
            if info["pid"]
        ]
        try:
            yield
        finally:
            for spy in spies:
                spy.send_signal(signal.SIGINT)
            for spy in spies:
                spy.wait(30)

    @cached_property
    def lines(self) -> list[str]:
        """The generated households, one JSON line each: phases take them in turn."""
        return self.households.read_text().splitlines()

    @property
    def intake_url(self) -> str:
        return f"http://127.0.0.1:{self.cluster.ports.services['intake']}"

    async def count(self, db: str, sql: str) -> int:
        conn = self.probes.get(db)
        if conn is None or conn.is_closed():
            conn = await asyncpg.connect(f"{self.cluster.pg_dsn}/{db}", timeout=10)
            self.probes[db] = conn
        return int(await conn.fetchval(sql, timeout=120))

    async def lags(self) -> dict[str, int]:
        """Consumer groups' lags, without phase b's passthrough groups: they read their backlog
        once and would show every later record as lag."""
        if self.lag_reader is None:
            reader = LagReader(self.cluster.bootstrap)
            try:
                await reader.start()
            except BaseException:  # closed, and tried again at the next look
                await reader.stop()
                raise
            self.lag_reader = reader
        lags = await self.lag_reader.lags()
        return {g: lag for g, lag in lags.items() if not g.startswith("bench-passthrough")}

    async def close_probes(self) -> None:
        for conn in self.probes.values():
            with contextlib.suppress(Exception):
                await conn.close(timeout=5)
        self.probes.clear()
        if self.lag_reader is not None:
            with contextlib.suppress(Exception):
                await self.lag_reader.stop()
            self.lag_reader = None

    def take(self, count: int) -> list[str]:
        """The next ``count`` generated households no phase has used (each phase, fresh ones)."""
        lines = self.lines[self.taken : self.taken + count]
        if len(lines) < count:
            raise RuntimeError(f"only {len(lines)} of {count} generated households are left")
        self.taken += count
        return lines

    def slice(self, name: str, count: int) -> Path:
        """The next ``count`` households, as their own import file."""
        path = self.households.with_name(f"{name}.jsonl")
        path.write_text("\n".join(self.take(count)) + "\n")
        return path

    def router_programs(self) -> list[str]:
        """The router's processes that route intakes now: ``serve`` and its running replicas."""
        return [ROUTER] + [f"router-intakes-{i}" for i in range(2, self.replicas + 1)]

    async def scale_to(self, replicas: int) -> None:
        """Run ``replicas`` router and notifications consumer processes (the first is ``serve``)."""
        for i in range(2, self.max_replicas + 1):
            for name in (f"router-intakes-{i}", f"notifications-status-{i}"):
                if i <= replicas and i > self.replicas:
                    await asyncio.to_thread(self.supervisor.start_program, name)
                elif i > replicas and i <= self.replicas:
                    await asyncio.to_thread(self.supervisor.stop_program, name)
        self.replicas = replicas

    async def run_importer(self, path: Path) -> None:
        env = service_env(self.cluster) | {"RUJUKAN_TOKEN": self.token}
        with path.with_suffix(".log").open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "rujukan_intake", "import", str(path),
                "--url", self.intake_url, "--batch", "500",
                env=env, cwd=ROOT, stdout=log, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            if await proc.wait() != 0:
                raise RuntimeError(f"the importer failed (see {path.with_suffix('.log')})")

    async def wait_quiet(self, accepted: int, within: float) -> None:
        deadline = time.monotonic() + within
        quiet = 0
        while quiet < 2:
            pending = await pipeline_pending(self.count, self.lags, accepted)
            quiet = quiet + 1 if not any(pending.values()) else 0
            if time.monotonic() > deadline:
                left = {k: v for k, v in pending.items() if v}
                raise RuntimeError(f"not quiet after {within:.0f} s: {left}")
            await asyncio.sleep(1)

    # --- a. bulk

    async def bulk(self) -> None:
        n = self.args.households
        path = self.slice(f"bulk-{self.taken}", n)
        before = {
            "accepted": await self.count("intake", "SELECT count(*) FROM intakes"),
            "routed": await self.count("router", "SELECT count(*) FROM intakes"),
        }
        cpu = Cpu(self.cluster, self.supervisor)
        stages = [
            Stage("accepted by the intake API", before["accepted"] + n,
                  lambda: self.count("intake", "SELECT count(*) FROM intakes")),
            Stage("routed by the router", before["routed"] + n,
                  lambda: self.count("router", "SELECT count(*) FROM intakes")),
        ]  # fmt: skip
        lags: dict[str, int] = {}
        cpu_before = cpu.snapshot()
        t0 = time.time()
        importer = asyncio.create_task(self.run_importer(path))
        last_lag = 0.0
        while not importer.done() or not all(s.done for s in stages):
            now = time.time()
            for stage in stages:
                await stage.sample(now)
            if now - last_lag >= 2:
                last_lag = now
                try:
                    for group, lag in (await self.lags()).items():
                        lags[group] = max(lags.get(group, 0), lag)
                except Exception:  # a lag probe is best effort
                    pass
            if importer.done() and importer.exception():
                raise importer.exception()  # type: ignore[misc]
            await asyncio.sleep(0.5)
        await self.wait_quiet(before["accepted"] + n, self.args.drain_timeout)
        t_quiet = time.time()
        cpu_after = cpu.snapshot()
        messages = [m for m in self.sink.messages() if m["at"] >= t0]
        referrals = await self.count("router", "SELECT count(*) FROM referrals")
        last_message = max((m["at"] for m in messages), default=t_quiet)
        e2e = n / (last_message - t0)
        spread = (last_message - min(m["at"] for m in messages)) if messages else 0.0
        per_s = len(messages) / spread if spread else 0.0
        print(f"\na. bulk: {n} households through the batch endpoint (500 a request)")
        for stage in stages:
            rate = n / (stage.done - t0)
            print(f"    {stage.name:34s} all at {stage.done - t0:7.1f} s  {rate:7.0f} households/s")
        print(
            f"    {'resident messages at SMTP':34s} last at {last_message - t0:6.1f} s  "
            f"{len(messages)} messages, {per_s:.0f} messages/s from first to last"
        )
        # each household makes one visit here: its referrals' news is one message, however many
        # notifications processes read referrals.status (keyed by the visit since 2026-12-05)
        told = Counter(str(m["to"]) for m in messages)
        split = sum(1 for n_messages in told.values() if n_messages > 1)
        print(f"    {'residents told in two messages':34s} {split} of {len(told)} (one visit each)")
        if self.webhooks is not None:
            hooks = [at for at in self.webhooks.arrivals() if at >= t0]
            span = (max(hooks) - min(hooks)) if len(hooks) > 1 else 0.0
            last_hook = (max(hooks) - t0) if hooks else 0.0
            print(
                f"    {'agency webhooks at the sink':34s} last at {last_hook:6.1f} s  "
                f"{len(hooks)} webhooks, "
                f"{len(hooks) / span if span else 0:.0f}/s from first to last"
            )
        print(f"    referrals in the router: {referrals}; quiet at {t_quiet - t0:.1f} s")
        print("    largest consumer lag seen (records): " + ", ".join(
            f"{g} {v}" for g, v in sorted(lags.items())))  # fmt: skip
        print(f"    END TO END: {e2e:.0f} households/s (first request -> last message at SMTP)")
        print(f"    CPU from the first request to quiet ({t_quiet - t0:.1f} s):")
        print("\n".join(cpu_lines(cpu_before, cpu_after, n)))
        self.summary |= {
            "e2e": e2e,
            "messages": per_s,
            "accepted": n / (stages[0].done - t0),
            "routed": n / (stages[1].done - t0),
        }

    # --- b. router on a backlog

    async def router_backlog(self) -> None:
        n = self.args.backlog
        path = self.slice(f"backlog-{self.taken}", n)
        speed = machine_probe.back_to_back()  # quiet now: the header's work, to compare rounds
        starts = await end_offsets([INTAKE_SUBMITTED], self.cluster.bootstrap)
        for name in self.router_programs():
            await asyncio.to_thread(self.supervisor.stop_program, name)
        routed_before = await self.count("router", "SELECT count(*) FROM intakes")
        await self.run_importer(path)
        ends = await end_offsets([INTAKE_SUBMITTED], self.cluster.bootstrap)
        backlog = sum(ends[tp] - starts[tp] for tp in ends)
        cpu = Cpu(self.cluster, self.supervisor)
        stage = Stage("routed", routed_before + n,
                      lambda: self.count("router", "SELECT count(*) FROM intakes"))  # fmt: skip
        for name in self.router_programs():
            await asyncio.to_thread(self.supervisor.start_program, name)
        started = time.time()
        cpu_before: dict[str, float] = {}
        while not stage.done:
            await stage.sample(time.time())
            if stage.first and not cpu_before:
                cpu_before = cpu.snapshot()
            if time.time() - started > self.args.drain_timeout:
                raise RuntimeError(f"the router routed {stage.last_value - routed_before} of {n}")
            await asyncio.sleep(0.25)
        cpu_after = cpu.snapshot()
        if stage.done - stage.first < 2.5:  # a quarter second's sampling is then > 10 %
            raise RuntimeError(
                f"the router routed the backlog in {stage.done - stage.first:.1f} s, too few to"
                " time by sampling: give it a larger --backlog"
            )
        rate = n / (stage.done - stage.first)
        # three passes over the same records, the median kept: one pass over a few thousand
        # records is a dozen fetches, and single passes differed by a third in one session
        passes = []
        for _ in range(3):
            records, first, last = await passthrough(self.cluster.bootstrap, starts, ends)
            passes.append((records / (last - first), records, last - first))
        reference, records, took = sorted(passes)[1]
        print(
            f"\nb. the router on a backlog of {n} households ({backlog} intake.submitted records)"
        )
        print(
            f"    ROUTER: {rate:.0f} households/s (first to last routed intake, "
            f"{stage.done - stage.first:.1f} s; started {stage.first - started:.1f} s after launch)"
        )
        print(
            f"    PASSTHROUGH: {reference:.0f} records/s ({records} records in {took:.2f} s;"
            f" the median of 3 passes: {', '.join(f'{p[0]:.0f}' for p in passes)})"
        )
        print(f"    router = {rate / reference:.1%} of the passthrough")
        print(f"    machine before the phase: the header's work cost {speed:.0f} us back to back")
        window = (stage.first, stage.done)  # what notifications sent meanwhile, at the sinks
        sent = sum(window[0] <= m["at"] <= window[1] for m in self.sink.messages())
        arrivals = self.webhooks.arrivals() if self.webhooks else []
        hooks = sum(window[0] <= at <= window[1] for at in arrivals)
        print(f"    while routing: {sent} resident messages, {hooks} agency webhooks at the sinks")
        print("\n".join(cpu_lines(cpu_before, cpu_after, n)))
        self.summary |= {"router": rate, "router_share": rate / reference}
        await self.wait_quiet(await self.count("intake", "SELECT count(*) FROM intakes"), 600)

    # --- c. single intakes

    async def single(self) -> None:
        print("\nc. single intakes: POST /v1/intakes, one household each, fresh households")
        targets = {"": self.intake_url}
        if self.intake_off_port:
            await self.wait_intake_off()
            print(
                "    A: intake-serve (make up's process, group commit up to 100; it also "
                "relays and consumes); B: "
                f"{INTAKE_OFF} (API only, RUJUKAN_INTAKE_SUBMIT_BATCH_MAX=1); A, B, A, B"
            )
            off_url = f"http://127.0.0.1:{self.intake_off_port}"
            targets = {" A": self.intake_url, " B": off_url, " A again": self.intake_url,
                       " B again": off_url}  # fmt: skip
        for concurrency in (1, 4, 16, 32):
            for label, url in targets.items():
                bodies = [json.loads(x) for x in self.take(self.args.single)]
                async with intake_client(url, self.token, concurrency, timeout=30) as http:
                    wall, latencies = await closed_loop(http, bodies, concurrency)
                p50, p99 = (_pct(latencies, q) * 1000 for q in (50, 99))
                print(
                    f"    concurrency {concurrency:2d}{label:8s}: {len(bodies) / wall:6.0f} "
                    f"intakes/s  p50 {p50:5.0f} ms  p99 {p99:5.0f} ms"
                )

    async def wait_intake_off(self) -> None:
        """Phase c's B answers ``/readyz`` (supervisord started it with the others)."""
        url = f"http://127.0.0.1:{self.intake_off_port}/readyz"
        async with httpx.AsyncClient(timeout=5) as http:
            for _ in range(600):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(url)).status_code == 200:
                        return
                await asyncio.sleep(0.5)
        raise RuntimeError(f"{INTAKE_OFF} never became ready")

    # --- q. quiet

    async def quiet(self) -> None:
        await self.wait_quiet(await self.count("intake", "SELECT count(*) FROM intakes"), 600)
        await _quiet(self, 30.0)

    # --- d. latency at a steady rate

    async def warm_up(self, count: int, rate: float) -> None:
        """``count`` single intakes at ``rate``, not measured (anything but 202 stops the run, as
        in phase c); then the pipeline goes quiet."""
        if count <= 0:
            return
        lines, unused = self.take(count), list[float]()
        async with intake_client(self.intake_url, self.token, 256, timeout=60) as http:
            sent = await started_at_rate(
                lines, rate, lambda line: post_intake(http, json.loads(line), unused)
            )
            await asyncio.gather(*sent)
        await self.wait_quiet(await self.count("intake", "SELECT count(*) FROM intakes"), 600)
        print(f"\nd. warm-up: {count} single intakes at {rate:.0f}/s, not counted")

    async def latency(self) -> None:
        rate, seconds = self.args.latency_rate, self.args.latency_seconds
        count = int(rate * seconds)
        await self.warm_up(int(rate * self.args.latency_warmup), rate)
        lines = self.take(count)
        codes = await program_codes(self.cluster)
        tail = Tail(codes, self.cluster.bootstrap)
        await tail.start()
        submitted = Submitted(self.cluster.bootstrap)
        await submitted.start()
        cpu = Cpu(self.cluster, self.supervisor)
        cpu_before = cpu.snapshot()
        sent: dict[str, float] = {}  # intake id -> when its request began
        by_address: dict[str, float] = {}  # the resident's e-mail -> when its request began
        answered_in: list[float] = []  # seconds from a request's start to its 202
        failures: list[str] = []
        async with intake_client(self.intake_url, self.token, 256, timeout=60) as http:

            async def post(body: dict[str, Any]) -> None:
                t = time.time()
                try:
                    async with http.post("/v1/intakes", data=orjson.dumps(body)) as response:
                        answer = await response.read()
                except (aiohttp.ClientError, TimeoutError) as exc:  # over capacity: a result
                    failures.append(type(exc).__name__)
                    return
                if response.status != 202:
                    failures.append(str(response.status))
                    return
                answered_in.append(time.time() - t)
                sent[str(orjson.loads(answer)["intake_id"])] = t
                if email := (body.get("contact") or {}).get("email"):
                    by_address[email] = t

            t0 = time.monotonic()
            tasks = await started_at_rate(lines, rate, lambda line: post(json.loads(line)))
            sending = count / (time.monotonic() - t0)
            cpu_sending = cpu.snapshot()
            await asyncio.gather(*tasks)
            answered = len(sent) / (time.monotonic() - t0)
        await self.wait_quiet(await self.count("intake", "SELECT count(*) FROM intakes"), 600)
        await tail.stop()
        await submitted.stop()
        # CreateTime of intake.submitted is when intake's relay handed it to its producer
        to_submitted = [submitted.at[i] - t for i, t in sent.items() if i in submitted.at]
        on_topic = [
            min(c for _, c in tail.seen[i]) - submitted.at[i]
            for i in sent
            if i in tail.seen and i in submitted.at
        ]
        to_topic = [min(r for r, _ in tail.seen[i]) - t for i, t in sent.items() if i in tail.seen]
        # CreateTime of a referral is when the router's relay handed it to its producer; the
        # rest of "on its agency topic" is the broker's and this benchmark's reader's
        to_reader = [r - c for i in sent if i in tail.seen for r, c in tail.seen[i][:1]]
        to_last = [max(r for r, _ in tail.seen[i]) - t for i, t in sent.items() if i in tail.seen]
        to_mail = [
            m["at"] - by_address[to]
            for m in self.sink.messages()
            if (to := str(m["to"] or "")) in by_address
        ]
        print(
            f"\nd. latency: {count} single intakes at {rate:.0f}/s for {seconds:.0f} s "
            f"(sent at {sending:.0f}/s, accepted {answered:.0f}/s; not accepted: "
            f"{len(failures)} {dict(Counter(failures))})"
        )
        for label, values in (
            ("API's answer (POST /v1/intakes, 202)", answered_in),
            ("API -> intake.submitted (intake's relay)", to_submitted),
            ("intake.submitted -> first referral created", on_topic),
            ("API -> first referral on its agency topic", to_topic),
            ("  of which router's relay -> read by agency", to_reader),
            ("API -> last referral on its agency topic", to_last),
            ("API -> resident's message at SMTP", to_mail),
        ):
            if values:
                p = [_pct(values, q) * 1000 for q in (50, 95, 99)]
                print(
                    f"    {label:42s} p50 {p[0]:6.0f} ms  p95 {p[1]:6.0f} ms  p99 {p[2]:6.0f} ms"
                    f"  ({len(values)} households)"
                )
        self.summary["p99_topic"] = _pct(to_topic, 99) * 1000 if to_topic else float("nan")
        print(f"    CPU while sending ({seconds:.0f} s; cores = core-s / {seconds:.0f} s):")
        print("\n".join(cpu_lines(cpu_before, cpu_sending, count)))


async def _quiet(bench: Bench, seconds: float) -> None:
    """What the platform spends with nothing to do: polls, heartbeats, relays and
    dispatchers looking for work (issue 15: little CPU when quiet)."""
    cpu = Cpu(bench.cluster, bench.supervisor)
    before = cpu.snapshot()
    await asyncio.sleep(seconds)
    after = cpu.snapshot()
    print(f"\nq. quiet: nothing submitted for {seconds:.0f} s")
    print(f"    {'process':30s} {'core-s':>8s} {'% of a core':>12s}")
    used = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    busy = used.pop("machine busy")
    for name, core_s in [*sorted(used.items(), key=lambda kv: -kv[1]), ("machine busy", busy)]:
        print(f"    {name:30s} {core_s:8.2f} {core_s / seconds:12.1%}")


class Submitted:
    """Reads intake.submitted from its current end; notes each intake's record CreateTime."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.at: dict[str, float] = {}  # intake id -> the record's timestamp (s)
        self.stop_event = asyncio.Event()

    async def start(self) -> None:
        self.consumer = await reading_from_end(
            self.bootstrap, [INTAKE_SUBMITTED], fetch_max_wait_ms=50
        )
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self.stop_event.is_set():
            for records in (await self.consumer.getmany(timeout_ms=100)).values():
                for r in records:
                    self.at.setdefault(orjson.loads(r.value)["intake_id"], r.timestamp / 1000)

    async def stop(self) -> None:
        self.stop_event.set()
        await self.task
        await self.consumer.stop()


def intake_client(
    url: str, token: str, connections: int, *, timeout: float
) -> aiohttp.ClientSession:
    """The benchmarks' clients of the intake API: aiohttp without an httpx layer, since they
    share the machine they measure (httpcore's pool walked every queued request and every
    connection whenever one started or ended, and set the pace with 6,000 queued)."""
    return aiohttp.ClientSession(
        base_url=url,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=timeout),
    )


T = TypeVar("T")


async def post_intake(
    http: aiohttp.ClientSession, body: dict[str, Any], latencies: list[float]
) -> None:
    """One household through ``POST /v1/intakes``, its latency noted; anything but 202 stops
    the load (these loads measure the API, not its refusals)."""
    t = time.perf_counter()
    async with http.post("/v1/intakes", data=orjson.dumps(body)) as response:
        answer = await response.read()
    latencies.append(time.perf_counter() - t)
    if response.status != 202:
        raise RuntimeError(f"{response.status}: {answer[:300]!r}")


async def started_at_rate(
    items: Sequence[T], rate: float, send: Callable[[T], Coroutine[Any, Any, None]]
) -> list[asyncio.Task[None]]:
    """``send(item)`` started every 1/``rate`` s whether or not the last was answered (open
    loop, as Puskesos apps send: none waits for another's answer); the tasks, once the last has
    started."""
    t0 = time.perf_counter()
    tasks = []
    for i, item in enumerate(items):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(item)))
    return tasks


async def closed_loop(
    http: aiohttp.ClientSession, bodies: list[dict[str, Any]], concurrency: int
) -> tuple[float, list[float]]:
    """``concurrency`` clients, each posting its next household when the last is answered:
    the wall time and every request's latency."""
    queue, latencies = list(bodies), list[float]()

    async def client() -> None:
        while queue:
            await post_intake(http, queue.pop(), latencies)

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return time.perf_counter() - t0, latencies


async def open_loop(
    http: aiohttp.ClientSession, bodies: list[dict[str, Any]], rate: float
) -> tuple[float, list[float]]:
    """One household posted every 1/``rate`` s (``started_at_rate``): the wall time to the
    last answer and every request's latency."""
    latencies: list[float] = []
    t0 = time.perf_counter()
    await asyncio.gather(
        *await started_at_rate(bodies, rate, lambda body: post_intake(http, body, latencies))
    )
    return time.perf_counter() - t0, latencies


async def program_codes(cluster: Cluster) -> list[str]:
    rows = await scalar(f"{cluster.pg_dsn}/router", "SELECT array_agg(code) FROM catalogue")
    return sorted(rows)


# ------------------------------------------------------------------------------ main


def machine() -> str:
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
         if ln.startswith("model name")), platform.processor())  # fmt: skip
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}), load average {load}; Python {platform.python_version()}"
    )


async def measure(bench: Bench, programs: int) -> None:
    try:
        await _measure(bench, programs)
    finally:
        await bench.close_probes()


async def _measure(bench: Bench, programs: int) -> None:
    await wait_ready(bench.cluster.ports, bench.supervisor, 600)
    await wait_catalogue(bench.cluster, programs, 300)
    if bench.args.scale_out:
        await scale_out(bench, [int(k) for k in bench.args.scale_out.split(",")])
        return
    phases = bench.args.phases.split(",")
    if "a" in phases:
        with bench.profiled("a"):
            await bench.bulk()
    if "b" in phases:
        await bench.router_backlog()
    if "c" in phases:
        await bench.single()
    if "d" in phases:
        with bench.profiled("d"):
            await bench.latency()
    if "q" in phases:
        await bench.quiet()
    s = bench.summary
    print(
        f"\npipeline: {s.get('e2e', float('nan')):.0f} households/s end to end, "
        f"{s.get('messages', float('nan')):.0f} messages/s, "
        f"p99 {s.get('p99_topic', float('nan')):.0f} ms API to agency topic at "
        f"{bench.args.latency_rate:.0f}/s, router {s.get('router', float('nan')):.0f} "
        f"households/s = {s.get('router_share', float('nan')):.0%} of the passthrough"
    )


async def scale_out(bench: Bench, counts: list[int]) -> None:
    """Phases a and b at each number of consumer processes, in turn, then a table of them."""
    rows: list[tuple[int, dict[str, float]]] = []
    for replicas in counts:
        await bench.scale_to(replicas)
        # the started replicas join their groups (a rebalance) before the households come
        await asyncio.sleep(20)
        print(f"\n=== s. {replicas} router and {replicas} notifications consumer process(es)")
        await bench.bulk()
        await bench.router_backlog()
        rows.append((replicas, dict(bench.summary)))
    print("\ns. scale-out, one run, same servers (households/s; messages/s at the SMTP sink)")
    print("    processes  end to end  API accepted  routed (a)  messages/s  router backlog (b)")
    for replicas, r in rows:
        print(
            f"    {replicas:9d}  {r['e2e']:10.0f}  {r['accepted']:12.0f}  {r['routed']:10.0f}"
            f"  {r['messages']:10.0f}  {r['router']:8.0f} = {r['router_share']:.1%} of passthrough"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=5000, help="phase a")
    ap.add_argument(
        "--backlog",
        type=int,
        default=12000,
        help="phase b: enough for several seconds of routing, so its quarter-second sampling is"
        " a few percent (5,000 before 2026-12-06: under 3 s here, and under the 2.5 s it refuses"
        " on a machine or with replicas that route faster)",
    )
    ap.add_argument("--single", type=int, default=300, help="phase c, per concurrency")
    ap.add_argument("--latency-rate", type=float, default=200.0)
    ap.add_argument("--latency-seconds", type=float, default=30.0)
    ap.add_argument(
        "--latency-warmup", type=float, default=5.0, help="phase d: seconds at its rate first"
    )
    ap.add_argument("--replicas", type=int, default=1, help="router and notifications consumers")
    ap.add_argument(
        "--scale-out",
        default="",
        help="instead of --phases: phases a and b at each of these replica counts, e.g. 1,2,3",
    )
    ap.add_argument(
        "--ab-intake",
        action="store_true",
        help="phase c against make up's intake (group commit) and one committing each alone",
    )
    ap.add_argument("--phases", default="a,b,c,d,q")
    ap.add_argument(
        "--profile", default="", metavar="FOLDER", help="py-spy of every service in phases a, d"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--drain-timeout", type=float, default=1800.0)
    ap.add_argument("--state", default=str(ROOT / ".local" / "pipeline-bench"))
    ap.add_argument("--keep-state", action="store_true")
    ap.add_argument(
        "--env",
        type=setting,
        action="append",
        default=[],
        metavar="RUJUKAN_X=value",
        help="a setting of every service process (repeatable), e.g. a consumer's fetch size",
    )
    ap.add_argument(
        "--no-webhooks",
        action="store_true",
        help="no agency webhooks (as the runs before they were added)",
    )
    args = ap.parse_args()
    if args.profile and (why := profiles.missing()):
        ap.error(why)
    counts = [int(k) for k in args.scale_out.split(",")] if args.scale_out else []
    if counts:
        total = len(counts) * (args.households + args.backlog)
        args.replicas = max(counts)
    else:
        total = args.households + args.backlog + 4 * args.single * (4 if args.ab_intake else 1)
        total += int(args.latency_rate * (args.latency_seconds + args.latency_warmup))

    state = Path(args.state).resolve()
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    ports = Ports.pick(1)
    cluster = Cluster(state, ports, 1, state / "servers.log")
    intake_off_port = free_port() if args.ab_intake else 0
    webhooks = None if args.no_webhooks else WebhookSink(free_port())
    codes = [p.code for p in load_seed_programs(SEED_DIR)]
    settings: tuple[tuple[str, str], ...] = tuple(args.env)
    processes = make_up_processes(
        args.replicas, intake_off_port, webhooks.setting(codes) if webhooks else "", settings
    )
    supervisor = Supervisor(cluster, state, processes)
    sink = SmtpSink(state / "smtp.jsonl", ports.smtp)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; code {code_state()}")
    print(f"machine: {machine()}")
    print(f"machine, idle: {machine_probe.describe()}")
    if settings:
        print(f"settings of every service process: {' '.join(f'{k}={v}' for k, v in settings)}")
    print(
        f"pipeline: {len(supervisor.programs)} processes ({', '.join(supervisor.programs)}), "
        f"1 broker, {total} households generated (seed {args.seed}), state {state}"
    )

    def interrupted(_sig: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        if webhooks is not None:
            webhooks.start()
        made = setup(cluster, supervisor, sink, total, args.seed)
        token = issue_token(
            SECRET, Principal(subject="pipeline-bench", role="operator", regions=["33.04"])
        )
        bench = Bench(args, cluster, supervisor, sink, made.path, token)
        bench.intake_off_port = intake_off_port
        bench.replicas = bench.max_replicas = args.replicas
        bench.webhooks = webhooks
        print(f"setup: {time.monotonic() - made.started:.0f} s")
        asyncio.run(measure(bench, len(made.catalogue)))
        return 0
    except KeyboardInterrupt:
        print("pipeline: interrupted; everything it started is stopped", file=sys.stderr)
        return 130
    finally:
        stop_everything(supervisor, sink, cluster, keep_state=args.keep_state)
        if webhooks is not None:
            webhooks.stop()


if __name__ == "__main__":
    sys.exit(main())

"""A/B: single intakes (``POST /v1/intakes``) through one intake API process, for two versions
of the code, in one run: intakes/s, latency and the process's CPU per intake.

Run:  cd /work/main && uv run python bench/intake_single.py --baseline 42f6f2f
      uv run python bench/intake_single.py --baseline 42f6f2f --candidate 42f6f2f \\
          --intakes 200 --rounds 2              (an A/A: what the machine's noise alone gives)
      uv run python bench/intake_single.py --baseline HEAD --candidate HEAD \\
          --a-env RUJUKAN_EVENT_LOOP=asyncio --a-env RUJUKAN_HTTP_PARSER=h11
          (one version of the code, two settings)
      uv run python bench/intake_single.py --baseline 42f6f2f --profile .local/intake-prof
          (afterwards, one more round of B under py-spy: collapsed stacks per load)
      uv run python bench/intake_single.py --baseline HEAD --batch 500
          (a third load: 2 clients posting 500 intakes a request to POST /v1/intakes/batch,
          the bulk importer's path; issue 15 asks >= 3,000 intakes/s there)
      uv run python bench/intake_single.py --baseline HEAD --rate 200
          (a fourth load: single intakes at a steady 200/s for --rate-seconds, open loop, as
          Puskesos apps send; issue 15 asks p99 <= 50 ms there)

What it measures: the request path issue 15 sets a target for (>= 500 single intakes/s per
process), apart from everything else ``make up`` runs. One process, ``python -m rujukan_intake
serve`` with ``RUJUKAN_INTAKE_RUN_CONSUMERS=none`` and ``RUJUKAN_INTAKE_RUN_RELAY=false``: the API
alone, the relay OFF (the outbox rows stay in the table; publishing them is the relay's cost,
not the request's). Its background job (the programs' names from programs.catalog) runs, idle.

How: a private PostgreSQL and one Kafka broker (SASL/SCRAM; free ports, state in
.local/bench-intake-single, wiped at the start and the end) are started with the project's
scripts (chaos_platform's ``Cluster``); PostgreSQL gets ``pg_stat_statements`` (preloaded, the
extension created as the superuser) to count statements. The households are the chaos run's
(``write_households``: half consenting to be told by e-mail, 80 % in the social registry).
Each round, for one side:

1. a fresh database, migrated by that side's ``migrate`` and given the registry (its
   ``load-registry``): the same households every round, each fresh to its database;
2. the side's intake process, with the broker's admin as its Kafka principal; --warm intakes at
   concurrency 4 first (connections, compiled statements; not counted);
3. --intakes fresh households at concurrency 1, then --intakes others at 16, closed loop (each
   client posts its next household when answered) from this process over keep-alive
   connections (with --batch N, then at least 8 requests of N households from 2 clients to the
   batch endpoint, every item a key of its own and every one accepted); per load: intakes/s,
   p50 and p99 latency (of a request), CPU per intake of the intake process (/proc/<pid>/stat)
   and of PostgreSQL (the postmaster and its backends), statements per intake
   (``pg_stat_statements`` calls in the round's database, BEGIN and COMMIT included), and the
   cores busy with anything else on the machine (other agents: the noise);
4. the check: every answer 202, and the database holds exactly the intakes sent;
5. the process stopped (SIGTERM), the database dropped.

A/B exactly as bench/router_ab.py (its ``Side``, ``checked_out`` and ``summarise``): A is
--baseline checked out with ``git worktree add --detach`` under .local/bench-baseline/, B the
working tree or --candidate; each side's sources go first on PYTHONPATH and a child started as
the process is must import rujukan_intake, rujukan_platform and rujukan_contracts from its side's
tree. The benchmark (client, households) is the working tree's for both. One warm-up round
(side A, not counted), then A, B, A, B, ... "Within noise" as router_ab defines it:
|median B / median A - 1| below A's spread (max - min) / median of its rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp
import asyncpg
import httpx
import orjson
import profiles
from chaos import code_state, write_households
from chaos_platform import ROOT, SECRET, Cluster, Ports, service_env
from pipeline_throughput import closed_loop, intake_client, machine, open_loop
from router_ab import Side, add_sides, drop_database, run_sides, summarise, terminate, verified
from router_throughput import CLK, _pct, _ticks, cluster_ticks

from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.kafka import ensure_catalogue_topics, security_options
from rujukan_platform.testing import free_port

STATE = ROOT / ".local" / "bench-intake-single"
PROBED = ["rujukan_intake", "rujukan_platform", "rujukan_contracts"]


@dataclass(frozen=True)
class Load:
    """Closed-loop clients, each posting ``batch`` intakes a request: one through ``POST
    /v1/intakes``, more through ``POST /v1/intakes/batch`` (the bulk importer's path)."""

    clients: int
    batch: int = 1
    #: > 0: one household every 1/rate s, open loop, whatever the answers (``clients`` unused)
    rate: float = 0.0

    @property
    def label(self) -> str:
        if self.rate:
            return f"{self.rate:.0f}/s open"
        return f"c={self.clients}" if self.batch == 1 else f"batch {self.batch} c={self.clients}"

    @property
    def file_name(self) -> str:
        """Where a profiled round writes this load's stacks (its label, as a file's name)."""
        return self.label.replace(" ", "-").replace("=", "-") + ".txt"


SINGLES = (Load(1), Load(16))


@dataclass
class Phase:
    """One concurrency's measurements in a round."""

    intakes: int
    seconds: float
    latencies: list[float]
    used: dict[str, float]  # core-seconds by part
    statements: int | None

    @property
    def rate(self) -> float:
        return self.intakes / self.seconds

    def per_intake(self, part: str) -> float:
        """Milliseconds of ``part``'s CPU per intake."""
        return self.used.get(part, 0.0) / self.intakes * 1000

    def cells(self) -> list[str]:
        p50, p99 = (_pct(self.latencies, q) * 1000 for q in (50, 99))
        other = self.used["machine"] - sum(self.used[k] for k in ("intake", "postgresql", "bench"))
        stmts = "-" if self.statements is None else f"{self.statements / self.intakes:.1f}"
        return [
            f"{self.rate:.0f}", f"{p50:.0f}", f"{p99:.0f}", f"{self.per_intake('intake'):.2f}",
            f"{self.per_intake('postgresql'):.2f}", stmts, f"{max(other, 0) / self.seconds:.2f}",
        ]  # fmt: skip


@dataclass
class Bench:
    args: argparse.Namespace
    cluster: Cluster = field(init=False)
    bodies: list[dict[str, object]] = field(default_factory=list)
    registry: list[Path] = field(default_factory=list)
    token: str = ""

    @property
    def loads(self) -> tuple[Load, ...]:
        batch = (Load(2, self.args.batch),) if self.args.batch else ()
        return SINGLES + batch + ((Load(1, rate=self.args.rate),) if self.args.rate else ())

    def intakes(self, load: Load) -> int:
        """A round's intakes under ``load``: --intakes, and at least 4 requests a client (at a
        rate: --rate-seconds of it)."""
        if load.rate:
            return max(int(self.args.intakes), int(load.rate * self.args.rate_seconds))
        return max(int(self.args.intakes), 4 * load.clients * load.batch)

    def __post_init__(self) -> None:
        ports = Ports.pick(1)
        self.cluster = Cluster(STATE, ports, brokers=1, log=STATE / "servers.log")

    # --- servers

    def start(self) -> None:
        shutil.rmtree(STATE, ignore_errors=True)
        STATE.mkdir(parents=True)
        self.cluster.start()
        self.count_statements()
        os.environ.update(self.cluster.kafka_env("admin"))
        security_options.cache_clear()
        asyncio.run(ensure_catalogue_topics(self.cluster.bootstrap))
        needed = self.args.warm + sum(self.intakes(load) for load in self.loads)
        path, self.registry, _email = write_households(STATE, needed, self.args.seed)
        self.bodies = [json.loads(line) for line in path.read_text().splitlines()]
        self.token = issue_token(
            SECRET, Principal(subject="intake-bench", role="operator", regions=["33.04"])
        )

    def stop(self) -> None:
        self.cluster.stop()
        shutil.rmtree(STATE, ignore_errors=True)

    def count_statements(self) -> None:
        """Preload pg_stat_statements (a restart) and create it, as the superuser over the
        socket as postgres.sh does; best effort: without it the statements column is '-'."""
        data = next(self.cluster.state.glob("postgres-*/data"), None)
        if data is None:
            return
        with (data / "postgresql.auto.conf").open("a") as conf:
            conf.write("shared_preload_libraries = 'pg_stat_statements'\n")
        self.cluster.script("postgres.sh", "stop")
        self.cluster.script("postgres.sh", "start")
        psql = next(Path("/usr/lib/postgresql").glob("*/bin/psql"))
        sql = "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(psql), "-X", "-q", "-h",
             str(data.parent / "run"), "-p", str(self.cluster.ports.pg), "-d", "postgres",
             "-c", sql],
            check=False, capture_output=True, timeout=60,
        )  # fmt: skip

    async def admin(self, sql: str, *args: object) -> Any:
        conn = await asyncpg.connect(self.cluster.pg_dsn + "/postgres")
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def statements(self, database: str) -> int | None:
        with contextlib.suppress(asyncpg.PostgresError):
            calls = await self.admin(
                "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s"
                " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1",
                database,
            )
            return int(calls)
        return None

    # --- a round

    def env(self, side: Side, database: str, port: int) -> dict[str, str]:
        env = service_env(self.cluster, "admin") | {
            "RUJUKAN_INTAKE_DATABASE": database,
            "RUJUKAN_INTAKE_PORT": str(port),
            "RUJUKAN_INTAKE_RUN_CONSUMERS": "none",  # no consumer has that name
            "RUJUKAN_INTAKE_RUN_RELAY": "false",
            "RUJUKAN_LOG_LEVEL": "INFO",
        }
        return side.process_env(env)

    async def tool(self, env: dict[str, str], *args: str) -> None:
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "rujukan_intake", *args],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"rujukan_intake {' '.join(args)} failed:\n{done.stderr[-3000:]}")

    async def round(self, side: Side, profile: Path | None = None) -> tuple[dict[Load, Phase], str]:
        database = f"ibench_{uuid.uuid4().hex[:10]}"
        port = free_port()
        env = self.env(side, database, port)
        await self.admin(f'CREATE DATABASE "{database}"')
        try:
            await self.tool(env, "migrate")
            for chunk in self.registry:
                await self.tool(env, "load-registry", str(chunk))
            log = STATE / "intake.log"
            proc = await asyncio.to_thread(_spawn, env, log)
            try:
                phases = await self._measure(proc, port, database, profile, log)
                stored = int(await self._count(database))  # type: ignore[call-overload]
            finally:
                await terminate(proc)
        finally:
            await drop_database(self.cluster.pg_dsn, database)
        sent = self.args.warm + sum(p.intakes for p in phases.values())
        check = "OK" if stored == sent else f"FAILED: {stored} intakes stored, {sent} sent"
        return phases, check

    async def _count(self, database: str) -> object:
        conn = await asyncpg.connect(f"{self.cluster.pg_dsn}/{database}")
        try:
            return await conn.fetchval("SELECT count(*) FROM intakes")
        finally:
            await conn.close()

    async def _measure(
        self, proc: subprocess.Popen[bytes], port: int, database: str, profile: Path | None,
        log: Path,
    ) -> dict[Load, Phase]:  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        await _ready(proc, url, log)
        start = self.args.warm
        async with intake_client(url, self.token, 4, timeout=60) as http:
            await closed_loop(http, self.bodies[:start], 4)
        phases: dict[Load, Phase] = {}
        for load in self.loads:
            n, c = self.intakes(load), load.clients
            bodies = self.bodies[start : start + n]
            start += n
            connections = 256 if load.rate else c
            async with intake_client(url, self.token, connections, timeout=120) as http:
                spy = (
                    profiles.record(proc.pid, profile / load.file_name, rate=250)
                    if profile
                    else None
                )
                before, calls = self._cpu(proc.pid), await self.statements(database)
                if load.rate:
                    wall, latencies = await open_loop(http, bodies, load.rate)
                elif load.batch == 1:
                    wall, latencies = await closed_loop(http, bodies, c)
                else:
                    wall, latencies = await batches_loop(http, bodies, c, load.batch)
                after, calls_after = self._cpu(proc.pid), await self.statements(database)
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    await asyncio.to_thread(spy.wait, 60)
            used = {k: after[k] - before[k] for k in after}
            counted = None if calls is None or calls_after is None else calls_after - calls
            phases[load] = Phase(len(bodies), wall, latencies, used, counted)
        if profile:
            await self.top_statements(database, profile / "statements.txt")
        return phases

    async def top_statements(self, database: str, out: Path) -> None:
        """The round's statements by calls (the profiled round's, written beside its stacks)."""
        with contextlib.suppress(asyncpg.PostgresError):
            conn = await asyncpg.connect(self.cluster.pg_dsn + "/postgres")
            try:
                rows = await conn.fetch(
                    "SELECT calls, round(total_exec_time::numeric, 1) AS ms, query"
                    " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
                    " WHERE d.datname = $1 ORDER BY calls DESC",
                    database,
                )
            finally:
                await conn.close()
            text = "\n".join(f"{r['calls']:7d} {r['ms']:9} ms  {r['query'][:300]!r}" for r in rows)
            await asyncio.to_thread(out.write_text, text + "\n")

    def _cpu(self, pid: int) -> dict[str, float]:
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        ticks = {
            "intake": _ticks(pid),
            "postgresql": cluster_ticks(self.cluster.postmaster_pid()),
            "bench": _ticks(os.getpid()),  # the clients
            "machine": sum(cpu) - cpu[3] - cpu[4],  # minus idle and iowait
        }
        return {k: v / CLK for k, v in ticks.items()}


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "rujukan_intake", "serve"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


async def _ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(600):
            if proc.poll() is not None:
                tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-3000:]
                raise RuntimeError(f"the intake process exited ({proc.returncode}):\n{tail}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(url + "/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError("the intake process never became ready")


async def batches_loop(
    http: aiohttp.ClientSession, bodies: list[dict[str, object]], clients: int, batch: int
) -> tuple[float, list[float]]:
    """``clients`` clients, each posting its next ``batch`` households (``POST
    /v1/intakes/batch``, each item with a key of its own) when the last are answered: the wall
    time and every request's latency. Every item must be accepted."""
    queue = [bodies[i : i + batch] for i in range(0, len(bodies), batch)]
    latencies: list[float] = []

    async def client() -> None:
        while queue:
            items = [{"intake": b, "idempotency_key": str(uuid.uuid4())} for b in queue.pop()]
            t = time.perf_counter()
            async with http.post("/v1/intakes/batch", data=orjson.dumps({"items": items})) as r:
                answer = await r.read()
            latencies.append(time.perf_counter() - t)
            accepted = orjson.loads(answer).get("accepted") if r.status == 200 else None
            if accepted != len(items):
                raise RuntimeError(f"{r.status}, {accepted} of {len(items)}: {answer[:300]!r}")

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - t0, latencies


_LOAD = "  {:>5s} {:>4s} {:>4s} {:>6s} {:>6s} {:>5s} {:>5s}"
COLUMNS = "  {:6s} {:26.26s}" + _LOAD * 2 + "  {}"
#: a batch load's columns (its p50 and p99 are a request's: wider)
BATCH_COLUMNS = "  {:>5s} {:>5s} {:>5s} {:>6s} {:>6s} {:>5s} {:>5s}"
HEAD = ("ints/s", "p50", "p99", "intake", "PG", "stmts", "other")


async def compare(bench: Bench, sides: tuple[Side, Side], rounds: int) -> bool:
    """A, B, A, B, ...; prints each round, then each concurrency's medians and verdict."""
    n = bench.args.intakes
    print(f"\n{n} intakes a load a round (a batch load: at least 4 requests a client); per load:")
    print("  intakes/s, p50 and p99 ms (of a request),")
    print("  CPU ms per intake of the intake process and of PostgreSQL, statements per intake,")
    print(
        "  other: cores busy with anything else on the machine (other agents; not this process,"
        " the clients) in the window"
    )
    loads = bench.loads
    columns = COLUMNS.removesuffix("  {}") + BATCH_COLUMNS * (len(loads) - len(SINGLES)) + "  {}"
    print(columns.format("", "", *[load.label if i == 0 else "" for load in loads
                                   for i in range(7)], ""))  # fmt: skip
    print(columns.format("round", "side", *HEAD * len(loads), "check"))
    by_load = {load: (_fresh(sides[0]), _fresh(sides[1])) for load in loads}
    ok = True
    for k in range(1, rounds + 1):
        for i, side in enumerate(sides):
            phases, check = await bench.round(side)
            ok = ok and check == "OK"
            for c, phase in phases.items():
                by_load[c][i].rates.append(phase.rate)
                by_load[c][i].cpu.append(phase.per_intake("intake") * 1000)
            cells = [cell for load in loads for cell in phases[load].cells()]
            print(columns.format(str(k), side.title, *cells, check), flush=True)
    for load, pair in by_load.items():
        print(f"\n{load.label}:")
        summarise(pair, ok, rounds, rate="intakes/s",
                  cpu="intake CPU us per intake", columns="  {:7s} {:30.30s} {:>8s}  {:>9s}",
                  blanks=0)  # fmt: skip
    return ok


def _fresh(side: Side) -> Side:
    """The side again, its figures of one concurrency only."""
    return Side(side.name, side.label, side.root)


async def amain(args: argparse.Namespace, sides: tuple[Side, Side]) -> bool:
    verified(sides, PROBED)
    bench = Bench(args)
    await asyncio.to_thread(bench.start)
    try:
        print(
            f"{machine()}; private servers (PostgreSQL 127.0.0.1:{bench.cluster.ports.pg}, "
            f"Kafka {bench.cluster.bootstrap}); one intake process, API only, relay off"
        )
        warm, check = await bench.round(sides[0])
        rates = ", ".join(f"{load.label} {p.rate:.0f}/s" for load, p in warm.items())
        print(f"warm-up round, side A, on the fresh servers: {rates}, {check}; not counted")
        ok = await compare(bench, sides, args.rounds)
        if args.profile:
            folder = args.profile
            phases, check = await bench.round(sides[1], profile=folder)
            rates = ", ".join(f"{load.label} {p.rate:.0f}/s" for load, p in phases.items())
            print(f"\nprofiled round, side B under py-spy: {rates}, {check}; stacks in {folder}")
        return ok
    finally:
        await asyncio.to_thread(bench.stop)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_sides(ap)
    ap.add_argument("--intakes", type=int, default=300, help="per concurrency per round")
    ap.add_argument("--warm", type=int, default=50, help="intakes before measuring, per round")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per side")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--batch",
        type=int,
        default=0,
        help="also this many intakes a request through POST /v1/intakes/batch, 2 clients",
    )
    ap.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="also single intakes at this steady rate, open loop (issue 15: p99 <= 50 ms at 200/s)",
    )
    ap.add_argument("--rate-seconds", type=float, default=10.0, help="the --rate load's length")
    ap.add_argument(
        "--profile",
        type=lambda text: Path(text).resolve(),
        help="a folder: one more round of B under py-spy at the end",
    )
    args = ap.parse_args()
    if args.profile and (why := profiles.missing()):
        ap.error(why)
    return run_sides("intake_single.py", args, amain, code_state())


if __name__ == "__main__":
    sys.exit(main())

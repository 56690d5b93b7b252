"""Chaos run: households through the bulk importer while every kind of process is SIGKILLed.

Run:  cd /work/main && uv run python bench/chaos.py --households 2000 --kills 8 --seed 1
      uv run python bench/chaos.py --households 100000 --kills 36 --min-broker-kills 6 \
          --min-pg-kills 3                                    (the issue's full run)

The run starts its own PostgreSQL and a KRaft cluster of --brokers brokers with the project's
scripts (state in --state, wiped first), creates the topics, migrates and seeds, loads a social
registry for the generated households and starts an SMTP sink that logs every message. Every
process kind of the four services runs on its own under supervisord (autorestart): each API
(no consumers, no relay), each consumer (the router's intake consumer as two replicas), each
relay and the notifications dispatcher. ``python -m rujukan_intake import`` then sends the
households through the batch endpoint (re-run if it gives up, as a client would), while the
harness SIGKILLs, at seeded random, spread over the import: processes of every kind (restarted
by supervisord), brokers — each the leader of a partition of intake.submitted or a referrals
topic — and the PostgreSQL postmaster (both restarted by the harness after a short random delay
with ``kafka.sh start`` / ``postgres.sh start``, as an operator would).

Once the pipeline is quiet (or a deadline passes: then it says what is stuck) it prints the
checks of ``chaos_checks`` and exits non-zero if any is non-zero or too few kills were made.
Everything it started is stopped on exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from chaos_checks import (
    Check,
    Facts,
    as_json,
    connecting_count,
    end_lags,
    load_refused,
    pipeline_pending,
    retrying,
    run_checks,
    scalar,
    table,
)
from chaos_platform import (
    ROOT,
    SECRET,
    Cluster,
    Ports,
    SmtpSink,
    Supervisor,
    apply_kafka_access,
    run_tool,
    service_env,
    stop_everything,
)
from router_throughput import SEED_DIR, expected_referrals

from rujukan_contracts.topics import INTAKE_SUBMITTED, REFERRALS_STATUS, program_of_outcomes
from rujukan_eligibility.catalogue import load_seed_programs
from rujukan_intake.entrypoints.bulk import source_id
from rujukan_intake.synthetic import households
from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.kafka import security_options
from rujukan_registry.domain.programs import published_event
from rujukan_router.domain.catalogue import Catalogue

NEEDS = ["health_insurance", "schooling", "food", "cash", "housing", "disability_care",
         "elderly_care", "civil_documents"]  # fmt: skip
ENROLMENTS = ["PKH", "SEMBAKO", "PBI-JK", "PIP"]
REGISTRY_CHUNK = 8000  # load-registry binds 4 parameters a row: 32,767 at most per statement
PROCESS_KINDS = ("api", "consumer", "replica", "relay", "dispatcher")


# ------------------------------------------------------------------------------ households


def write_households(folder: Path, count: int, seed: int) -> tuple[Path, list[Path], set[str]]:
    """The import file (synthetic households; half with an e-mail and 'notification' consent,
    varied needs), the registry CSVs (80 % of them are registered), and the KKs with e-mail."""
    rng = random.Random(seed)
    path = folder / "households.jsonl"
    email: set[str] = set()
    registry: list[list[str]] = []
    with path.open("w") as f:
        for index, h in enumerate(households(count, seed)):
            kk = h["household"]["kk_number"]
            h["needs"] = rng.sample(NEEDS, rng.randint(1, 3))
            if rng.random() < 0.5:
                h["consent"]["purposes"] = ["referral", "notification"]
                h["contact"] = {
                    "language": rng.choice(["id", "en"]),
                    "email": f"warga{index}@example.org",
                }
                email.add(kk)
            if rng.random() < 0.8:
                enrolments = ";".join(rng.sample(ENROLMENTS, rng.randint(0, 2)))
                has_kks = "true" if rng.random() < 0.5 else "false"
                registry.append([kk, str(rng.randint(1, 10)), enrolments, has_kks])
            f.write(json.dumps(h) + "\n")
    chunks = []
    for start in range(0, len(registry), REGISTRY_CHUNK):
        chunk = folder / f"registry-{start // REGISTRY_CHUNK:03d}.csv"
        with chunk.open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["kk", "decile", "enrolments", "has_kks"])
            out.writerows(registry[start : start + REGISTRY_CHUNK])
        chunks.append(chunk)
    return path, chunks, email


def seed_catalogue() -> Catalogue:
    catalogue = Catalogue()
    for program in load_seed_programs(SEED_DIR):
        catalogue.put(published_event(program))
    return catalogue


# ------------------------------------------------------------------------------ kills


def plan_kills(kills: int, min_broker: int, min_pg: int, rng: random.Random) -> list[str]:
    """The kinds to kill, in order: the minimum of brokers and PostgreSQL, one of each process
    kind while there is room, the rest at random (weighted by how many processes there are)."""
    if kills < min_broker + min_pg:
        raise SystemExit(f"--kills {kills} < --min-broker-kills + --min-pg-kills")
    kinds = ["broker"] * min_broker + ["postgres"] * min_pg
    for kind in PROCESS_KINDS:
        if len(kinds) < kills:
            kinds.append(kind)
    pool = ["api"] * 4 + ["consumer"] * 6 + ["replica", "dispatcher"] + ["relay"] * 4
    pool += ["broker"] * 3 + ["postgres"]
    while len(kinds) < kills:
        kinds.append(rng.choice(pool))
    rng.shuffle(kinds)
    return kinds


@dataclass
class Kill:
    at: float  # seconds since the import started
    kind: str
    target: str
    progress: int  # records imported when it happened
    note: str = ""
    clock: str = ""  # UTC wall clock, to line up with the services' logs


@dataclass
class Run:
    args: argparse.Namespace
    cluster: Cluster
    supervisor: Supervisor
    rng: random.Random
    kills: list[Kill] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)
    restarts: list[asyncio.Task[None]] = field(default_factory=list)
    broker_down: bool = False
    pg_down: bool = False
    import_started: float = 0.0
    import_done: bool = False
    importer_runs: int = 0
    checkpoint: Path = Path()
    stopping: bool = False

    def progress(self) -> int:
        try:
            return int(json.loads(self.checkpoint.read_text())["records_done"])
        except (OSError, ValueError, KeyError):
            return 0

    def note(self, kind: str, target: str, note: str = "") -> None:
        clock = f"{datetime.now(UTC):%H:%M:%S.%f}"[:-3]
        at = time.monotonic() - self.import_started
        kill = Kill(at, kind, target, self.progress(), note, clock)
        self.kills.append(kill)
        if not self.args.json:
            print(
                f"  kill {len(self.kills):3d} at {kill.at:6.1f} s ({clock} UTC, "
                f"{kill.progress} records): "
                f"{kind:10s} {target} {note}",
                flush=True,
            )

    # --- importer

    async def import_all(self, path: Path, url: str, token: str, batch: int, rate: float) -> None:
        """``python -m rujukan_intake import`` until it has done every record (resumable)."""
        env = service_env(self.cluster) | {"RUJUKAN_TOKEN": token}
        log = path.with_suffix(".import.log").open("ab")
        while True:
            self.importer_runs += 1
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "rujukan_intake", "import", str(path),
                "--url", url, "--batch", str(batch), "--rate", f"{rate:.3f}",
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                code = await proc.wait()
            except asyncio.CancelledError:
                proc.kill()
                await proc.wait()
                raise
            if code == 0:
                break
            if self.importer_runs > 50:
                raise RuntimeError(f"the importer failed 50 times (see {log.name})")
            await asyncio.sleep(1)
        self.import_done = True
        log.close()

    # --- chaos

    async def chaos(self, total: int) -> None:
        plan = plan_kills(
            self.args.kills, self.args.min_broker_kills, self.args.min_pg_kills, self.rng
        )
        last = 0.0
        for i in range(len(plan)):
            threshold = total * (i + 1) / (len(plan) + 1)
            while True:
                ready = self.import_done or self.progress() >= threshold
                if ready and time.monotonic() - last >= self.args.gap:
                    # A broker only when the cluster is whole, PostgreSQL only when it is up.
                    for j in range(i, len(plan)):
                        if (plan[j] != "broker" or not self.broker_down) and (
                            plan[j] != "postgres" or not self.pg_down
                        ):
                            plan[i], plan[j] = plan[j], plan[i]
                            break
                    else:
                        await asyncio.sleep(0.5)
                        continue
                    break
                await asyncio.sleep(0.2)
            await self.kill(plan[i])
            last = time.monotonic()

    async def kill(self, kind: str) -> None:
        if kind == "broker":
            await self.kill_broker()
        elif kind == "postgres":
            pid = self.cluster.postmaster_pid()
            if pid is None:
                raise RuntimeError("no postmaster to kill")
            os.kill(pid, signal.SIGKILL)
            self.pg_down = True
            self.note("postgres", f"postmaster pid {pid}")
            self.restarts.append(asyncio.create_task(self.restart("postgres.sh")))
        else:
            await self.kill_program(kind)

    async def kill_program(self, kind: str) -> None:
        names = [p.name for p in self.supervisor.programs.values() if p.kind == kind]
        self.rng.shuffle(names)
        for _ in range(100):
            for name in names:
                pid = await asyncio.to_thread(self.supervisor.pid, name)
                if pid is not None:
                    os.kill(pid, signal.SIGKILL)
                    self.note(kind, name, f"pid {pid}")
                    return
            await asyncio.sleep(0.5)  # all of this kind are restarting right now
        raise RuntimeError(f"no running process of kind {kind} for 50 s")

    async def kill_broker(self) -> None:
        """SIGKILL the leader of a random partition of intake.submitted or a referrals topic."""
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.cluster.bootstrap,
            request_timeout_ms=10000,
            **security_options(),
        )
        await admin.start()
        try:
            names = [
                t for t in await admin.list_topics()
                if t == INTAKE_SUBMITTED or t == REFERRALS_STATUS
                or (t.startswith("referrals.") and program_of_outcomes(t) is None
                    and not t.endswith(".dlq"))
            ]  # fmt: skip
            described = await admin.describe_topics(sorted(names))
        finally:
            await admin.close()
        partitions = [
            (t["topic"], p["partition"], p["leader"])
            for t in described
            for p in t["partitions"]
            if p["leader"] >= 0
        ]
        topic, partition, leader = self.rng.choice(sorted(partitions))
        index = leader - 1  # node.id = i + 1
        pid = self.cluster.broker_pid(index)
        if pid is None:
            raise RuntimeError(f"broker {leader} leads {topic}-{partition} but is not running")
        os.kill(pid, signal.SIGKILL)
        self.broker_down = True
        port = self.cluster.ports.kafka + 100 * index
        self.note("broker", f"node {leader} (:{port})", f"leader of {topic}-{partition}")
        self.restarts.append(asyncio.create_task(self.restart("kafka.sh")))

    async def restart(self, script: str) -> None:
        """An operator's restart after a short random delay; a start that fails and must be
        run again is a manual intervention."""
        await asyncio.sleep(self.rng.uniform(*((2, 8) if script == "kafka.sh" else (1, 4))))
        for attempt in range(10):
            if self.stopping:
                return
            done = await asyncio.to_thread(self.cluster.script, script, "start", check=False)
            if done.returncode == 0:
                break
            self.interventions.append(
                f"{script} start failed after a kill (attempt {attempt + 1}): "
                + (done.stderr.strip().splitlines() or ["?"])[-1][:200]
            )
            await asyncio.sleep(3)
        else:
            raise RuntimeError(f"{script} start failed 10 times")
        if script == "kafka.sh":
            self.broker_down = False
        else:
            self.pg_down = False

    # --- quiet

    async def wait_quiet(self, expected: int) -> tuple[float, dict[str, int]]:
        """Until nothing is pending twice in a row; stuck when nothing moved for
        --drain-timeout seconds (a busy machine is slow, not stuck): then what is left."""
        started = time.monotonic()
        moved = started
        quiet_polls = 0
        pending: dict[str, int] = {}
        while time.monotonic() - moved < self.args.drain_timeout:
            try:
                now = await pipeline_pending(
                    connecting_count(self.cluster.pg_dsn),
                    lambda: end_lags(self.cluster.bootstrap),
                    expected,
                )
            except Exception as exc:  # a server is still coming back
                now = {f"probe failed: {type(exc).__name__}": 1}
            if now != pending:
                moved = time.monotonic()
            pending = now
            await self.revive_fatal()
            quiet_polls = quiet_polls + 1 if not any(pending.values()) else 0
            if quiet_polls >= 2:
                return time.monotonic() - started, {}
            await asyncio.sleep(3)
        return time.monotonic() - started, {k: v for k, v in pending.items() if v}

    async def revive_fatal(self) -> None:
        """A program supervisord gave up on must be started by hand: an intervention."""
        for name, info in (await asyncio.to_thread(self.supervisor.info)).items():
            if info["statename"] == "FATAL":
                self.interventions.append(f"{name} was FATAL in supervisord; started by hand")
                await asyncio.to_thread(self.supervisor.start_program, name)


# ------------------------------------------------------------------------------ setup


async def wait_ready(ports: Ports, supervisor: Supervisor, within: float) -> None:
    """Every API answers ``/readyz`` with 200; if one never does, say what it last answered,
    what supervisord says of every program, and the end of that API's log."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=5) as http:
        for service, port in ports.services.items():
            while True:
                try:
                    answer = await http.get(f"http://127.0.0.1:{port}/readyz")
                    if answer.status_code == 200:
                        break
                    last = f"{answer.status_code} {answer.text[:600]}"
                except httpx.TransportError as exc:
                    last = f"{type(exc).__name__}: {exc}"
                if time.monotonic() > deadline:
                    states = {n: i["statename"] for n, i in supervisor.info().items()}
                    log = supervisor.dir / f"{service}-api.log"
                    end = log.read_text(errors="replace")[-3000:] if log.exists() else "(none)"
                    raise RuntimeError(
                        f"{service} API (:{port}) never became ready; last answer: {last}; "
                        f"{states}; the end of {log.name}:\n{end}"
                    )
                await asyncio.sleep(0.5)


async def wait_catalogue(cluster: Cluster, programs: int, within: float) -> None:
    """The router has read every seeded program before the first intake arrives."""
    deadline = time.monotonic() + within
    while await _count(cluster, "router", "SELECT count(*) FROM catalogue") < programs:
        if time.monotonic() > deadline:
            raise RuntimeError("the router never read the seeded catalogue")
        await asyncio.sleep(0.5)


async def _count(cluster: Cluster, db: str, sql: str) -> int:
    try:
        return int(await scalar(f"{cluster.pg_dsn}/{db}", sql))
    except Exception:
        return -1


def code_state() -> str:
    def git(*a: str) -> str:
        return subprocess.run(
            ["git", "--no-optional-locks", "-C", str(ROOT), *a], capture_output=True, text=True
        ).stdout.rstrip()

    dirty = [ln[3:] for ln in git("status", "--porcelain", "--", "libs", "services").splitlines()]
    return f"{git('log', '-1', '--format=%h %s')}; uncommitted in libs/services: " + (
        ", ".join(dirty) or "none"
    )


# ------------------------------------------------------------------------------ main


@dataclass
class Setup:
    """What the synchronous setup made: the files to import and what the checks need."""

    path: Path
    email: set[str]
    catalogue: Catalogue
    started: float


def setup(
    cluster: Cluster, supervisor: Supervisor, sink: SmtpSink, households: int, seed: int
) -> Setup:
    """Servers, topics, migrations, the seeded catalogue, the registry, then every process.
    PostgreSQL's side runs while the brokers start (JVMs take long on a busy machine)."""
    t0 = time.monotonic()

    def database_side() -> tuple[Path, set[str]]:
        cluster.script("postgres.sh", "start")
        packages = ("rujukan_intake", "rujukan_registry", "rujukan_router", "rujukan_notifications")
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda p: run_tool(cluster, p, "migrate"), packages))
        path, chunks, email = write_households(cluster.state, households, seed)
        for chunk in chunks:
            run_tool(cluster, "rujukan_intake", "load-registry", str(chunk))
        run_tool(cluster, "rujukan_registry", "seed")  # into its outbox; its relay publishes
        return path, email

    def kafka_side() -> None:
        cluster.script("kafka.sh", "start")
        apply_kafka_access(cluster)  # topics, and a principal with its ACLs per service
        os.environ.update(cluster.kafka_env("admin"))  # the harness's own clients
        security_options.cache_clear()

    with ThreadPoolExecutor(2) as pool:
        database = pool.submit(database_side)
        kafka = pool.submit(kafka_side)
        path, email = database.result()
        kafka.result()
    sink.start()
    supervisor.start()
    return Setup(path, email, seed_catalogue(), t0)


async def orchestrate(args: argparse.Namespace, run: Run, sink: SmtpSink, s: Setup) -> int:
    say = _say(args)
    cluster, ports = run.cluster, run.cluster.ports
    main = asyncio.current_task()
    assert main is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main.cancel)
    tasks: list[asyncio.Task[None]] = []
    try:
        await wait_ready(ports, run.supervisor, 600)
        await wait_catalogue(cluster, len(s.catalogue), 300)
        say(
            f"setup: servers, topics, migrations, seed, registry, {len(run.supervisor.programs)} "
            f"processes ready in {time.monotonic() - s.started:.0f} s"
        )
        token = issue_token(
            SECRET, Principal(subject="chaos-importer", role="operator", regions=["33.04"])
        )
        run.checkpoint = s.path.with_name(s.path.name + ".checkpoint")
        rate = args.rate or args.households / (max(args.kills, 1) * args.gap * 2)
        batch = max(20, min(200, args.households // 100))
        run.import_started = time.monotonic()
        say(f"import: batches of {batch}, at most {rate:.0f} households/s; kills:")
        url = f"http://127.0.0.1:{ports.services['intake']}"
        importer = asyncio.create_task(run.import_all(s.path, url, token, batch, rate))
        chaos = asyncio.create_task(run.chaos(args.households))
        tasks += [importer, chaos]
        await importer
        import_seconds = time.monotonic() - run.import_started
        during_import = len(run.kills)
        await chaos
        await asyncio.gather(*run.restarts)
        say(
            f"import done in {import_seconds:.0f} s ({run.importer_runs} importer run(s)); "
            "waiting for quiet"
        )
        refused = load_refused(s.path.with_name(s.path.name + ".rejects.jsonl"))
        quiet_seconds, stuck = await run.wait_quiet(args.households - len(refused))
        facts = Facts(
            records=args.households,
            source=source_id(s.path),
            refused=refused,
            email_households=s.email,
            interventions=run.interventions,
        )
        checks = await retrying(
            lambda: run_checks(
                dsn=cluster.pg_dsn,
                bootstrap=cluster.bootstrap,
                facts=facts,
                catalogue=s.catalogue,
                expected=expected_referrals,
                messages=sink.messages(),
            ),
            tries=3,
        )
        if stuck:
            checks.append(Check("stuck at the deadline", sum(stuck.values()), str(stuck)))
        wall = time.monotonic() - s.started
        return report(run, checks, during_import, import_seconds, quiet_seconds, wall)
    finally:
        run.stopping = True
        for task in [*tasks, *run.restarts]:
            task.cancel()
        await asyncio.gather(*tasks, *run.restarts, return_exceptions=True)


def _say(args: argparse.Namespace) -> Any:
    def say(text: str) -> None:
        if not args.json:
            print(text, flush=True)

    return say


def chaos_run(args: argparse.Namespace) -> int:
    state = Path(args.state).resolve()
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    if args.free_ports:
        ports = Ports.pick(args.brokers)
    else:
        names = ("intake", "program-registry", "referral-router", "notifications")
        services = {name: args.service_port + i for i, name in enumerate(names)}
        ports = Ports(args.kafka_port, args.pg_port, args.smtp_port, services)
    cluster = Cluster(state, ports, args.brokers, state / "servers.log")
    supervisor = Supervisor(cluster, state)
    sink = SmtpSink(state / "smtp.jsonl", ports.smtp)
    run = Run(args, cluster, supervisor, random.Random(args.seed))
    say = _say(args)
    say(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; code {code_state()}")
    say(
        f"chaos: {args.households} households, {args.kills} kills (>= {args.min_broker_kills} "
        f"brokers, >= {args.min_pg_kills} PostgreSQL), seed {args.seed}, {args.brokers} brokers "
        f"(:{ports.kafka}+100i), PostgreSQL :{ports.pg}, state {state}"
    )
    result = 1  # until the run reports: a setup that fails keeps its logs too
    try:
        made = setup(cluster, supervisor, sink, args.households, args.seed)
        result = asyncio.run(orchestrate(args, run, sink, made))
        return result
    finally:
        stop_everything(
            supervisor, sink, cluster, keep_state=args.keep_state, keep_logs=result != 0
        )


def report(
    run: Run,
    checks: list[Check],
    during_import: int,
    import_seconds: float,
    quiet_seconds: float,
    wall: float,
) -> int:
    args = run.args
    kinds = Counter(k.kind for k in run.kills)
    leaders = sum(1 for k in run.kills if k.kind == "broker" and k.note.startswith("leader"))
    short = []
    if len(run.kills) < args.kills:
        short.append(f"kills {len(run.kills)} < {args.kills}")
    if kinds["broker"] < args.min_broker_kills:
        short.append(f"broker kills {kinds['broker']} < {args.min_broker_kills}")
    if kinds["postgres"] < args.min_pg_kills:
        short.append(f"PostgreSQL kills {kinds['postgres']} < {args.min_pg_kills}")
    failed = [c.name for c in checks if c.value and c.gates] + short
    if args.json:
        print(
            json.dumps(
                {
                    "households": args.households,
                    "seed": args.seed,
                    "brokers": args.brokers,
                    "kills": len(run.kills),
                    "kills_by_kind": dict(kinds),
                    "kills_during_import": during_import,
                    "broker_kills_of_leaders": leaders,
                    "importer_runs": run.importer_runs,
                    "import_seconds": round(import_seconds, 1),
                    "quiet_seconds": round(quiet_seconds, 1),
                    "wall_seconds": round(wall, 1),
                    "checks": as_json(checks),
                    "kill_log": [k.__dict__ for k in run.kills],
                    "failed": failed,
                }
            )
        )
    else:
        print(f"\nkills: {len(run.kills)} ({during_import} during the import), by kind:")
        for kind in ("api", "consumer", "replica", "relay", "dispatcher", "broker", "postgres"):
            extra = f" ({leaders} of them partition leaders)" if kind == "broker" else ""
            print(f"  {kind:10s} {kinds[kind]:3d}{extra}")
        print(
            f"importer runs: {run.importer_runs} (re-runs after the intake API went away: "
            f"{run.importer_runs - 1}); import {import_seconds:.0f} s; quiet after "
            f"{quiet_seconds:.0f} s more\n"
        )
        print(table(checks))
        print(f"\nwall time: {wall:.0f} s")
        print("RESULT: " + ("all zero" if not failed else "FAILED: " + "; ".join(failed)))
    return 1 if failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=2000)
    ap.add_argument("--kills", type=int, default=8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--brokers", type=int, default=3)
    ap.add_argument("--min-broker-kills", type=int, default=1)
    ap.add_argument("--min-pg-kills", type=int, default=1)
    ap.add_argument("--gap", type=float, default=4.0, help="seconds at least between two kills")
    ap.add_argument("--rate", type=float, default=0.0, help="households/s; 0: spread the kills")
    ap.add_argument(
        "--drain-timeout",
        type=float,
        default=300.0,
        help="stuck after this many seconds of no progress",
    )
    ap.add_argument("--state", default=str(ROOT / ".local" / "chaos"))
    ap.add_argument("--keep-state", action="store_true", help="keep logs and data afterwards")
    ap.add_argument("--free-ports", action="store_true", help="pick free ports (for the suite)")
    ap.add_argument("--kafka-port", type=int, default=39092)
    ap.add_argument("--pg-port", type=int, default=55504)
    ap.add_argument("--smtp-port", type=int, default=18125)
    ap.add_argument("--service-port", type=int, default=18101, help="first of four")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = ap.parse_args()

    def interrupted(_sig: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    try:
        return chaos_run(args)
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("chaos: interrupted; everything it started is stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

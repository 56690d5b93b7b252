"""A/B: the router benchmark's throughput phase for two versions of the code, in one run.

Run:  cd /work/main && uv run python bench/router_ab.py --baseline e4e11e3
      uv run python bench/router_ab.py --baseline e4e11e3 --candidate e4e11e3 \\
          --households 5000 --rounds 2          (an A/A: what the machine's noise alone gives)

The machine is shared and absolute figures drift by a third between runs, so two versions are
compared only inside one run: on the same private servers (bench/router_throughput.py's, started
and wiped by this run), with the same generated intakes, in rounds that alternate A (the
baseline), B (the candidate), A, B, ... per topology. A first round, not counted, warms the
fresh servers. Every round starts the router's processes on a fresh database (migrated by that
side's own ``migrate``) and reads only the intakes produced for it: the topics are created once
and the consumer group's offsets moved to their end before each round (router_throughput's
``skip_to_end``: deleting topics between rounds was measured as router cost, as Kafka removes
their files a minute later, in the middle of the next round).

A is the commit --baseline, checked out with ``git worktree add --detach`` under
.local/bench-baseline/ and removed at the end; B is the working tree, or --candidate REV checked
out the same way. Both run with this venv: a checkout's libs/*/src, contracts/src and
services/*/src go first on PYTHONPATH, ahead of the venv's editable installs (.pth entries).
Before the rounds, a child started exactly as the router's processes are prints where it imports
rujukan_router, rujukan_platform, rujukan_contracts and rujukan_eligibility from, and the run
stops unless that is the side's own tree. Third-party packages are the venv's for both sides:
a baseline whose dependencies differ is not measured as it ran. The benchmark process itself
(intake generation, the check against ``decide``) is the working tree's for both.

Each round prints households/s (the first intake batch's transaction to the last referral
marked delivered, as router_throughput's phase a), CPU per household of the router processes,
PostgreSQL and Kafka, the cores busy with anything else on the machine in that window (other
agents: the noise's main source), and its check (every intake's referrals exactly what
``decide`` says, all delivered, outbox empty); a round whose check fails voids the comparison.

Noise, as this script defines it: a side's spread is (max - min) / median of its rounds'
households/s. The result says "within noise" only when |median B / median A - 1| is smaller
than A's spread, i.e. B's median differs from A's by less than A's own rounds differ from each
other. With two or three rounds a side the spread is itself rough: more rounds, not more
households, make it firmer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg
import router_throughput as rt

from rujukan_contracts.events import IntakeSubmittedV1, ProgramPublishedV1
from rujukan_eligibility.catalogue import load_seed_programs
from rujukan_platform.kafka import ensure_catalogue_topics
from rujukan_platform.logging import configure_logging
from rujukan_registry.domain.programs import published_event
from rujukan_router.domain.catalogue import Catalogue

CHECKOUTS = rt.ROOT / ".local" / "bench-baseline"
PROBED = ["rujukan_router", "rujukan_platform", "rujukan_contracts", "rujukan_eligibility"]


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(rt.ROOT), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@dataclass
class Side:
    """One version of the code: a checkout's sources first on PYTHONPATH, or the working tree."""

    name: str  # "A" or "B"
    label: str  # what the tables call it
    root: Path
    rates: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # router processes, us per household
    #: settings (name, value) this side's service processes get over the benchmark's own
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def title(self) -> str:
        return f"{self.name} {self.label}"

    def process_env(self, env: Mapping[str, str]) -> dict[str, str]:
        """``env`` for a service process of this side: its sources first on PYTHONPATH (ahead of
        whatever PYTHONPATH this benchmark was given), then its own settings over the rest."""
        out = dict(env)
        if self.pythonpath:
            inherited = os.environ.get("PYTHONPATH")
            out["PYTHONPATH"] = os.pathsep.join([*self.pythonpath, *filter(None, [inherited])])
        return out | dict(self.settings)

    @property
    def pythonpath(self) -> tuple[str, ...]:
        if self.root == rt.ROOT:
            return ()  # the venv's editable installs are the working tree
        folders = [*sorted(self.root.glob("libs/*/src")), self.root / "contracts" / "src"]
        return tuple(str(p) for p in [*folders, *sorted(self.root.glob("services/*/src"))])

    def holds(self, path: Path) -> bool:
        """Whether ``path`` is in this side's tree (the working tree's excludes the checkouts)."""
        return path.is_relative_to(self.root) and (
            self.root != rt.ROOT or not path.is_relative_to(CHECKOUTS)
        )

    def verify_imports(self, modules: Sequence[str] = PROBED) -> str:
        """Where the side's processes import ``modules`` from (the first's file is returned);
        refuses another tree. The child is started as the router's processes are: only the
        interpreter, PYTHONPATH (``pythonpath`` first) and the working directory decide where a
        module comes from, so the answer holds for any service's processes started alike
        (bench/notifications_throughput.py's)."""
        probe = rt.RouterProcesses(rt.Topology.parse("1"), process_env=self.process_env)
        shutil.rmtree(probe.logs, ignore_errors=True)
        found = probe.imported_from(list(modules))
        wrong = {m: p for m, p in found.items() if not self.holds(p.resolve())}
        if wrong:
            raise RuntimeError(f"side {self.name} imports {wrong}, not from {self.root}")
        return str(found[modules[0]].relative_to(rt.ROOT))


@contextlib.contextmanager
def checkout(rev: str) -> Iterator[tuple[Path, str]]:
    """``rev`` in a detached worktree under .local/bench-baseline/ (removed after); yields its
    folder and a description."""
    commit = git("rev-parse", "--short", f"{rev}^{{commit}}")
    path = CHECKOUTS / commit
    if path.exists():  # left by an interrupted run
        git("worktree", "remove", "--force", str(path))
    CHECKOUTS.mkdir(parents=True, exist_ok=True)
    git("worktree", "add", "--detach", str(path), commit)
    try:
        yield path, git("log", "-1", "--format=%h %ad %s", "--date=short", commit)
    finally:
        git("worktree", "remove", "--force", str(path))
        git("worktree", "prune")
        with contextlib.suppress(OSError):  # only when empty: another run's checkout stays
            CHECKOUTS.rmdir()


@dataclass(frozen=True)
class Comparison:
    ratio: float  # median B / median A
    spread_a: float  # (max - min) / median of A's rounds
    spread_b: float

    @classmethod
    def of(cls, a: list[float], b: list[float]) -> Comparison:
        return cls(statistics.median(b) / statistics.median(a), spread(a), spread(b))

    @property
    def within_noise(self) -> bool:
        return abs(self.ratio - 1) < self.spread_a


def spread(values: list[float]) -> float:
    return (max(values) - min(values)) / statistics.median(values)


COLUMNS = "  {:7s} {:30.30s} {:>8s}  {:>9s}  {:>10s}  {:>6s}  {:>6s}  {}"  # a line of the table
CPU_KEYS = ("router processes", "postgresql", "kafka broker")


async def compare(
    topology: rt.Topology,
    sides: tuple[Side, Side],
    rounds: int,
    intakes: list[IntakeSubmittedV1],
    catalogue: Catalogue,
    seeds: list[ProgramPublishedV1],
    sampler: rt.CpuSampler,
) -> bool:
    """A, B, A, B, ... on ``topology``; prints each round, the medians and the verdict; returns
    whether every round's check passed."""
    print(f"\ntopology {topology}: {topology.describe()}; {len(intakes)} households a round")
    print(
        "  households/s; CPU per household in us of the router processes, PostgreSQL, Kafka;"
        " other: cores busy with\n  anything else on the machine (other agents) in the window"
    )
    print(
        COLUMNS.format("round", "side", "hh/s", "router", "PostgreSQL", "Kafka", "other", "check")
    )
    ok = True
    for side in sides:
        side.rates, side.cpu = [], []
    for k in range(1, rounds + 1):
        for side in sides:
            r = await rt.route_all(
                topology, intakes, catalogue, seeds, sampler, process_env=side.process_env
            )
            per = [f"{r.used[key] / r.households * 1e6:.0f}" for key in CPU_KEYS]
            passed = r.check.strip().startswith("check: OK")
            ok = ok and passed
            side.rates.append(r.households / r.seconds)
            side.cpu.append(r.used["router processes"] / r.households * 1e6)
            other = f"{r.used['everything else'] / r.seconds:.2f}"
            check = "OK" if passed else r.check.strip()
            line = COLUMNS.format(str(k), side.title, f"{side.rates[-1]:.0f}", *per, other, check)
            print(line, flush=True)
    summarise(sides, ok, rounds, rate="households/s", cpu="router CPU per household")
    return ok


def summarise(
    sides: tuple[Side, Side],
    checked: bool,
    rounds: int,
    *,
    rate: str,
    cpu: str,
    columns: str = COLUMNS,
    blanks: int = 4,
) -> None:
    """Each side's medians (a line of ``columns``, ``blanks`` empty cells after them), B/A of
    the medians of ``rate`` (sides' ``rates``) and ``cpu`` (their ``cpu``) with the sides'
    spreads, and the verdict. Also bench/notifications_throughput.py's."""
    for side in sides:
        median_rate, median_cpu = statistics.median(side.rates), statistics.median(side.cpu)
        cells = (f"{median_rate:.0f}", f"{median_cpu:.0f}", *[""] * blanks)
        print(columns.format("median", side.title, *cells).rstrip())
    a, b = sides
    rates, cpus = Comparison.of(a.rates, b.rates), Comparison.of(a.cpu, b.cpu)
    for what, c in ((rate, rates), (cpu, cpus)):
        print(
            f"  B/A of medians, {what}: {c.ratio:.3f} ({(c.ratio - 1) * 100:+.1f} %); spread "
            f"(max - min) / median of A's rounds {c.spread_a * 100:.1f} %, of B's "
            f"{c.spread_b * 100:.1f} %"
        )
    print(f"  => {verdict(rates, checked, rounds, rate)}")


def verdict(rates: Comparison, checked: bool, rounds: int, what: str = "households/s") -> str:
    if not checked:
        return "no verdict: a round's check failed"
    if rounds < 2:
        return "no verdict: one round a side has no spread"
    distance, noise = abs(rates.ratio - 1) * 100, rates.spread_a * 100
    if rates.within_noise:
        return f"{what} within noise: |B/A - 1| = {distance:.1f} % < A's spread {noise:.1f} %"
    direction = "slower" if rates.ratio < 1 else "faster"
    return f"{what} NOT within noise: B {distance:.1f} % {direction}, A's spread {noise:.1f} %"


async def amain(args: argparse.Namespace, sides: tuple[Side, Side]) -> bool:
    verified(sides)
    rt.start_servers()
    sampler = rt.CpuSampler()
    sampler.start()
    try:
        print(
            f"{rt.machine_facts()}; PostgreSQL {await rt.pg_version()}; private servers "
            f"(Kafka {rt.BOOTSTRAP}, PostgreSQL 127.0.0.1:{rt.PG_PORT})"
        )
        seeds = [published_event(p) for p in load_seed_programs(rt.SEED_DIR)]
        codes = sorted(e.code for e in seeds)
        catalogue = Catalogue()
        for event in seeds:
            catalogue.put(event)
        await ensure_catalogue_topics(rt.BOOTSTRAP)
        intakes = rt.generate(args.households, args.seed, codes)
        warm = await rt.route_all(
            args.topologies[0], intakes, catalogue, seeds, sampler,
            process_env=sides[0].process_env,
        )  # fmt: skip
        print(
            f"warm-up, topology {args.topologies[0]}, side A, on the fresh servers: "
            f"{warm.households / warm.seconds:.0f} households/s; not counted"
        )
        checked = [
            await compare(topology, sides, args.rounds, intakes, catalogue, seeds, sampler)
            for topology in args.topologies
        ]
        return all(checked)
    finally:
        await sampler.stop()
        rt.stop_servers()
        shutil.rmtree(rt.STATE_DIR, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_sides(ap)
    ap.add_argument("--households", type=int, default=20_000, help="routed per round")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per side and topology")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--topologies",
        type=lambda s: [rt.Topology.parse(t) for t in s.split(",")],
        default=[rt.Topology.parse("1")],
        help="1 (what make up runs), 2+relay, ... (comma-separated)",
    )
    args = ap.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"command: uv run python bench/router_ab.py {shlex.join(sys.argv[1:])}")
    print(rt.code_state())
    with contextlib.ExitStack() as stack:
        sides = checked_out(stack, args)
        return 0 if asyncio.run(amain(args, sides)) else 1


def verified(sides: tuple[Side, Side], modules: Sequence[str] = PROBED) -> None:
    """Logs only warnings, on stderr (stdout is the result; the clients' warnings while a fresh
    broker elects leaders are not), and prints where each side imports ``modules[0]`` from,
    refusing a side that imports another tree's. Every A/B benchmark's first step."""
    configure_logging(service="bench", level="WARNING", json=False)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(sys.stderr)
    for side in sides:
        print(f"{side.title}: {modules[0]} from {side.verify_imports(modules)}")


async def terminate(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL after 30 s: a side's process at the end of its round."""
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.to_thread(proc.wait, 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def drop_database(pg_dsn: str, database: str) -> None:
    """DROP ... WITH (FORCE), again for up to a minute while an autovacuum worker holds the
    database: it runs as the superuser, whom the benchmarks' user may not terminate."""
    deadline = time.monotonic() + 60
    while True:
        conn = await asyncpg.connect(pg_dsn + "/postgres")
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            return
        except asyncpg.InsufficientPrivilegeError:
            if time.monotonic() > deadline:
                raise
        finally:
            await conn.close()
        await asyncio.sleep(0.5)


def add_sides(ap: argparse.ArgumentParser) -> None:
    """--baseline and --candidate, as every A/B benchmark takes them, and each side's own
    settings (--a-env, --b-env: two settings compared on one version of the code)."""
    ap.add_argument("--baseline", required=True, help="A: a commit (checked out in a worktree)")
    ap.add_argument("--candidate", help="B: a commit; without it, the working tree")
    for side in ("a", "b"):
        ap.add_argument(
            f"--{side}-env",
            action="append",
            default=[],
            type=setting,
            metavar="RUJUKAN_X=value",
            help=f"a setting for side {side.upper()}'s service processes only (repeatable)",
        )


def setting(text: str) -> tuple[str, str]:
    """A service setting given on the command line (``--a-env``, ``--env``): RUJUKAN_X=value."""
    name, sep, value = text.partition("=")
    if not sep or not name.startswith("RUJUKAN_"):
        raise argparse.ArgumentTypeError(f"not RUJUKAN_NAME=value: {text!r}")
    return name, value


def run_sides(
    script: str,
    args: argparse.Namespace,
    amain: Callable[[argparse.Namespace, tuple[Side, Side]], Coroutine[Any, Any, bool]],
    code: str,
) -> int:
    """Prints when, the command and ``code`` (what is measured), checks the sides out, runs
    ``amain`` on them; 0 when it says every check passed. bench/notifications_throughput.py's
    and bench/intake_single.py's main."""
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"command: uv run python bench/{script} {shlex.join(sys.argv[1:])}")
    print(f"code: {code}")
    with contextlib.ExitStack() as stack:
        sides = checked_out(stack, args)
        return 0 if asyncio.run(amain(args, sides)) else 1


def checked_out(stack: contextlib.ExitStack, args: argparse.Namespace) -> tuple[Side, Side]:
    """A (--baseline) and B (--candidate, or the working tree) checked out until ``stack``
    closes, each with its own settings (--a-env, --b-env); prints what each is."""
    a, b = _checkouts(stack, args.baseline, args.candidate)
    for side, given in zip((a, b), (args.a_env, args.b_env), strict=True):
        side.settings = tuple(given)
        if given:
            shown = " ".join(f"{name}={value}" for name, value in given)
            print(f"{side.name}'s service processes also get: {shown}")
    return a, b


def _checkouts(
    stack: contextlib.ExitStack, baseline: str, candidate: str | None
) -> tuple[Side, Side]:
    a_root, a_commit = stack.enter_context(checkout(baseline))
    a = Side("A", f"baseline {a_commit.split()[0]}", a_root)
    print(f"A: {a_commit}")
    if candidate is None:
        print("B: the working tree (code: above)")
        return a, Side("B", "working tree", rt.ROOT)
    same = git("rev-parse", f"{candidate}^{{commit}}") == git("rev-parse", f"{baseline}^{{commit}}")
    b_root, b_commit = (a_root, a_commit) if same else stack.enter_context(checkout(candidate))
    print(f"B: {b_commit}{' (the same checkout as A: an A/A run)' if same else ''}")
    return a, Side("B", f"candidate {b_commit.split()[0]}", b_root)


if __name__ == "__main__":
    sys.exit(main())

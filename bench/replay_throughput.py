"""Benchmark: a national replay — every stored household re-evaluated as a replay job.

Run:  cd /work/main && uv run python bench/replay_throughput.py [--households 100000]

Uses the router benchmark's private servers and router processes (bench/router_throughput.py):
N generated households are routed by the router (topology 2+relay) so that the database holds
what production holds (intakes, decisions, referrals); then, with the router processes running
as replay workers:

1. dry run, catalogue unchanged: every household evaluated, nothing differs;
2. dry run, registry refresh: a replay whose registry updates move 10 % of the households to
   decile 9 (they lose PKH, PBI-JK, ...);
3. apply, new program: a program for deciles 1-3 appears in the catalogue; the replay refers
   every household that gains it and stores their new evaluations (only the differences);
4. with --concurrent N (> 1): N dry-run jobs at once, each worked by its own router process (a
   job has one lease), timed from the first start to the last finish — what N processes working
   shards of one job could reach together on this machine, since a job cannot be split yet
   (docs/capacity.md).

--jobs picks which of 1-3 run. --private-ports starts the servers on free ports with state under
.local/replay-bench instead of the router benchmark's fixed ports and .local/bench-servers, so
that it can run beside another benchmark.

Each is timed from the job's start to its finish as the job records them (a chunk of 2,000
households per transaction), with the CPU of the router processes, PostgreSQL and Kafka over
the same window. The figure the issue asks for: households/s, and 25.7 M households in hours.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parent))

import router_throughput as rt
from chaos_platform import ports_free

from rujukan_contracts.events import ProgramPublishedV1, RegistryFacts
from rujukan_eligibility.catalogue import load_seed_programs
from rujukan_platform.db import make_engine, make_sessions
from rujukan_platform.kafka import ensure_catalogue_topics
from rujukan_platform.logging import configure_logging
from rujukan_platform.testing import free_port
from rujukan_registry.domain.programs import published_event
from rujukan_router.adapters.views import RouterViews, RuleBook
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.commands import CreateReplay
from rujukan_router.service_layer.replay import create_replay
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork

NATIONAL = 25_700_000


def new_program(base: ProgramPublishedV1) -> ProgramPublishedV1:
    """A program for the poorest three deciles (what a new national program might say)."""
    return base.model_copy(
        update={
            "code": "BANTUAN-BARU",
            "version": 1,
            "rule": {
                "kind": "criterion",
                "name": "decile_1_to_3",
                "label": "In the social registry, deciles 1-3",
                "cel": "registry.found && registry.decile <= 3",
            },
            "published_at": datetime.now(UTC),
        }
    )


async def run_job(
    router: rt.RouterProcesses,
    sampler: rt.CpuSampler,
    label: str,
    *,
    apply: bool,
    updates: dict[UUID, RegistryFacts],
    cpu: bool = True,
) -> tuple[float, float, int]:
    """Create a job, wait for it to finish, print its rate (and the CPU over its window unless
    other jobs share it); returns its start, finish (Unix seconds) and households evaluated."""
    engine = make_engine(f"{rt.PG_URL}/{router.database}")
    sessions = make_sessions(engine)
    try:
        async with RouterUnitOfWork(sessions) as uow:
            command = CreateReplay(requested_by="bench", apply=apply, registry_updates=updates)
            replay_id = await create_replay(uow, command, datetime.now(UTC))
            await uow.commit()
        while True:
            router.check()
            async with sessions() as session:
                row = await RouterViews(session, RuleBook(Catalogue())).replay(replay_id)
            assert row is not None
            if row.status in ("done", "failed", "cancelled"):
                break
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()
    if row.status != "done":
        raise RuntimeError(f"replay {row.status}: {row.error}")
    await asyncio.sleep(0.2)  # a CPU sample after the end
    seconds = (row.finished_at - row.started_at).total_seconds()
    evaluated = row.households_evaluated
    rate = evaluated / seconds
    report: dict[str, Any] = row.report
    print(f"{label}: {evaluated} households in {seconds:.1f} s = {rate:.0f} households/s")
    print(f"    25.7 M households: {NATIONAL / rate / 3600:.2f} h")
    print(
        f"    gains {report['gains']}, losses {report['losses']}, "
        f"referrals created {report['referrals_created']}"
    )
    start, finish = row.started_at.timestamp(), row.finished_at.timestamp()
    if cpu:
        print_cpu(sampler, start, finish, evaluated)
    return start, finish, evaluated


def print_cpu(sampler: rt.CpuSampler, start: float, finish: float, households: int) -> None:
    table, used = sampler.report(start, finish)
    print(table)
    per = {k: v / households * 1e6 for k, v in used.items()}
    print(
        f"    CPU per household: router {per['router processes']:.0f} us, PostgreSQL "
        f"{per['postgresql']:.0f} us, Kafka {per['kafka broker']:.0f} us"
    )


async def run_concurrent(router: rt.RouterProcesses, sampler: rt.CpuSampler, jobs: int) -> None:
    """``jobs`` dry-run jobs at once, each on its own router process; their sum over the window
    from the first start to the last finish."""
    print(f"4. {jobs} dry runs at once, one process each:")
    runs = await asyncio.gather(
        *(
            run_job(router, sampler, f"4.{k + 1} dry run", apply=False, updates={}, cpu=False)
            for k in range(jobs)
        )
    )
    start, finish = min(r[0] for r in runs), max(r[1] for r in runs)
    evaluated = sum(r[2] for r in runs)
    rate = evaluated / (finish - start)
    print(
        f"4. together: {evaluated} households in {finish - start:.1f} s = {rate:.0f} households/s"
        f" ({jobs} processes); 25.7 M households: {NATIONAL / rate / 3600:.2f} h"
    )
    print_cpu(sampler, start, finish, evaluated)


def use_private_ports() -> None:
    """Free ports and a state directory of this benchmark's own (the router benchmark's module
    reads these globals when it starts servers and clients)."""
    while True:
        kafka = free_port()
        if ports_free(kafka + 1):
            break
    pg = free_port()
    rt.KAFKA_PORT, rt.PG_PORT = kafka, pg
    rt.STATE_DIR = rt.ROOT / ".local" / "replay-bench"
    rt.BOOTSTRAP = f"127.0.0.1:{kafka}"
    rt.PG_URL = f"postgresql+asyncpg://rujukan:rujukan@127.0.0.1:{pg}"
    rt.PG_DSN = f"postgresql://rujukan:rujukan@127.0.0.1:{pg}"
    rt.end_offsets.__defaults__ = (rt.BOOTSTRAP,)  # bound when the module was imported


async def amain(args: argparse.Namespace) -> None:
    configure_logging(service="bench", level="WARNING", json=False)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(rt.code_state())
    rt.start_servers()
    sampler = rt.CpuSampler()
    sampler.start()
    try:
        print(f"{rt.machine_facts()}; PostgreSQL {await rt.pg_version()}")
        seeds = [published_event(p) for p in load_seed_programs(rt.SEED_DIR)]
        codes = sorted(e.code for e in seeds)
        catalogue = Catalogue()
        for event in seeds:
            catalogue.put(event)
        await ensure_catalogue_topics(rt.BOOTSTRAP)
        intakes = rt.generate(args.households, args.seed, codes)
        topology = rt.Topology.parse(args.topology)

        # the households, routed by the router as production would have routed them
        await rt.publish_catalogue(seeds)
        await rt.skip_to_end(rt.CONSUMER)
        router = rt.RouterProcesses(topology)
        await router.create_database()
        try:
            sampler.watch(router.start())
            await router.ready()
            t0 = time.perf_counter()
            for k in range(0, len(intakes), 20_000):
                await rt.produce_intakes(intakes[k : k + 20_000])
            while await router.scalar("SELECT count(*) FROM processed_events") < len(intakes):
                router.check()
                await asyncio.sleep(0.5)
            while await router.scalar("SELECT count(*) FROM outbox"):
                await asyncio.sleep(0.2)
            referrals = await router.scalar("SELECT count(*) FROM referrals")
            print(
                f"stored: {len(intakes)} households routed in {time.perf_counter() - t0:.0f} s "
                f"({referrals} referrals); replay workers: topology {topology} "
                f"({topology.describe()}), a job is worked by one process at a time"
            )

            if "1" in args.jobs:
                await run_job(
                    router, sampler, "1. dry run, catalogue unchanged", apply=False, updates={}
                )
            if args.concurrent > 1:
                await run_concurrent(router, sampler, args.concurrent)
            if "2" not in args.jobs and "3" not in args.jobs:
                return

            rng = random.Random(args.seed)
            refreshed = rng.sample(intakes, len(intakes) // 10)
            now = datetime.now(UTC)
            updates = {
                i.household_id: RegistryFacts(
                    found=True, decile=9, enrolments=[], source="replay", checked_at=now
                )
                for i in refreshed
            }
            if "2" in args.jobs:
                await run_job(
                    router, sampler, "2. dry run, 10 % of households refreshed to decile 9",
                    apply=False, updates=updates,
                )  # fmt: skip

            if "3" in args.jobs:
                await rt.publish_catalogue([*seeds, new_program(seeds[0])])
                await asyncio.sleep(3)  # every process loads the new program
                await run_job(router, sampler, "3. apply, a new program for deciles 1-3",
                              apply=True, updates={})  # fmt: skip
        finally:
            await router.stop()
            await router.drop_database()
    finally:
        await sampler.stop()
        rt.stop_servers()
        shutil.rmtree(rt.STATE_DIR, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--topology", default="2+relay")
    ap.add_argument("--jobs", default="1,2,3", help="which of the jobs 1-3 to run")
    ap.add_argument("--concurrent", type=int, default=1, help="4: this many dry runs at once")
    ap.add_argument("--private-ports", action="store_true", help="free ports, own state")
    args = ap.parse_args()
    if args.private_ports:
        use_private_ports()
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()

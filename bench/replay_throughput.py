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
   every household that gains it and stores their new evaluations (only the differences).

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

from rujukan_contracts.events import ProgramPublishedV1, RegistryFacts
from rujukan_eligibility.catalogue import load_seed_programs
from rujukan_platform.db import make_engine, make_sessions
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
) -> None:
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
    cpu, used = sampler.report(row.started_at.timestamp(), row.finished_at.timestamp())
    print(cpu)
    per = {k: v / evaluated * 1e6 for k, v in used.items()}
    print(
        f"    CPU per household: router {per['router processes']:.0f} us, PostgreSQL "
        f"{per['postgresql']:.0f} us, Kafka {per['kafka broker']:.0f} us"
    )


async def amain(args: argparse.Namespace) -> None:
    rt.configure_logging(service="bench", level="WARNING", json=False)
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
        await rt.ensure_catalogue_topics(rt.BOOTSTRAP)
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

            await run_job(
                router, sampler, "1. dry run, catalogue unchanged", apply=False, updates={}
            )

            rng = random.Random(args.seed)
            refreshed = rng.sample(intakes, len(intakes) // 10)
            now = datetime.now(UTC)
            updates = {
                i.household_id: RegistryFacts(
                    found=True, decile=9, enrolments=[], source="replay", checked_at=now
                )
                for i in refreshed
            }
            await run_job(
                router, sampler, "2. dry run, 10 % of households refreshed to decile 9",
                apply=False, updates=updates,
            )  # fmt: skip

            await rt.publish_catalogue([*seeds, new_program(seeds[0])])
            await asyncio.sleep(3)  # every process loads the new program from programs.catalog
            await run_job(router, sampler, "3. apply, a new program for deciles 1-3", apply=True,
                          updates={})  # fmt: skip
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
    asyncio.run(amain(ap.parse_args()))


if __name__ == "__main__":
    sys.exit(main())

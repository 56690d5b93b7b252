"""A/B: what notifications' hot batches pay to make their statements, for two versions of the
code, in one run.

Run:  cd /work/main && uv run python bench/statement_build.py --baseline 27aa9bf [--rounds 5]

What it measures: ``NewsRepository._gather`` (every ``referrals.status`` batch of residents'
news runs it), ``DeliveryRepository.settle`` (every batch of the dispatcher's results runs
it), ``ContactRepository.change`` (every ``intake.contacts`` batch) and the dispatcher's two
claims (``claim_abandoned`` and ``claim_due``: each of its looks while deliveries are due, a
few a second) and a batch of 5 households silenced (``SilencedHouseholds.silence``: residents
who did not consent at a visit) against a session that records the statements instead of
running them, then SQLAlchemy's cache key of each statement (what every execution computes
before it looks its compiled form up): microseconds for one batch of 20 news, one of 20
results, one of 20 contacts (half kept, half forgotten), the two claims, the silences, and
residents' news summed up (the visits due, their news, 10 of them summed up: each look of the
dispatcher runs the first) and what a look that claimed deliveries reads of their 20
households (contacts, silences, phone messages sent). Runs before 2026-12-05 15:59 UTC
(session 14) timed the first three alone, the one at 15:59 the claims too, the one at 16:03
the silences too, the one at 16:50 the news too. A batch of a quiet
hour holds one or two records, so this cost is paid nearly once a record there
(bench/results/pipeline_throughput.md, the rate sweep). No database, no broker: the figures
are CPU in one process, alone.

How: each round runs a child Python with the side's sources first on PYTHONPATH
(``router_ab.Side``), which times 3,000 batches after 300 of warm-up; rounds alternate A, B.
"Within noise" as bench/router_ab.py defines it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from chaos import code_state
from router_ab import Side, add_sides, run_sides, summarise

COLUMNS = "  {:7s} {:30.30s} {:>10s}  {:>12s}  {}"
PROBED = ["rujukan_notifications", "rujukan_platform", "rujukan_contracts"]

#: the child: the side's NewsRepository._gather, its statements' cache keys, timed
CHILD = """
import asyncio, time, uuid
from datetime import UTC, datetime, timedelta
from rujukan_notifications.adapters.repository import (
    Claim, ContactChange, ContactRepository, DeliveryRepository, NewsRepository, Newsworthy,
    SealedContact, Settled, SummedUp, Visit,
)
from rujukan_notifications.adapters.silence import Silence, SilencedHouseholds

class NoRows:
    def scalars(self):
        return []
    def __iter__(self):
        return iter(())

class Recording:
    def __init__(self):
        self.statements = []
    async def execute(self, statement, *args, **kwargs):
        self.statements.append(statement)
        return NoRows()

now = datetime.now(UTC)
batch = [
    Newsworthy(uuid.uuid4(), Visit(uuid.uuid4(), uuid.uuid4(), "33.04.01.2001", 0),
               uuid.uuid4(), "{}", now)
    for _ in range(20)
]

results = [
    Settled(uuid.uuid4(), now, "sent", 1, None, recipient_masked="w***@example.org", sent_at=now)
    for _ in range(20)
]

changes = [
    ContactChange(
        uuid.uuid4(), now,
        SealedContact(uuid.uuid4(), "id", "v1.k.sealed", None, ["email"]) if i % 2 else None,
    )
    for i in range(20)
]

visits = [b.visit.intake_id for b in batch]
households = {b.visit.household_id for b in batch}
summed = [SummedUp(v, uuid.uuid4(), [uuid.uuid4()]) for v in visits[:10]]
silences = [Silence(uuid.uuid4(), uuid.uuid4(), now) for _ in range(5)]
claim = Claim("dispatcher-1", now, now + timedelta(seconds=60), 20)

async def main(n):
    session = Recording()
    news, deliveries = NewsRepository(session), DeliveryRepository(session)
    contacts, silenced = ContactRepository(session), SilencedHouseholds(session)
    started = time.perf_counter()
    for _ in range(n):
        session.statements.clear()
        await news._gather(batch, timedelta(seconds=60))
        await deliveries.settle("dispatcher-1", results)
        await contacts.change(changes)
        await deliveries.claim_abandoned(claim)
        await deliveries.claim_due(claim)
        await silenced.silence(silences)
        await news.claim_due(now, 100)
        await news.gathered(visits)
        await news.summed_up(summed)
        await contacts.of_households(households)
        await silenced.among(households)
        await deliveries.phone_sends_since(households, now)
        for statement in session.statements:
            statement._generate_cache_key()
    return (time.perf_counter() - started) / n * 1e6

asyncio.run(main(300))
print(f"{asyncio.run(main(3000)):.1f}")
"""


def measure(side: Side) -> float:
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        env=side.process_env(os.environ),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


async def amain(args: argparse.Namespace, sides: tuple[Side, Side]) -> bool:
    for side in sides:  # each side's child imports that side's code, or the run stops here
        print(f"{side.title}: {side.verify_imports(PROBED)}")
    print(COLUMNS.format("round", "side", "us/batch", "batches/s", "").rstrip())
    for number in range(1, args.rounds + 1):
        for side in sides:
            us = measure(side)
            side.cpu.append(us)
            side.rates.append(1e6 / us)
            print(COLUMNS.format(str(number), side.title, f"{us:.1f}", f"{1e6 / us:.0f}", ""))
    print()
    summarise(
        sides,
        True,
        args.rounds,
        rate="batches/s",
        cpu="us a batch",
        columns=COLUMNS,
        blanks=1,
    )
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_sides(ap)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    return run_sides("statement_build.py", args, amain, code_state())


if __name__ == "__main__":
    sys.exit(main())

"""What a benchmark's machine charges for work that comes in bursts.

On the shared 2-core VMs these benchmarks run on, a fixed piece of Python work costs several
times more CPU time when it runs every 20 ms on an idle machine than back to back: validating
five intakes took 77 us in a loop, 214-358 us every 20 ms, and 91 us every 20 ms while two
SCHED_IDLE spinners kept both vCPUs from idling (2026-12-05,
bench/results/pipeline_throughput.md). A service at a low rate
does its work in such bursts, so its CPU time a household at low rates measures the machine's
wake-ups as much as the code. ``wake_penalty`` measures it before a benchmark starts its
servers, so each run's figures can be read with it.

Run alone:  uv run python bench/machine_probe.py
"""

from __future__ import annotations

import statistics
import time
from typing import Any

#: objects spread over some 1 MB, as a service's are over its heap
_OBJECTS: list[dict[str, Any]] = [
    {"id": i, "name": f"member {i}", "tags": [i, i + 1, i + 2]} for i in range(4000)
]


def _work() -> int:
    """About 65 us of pure Python reading a thousand of those objects: how fast it goes
    depends on the caches, as an interpreter's work does."""
    total = 0
    for o in _OBJECTS[::4]:
        total += o["id"] + len(o["name"]) + o["tags"][1]
    return total


def _median_cpu_us(calls: int, gap_seconds: float) -> float:
    spent = []
    for _ in range(calls):
        started = time.thread_time()
        _work()
        spent.append(time.thread_time() - started)
        if gap_seconds:
            time.sleep(gap_seconds)
    return statistics.median(spent) * 1e6


def back_to_back(calls: int = 300) -> float:
    """The CPU time (us) of the work back to back, warmed first (about 0.02 s): how fast the
    machine runs Python now, to compare phases of one run."""
    _median_cpu_us(50, 0)
    return _median_cpu_us(calls, 0)


def wake_penalty(calls: int = 100) -> tuple[float, float]:
    """The CPU time (us) of the same work back to back and every 20 ms (about 2 s in all)."""
    return back_to_back(calls * 3), _median_cpu_us(calls, 0.02)


def describe() -> str:
    """One line for a benchmark's header."""
    tight, spaced = wake_penalty()
    return (
        f"the same work costs {tight:.0f} us of CPU back to back and {spaced:.0f} us every "
        f"20 ms (+{spaced - tight:.0f} us a wake-up from idle; work at low rates pays it)"
    )


if __name__ == "__main__":
    print(describe())

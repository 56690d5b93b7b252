"""Garbage-collector settings for long-running service processes.

CPython's cyclic collector runs a young-generation pass every 700 net allocations and, every
100 of those, a full pass over every tracked object. A service's heap is mostly objects that
live for the whole process (pydantic schemas, SQLAlchemy metadata, the region tables, compiled
rules), so full passes re-scan them for nothing, and a consumer batch of a thousand events
allocates enough to trigger hundreds of passes. Measured on the router's hot path, the
collector took about half of the process's CPU time (bench/results/router_throughput.md).

``tune_collector`` moves everything alive into the permanent generation (``gc.freeze``) and
collects less often. Call it once the process has loaded what it keeps (at start, and again
after a warm-up such as loading the program catalogue): freezing is cheap and idempotent.
"""

from __future__ import annotations

import gc

#: (young, middle, old) thresholds: a young pass every 50,000 net allocations instead of 700.
THRESHOLDS = (50_000, 20, 100)


def tune_collector() -> None:
    """Freeze the objects alive now and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)

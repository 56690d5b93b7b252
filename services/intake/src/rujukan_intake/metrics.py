"""Intake's domain metrics (platform metrics live in rujukan_platform.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

INTAKES = Counter(
    "rujukan_intake_intakes_total",
    "Intakes recorded (after commit), by province and kind (need, complaint)",
    ["province", "kind"],
)
REFUSED = Counter(
    "rujukan_intake_refused_total",
    "Intakes refused, by HTTP status (422 validation, 403 scope)",
    ["status"],
)
SUBMIT_BATCH = Histogram(
    "rujukan_intake_submit_batch_size",
    "Single intakes submitted together in one unit of work",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)

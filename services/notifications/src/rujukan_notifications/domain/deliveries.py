"""A delivery's life: ``pending`` until due, ``sending`` while a dispatcher holds its claim, then
``sent``, ``failed`` or ``skipped`` for good; every step of it is an attempt with an outcome."""

from __future__ import annotations

from typing import Literal, TypeGuard

DeliveryState = Literal["pending", "sending", "sent", "failed", "skipped"]
#: where a delivery ends: published on ``notifications.dispatched``
FinalState = Literal["sent", "failed", "skipped"]
#: what one dispatch step decided (``delivery_attempts.outcome``; the ``attempts_total`` label)
Outcome = Literal[
    "sent",
    "failed",
    "skipped",
    "retry",
    "waiting",
    "deferred",
    "circuit_open",
    "released",
    "taken_over",
]


def is_final(outcome: Outcome) -> TypeGuard[FinalState]:
    return outcome in ("sent", "failed", "skipped")

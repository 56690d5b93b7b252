"""When to send: backoff, a circuit breaker per provider, quiet hours. Pure, clock passed in."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

CircuitState = Literal["closed", "open", "half_open"]


def backoff(attempt: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter (attempt 1 → up to 1 s, 2 → 2 s, ...)."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


class CircuitBreaker:
    """Closed: calls pass; ``threshold`` retryable failures in a row open it. Open: no call
    until ``cooldown`` has passed, then half-open: one trial call, whose success closes the
    circuit and whose failure opens it again. Kept in memory, one per provider per process."""

    def __init__(self, *, threshold: int, cooldown: timedelta) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.state: CircuitState = "closed"
        self.failures = 0
        self.opened_at = datetime.min.replace(tzinfo=UTC)
        self._trial = False

    @property
    def retry_at(self) -> datetime:
        return self.opened_at + self.cooldown

    def allows(self, now: datetime) -> bool:
        if self.state == "open" and now >= self.retry_at:
            self.state, self._trial = "half_open", False
        if self.state == "half_open" and not self._trial:
            self._trial = True
            return True
        return self.state == "closed"

    def succeeded(self) -> None:
        self.state, self.failures, self._trial = "closed", 0, False

    def failed(self, now: datetime) -> None:
        self.failures += 1
        if self.state == "half_open" or self.failures >= self.threshold:
            self.state, self.opened_at, self._trial = "open", now, False


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A nightly window (``21:00``-``07:00`` wraps midnight) in a time zone; start == end: none."""

    start: time
    end: time
    zone: ZoneInfo

    def until(self, now: datetime) -> datetime | None:
        """The end of the quiet window ``now`` falls in, or ``None`` when sending is fine."""
        local = now.astimezone(self.zone)
        t = local.time()
        if self.start < self.end:
            quiet = self.start <= t < self.end
        else:
            quiet = self.start != self.end and (t >= self.start or t < self.end)
        if not quiet:
            return None
        end = datetime.combine(local.date(), self.end, self.zone)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(UTC)

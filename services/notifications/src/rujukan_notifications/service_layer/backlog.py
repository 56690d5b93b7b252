"""What is due and waiting, for the operators: each notifications process counts the
deliveries whose time has come and that no dispatcher has taken, by channel, every
``every_seconds``.

A dispatcher takes a due delivery within a poll, so a delivery that stays due means none can:
every dispatcher stopped (a row a dead one left mid-send is due from the end of its lease), or
the delivery is on a channel no running release knows (a newer release's, during an upgrade:
``docs/decisions.md``). Its age is ``rujukan_notifications_oldest_due_seconds``, which
``RujukanDeliveriesOverdue`` watches; a provider that refuses is a circuit and a retry, not
this (its deliveries wait, not due)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime

from rujukan_notifications import metrics
from rujukan_notifications.domain.channels import CHANNELS
from rujukan_notifications.service_layer.unit_of_work import UnitsOfWork
from rujukan_platform.logging import get_logger

log = get_logger(__name__)

#: channel -> since when its longest-waiting due delivery has waited (None: nothing due)
Oldest = Mapping[str, datetime | None]


async def watch_due(units: UnitsOfWork, stop: asyncio.Event, every_seconds: float = 15.0) -> None:
    """Set the due-delivery gauges until ``stop``. A look that fails (PostgreSQL down) is
    logged and tried again, and the ages go on growing from what the last look found: a
    database that stays away stops the dispatchers too."""
    oldest: Oldest = dict.fromkeys(CHANNELS)  # every channel this release knows reports
    while not stop.is_set():
        now = datetime.now(UTC)
        try:
            oldest = await observe_due(units, now, oldest)
        except Exception:
            log.exception("counting due deliveries failed; retrying")
            show_ages(oldest, now)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)


async def observe_due(units: UnitsOfWork, now: datetime, reported: Oldest) -> Oldest:
    """One look: the gauges of every channel due now or ``reported`` before (back to 0 when
    nothing is due on it); what it found, every channel reported."""
    async with units() as uow:
        due = {d.channel: d for d in await uow.deliveries.due_by_channel(now)}
    oldest = {channel: None for channel in reported} | {c: d.oldest for c, d in due.items()}
    for channel in oldest:
        metrics.DUE_DELIVERIES.labels(channel).set(due[channel].waiting if channel in due else 0)
    show_ages(oldest, now)
    return oldest


def show_ages(oldest: Oldest, now: datetime) -> None:
    for channel, since in oldest.items():
        age = (now - since).total_seconds() if since else 0.0
        metrics.OLDEST_DUE.labels(channel).set(max(age, 0.0))

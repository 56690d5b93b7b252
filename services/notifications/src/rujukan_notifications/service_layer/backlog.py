"""What is due and waiting, for the operators: each notifications process counts the pending
deliveries whose time has come, by channel, every ``every_seconds``.

A dispatcher takes a due delivery within a poll, so a delivery that stays due means none can:
every dispatcher stopped, or the delivery is on a channel no running release knows (a newer
release's, during an upgrade: ``docs/decisions.md``). Its age is
``rujukan_notifications_oldest_due_seconds``, which ``RujukanDeliveriesOverdue`` watches; a
provider that refuses is a circuit and a retry, not this (its deliveries wait, not due)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from rujukan_notifications import metrics
from rujukan_notifications.domain.channels import CHANNELS
from rujukan_notifications.service_layer.unit_of_work import UnitsOfWork
from rujukan_platform.logging import get_logger

log = get_logger(__name__)


async def watch_due(units: UnitsOfWork, stop: asyncio.Event, every_seconds: float = 15.0) -> None:
    """Set the due-delivery gauges until ``stop``; a failed look is logged and tried again."""
    reported: set[str] = set(CHANNELS)  # every channel this release knows reports, 0 or not
    while not stop.is_set():
        try:
            reported = await observe_due(units, datetime.now(UTC), reported)
        except Exception:
            log.exception("counting due deliveries failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)


async def observe_due(units: UnitsOfWork, now: datetime, reported: set[str]) -> set[str]:
    """One look: the gauges of every channel due or ``reported`` before (back to 0 when
    nothing is due on it); the channels reported now."""
    async with units() as uow:
        due = {d.channel: d for d in await uow.deliveries.due_by_channel(now)}
    for channel in reported | due.keys():
        found = due.get(channel)
        metrics.DUE_DELIVERIES.labels(channel).set(found.waiting if found else 0)
        age = (now - found.oldest).total_seconds() if found else 0.0
        metrics.OLDEST_DUE.labels(channel).set(max(age, 0.0))
    return reported | due.keys()

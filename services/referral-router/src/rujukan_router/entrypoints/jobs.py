"""The router's background jobs: the catalogue view, the SLA timers and the replay workers.

Each runs in every replica until the process stops and does its work in units of work of its
own; the timers and the replays are safe on every replica (rows claimed with ``SKIP LOCKED``,
one lease per replay job).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast
from uuid import UUID, uuid4

from rujukan_platform.logging import get_logger
from rujukan_platform.runtime import Job, Runtime
from rujukan_router.domain.commands import FireDueTimers
from rujukan_router.service_layer.replay import work
from rujukan_router.service_layer.state import RouterState
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork
from rujukan_router.settings import RouterSettings

log = get_logger(__name__)


def jobs(runtime: Runtime[RouterState]) -> list[Job]:
    return [catalogue_view(runtime), sla_timers(runtime), replay_worker(runtime)]


def units(runtime: Runtime[RouterState]) -> Callable[[], RouterUnitOfWork]:
    """New units of work of the router (the runtime's are the definition's class)."""
    return cast(Callable[[], RouterUnitOfWork], runtime.unit_of_work)


def catalogue_view(runtime: Runtime[RouterState]) -> Job:
    async def catalogue(stop: asyncio.Event) -> None:
        """Read ``programs.catalog`` from its beginning into the live catalogue, then tail it."""
        await runtime.deps.view.run(stop)

    return catalogue


def sla_timers(runtime: Runtime[RouterState]) -> Job:
    settings = cast(RouterSettings, runtime.settings)
    grace = timedelta(days=settings.sla_grace_days)

    async def timers(stop: asyncio.Event) -> None:
        """Fire missed SLA deadlines (escalate, then expire)."""
        while not stop.is_set():
            try:
                if await runtime.handle(FireDueTimers(datetime.now(UTC), grace)):
                    continue  # there may be more due right now
            except Exception:
                log.exception("SLA timers failed; retrying")
            await _pause(stop, settings.sla_check_seconds)

    return timers


def replay_worker(runtime: Runtime[RouterState]) -> Job:
    owner = f"{socket.gethostname()}:{os.getpid()}"

    async def replays(stop: asyncio.Event) -> None:
        """Work through replay jobs, a chunk of households per unit of work; resumable after a
        crash (the lease of a worker that stopped beating is taken over)."""
        backoff = 1.0
        while not stop.is_set():
            claimed = False
            if runtime.deps.view.ready.is_set():
                try:
                    claimed = await _work(runtime, owner=owner, stop=stop)
                    backoff = 1.0
                except Exception:
                    log.exception("replay worker failed; retrying", backoff_seconds=backoff)
                    backoff = min(backoff * 2, 60.0)
            if not claimed:
                await _pause(stop, backoff * 2)

    return replays


async def work_for(runtime: Runtime[RouterState], replay_id: UUID, seconds: float) -> None:
    """Work on one job in a request for up to ``seconds`` (``Prefer: wait``), then give its
    lease back to the background workers if it is not finished."""
    await _work(
        runtime, owner=f"request:{uuid4()}", replay_id=replay_id, until=time.monotonic() + seconds
    )


async def _work(
    runtime: Runtime[RouterState],
    *,
    owner: str,
    replay_id: UUID | None = None,
    until: float | None = None,
    stop: asyncio.Event | None = None,
) -> bool:
    state = runtime.deps
    return await work(
        units(runtime),
        state.catalogue,
        state.what_ifs,
        owner=owner,
        now=lambda: datetime.now(UTC),
        replay_id=replay_id,
        until=until,
        stop=stop,
    )


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)

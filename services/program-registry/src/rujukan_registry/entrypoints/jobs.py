"""Registry's background work: publish versions whose effective date arrived; forget old intakes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from rujukan_platform.logging import get_logger
from rujukan_platform.runtime import Runtime
from rujukan_registry.service_layer.catalogue import publish_due_versions
from rujukan_registry.service_layer.evaluation import forget_old_intakes

log = get_logger(__name__)


def effective_dates(runtime: Runtime[Any], every_seconds: float = 60.0):  # type: ignore[no-untyped-def]
    async def publish_effective_versions(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                now = datetime.now(UTC)
                async with runtime.sessions() as session, session.begin():
                    switched = await publish_due_versions(session, now.date())
                    forgotten = await forget_old_intakes(session, now)
                if switched:
                    runtime.relay.wake()
                    log.info("versions took effect", programs=switched)
                if forgotten:
                    log.info("old intake facts forgotten", rows=forgotten)
            except Exception:
                log.exception("effective-date job failed; retrying")
            try:
                await asyncio.wait_for(stop.wait(), timeout=every_seconds)
            except TimeoutError:
                pass

    return publish_effective_versions

"""Registry's background work: publish versions whose effective date arrived; forget old intakes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from rujukan_platform.logging import get_logger
from rujukan_platform.runtime import Job, Runtime
from rujukan_registry.domain.commands import ForgetOldIntakes, PublishDueVersions

log = get_logger(__name__)


def effective_dates(runtime: Runtime[Any], every_seconds: float = 60.0) -> Job:
    async def publish_effective_versions(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                now = datetime.now(UTC)
                switched = await runtime.handle(PublishDueVersions(now.date()))
                forgotten = await runtime.handle(ForgetOldIntakes(now))
                if switched:
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

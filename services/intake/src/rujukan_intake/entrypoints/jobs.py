"""Intake's background job: each program's name and required documents, from programs.catalog.

Every process reads the compacted topic from its beginning, without a consumer group (as the
router's catalogue view does), so a new replica or a rebuilt database still learns every program,
and applies each publication through the handler table (``remember_program``: the newer
publication wins, so replicas applying the same records agree).
"""

from __future__ import annotations

import asyncio

from rujukan_contracts.events import Event, ProgramPublishedV1
from rujukan_contracts.topics import PROGRAMS_CATALOG
from rujukan_intake.service_layer.state import IntakeState
from rujukan_platform.runtime import Job, Runtime
from rujukan_platform.view import CompactedTopicView


def jobs(runtime: Runtime[IntakeState]) -> list[Job]:
    async def apply(_code: str, event: Event | None) -> None:
        if isinstance(event, ProgramPublishedV1):  # a retired program keeps its documents
            await runtime.handle(event)

    async def programs(stop: asyncio.Event) -> None:
        view = CompactedTopicView(
            bootstrap=runtime.settings.kafka_bootstrap,
            topic=PROGRAMS_CATALOG,
            apply=apply,
            client_id="rujukan-intake-catalogue",
        )
        await view.run(stop)

    return [programs]

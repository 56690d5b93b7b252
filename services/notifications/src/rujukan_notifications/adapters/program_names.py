"""Each program's name in Bahasa Indonesia and English, as messages call it: a local view of
``programs.catalog`` (every process reads the whole compacted topic)."""

from __future__ import annotations

import asyncio

from rujukan_contracts.events import Event, ProgramPublishedV1
from rujukan_contracts.topics import PROGRAMS_CATALOG
from rujukan_platform.view import CompactedTopicView


class ProgramNames:
    def __init__(self, bootstrap: str) -> None:
        #: program code -> language -> name
        self.names: dict[str, dict[str, str]] = {}
        self._view = CompactedTopicView(
            bootstrap=bootstrap,
            topic=PROGRAMS_CATALOG,
            apply=self.apply,
            client_id="rujukan-notifications-catalogue",
        )

    async def apply(self, code: str, event: Event | None) -> None:
        """One record of the topic: a program published, or removed (a tombstone)."""
        if isinstance(event, ProgramPublishedV1):
            self.names[code] = {"id": event.name.id, "en": event.name.en}
        elif event is None:
            self.names.pop(code, None)

    async def run(self, stop: asyncio.Event) -> None:
        await self._view.run(stop)

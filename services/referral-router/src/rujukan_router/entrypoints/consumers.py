"""Router's consumers: intakes to route, agencies' outcomes; and the catalogue view."""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import UTC, datetime, timedelta

from aiokafka.admin import NewTopic

from rujukan_contracts.events import (
    Event,
    IntakeSubmittedV1,
    ProgramPublishedV1,
    ReferralOutcomeV1,
)
from rujukan_contracts.topics import (
    INTAKE_SUBMITTED,
    PROGRAM_OUTCOMES_PATTERN,
    PROGRAMS_CATALOG,
    outcomes_topic,
    program_topic,
    topic,
)
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.kafka import create_topics
from rujukan_platform.logging import get_logger
from rujukan_platform.runtime import Runtime
from rujukan_platform.view import CompactedTopicView
from rujukan_router import metrics
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.service_layer.decisions import RuleBook
from rujukan_router.service_layer.replay import CatalogueCache, work
from rujukan_router.service_layer.routing import (
    upsert_catalogue_row,
)
from rujukan_router.service_layer.timers import fire_due_timers
from rujukan_router.settings import RouterSettings

log = get_logger(__name__)


class RouterState:
    """What the router's handlers share in one process: the live catalogue and its view."""

    def __init__(self, runtime: Runtime[RouterState]) -> None:
        self.runtime = runtime
        self.catalogue = Catalogue()
        self.rules = RuleBook(self.catalogue)
        self.replay_cache = CatalogueCache()
        self.view = CompactedTopicView(
            bootstrap=runtime.settings.kafka_bootstrap,
            topic=PROGRAMS_CATALOG,
            apply=self.apply_program,
            client_id="rujukan-router-catalogue",
        )
        self._known_topics: set[str] = set()

    async def apply_program(self, code: str, event: Event | None) -> None:
        if event is None:
            self.catalogue.remove(code)
            return
        if not isinstance(event, ProgramPublishedV1):
            return
        try:
            self.catalogue.put(event)
        except ValueError as exc:  # a rule this router cannot compile: keep the old version
            log.error("program rule refused by the router", program=code, error=str(exc))
            return
        metrics.initialise(event.code)
        await self._ensure_program_topic(event.code)
        async with self.runtime.sessions() as session, session.begin():
            await upsert_catalogue_row(session, event)

    async def _ensure_program_topic(self, code: str) -> None:
        """The program's referral topic, and its outcome topic with that one's DLQ."""
        names = [program_topic(code), outcomes_topic(code)]
        if set(names) <= self._known_topics:
            return
        specs = [
            NewTopic(n, topic(n).partitions, 1, topic_configs=dict(topic(n).config)) for n in names
        ]
        specs.append(NewTopic(topic(names[1]).dlq_name(names[1]), 1, 1))
        await create_topics(self.runtime.settings.kafka_bootstrap, specs)
        self._known_topics.update(names)

    def consumers(self) -> list[ConsumerSpec]:
        return [
            ConsumerSpec(
                name="router-intakes",
                topics=[INTAKE_SUBMITTED],
                handlers=self.runtime.handlers.only(IntakeSubmittedV1),
            ),
            ConsumerSpec(
                name="router-outcomes",
                topics=[],
                pattern=PROGRAM_OUTCOMES_PATTERN,
                handlers=self.runtime.handlers.only(ReferralOutcomeV1),
            ),
        ]

    async def run_view(self, stop: asyncio.Event) -> None:
        await self.view.run(stop)

    async def run_replays(self, stop: asyncio.Event) -> None:
        """Work through replay jobs, a chunk of households per transaction; safe on every
        replica (one lease per job), resumable after a crash."""
        owner = f"{socket.gethostname()}:{os.getpid()}"
        backoff = 1.0
        while not stop.is_set():
            job = None
            if self.view.ready.is_set():
                try:
                    job = await work(
                        self.runtime.sessions,
                        self.catalogue,
                        self.replay_cache,
                        owner=owner,
                        now=lambda: datetime.now(UTC),
                        stop=stop,
                        on_chunk=self.runtime.relay.wake,
                    )
                    backoff = 1.0
                except Exception:
                    log.exception("replay worker failed; retrying", backoff_seconds=backoff)
                    backoff = min(backoff * 2, 60.0)
            if job is None:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=backoff * 2)
                except TimeoutError:
                    pass

    async def run_timers(self, stop: asyncio.Event) -> None:
        """Fire missed SLA deadlines (escalate, then expire); safe on every replica."""
        settings = self.runtime.settings
        assert isinstance(settings, RouterSettings)
        grace = timedelta(days=settings.sla_grace_days)
        while not stop.is_set():
            try:
                async with self.runtime.sessions() as session, session.begin():
                    fired = await fire_due_timers(session, datetime.now(UTC), grace=grace)
                if fired:
                    self.runtime.relay.wake()
                    continue  # there may be more due right now
            except Exception:
                log.exception("SLA timers failed; retrying")
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.sla_check_seconds)
            except TimeoutError:
                pass


def state(runtime: Runtime[RouterState]) -> RouterState:
    """The router's shared state of this process."""
    return runtime.deps

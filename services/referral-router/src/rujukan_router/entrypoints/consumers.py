"""The router's consumers: intakes to route, agencies' outcomes; and the catalogue feed that
keeps the live catalogue current from ``programs.catalog``."""

from __future__ import annotations

from aiokafka.admin import NewTopic

from rujukan_contracts.events import (
    ConsentWithdrawnV1,
    Event,
    IntakeSubmittedV1,
    ProgramPublishedV1,
    ReferralOutcomeV1,
)
from rujukan_contracts.topics import (
    INTAKE_SUBMITTED,
    PROGRAM_OUTCOMES_PATTERN,
    outcomes_topic,
    program_topic,
    topic,
)
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.kafka import create_topics
from rujukan_platform.logging import get_logger
from rujukan_platform.runtime import Runtime
from rujukan_router import metrics
from rujukan_router.service_layer.state import RouterState

log = get_logger(__name__)


def consumers(runtime: Runtime[RouterState]) -> list[ConsumerSpec]:
    return [
        runtime.consumer(
            "router-intakes", [INTAKE_SUBMITTED], IntakeSubmittedV1, ConsentWithdrawnV1
        ),
        runtime.consumer(
            "router-outcomes", [], ReferralOutcomeV1, pattern=PROGRAM_OUTCOMES_PATTERN
        ),
    ]


class CatalogueFeed:
    """Applies ``programs.catalog`` to the live catalogue (the view's ``apply``): a program's
    new version decides from now on, its topics exist, and the table's handler keeps the
    version in the database (queryable, and for explaining the decisions made with it)."""

    def __init__(self, runtime: Runtime[RouterState]) -> None:
        self._runtime = runtime
        self._known_topics: set[str] = set()

    async def apply(self, code: str, event: Event | None) -> None:
        catalogue = self._runtime.deps.catalogue
        if event is None:
            catalogue.remove(code)
            return
        if not isinstance(event, ProgramPublishedV1):
            return
        try:
            catalogue.put(event)
        except ValueError as exc:  # a rule this router cannot compile: keep the old version
            log.error("program rule refused by the router", program=code, error=str(exc))
            return
        metrics.initialise(event.code)
        await self._ensure_program_topics(event.code)
        await self._runtime.handle(event)

    async def _ensure_program_topics(self, code: str) -> None:
        """The program's referral topic, and its outcome topic with that one's DLQ."""
        names = [program_topic(code), outcomes_topic(code)]
        if set(names) <= self._known_topics:
            return
        specs = [
            NewTopic(n, topic(n).partitions, 1, topic_configs=dict(topic(n).config)) for n in names
        ]
        specs.append(NewTopic(topic(names[1]).dlq_name(names[1]), 1, 1))
        await create_topics(self._runtime.settings.kafka_bootstrap, specs)
        self._known_topics.update(names)

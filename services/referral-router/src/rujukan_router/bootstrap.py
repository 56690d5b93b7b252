"""Wires the referral router: its state, unit of work, handler table, consumers, jobs and routes."""

from __future__ import annotations

from rujukan_contracts.topics import PROGRAMS_CATALOG
from rujukan_platform.runtime import Runtime, ServiceDefinition, migrations_beside
from rujukan_platform.view import CompactedTopicView
from rujukan_router.adapters.tables import metadata
from rujukan_router.adapters.views import RuleBook
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.entrypoints import api
from rujukan_router.entrypoints.consumers import CatalogueFeed, consumers
from rujukan_router.entrypoints.jobs import jobs
from rujukan_router.service_layer.handlers import handlers
from rujukan_router.service_layer.replay import CatalogueCache
from rujukan_router.service_layer.state import RouterState
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork
from rujukan_router.settings import RouterSettings


def new_state(runtime: Runtime[RouterState]) -> RouterState:
    """This process's live catalogue, fed from ``programs.catalog`` by the catalogue view."""
    catalogue = Catalogue()
    view = CompactedTopicView(
        bootstrap=runtime.settings.kafka_bootstrap,
        topic=PROGRAMS_CATALOG,
        apply=CatalogueFeed(runtime).apply,
        client_id="rujukan-router-catalogue",
    )
    return RouterState(catalogue, view, RuleBook(catalogue), CatalogueCache())


definition: ServiceDefinition[RouterState] = ServiceDefinition(
    name="referral-router",
    title="Rujukan referral router",
    description="Decisions with explanations, referrals and their lifecycle, outcomes.",
    settings_factory=RouterSettings,
    metadata=metadata,
    migrations=migrations_beside(__file__),
    routers=[api.router],
    unit_of_work=RouterUnitOfWork,
    dependencies=new_state,
    handlers=lambda rt: handlers(rt.deps),
    consumers=consumers,
    background=jobs,
)

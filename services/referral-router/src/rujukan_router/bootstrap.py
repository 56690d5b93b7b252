"""Wires the referral router: catalogue view, handlers, consumers, jobs and the routes."""

from __future__ import annotations

from pathlib import Path

from rujukan_platform.runtime import ServiceDefinition
from rujukan_router.adapters.tables import metadata
from rujukan_router.entrypoints import api
from rujukan_router.entrypoints.consumers import RouterState, state
from rujukan_router.service_layer.handlers import handlers
from rujukan_router.settings import RouterSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

definition: ServiceDefinition[RouterState] = ServiceDefinition(
    name="referral-router",
    title="Rujukan referral router",
    description="Decisions with explanations, referrals and their lifecycle, outcomes.",
    settings_factory=RouterSettings,
    metadata=metadata,
    migrations=MIGRATIONS,
    routers=[api.router],
    dependencies=RouterState,
    handlers=lambda rt: handlers(rt.deps.catalogue, rt.deps.view.ready),
    consumers=lambda rt: rt.deps.consumers(),
    background=lambda rt: [rt.deps.run_view, rt.deps.run_timers, rt.deps.run_replays],
)

__all__ = ["definition", "state"]

"""Wires the referral router: catalogue view, consumers, relay hook and the HTTP app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.http import create_app
from rujukan_platform.runtime import Runtime, ServiceDefinition
from rujukan_router.adapters.tables import metadata
from rujukan_router.entrypoints import api
from rujukan_router.entrypoints.consumers import state
from rujukan_router.service_layer.routing import record_delivery
from rujukan_router.settings import RouterSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def build_app(runtime: Runtime) -> FastAPI:
    return create_app(
        settings=runtime.settings,
        title="Rujukan referral router",
        description="Decisions with explanations, referrals and their lifecycle, outcomes.",
        routers=[api.router(runtime)],
        lifespan=runtime.lifespan,
        readiness=runtime.readiness,
    )


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    return state(runtime).consumers()


definition = ServiceDefinition(
    name="referral-router",
    settings_factory=RouterSettings,
    metadata=metadata,
    migrations=MIGRATIONS,
    consumers=consumers,
    app=build_app,
    after_publish=record_delivery,
    background=lambda rt: [state(rt).run_view, state(rt).run_timers, state(rt).run_replays],
)

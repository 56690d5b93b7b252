"""Wires notifications: catalogue names view, consumers, the dispatcher and the HTTP app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from rujukan_notifications.adapters.tables import metadata
from rujukan_notifications.domain.messages import load_templates
from rujukan_notifications.entrypoints import alerts, api
from rujukan_notifications.entrypoints.consumers import NotificationState
from rujukan_notifications.settings import NotificationSettings
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.http import create_app
from rujukan_platform.runtime import Runtime, ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def state(runtime: Runtime) -> NotificationState:
    found = runtime.extensions.get("notifications")
    if not isinstance(found, NotificationState):
        found = runtime.extensions["notifications"] = NotificationState(runtime)
    return found


def build_app(runtime: Runtime) -> FastAPI:
    load_templates()  # a broken template stops the service at start-up
    return create_app(
        settings=runtime.settings,
        title="Rujukan notifications",
        description="Tells residents of every change to their referrals, over real channels.",
        routers=[api.router(runtime), alerts.router(runtime)],
        lifespan=runtime.lifespan,
        readiness=runtime.readiness,
    )


def consumers(runtime: Runtime) -> list[ConsumerSpec]:
    return state(runtime).consumers()


definition = ServiceDefinition(
    name="notifications",
    settings_factory=NotificationSettings,
    metadata=metadata,
    migrations=MIGRATIONS,
    consumers=consumers,
    app=build_app,
    background=lambda rt: [state(rt).run_view, state(rt).run_dispatcher],
)

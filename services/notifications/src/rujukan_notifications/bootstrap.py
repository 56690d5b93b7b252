"""Wires notifications: catalogue names view, handlers, consumers, the dispatcher and the
routes."""

from __future__ import annotations

from pathlib import Path

from rujukan_notifications.adapters.tables import metadata
from rujukan_notifications.domain.messages import load_templates
from rujukan_notifications.entrypoints import alerts, api
from rujukan_notifications.entrypoints.consumers import NotificationState
from rujukan_notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from rujukan_notifications.settings import NotificationSettings
from rujukan_platform.runtime import Runtime, ServiceDefinition

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def state(runtime: Runtime[NotificationState]) -> NotificationState:
    return runtime.deps


definition: ServiceDefinition[NotificationState] = ServiceDefinition(
    name="notifications",
    title="Rujukan notifications",
    description="Tells residents of every change to their referrals, over real channels.",
    settings_factory=NotificationSettings,
    metadata=metadata,
    migrations=MIGRATIONS,
    routers=[api.router, alerts.router],
    unit_of_work=NotificationsUnitOfWork,
    dependencies=NotificationState,
    handlers=lambda rt: rt.deps.handlers(),
    consumers=lambda rt: rt.deps.consumers(),
    background=lambda rt: [rt.deps.run_view, rt.deps.run_dispatcher],
    on_start=load_templates,  # a broken template stops the service at start-up
)

"""Wires notifications: what one process shares (``Notifications``), its handler table,
consumers, background jobs and routes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from rujukan_notifications.adapters.channels import build_channels, http_client
from rujukan_notifications.adapters.program_names import ProgramNames
from rujukan_notifications.adapters.smtp import EmailChannel
from rujukan_notifications.adapters.tables import metadata
from rujukan_notifications.domain.audience import Routing
from rujukan_notifications.domain.messages import load_templates
from rujukan_notifications.domain.policies import QuietHours
from rujukan_notifications.entrypoints import alerts, api
from rujukan_notifications.entrypoints.consumers import consumers
from rujukan_notifications.service_layer.backlog import watch_due
from rujukan_notifications.service_layer.dispatch import DeliveryPolicy, Dispatcher
from rujukan_notifications.service_layer.handlers import handlers
from rujukan_notifications.service_layer.unit_of_work import NotificationsUnitOfWork, units_of
from rujukan_notifications.settings import NotificationSettings
from rujukan_platform.handlers import Handlers
from rujukan_platform.runtime import Job, Runtime, ServiceDefinition, migrations_beside


def delivery_policy(settings: NotificationSettings) -> DeliveryPolicy:
    return DeliveryPolicy(
        max_attempts=settings.max_attempts,
        failure_threshold=settings.circuit_failure_threshold,
        cooldown=timedelta(seconds=settings.circuit_cooldown_seconds),
        rate_limit=settings.rate_limit_messages,
        rate_window=timedelta(seconds=settings.rate_limit_window_seconds),
        quiet_hours=QuietHours(
            settings.quiet_hours_start,
            settings.quiet_hours_end,
            ZoneInfo(settings.quiet_hours_timezone),
        ),
        operator_language=settings.operator_language,
        batch=settings.dispatch_batch,
        batches_in_flight=settings.dispatch_batches_in_flight,
        lease=timedelta(seconds=settings.dispatch_lease_seconds),
        concurrency=settings.send_concurrency,
    )


class Notifications:
    """What one notifications process shares: its settings, the program names it follows, the
    channels it sends through (one HTTP client for every gateway and webhook), what it offers
    (``routing``) and its dispatcher."""

    def __init__(self, runtime: Runtime[Notifications]) -> None:
        settings = runtime.settings
        assert isinstance(settings, NotificationSettings)
        self.settings = settings
        self.program_names = ProgramNames(settings.kafka_bootstrap)
        http = http_client(settings)
        runtime.closers.append(http.close)
        self.channels = build_channels(settings, runtime.sessions, http)
        email = self.channels["email"]
        assert isinstance(email, EmailChannel)
        runtime.closers.append(email.close)  # QUIT on the kept SMTP connections
        self.routing = Routing(agency_programs=frozenset(settings.agency_webhooks))
        self.dispatcher = Dispatcher(
            unit_of_work=units_of(runtime),
            channels=self.channels,
            policy=delivery_policy(settings),
            poll_seconds=settings.dispatch_poll_seconds,
            idle_poll_seconds=settings.dispatch_idle_poll_seconds,
            sealer=settings.sealer,
        )
        runtime.after_commit.append(self.dispatcher.wake)  # deliveries planned: send them now

    def handlers(self) -> Handlers[NotificationsUnitOfWork]:
        return handlers(
            sealer=self.settings.sealer,
            phone_channels=self.settings.phone_channels,
            routing=self.routing,
            program_names=self.program_names.names,
            resident_news=self.settings.resident_news,
            gather=timedelta(seconds=self.settings.visit_window_seconds),
        )


def background(runtime: Runtime[Notifications]) -> list[Job]:
    """The program names' view, the dispatcher and the count of what is due (named:
    ``/readyz`` shows a failed job's)."""
    deps = runtime.deps

    async def program_names(stop: asyncio.Event) -> None:
        await deps.program_names.run(stop)

    async def dispatcher(stop: asyncio.Event) -> None:
        await deps.dispatcher.run(stop)

    async def due_deliveries(stop: asyncio.Event) -> None:
        await watch_due(units_of(runtime), stop)

    return [program_names, dispatcher, due_deliveries]


definition: ServiceDefinition[Notifications] = ServiceDefinition(
    name="notifications",
    title="Rujukan notifications",
    description="Tells residents of every change to their referrals, over real channels.",
    settings_factory=NotificationSettings,
    metadata=metadata,
    migrations=migrations_beside(__file__),
    routers=[api.router, alerts.router],
    unit_of_work=NotificationsUnitOfWork,
    dependencies=Notifications,
    handlers=lambda rt: rt.deps.handlers(),
    consumers=consumers,
    background=background,
    patient_relay=True,  # notifications.dispatched: a record of results, read by no one waiting
    on_start=load_templates,  # a broken template stops the service at start-up
)

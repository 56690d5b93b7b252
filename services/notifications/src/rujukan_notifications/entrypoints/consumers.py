"""Notifications' consumers: contacts (``intake.contacts``), deliveries per status change."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx

from rujukan_contracts.events import (
    Event,
    IntakeContactV1,
    ProgramPublishedV1,
    ReferralStatusChangedV1,
)
from rujukan_contracts.topics import INTAKE_CONTACTS, PROGRAMS_CATALOG, REFERRALS_STATUS
from rujukan_notifications.adapters.channels import build_channels
from rujukan_notifications.domain.channels import RESIDENT_CHANNELS
from rujukan_notifications.domain.policies import QuietHours
from rujukan_notifications.service_layer.deliveries import (
    Routing,
    plan_deliveries,
    remember_contact,
)
from rujukan_notifications.service_layer.dispatch import DeliveryPolicy, Dispatcher
from rujukan_notifications.service_layer.unit_of_work import units_of
from rujukan_notifications.settings import NotificationSettings
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.handlers import Handlers
from rujukan_platform.runtime import Runtime
from rujukan_platform.uow import UnitOfWork
from rujukan_platform.view import CompactedTopicView


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
        lease=timedelta(seconds=settings.dispatch_lease_seconds),
        concurrency=settings.send_concurrency,
    )


class NotificationState:
    def __init__(self, runtime: Runtime[NotificationState]) -> None:
        settings = runtime.settings
        assert isinstance(settings, NotificationSettings)
        self.runtime = runtime
        self.settings = settings
        self.program_names: dict[str, dict[str, str]] = {}
        self.view = CompactedTopicView(
            bootstrap=settings.kafka_bootstrap,
            topic=PROGRAMS_CATALOG,
            apply=self._apply_program,
            client_id="rujukan-notifications-catalogue",
        )
        self.http = httpx.AsyncClient(timeout=settings.http_timeout_seconds)
        runtime.closers.append(self.http.aclose)
        self.channels = build_channels(settings, runtime.sessions, self.http)
        self.routing = Routing(
            resident_channels=[c for c in RESIDENT_CHANNELS if c in self.channels],
            agency_programs=frozenset(settings.agency_webhooks),
        )
        self.dispatcher = Dispatcher(
            unit_of_work=units_of(runtime),
            channels=self.channels,
            policy=delivery_policy(settings),
            poll_seconds=settings.dispatch_poll_seconds,
            sealer=settings.sealer,
        )

    async def _apply_program(self, code: str, event: Event | None) -> None:
        if isinstance(event, ProgramPublishedV1):
            self.program_names[code] = {"id": event.name.id, "en": event.name.en}
        elif event is None:
            self.program_names.pop(code, None)

    async def on_contact(self, event: IntakeContactV1, uow: UnitOfWork) -> None:
        await remember_contact(
            uow.session,
            event,
            sealer=self.settings.sealer,
            phone_channels=self.settings.phone_channels,
        )

    async def on_status(self, event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
        assert uow.cause is not None
        await plan_deliveries(
            uow.session,
            event,
            source_event_id=uow.cause.meta.id,
            program_names=self.program_names,
            routing=self.routing,
        )

    def handlers(self) -> Handlers[UnitOfWork]:
        return (
            Handlers[UnitOfWork]()
            .on(IntakeContactV1, self.on_contact)
            .on(ReferralStatusChangedV1, self.on_status)
        )

    def consumers(self) -> list[ConsumerSpec]:
        handlers = self.runtime.handlers
        return [
            ConsumerSpec(
                name="notifications-contacts",
                topics=[INTAKE_CONTACTS],
                handlers=handlers.only(IntakeContactV1),
            ),
            ConsumerSpec(
                name="notifications-status",
                topics=[REFERRALS_STATUS],
                handlers=handlers.only(ReferralStatusChangedV1),
            ),
        ]

    async def run_view(self, stop: asyncio.Event) -> None:
        await self.view.run(stop)

    async def run_dispatcher(self, stop: asyncio.Event) -> None:
        await self.dispatcher.run(stop)

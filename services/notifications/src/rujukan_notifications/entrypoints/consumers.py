"""Notifications' consumers: contacts from intakes, a delivery per referral status change."""

from __future__ import annotations

import asyncio

from rujukan_contracts.events import (
    Event,
    IntakeSubmittedV1,
    ProgramPublishedV1,
    ReferralStatusChangedV1,
)
from rujukan_contracts.topics import INTAKE_SUBMITTED, PROGRAMS_CATALOG, REFERRALS_STATUS
from rujukan_notifications.adapters.smtp import SmtpSender
from rujukan_notifications.service_layer.deliveries import (
    Dispatcher,
    plan_delivery,
    remember_contact,
)
from rujukan_notifications.settings import NotificationSettings
from rujukan_platform.consumer import ConsumerSpec, HandlerContext
from rujukan_platform.runtime import Runtime
from rujukan_platform.view import CompactedTopicView


class NotificationState:
    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        assert isinstance(settings, NotificationSettings)
        self.runtime = runtime
        self.program_names: dict[str, dict[str, str]] = {}
        self.view = CompactedTopicView(
            bootstrap=settings.kafka_bootstrap,
            topic=PROGRAMS_CATALOG,
            apply=self._apply_program,
            client_id="rujukan-notifications-catalogue",
        )
        self.dispatcher = Dispatcher(
            sessions=runtime.sessions,
            send=SmtpSender(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_sender,
                timeout=settings.smtp_timeout_seconds,
            ),
            max_attempts=settings.max_attempts,
            poll_seconds=settings.dispatch_poll_seconds,
            on_staged=runtime.relay.wake,
        )

    async def _apply_program(self, code: str, event: Event | None) -> None:
        if isinstance(event, ProgramPublishedV1):
            self.program_names[code] = {"id": event.name.id, "en": event.name.en}
        elif event is None:
            self.program_names.pop(code, None)

    async def on_intake(self, ctx: HandlerContext, event: IntakeSubmittedV1) -> None:
        await remember_contact(ctx.session, event)

    async def on_status(self, ctx: HandlerContext, event: ReferralStatusChangedV1) -> None:
        await plan_delivery(
            ctx.session, event, source_event_id=ctx.meta.id, program_names=self.program_names
        )

    def consumers(self) -> list[ConsumerSpec]:
        return [
            ConsumerSpec(
                name="notifications-contacts",
                topics=[INTAKE_SUBMITTED],
                handlers={IntakeSubmittedV1.ce_type: self.on_intake},
            ),
            ConsumerSpec(
                name="notifications-status",
                topics=[REFERRALS_STATUS],
                handlers={ReferralStatusChangedV1.ce_type: self.on_status},
            ),
        ]

    async def run_view(self, stop: asyncio.Event) -> None:
        await self.view.run(stop)

    async def run_dispatcher(self, stop: asyncio.Event) -> None:
        await self.dispatcher.run(stop)

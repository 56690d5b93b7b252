"""Intake's consumers: it follows ``referrals.status`` to show each intake's progress."""

from __future__ import annotations

from typing import Any

from rujukan_contracts.events import ReferralStatusChangedV1
from rujukan_contracts.topics import REFERRALS_STATUS
from rujukan_intake.service_layer.intakes import record_referral_status
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.handlers import Handlers
from rujukan_platform.runtime import Runtime
from rujukan_platform.uow import UnitOfWork


async def on_status_changed(event: ReferralStatusChangedV1, uow: UnitOfWork) -> None:
    await record_referral_status(uow.session, event)


def handlers(_runtime: Runtime[Any]) -> Handlers[UnitOfWork]:
    return Handlers[UnitOfWork]().on(ReferralStatusChangedV1, on_status_changed)


def consumers(runtime: Runtime[Any]) -> list[ConsumerSpec]:
    return [
        ConsumerSpec(
            name="intake-referral-status",
            topics=[REFERRALS_STATUS],
            handlers=runtime.handlers.only(ReferralStatusChangedV1),
        )
    ]

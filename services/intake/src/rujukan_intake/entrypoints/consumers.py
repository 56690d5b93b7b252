"""Intake's consumers: it follows ``referrals.status`` to show each intake's progress."""

from __future__ import annotations

from rujukan_contracts.events import ReferralStatusChangedV1
from rujukan_contracts.topics import REFERRALS_STATUS
from rujukan_intake.service_layer.intakes import record_referral_status
from rujukan_platform.consumer import ConsumerSpec, HandlerContext
from rujukan_platform.runtime import Runtime


async def on_status_changed(ctx: HandlerContext, event: ReferralStatusChangedV1) -> None:
    await record_referral_status(ctx.session, event)


def consumers(_runtime: Runtime) -> list[ConsumerSpec]:
    return [
        ConsumerSpec(
            name="intake-referral-status",
            topics=[REFERRALS_STATUS],
            handlers={ReferralStatusChangedV1.ce_type: on_status_changed},
        )
    ]

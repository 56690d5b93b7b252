"""Intake's consumers: the referrals' status changes, for ``GET /v1/intakes/{id}``; the
catalogue, for the documents a referral's agency asks the family for."""

from __future__ import annotations

from rujukan_contracts.events import ProgramPublishedV1, ReferralStatusChangedV1
from rujukan_contracts.topics import PROGRAMS_CATALOG, REFERRALS_STATUS
from rujukan_intake.service_layer.state import IntakeState
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.runtime import Runtime


def consumers(runtime: Runtime[IntakeState]) -> list[ConsumerSpec]:
    return [
        runtime.consumer("intake-referral-status", [REFERRALS_STATUS], ReferralStatusChangedV1),
        runtime.consumer("intake-programs", [PROGRAMS_CATALOG], ProgramPublishedV1),
    ]

"""Intake's consumer: the referrals' status changes, for ``GET /v1/intakes/{id}``."""

from __future__ import annotations

from rujukan_contracts.events import ReferralStatusChangedV1
from rujukan_contracts.topics import REFERRALS_STATUS
from rujukan_intake.service_layer.state import IntakeState
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.runtime import Runtime


def consumers(runtime: Runtime[IntakeState]) -> list[ConsumerSpec]:
    """The referrals' statuses, for ``GET /v1/intakes/{id}`` (the Puskesos officer's page of a
    visit, which reloads every few seconds): patient, so it leaves the cores to the router's
    intakes."""
    return [
        runtime.consumer(
            "intake-referral-status", [REFERRALS_STATUS], ReferralStatusChangedV1, patient=True
        )
    ]

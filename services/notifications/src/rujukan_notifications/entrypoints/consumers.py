"""Notifications' consumers: contacts from ``intake.contacts``, status changes from
``referrals.status``, each applying its part of the handler table."""

from __future__ import annotations

from typing import Any

from rujukan_contracts.events import ConsentWithdrawnV1, IntakeContactV1, ReferralStatusChangedV1
from rujukan_contracts.topics import INTAKE_CONTACTS, REFERRALS_STATUS
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.runtime import Runtime


def consumers(runtime: Runtime[Any]) -> list[ConsumerSpec]:
    """Both patient: a visit's news is gathered for a minute before its message is planned."""
    return [
        runtime.consumer(
            "notifications-contacts",
            [INTAKE_CONTACTS],
            IntakeContactV1,
            ConsentWithdrawnV1,
            patient=True,
        ),
        runtime.consumer(
            "notifications-status", [REFERRALS_STATUS], ReferralStatusChangedV1, patient=True
        ),
    ]

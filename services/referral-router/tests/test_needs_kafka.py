"""Referrals follow needs through the real consumers, relay and broker: a cash need referred to
PKH (BLT-DD held back beside it), PKH's agency rejecting on its outcomes topic, and the village
fund reading the re-routed referral, with why, on its own topic."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from rujukan_contracts.events import (
    IntakeSubmittedV1,
    OutcomeKind,
    ReasonCode,
    ReferralCreatedV1,
    ReferralOutcomeV1,
)

pytestmark = pytest.mark.integration

BERTA_BLT_DD = "BLT-DD-3304012001"


async def test_a_pkh_rejection_for_a_cash_need_reaches_the_village_fund_over_kafka(
    router: Any, make_intake: Callable[..., IntakeSubmittedV1], read_records: Any
) -> None:
    intake = make_intake(needs=["cash"])
    delivered = await router.delivered(intake, "PKH")
    pkh_outcomes, outcome_consumer = delivered.outcomes["PKH"], delivered.consumer
    referred = delivered.referrals
    assert set(referred) == {"PKH", "BAZNAS"}  # cash; BLT-DD not beside PKH; no suggestion sent

    rejected = ReferralOutcomeV1(
        referral_id=referred["PKH"],
        program_code="PKH",
        outcome=OutcomeKind.rejected,
        reason_code=ReasonCode.not_eligible,
        note="tidak ada komponen yang memenuhi setelah verifikasi",
        reported_at=datetime.now(UTC),
        reported_by="agency:PKH",
    )
    await router.publish(pkh_outcomes, rejected)
    await outcome_consumer.drain()
    [onward] = await router.rows(
        "SELECT id, program_code, rerouted_from FROM referrals WHERE rerouted_from IS NOT NULL"
    )
    assert (onward.program_code, onward.rerouted_from) == (BERTA_BLT_DD, referred["PKH"])
    await router.relay_all()

    onward_id = str(onward.id)
    [record] = await read_records(
        f"referrals.{BERTA_BLT_DD}", lambda r: r.key.decode() == onward_id, count=1
    )
    created = ReferralCreatedV1.model_validate_json(record.value)
    assert created.rerouted_from == referred["PKH"] and created.needs == ["cash"]
    why = {c.name: c for c in created.decision.criteria}
    beside = why["not_referred_to_pkh_or_sembako"]
    assert beside.passed and beside.values == {"visit.referred": ["BAZNAS"]}
    assert beside.label.startswith("Tidak sedang dirujuk ke PKH atau Sembako")
    assert beside.label_en is not None and beside.label_en.startswith("Not being referred")

"""An agency's note stays internal; only the note it marks public travels on to the resident
(``public_note`` on the status event), whether the outcome comes over HTTP or over Kafka."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from rujukan_contracts.events import (
    OutcomeKind,
    ReasonCode,
    ReferralOutcomeV1,
    ReferralStatusChangedV1,
)

from .conftest import MakeIntake

pytestmark = pytest.mark.integration

PRIVATE = "Tunggakan iuran BPJS keluarga Rp 1.200.000"
PUBLIC = "Silakan bawa KTP dan KK ke kantor BPJS Banjarnegara"


async def last_status(rows: Callable[..., Any]) -> ReferralStatusChangedV1:
    staged = await rows("SELECT payload FROM outbox WHERE topic = 'referrals.status' ORDER BY seq")
    return ReferralStatusChangedV1.model_validate(staged[-1].payload)


async def test_over_http_only_the_public_note_is_for_the_resident(
    api: Any, make_intake: MakeIntake
) -> None:
    pbi = (await api.route(make_intake()))["PBI-JK"]
    agency = api.token("agency", programs=["PBI-JK"])
    r = await api.client.post(
        f"/v1/referrals/{pbi}/outcome",
        json={"outcome": "rejected", "reason_code": "not_eligible", "note": PRIVATE},
        headers=agency,
    )
    assert r.status_code == 200, r.text
    event = await last_status(api.rows)
    assert event.note == PRIVATE and event.public_note is None

    pkh = (await api.route(make_intake()))["PKH"]
    r = await api.client.post(
        f"/v1/referrals/{pkh}/outcome",
        json={"outcome": "accepted", "note": PRIVATE, "public_note": PUBLIC},
        headers=api.token("agency", programs=["PKH"]),
    )
    assert r.status_code == 200, r.text
    event = await last_status(api.rows)
    assert (event.referral_id, event.note, event.public_note) == (pkh, PRIVATE, PUBLIC)


async def test_over_kafka_the_public_note_reaches_the_status_event(
    router: Any, make_intake: MakeIntake
) -> None:
    delivered = await router.delivered(make_intake(), "PBI-JK")
    outcomes, pbi = delivered.outcomes["PBI-JK"], delivered.referrals["PBI-JK"]
    report = ReferralOutcomeV1(
        referral_id=pbi,
        program_code="PBI-JK",
        outcome=OutcomeKind.rejected,
        reason_code=ReasonCode.lack_of_capacity,
        note=PRIVATE,
        public_note=PUBLIC,
        reported_at=datetime.now(UTC),
    )
    await router.publish(outcomes, report)
    await delivered.consumer.drain()
    event = await last_status(router.rows)
    assert event.referral_id == pbi and event.to_status == "rejected"
    assert (event.note, event.public_note) == (PRIVATE, PUBLIC)
    assert isinstance(event.referral_id, uuid.UUID)

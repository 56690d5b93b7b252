"""A resident withdraws consent at the Puskesos: stored on the household's intakes, announced
once on intake.submitted (and intake.contacts when 'notification' is withdrawn)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from rujukan_contracts.events import ConsentWithdrawnV1
from rujukan_contracts.topics import INTAKE_CONTACTS, INTAKE_SUBMITTED
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.testing import assert_problem

from .conftest import IntakeService

pytestmark = pytest.mark.integration

WITHDRAWN = ConsentWithdrawnV1.ce_type


async def withdrawals(intake: IntakeService) -> list[tuple[str, dict[str, Any]]]:
    rows = await intake.rows(
        "SELECT topic, payload FROM outbox WHERE type = :t ORDER BY seq", t=WITHDRAWN
    )
    return [(r.topic, r.payload) for r in rows]


async def withdraw(intake: IntakeService, household: str, *purposes: str, **token: Any) -> Any:
    return await intake.http.post(
        f"/v1/households/{household}/consent/withdraw",
        json={"purposes": list(purposes)},
        headers=intake.token(**token),
    )


async def test_a_withdrawal_is_stored_announced_once_and_answered_again(
    intake: IntakeService,
) -> None:
    r = await intake.http.post(
        "/v1/intakes", json=copy.deepcopy(EXAMPLE_INTAKE), headers=intake.token()
    )
    assert r.status_code == 202, r.text
    intake_id, household = r.json()["intake_id"], r.json()["household_id"]

    # another region's officer and an agency: the household is not theirs to change
    elsewhere = assert_problem(await withdraw(intake, household, "referral", regions=["35"]), 404)
    assert elsewhere["detail"] == f"tidak ditemukan: rumah tangga {household}"
    assert_problem(await withdraw(intake, household, "referral", role="agency"), 403)
    assert await withdrawals(intake) == []

    first = await withdraw(intake, household, "notification")
    assert first.status_code == 200, first.text
    told = first.json()
    assert told["purposes"] == ["notification"] and told["intakes"] == 1
    assert told["repeated"] is False and told["recorded_by"] == "op"
    sent = await withdrawals(intake)
    assert sorted(topic for topic, _ in sent) == sorted([INTAKE_SUBMITTED, INTAKE_CONTACTS])
    event = ConsentWithdrawnV1.model_validate(sent[0][1])
    assert str(event.withdrawal_id) == told["withdrawal_id"] and event.purposes == ["notification"]

    again = await withdraw(intake, household, "notification")
    assert again.status_code == 200 and again.json()["repeated"] is True
    assert again.json()["withdrawal_id"] == told["withdrawal_id"]
    assert len(await withdrawals(intake)) == 2  # nothing new announced

    # referral too: announced to the router alone (notifications already knows)
    second = await withdraw(intake, household, "referral", "notification")
    assert second.status_code == 200 and second.json()["purposes"] == ["referral"]
    assert [topic for topic, _ in await withdrawals(intake)][2:] == [INTAKE_SUBMITTED]

    view = await intake.http.get(f"/v1/intakes/{intake_id}", headers=intake.token())
    consent = view.json()["consent"]
    assert consent["purposes"] == []
    assert [w["purposes"] for w in consent["withdrawn"]] == [["notification"], ["referral"]]


async def test_a_household_that_never_consented_to_a_purpose_has_nothing_to_withdraw(
    intake: IntakeService,
) -> None:
    body = copy.deepcopy(EXAMPLE_INTAKE)
    body["consent"]["purposes"] = ["referral"]
    r = await intake.http.post("/v1/intakes", json=body, headers=intake.token())
    assert r.status_code == 202, r.text
    problem = assert_problem(await withdraw(intake, r.json()["household_id"], "notification"), 409)
    assert problem["detail"] == "warga tidak pernah memberi persetujuan untuk keperluan ini"
    unknown = await withdraw(intake, "5d2c1b7e-8a4f-4c3d-b6e1-9f0a2b3c4d5e", "referral")
    assert_problem(unknown, 404)

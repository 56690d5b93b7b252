"""The intake's view shows the visit's complaint (pengaduan) in the resident's words, and its
case as the router reports it on referrals.status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import pytest

from rujukan_contracts.events import ReferralStatus, ReferralStatusChangedV1
from rujukan_intake.domain.intake import EXAMPLE_INTAKE

if TYPE_CHECKING:
    from conftest import IntakeService

pytestmark = pytest.mark.integration

SAID = {
    "kind": "complaint",
    "about_program": "PKH",
    "category": "wrong_amount",
    "text": "Bantuan PKH yang diterima kurang dari yang diumumkan",
}


def change(view: dict[str, Any], referral_id: UUID, to: ReferralStatus, **kw: Any) -> Any:
    return ReferralStatusChangedV1(
        referral_id=referral_id,
        intake_id=view["intake_id"],
        household_id=view["household_id"],
        village_code=view["village_code"],
        from_status=None,
        to_status=to,
        changed_at=datetime.now(UTC),
        **kw,
    )


async def test_the_intake_shows_its_complaint_and_the_case_the_router_made(
    intake: IntakeService,
) -> None:
    submitted = await intake.http.post(
        "/v1/intakes", json={**EXAMPLE_INTAKE, "complaint": SAID}, headers=intake.token()
    )
    assert submitted.status_code == 202, submitted.text
    url = f"/v1/intakes/{submitted.json()['intake_id']}"
    view = (await intake.http.get(url, headers=intake.token())).json()
    assert view["complaint"] == {**SAID, "about_referral": None, "cases": []}

    case, need = uuid4(), uuid4()
    await intake.runtime.handle(
        change(view, case, ReferralStatus.answered, program_code="PKH", kind="complaint")
    )
    await intake.runtime.handle(change(view, need, ReferralStatus.created, program_code="PKH"))
    view = (await intake.http.get(url, headers=intake.token())).json()
    assert [(c["referral_id"], c["status"]) for c in view["complaint"]["cases"]] == [
        (str(case), "answered")
    ]
    kinds = {r["referral_id"]: r["kind"] for r in view["referrals"]}
    assert kinds == {str(case): "complaint", str(need): "need"}


async def test_an_intake_without_a_complaint_shows_none(intake: IntakeService) -> None:
    submitted = await intake.http.post("/v1/intakes", json=EXAMPLE_INTAKE, headers=intake.token())
    view = await intake.http.get(
        f"/v1/intakes/{submitted.json()['intake_id']}", headers=intake.token()
    )
    assert view.json()["complaint"] is None

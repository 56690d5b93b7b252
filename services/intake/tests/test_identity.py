"""The family behind a referral, for its program's officers, and the log of every such read."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from rujukan_contracts.events import ReferralStatus, ReferralStatusChangedV1
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.auth import Principal, issue_token

from .conftest import SECRET, IntakeService


def bearer(role: str, **scope: list[str]) -> dict[str, str]:
    principal = Principal(subject=f"{role}-{uuid.uuid4().hex[:6]}", role=role, **scope)  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {issue_token(SECRET, principal)}"}


async def referred(intake: IntakeService, program: str = "PKH") -> tuple[dict[str, Any], uuid.UUID]:
    """The example household's intake, and a referral of it to ``program`` as the router
    reports it on referrals.status."""
    r = await intake.http.post(
        "/v1/intakes", json=copy.deepcopy(EXAMPLE_INTAKE), headers=intake.token()
    )
    assert r.status_code == 202, r.text
    body = r.json()
    referral_id = uuid.uuid4()
    await intake.runtime.handle(  # as the consumer applies it
        ReferralStatusChangedV1(
            referral_id=referral_id,
            intake_id=body["intake_id"],
            household_id=body["household_id"],
            program_code=program,
            village_code=EXAMPLE_INTAKE["household"]["village_code"],
            from_status=None,
            to_status=ReferralStatus.delivered,
            changed_at=datetime.now(UTC),
        ),
    )
    return body, referral_id


async def test_the_program_s_officer_identifies_the_family_and_the_read_is_logged(
    intake: IntakeService,
) -> None:
    body, referral_id = await referred(intake, "PKH")
    url = f"/v1/referrals/{referral_id}/household"
    pkh = bearer("agency", programs=["PKH"])
    r = await intake.http.get(url, params={"purpose": "verifikasi lapangan"}, headers=pkh)
    assert r.status_code == 200, r.text
    seen = r.json()
    assert seen["household_id"] == body["household_id"] and seen["program_code"] == "PKH"
    assert seen["members"][0]["name"] == EXAMPLE_INTAKE["members"][0]["name"]  # the head first
    assert {m["name"] for m in seen["members"]} == {m["name"] for m in EXAMPLE_INTAKE["members"]}
    assert "nik" not in str(seen).lower()  # identified by name, never by number

    # who may not see the referral learns nothing, and nothing is logged for them
    for headers in (
        bearer("agency", programs=["PBI-JK"]),
        bearer("agency", programs=["PKH"], regions=["33.04.05.2001"]),
        bearer("operator", regions=["31"]),
    ):
        r = await intake.http.get(url, params={"purpose": "ingin tahu"}, headers=headers)
        assert r.status_code == 404, r.text
    r = await intake.http.get(url, headers=pkh)  # a purpose is required
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "purpose"

    # the region's operator reads the log; another region's sees none of it
    r = await intake.http.get(
        "/v1/identity-reads", params={"household_id": body["household_id"]}, headers=intake.token()
    )
    assert r.status_code == 200, r.text
    [read] = r.json()["items"]
    assert read["role"] == "agency" and read["program_code"] == "PKH"
    assert read["referral_id"] == str(referral_id) and read["purpose"] == "verifikasi lapangan"
    elsewhere = intake.token(regions=["31"])
    r = await intake.http.get("/v1/identity-reads", headers=elsewhere)
    assert r.status_code == 200 and r.json()["items"] == []
    r = await intake.http.get("/v1/identity-reads", headers=pkh)
    assert r.status_code == 403  # agencies do not audit

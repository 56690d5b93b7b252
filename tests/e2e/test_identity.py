"""An agency identifies the family behind its referral, through the real services and broker:
the reference the router gives the referral is on its events and in every view, found however
it is typed, and opens the family at intake — every field — while the referral is open; once
the agency rejects it, intake refuses, saying why."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.testing import Servers, eventually
from tests.e2e.platform import Platform, running_platform

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ADDRESS = "Dusun Krajan RT 02 RW 01"


@pytest.fixture
async def platform(servers: Servers, tmp_path: Path) -> AsyncIterator[Platform]:
    async with running_platform(servers, tmp_path) as p:
        yield p


def typed(reference: str) -> str:
    """As an officer types what a resident reads out: lower case, spaces, O for 0."""
    return reference.lower().replace("-", " ").replace("0", "o")


async def test_the_agency_finds_the_family_by_the_reference_until_it_rejects_the_referral(
    platform: Platform,
) -> None:
    operator = platform.token("operator", regions=["33.04"])
    pkh = platform.token("agency", programs=["PKH"])
    router, intake = platform.url("referral-router"), platform.url("intake")
    body: dict[str, Any] = copy.deepcopy(EXAMPLE_INTAKE)
    body["household"]["address"] = ADDRESS
    body["household"]["missing_documents"] = ["KK"]
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.post(intake + "/v1/intakes", json=body, headers=operator)
        assert r.status_code == 202, r.text
        intake_id = r.json()["intake_id"]
        referral = await platform.referral_to(http, intake_id, "PKH")
        reference = referral["reference"]
        assert reference.startswith("RJK-3304-") and len(reference) == 15

        r = await http.get(
            router + "/v1/referrals", params={"reference": typed(reference)}, headers=pkh
        )
        assert [i["referral_id"] for i in r.json()["items"]] == [referral["referral_id"]]

        async def shown_at_intake() -> bool:
            r = await http.get(f"{intake}/v1/intakes/{intake_id}", headers=operator)
            return any(x.get("reference") == reference for x in r.json()["referrals"])

        await eventually(shown_at_intake, timeout=30)

        url = f"{intake}/v1/referrals/by-reference/{typed(reference)}/household"

        async def family() -> dict[str, Any] | None:  # once intake has read the catalogue
            r = await http.get(url, params={"purpose": "verifikasi"}, headers=pkh)
            assert r.status_code == 200, r.text
            seen: dict[str, Any] = r.json()
            return seen if seen["required_documents"] else None

        seen = await eventually(family, timeout=30)
        assert seen["referral_id"] == referral["referral_id"] and seen["reference"] == reference
        assert seen["kk_number"] == body["household"]["kk_number"]
        assert seen["address"] == ADDRESS and seen["village"]["name"] == "Berta"
        assert seen["contact"]["email"] == body["contact"]["email"]
        assert {m["nik"] for m in seen["members"]} == {m["nik"] for m in body["members"]}
        assert {"name": "KK", "missing": True} in seen["required_documents"]

        r = await http.post(
            f"{router}/v1/referrals/{referral['referral_id']}/outcome",
            json={"outcome": "rejected", "reason_code": "other", "note": "bukan sasaran"},
            headers=pkh,
        )
        assert r.status_code == 200, r.text

        async def refused() -> dict[str, Any] | None:
            r = await http.get(url, params={"purpose": "verifikasi"}, headers=pkh)
            problem: dict[str, Any] = r.json()
            return problem if r.status_code == 403 else None

        problem = await eventually(refused, timeout=30)
        assert "sudah ditolak" in problem["detail"]

        r = await http.get(
            intake + "/v1/identity-reads",
            params={"referral_id": referral["referral_id"]},
            headers=operator,
        )
        assert {i["purpose"] for i in r.json()["items"]} == {"verifikasi"}

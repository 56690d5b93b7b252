"""Every visit counts, through the real broker: a household's follow-up visit reaches the router
with its new need and gets no second referral to a program it is already referred to; a family
under a mistyped KK is found in the registry by NIK and so is not proposed for inclusion."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.testing import Servers, eventually
from tests.e2e.platform import REPO, Platform, running_platform

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

SEED_REGISTRY = REPO / "services/intake/seed/registry.csv"


@pytest.fixture
async def platform(servers: Servers, tmp_path: Path) -> AsyncIterator[Platform]:
    async with running_platform(servers, tmp_path) as p:
        yield p


class Desk:
    """A Puskesos officer's calls to intake and an administrator's reads at the router."""

    def __init__(self, platform: Platform, http: httpx.AsyncClient) -> None:
        self.platform, self.http = platform, http
        self.operator = platform.token("operator", regions=["33.04"])
        self.admin = platform.token("admin")

    async def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        r = await self.http.post(
            self.platform.url("intake") + "/v1/intakes", json=body, headers=self.operator
        )
        assert r.status_code == 202, r.text
        answer: dict[str, Any] = r.json()
        return answer

    async def decided(self, intake_id: str) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """The router's verdict per program for the intake, and the programs referred."""

        async def decision() -> list[dict[str, Any]]:
            r = await self.http.get(
                f"{self.platform.url('referral-router')}/v1/intakes/{intake_id}/decisions",
                headers=self.admin,
            )
            found: list[dict[str, Any]] = r.json()["decisions"] if r.status_code == 200 else []
            return found

        (made,) = await eventually(decision, timeout=60)
        verdicts = {p["program_code"]: p for p in made["programs"]}
        r = await self.http.get(
            self.platform.url("referral-router") + "/v1/referrals",
            params={"intake_id": intake_id},
            headers=self.admin,
        )
        return verdicts, {i["program_code"] for i in r.json()["items"]}


def seed_family() -> tuple[str, dict[str, Any]]:
    """A generated household of the seed registry and its head, as the NIK says."""
    lines = SEED_REGISTRY.read_text().splitlines()
    kk, *_, niks = next(line.split(",") for line in lines[1:] if line.split(",")[4])
    head = niks.split(";")[0]
    day, month, year = int(head[6:8]), int(head[8:10]), int(head[10:12])
    female = day > 40
    born = f"{year + (1900 if year > 26 else 2000)}-{month:02d}-{day - 40 if female else day:02d}"
    member = {
        "nik": head,
        "name": "Kepala Keluarga",
        "birth_date": born,
        "sex": "female" if female else "male",
        "relationship": "head",
    }
    return kk, member


async def test_a_follow_up_visit_is_routed_with_its_new_need_and_no_second_referral(
    platform: Platform,
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        desk = Desk(platform, http)
        first = await desk.submit(EXAMPLE_INTAKE)
        assert (first["visit"], first["duplicate"]) == ("first", False)
        _, referred_first = await desk.decided(first["intake_id"])
        assert referred_first and not any(code.startswith("RTLH") for code in referred_first)

        # the next morning: the house was surveyed below standard and the family asks for repair
        later = copy.deepcopy(EXAMPLE_INTAKE)
        later["needs"] = [*EXAMPLE_INTAKE["needs"], "housing"]
        later["household"].update(owns_land=True, house_below_standard=True)
        second = await desk.submit(later)
        assert (second["visit"], second["follow_up_of"]) == ("follow_up", first["intake_id"])
        assert second["household_id"] == first["household_id"] and not second["duplicate"]

        verdicts, referred_second = await desk.decided(second["intake_id"])
        assert any(code.startswith("RTLH") for code in referred_second), verdicts
        assert not referred_second & referred_first  # open referrals are not duplicated
        for code in referred_first:
            assert verdicts[code]["skipped"] == "open_referral"

        # the same form once more: a duplicate of the follow-up, routed nowhere again
        again = await desk.submit(later)
        assert again["duplicate"] and again["intake_id"] == second["intake_id"]


async def test_a_mistyped_kk_s_registered_family_gets_no_inclusion_proposal(
    platform: Platform,
) -> None:
    kk, head = seed_family()
    async with httpx.AsyncClient(timeout=10) as http:
        desk = Desk(platform, http)
        body = copy.deepcopy(EXAMPLE_INTAKE)
        body["household"]["kk_number"] = kk[:-4] + ("0000" if kk[-4:] != "0000" else "0001")
        body["members"] = [head]
        body["needs"] = ["food"]
        mistyped = await desk.submit(body)
        verdicts, referred = await desk.decided(mistyped["intake_id"])
        assert "DTKS-IN" not in referred and not verdicts["DTKS-IN"]["eligible"]
        assert verdicts and all(v["skipped"] != "no_consent" for v in verdicts.values())

        # the control: a family the registry does not know at all is proposed for inclusion
        stranger = copy.deepcopy(body)
        stranger["household"]["kk_number"] = "3304019999990001"
        stranger["members"] = [copy.deepcopy(EXAMPLE_INTAKE["members"][0])]
        unknown = await desk.submit(stranger)
        _, referred = await desk.decided(unknown["intake_id"])
        assert "DTKS-IN" in referred

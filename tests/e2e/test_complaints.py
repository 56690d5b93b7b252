"""Complaints (pengaduan) through the running platform: a Puskesos officer records a visit with
only a complaint, the router makes one complaint case and no need referral, the program's agency
reads the resident's words and answers, and the intake's view shows the case answered; a
complaint naming no program reaches the regency's complaint desk."""

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

ANSWER = "Bantuan tahap 3 sudah dikirim; silakan ambil di kantor pos Susukan mulai 20 September."


@pytest.fixture
async def platform(servers: Servers, tmp_path: Path) -> AsyncIterator[Platform]:
    async with running_platform(servers, tmp_path) as p:
        yield p


def complaint_visit(complaint: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE_INTAKE)
    body["needs"] = []
    body["complaint"] = complaint
    return body


async def cases(platform: Platform, http: httpx.AsyncClient, intake_id: str) -> list[Any]:
    """The intake's referrals at the router, once it has routed the intake."""

    async def routed() -> list[Any]:
        r = await http.get(
            platform.url("referral-router") + "/v1/referrals",
            params={"intake_id": intake_id},
            headers=platform.token("admin"),
        )
        found: list[Any] = r.json()["items"] if r.status_code == 200 else []
        return found

    return await eventually(routed, timeout=60)


async def test_a_complaint_only_visit_is_one_case_the_agency_answers_and_the_officer_sees(
    platform: Platform,
) -> None:
    operator = platform.token("operator", regions=["33.04"])
    agency = platform.token("agency", programs=["PKH"])
    said = {
        "kind": "complaint",
        "about_program": "PKH",
        "category": "aid_not_received",
        "text": "Bantuan PKH tahap 3 belum cair sejak Agustus",
    }
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            platform.url("intake") + "/v1/intakes", json=complaint_visit(said), headers=operator
        )
        assert r.status_code == 202, r.text
        intake_id = r.json()["intake_id"]

        [case] = await cases(platform, http, intake_id)  # no need referral at all
        assert (case["kind"], case["program_code"]) == ("complaint", "PKH")
        assert case["complaint"]["text"] == said["text"]
        assert case["complaint"]["category"] == "aid_not_received"

        router = platform.url("referral-router") + f"/v1/referrals/{case['referral_id']}"
        seen = await http.get(router, headers=agency)  # the agency reads the resident's words
        assert seen.status_code == 200 and seen.json()["complaint"]["text"] == said["text"]
        for body in ({"outcome": "received"}, {"outcome": "answered", "note": ANSWER}):
            r = await http.post(router + "/outcome", json=body, headers=agency)
            assert r.status_code == 200, r.text

        async def answered() -> dict[str, Any] | None:
            r = await http.get(
                platform.url("intake") + f"/v1/intakes/{intake_id}", headers=operator
            )
            view: dict[str, Any] = r.json()
            shown = view["complaint"]["cases"]
            return view if shown and shown[0]["status"] == "answered" else None

        view = await eventually(answered, timeout=60)
        assert view["complaint"]["text"] == said["text"]
        assert view["complaint"]["cases"][0]["referral_id"] == case["referral_id"]
        trace = await http.get(router + "/trace", headers=agency)
        assert [e["to_status"] for e in trace.json()["events"]][-1] == "answered"


async def test_a_complaint_naming_no_program_reaches_the_regency_s_desk(
    platform: Platform,
) -> None:
    operator = platform.token("operator", regions=["33.04"])
    said = {"kind": "complaint", "category": "illegal_levy", "text": "Diminta uang Rp50.000"}
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(
            platform.url("intake") + "/v1/intakes", json=complaint_visit(said), headers=operator
        )
        assert r.status_code == 202, r.text
        [case] = await cases(platform, http, r.json()["intake_id"])
        assert (case["kind"], case["program_code"]) == ("complaint", "PENGADUAN-3304")
        assert case["complaint"]["category"] == "illegal_levy"

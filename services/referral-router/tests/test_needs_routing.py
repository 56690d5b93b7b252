"""Referrals follow needs, on the real database: what is referred, what is suggested and stored
with the decision, exclusions read from the visit, and a rejection re-routed to the program the
exclusion held back."""

from __future__ import annotations

from typing import Any

import pytest

from rujukan_contracts.events import IntakeSubmittedV1, ReferralCreatedV1

from .conftest import ApiHarness, MakeIntake

pytestmark = pytest.mark.integration

BERTA_BLT_DD = "BLT-DD-3304012001"  # the example household's village fund
UNREGISTERED = {"found": False, "decile": None, "has_kks": False}


async def decisions(api: ApiHarness, intake: IntakeSubmittedV1) -> dict[str, Any]:
    r = await api.client.get(
        f"/v1/intakes/{intake.intake_id}/decisions", headers=api.token("admin")
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def outcomes(decision: dict[str, Any]) -> dict[str, str]:
    return {p["program_code"]: p["outcome"] for p in decision["programs"]}


async def kinds(api: ApiHarness, intake: IntakeSubmittedV1) -> dict[str, str]:
    rows = await api.rows(
        "SELECT program_code, kind FROM referrals WHERE intake_id = :i", i=intake.intake_id
    )
    return {r.program_code: r.kind for r in rows}


async def test_a_housing_need_is_referred_to_rtlh_and_the_other_programs_are_suggested(
    api: ApiHarness, make_intake: MakeIntake
) -> None:
    intake = make_intake(
        needs=["housing"], household={"owns_land": True, "house_below_standard": True}
    )
    ids = await api.route(intake)
    assert set(ids) == {"RTLH-3304", "BAZNAS"}  # the programs serving housing it may get
    body = await decisions(api, intake)
    [decision] = body["decisions"]
    got = outcomes(decision)
    assert got["RTLH-3304"] == got["BAZNAS"] == "referred"
    suggestions = {"PKH", "PBI-JK", "PIP", "SEMBAKO", BERTA_BLT_DD}
    for code in suggestions:
        assert got[code] == "suggested", code  # eligible, for needs nobody stated
    assert set(body["suggested"]) == suggestions
    # the outcome is stored with the decision, not worked out on reading
    [stored] = await api.rows(
        "SELECT programs FROM decisions WHERE intake_id = :i", i=intake.intake_id
    )
    assert {p["program_code"]: p["outcome"] for p in stored.programs} == got


async def test_a_schooling_need_goes_to_pip_and_pip_never_for_food(
    api: ApiHarness, make_intake: MakeIntake
) -> None:
    food = make_intake(needs=["food"])
    school = make_intake(needs=["schooling"])
    assert "PIP" not in await api.route(food)
    assert "PIP" in await api.route(school)
    assert outcomes((await decisions(api, food))["decisions"][0])["PIP"] == "suggested"


async def test_an_unregistered_household_is_proposed_for_the_registry_whatever_it_asked(
    api: ApiHarness, make_intake: MakeIntake
) -> None:
    intake = make_intake(needs=["civil_documents"], registry=UNREGISTERED)
    ids = await api.route(intake)
    assert set(ids) == {"DTKS-IN", "ADMINDUK"}
    [created] = await api.rows(
        "SELECT payload FROM outbox WHERE type = :t AND payload->>'program_code' = 'DTKS-IN'",
        t=ReferralCreatedV1.ce_type,
    )
    event = ReferralCreatedV1.model_validate(created.payload)
    # no need it serves was stated (proactive); the agency reads what the household asked for
    assert event.needs == ["civil_documents"] and event.decision.eligible
    assert event.decision.criteria[0].label == "Keluarga belum terdaftar di DTKS/DTSEN"
    assert event.decision.criteria[0].label_en == "Household not (yet) in the social registry"


async def test_a_complaint_only_visit_creates_no_need_referral(
    api: ApiHarness, make_intake: MakeIntake
) -> None:
    intake = make_intake(
        needs=[],
        complaint={"kind": "complaint", "text": "Bantuan PKH belum cair tiga bulan"},
        registry=UNREGISTERED,
        household={"missing_documents": ["ktp"]},
    )
    await api.route(intake)
    assert "need" not in (await kinds(api, intake)).values()
    got = outcomes((await decisions(api, intake))["decisions"][0])
    assert got["DTKS-IN"] == got["ADMINDUK"] == "suggested"  # not even the proactive ones


async def test_blt_dd_is_held_back_beside_pkh_and_referred_when_pkh_rejects(
    api: ApiHarness, make_intake: MakeIntake
) -> None:
    intake = make_intake(needs=["cash"])
    ids = await api.route(intake)
    assert set(ids) == {"PKH", "BAZNAS"}  # BLT-DD excluded: PKH referred in the same visit
    [routing] = (await decisions(api, intake))["decisions"]
    blt_dd = next(p for p in routing["programs"] if p["program_code"] == BERTA_BLT_DD)
    assert blt_dd["outcome"] == "not_eligible"
    [failed] = [c for c in blt_dd["criteria"] if not c["passed"]]
    assert failed["values"] == {"visit.referred": ["BAZNAS", "PKH"]}

    r = await api.client.post(
        f"/v1/referrals/{ids['PKH']}/outcome",
        json={
            "outcome": "rejected",
            "reason_code": "not_eligible",
            "note": "komponen tidak sesuai",
        },
        headers=api.token("agency", programs=["PKH"]),
    )
    assert r.status_code == 200, r.text
    onward = await api.rows(
        "SELECT id, program_code, rerouted_from, needs FROM referrals"
        " WHERE rerouted_from IS NOT NULL"
    )
    assert [(o.program_code, o.rerouted_from, o.needs) for o in onward] == [
        (BERTA_BLT_DD, ids["PKH"], ["cash"])
    ]
    after = await decisions(api, intake)
    reroute = after["decisions"][-1]
    assert reroute["cause"] == "reroute"
    assert outcomes(reroute)[BERTA_BLT_DD] == "referred"
    assert outcomes(reroute)["PKH"] == "skipped"  # the rejected one is not tried again
    blt_dd = next(p for p in reroute["programs"] if p["program_code"] == BERTA_BLT_DD)
    excluded = next(c for c in blt_dd["criteria"] if c["name"] == "not_referred_to_pkh_or_sembako")
    assert excluded["passed"] and excluded["values"] == {"visit.referred": ["BAZNAS"]}
    # the village fund's agency reads why on its topic
    [created] = await api.rows(
        "SELECT payload FROM outbox WHERE type = :t AND aggregateid = :id",
        t=ReferralCreatedV1.ce_type,
        id=str(onward[0].id),
    )
    assert ReferralCreatedV1.model_validate(created.payload).rerouted_from == ids["PKH"]

    # a refusal by the resident ends the need: nothing more is tried
    r = await api.client.post(
        f"/v1/referrals/{onward[0].id}/outcome",
        json={"outcome": "rejected", "reason_code": "client_refused_services"},
        headers=api.token("agency", programs=[BERTA_BLT_DD]),
    )
    assert r.status_code == 200, r.text
    assert len(await api.rows("SELECT 1 FROM referrals WHERE rerouted_from IS NOT NULL")) == 1

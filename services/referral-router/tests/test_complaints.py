"""Complaints (pengaduan) as cases of their own: routed to the program they name or the
village's complaint desk, carrying the resident's words to the agency, moving along their own
lifecycle, shown where they are handled. Real broker and database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from rujukan_contracts.events import IntakeSubmittedV1, ReferralCreatedV1, ReferralStatusChangedV1
from rujukan_router.domain.decide import decide
from rujukan_router.service_layer.routing import route_intake
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork

from .conftest import MakeIntake

pytestmark = pytest.mark.integration

PKH_COMPLAINT = {
    "kind": "complaint",
    "about_program": "PKH",
    "category": "aid_not_received",
    "text": "Bantuan PKH tahap 3 belum cair sejak Agustus",
}


async def cases_of(harness: Any, intake_id: UUID) -> list[Any]:
    """An intake's referrals, complaint cases with what they are about."""
    return await harness.rows(
        "SELECT r.id, r.program_code, r.kind, r.status, r.needs, r.due_at, r.escalation_level,"
        " c.kind AS complaint_kind, c.category, c.text, c.about_program, c.about_referral"
        " FROM referrals r LEFT JOIN complaints c ON c.referral_id = r.id"
        " WHERE r.intake_id = :i ORDER BY r.kind, r.program_code",
        i=intake_id,
    )


def chosen(harness: Any, intake: IntakeSubmittedV1) -> set[str]:
    """The programs the intake's needs are referred to (whatever ``decide`` chooses)."""
    decided = decide(
        intake, harness.state.catalogue, open_programs=set(), as_of=datetime.now(UTC).date()
    )
    return {d.program.code for d in decided.chosen()}


async def route(harness: Any, intake: IntakeSubmittedV1) -> None:
    uow = harness.runtime.unit_of_work()
    assert isinstance(uow, RouterUnitOfWork)
    async with uow:
        await route_intake(uow, intake, harness.state.catalogue)
        await uow.commit()


async def test_a_complaint_naming_a_program_is_a_case_of_its_own_beside_its_need_referral(
    router: Any, make_intake: MakeIntake, read_records: Any
) -> None:
    """Eligible for PKH and complaining about it: a need referral and a separate complaint
    case, linked to it; the agency reads the resident's words on its own topic."""
    topic = await router.new_topic("intake.submitted")
    consumer = await router.run_consumer("router-intakes", topic)
    intake = make_intake(needs=["cash"], complaint=PKH_COMPLAINT)
    assert "PKH" in chosen(router, intake)
    await router.publish(topic, intake)
    await consumer.drain()

    cases = await cases_of(router, intake.intake_id)
    need = next(c for c in cases if c.kind == "need" and c.program_code == "PKH")
    [complaint] = [c for c in cases if c.kind == "complaint"]
    assert complaint.program_code == "PKH" and complaint.status == "created"
    assert (complaint.complaint_kind, complaint.category) == ("complaint", "aid_not_received")
    assert complaint.text == PKH_COMPLAINT["text"] and complaint.about_referral == need.id
    assert complaint.needs == [] and complaint.due_at is not None

    await router.relay_all()
    [record] = await read_records(
        "referrals.PKH", lambda r: r.key == str(complaint.id).encode(), count=1
    )
    created = ReferralCreatedV1.model_validate_json(record.value)
    assert created.kind == "complaint" and created.complaint is not None
    assert created.complaint.text == PKH_COMPLAINT["text"]
    assert created.complaint.category == "aid_not_received"
    assert (created.complaint.about_program, created.complaint.about_referral) == ("PKH", need.id)
    # its statuses ('created', 'delivered'), under the visit's key with its need referral's
    visit = await read_records(
        "referrals.status", lambda r: r.key == str(intake.intake_id).encode(), count=2 * len(cases)
    )
    statuses = [ReferralStatusChangedV1.model_validate_json(r.value) for r in visit]
    told = [s for s in statuses if s.referral_id == complaint.id]
    assert [s.to_status for s in told] == ["created", "delivered"]
    assert all(s.kind == "complaint" for s in told)


async def test_a_complaint_naming_no_program_goes_to_the_most_specific_desk(
    api: Any, make_intake: MakeIntake
) -> None:
    """Banjarnegara's desk for a Banjarnegara village; the ministry's desk elsewhere; a
    program not serving the village counts as no program."""
    said = {"kind": "complaint", "category": "illegal_levy", "text": "Diminta uang Rp50.000"}
    here = make_intake(needs=[], complaint=said)
    elsewhere = make_intake(needs=[], village_code="33.01.01.2001", complaint=said)
    not_here = make_intake(
        needs=[],
        village_code="33.01.01.2001",
        complaint={**said, "about_program": "BLT-DD-3304012001"},
    )
    for intake in (here, elsewhere, not_here):
        await route(api, intake)
    assert [c.program_code for c in await cases_of(api, here.intake_id)] == ["PENGADUAN-3304"]
    assert [c.program_code for c in await cases_of(api, elsewhere.intake_id)] == ["PENGADUAN"]
    [case] = await cases_of(api, not_here.intake_id)
    assert (case.program_code, case.about_program) == ("PENGADUAN", "BLT-DD-3304012001")


async def test_a_complaint_about_sembako_with_a_food_need_is_a_case_and_the_need_a_referral(
    api: Any, make_intake: MakeIntake
) -> None:
    intake = make_intake(
        needs=["food"],
        complaint={"kind": "complaint", "about_program": "SEMBAKO", "text": "Beras tidak datang"},
    )
    await route(api, intake)
    cases = await cases_of(api, intake.intake_id)
    assert {c.program_code for c in cases if c.kind == "need"} == chosen(api, intake)
    [complaint] = [c for c in cases if c.kind == "complaint"]
    assert (complaint.program_code, complaint.category) == ("SEMBAKO", "other")
    need = next((c for c in cases if c.kind == "need" and c.program_code == "SEMBAKO"), None)
    assert complaint.about_referral == (need.id if need is not None else None)


async def test_a_complaint_only_visit_makes_the_complaint_case_and_no_need_referral(
    api: Any, make_intake: MakeIntake
) -> None:
    intake = make_intake(needs=[], complaint=PKH_COMPLAINT)
    await route(api, intake)
    cases = await cases_of(api, intake.intake_id)
    assert [(c.kind, c.program_code) for c in cases] == [("complaint", "PKH")]


async def test_complaints_about_a_program_with_an_open_referral_are_each_a_case(
    api: Any, make_intake: MakeIntake
) -> None:
    """A second visit complaining again about PKH: a new case, linked to the open need
    referral of the first visit (one open need referral per program still holds)."""
    first = make_intake(needs=["cash"], complaint=PKH_COMPLAINT)
    await route(api, first)
    again = make_intake(
        household_id=str(first.household_id), needs=["cash"], complaint=PKH_COMPLAINT
    )
    await route(api, again)
    need = next(
        c
        for c in await cases_of(api, first.intake_id)
        if (c.kind, c.program_code) == ("need", "PKH")
    )
    cases = await cases_of(api, again.intake_id)
    assert [(c.kind, c.program_code, c.about_referral) for c in cases] == [
        ("complaint", "PKH", need.id)
    ]


async def test_an_agency_answers_a_complaint_with_words_the_resident_is_told(
    api: Any, make_intake: MakeIntake
) -> None:
    intake = make_intake(needs=[], complaint=PKH_COMPLAINT)
    await route(api, intake)
    [case] = await cases_of(api, intake.intake_id)
    agency = api.token("agency", programs=["PKH"])
    url = f"/v1/referrals/{case.id}/outcome"

    async def report(body: dict[str, Any]) -> Any:
        return await api.client.post(url, json=body, headers=agency)

    assert (await report({"outcome": "received"})).status_code == 200
    received = (await cases_of(api, intake.intake_id))[0]
    assert received.status == "received" and received.due_at > case.due_at
    # taken in hand: the answer's deadline stays
    assert (await report({"outcome": "in_progress"})).status_code == 200
    assert (await cases_of(api, intake.intake_id))[0].due_at == received.due_at
    # a complaint is answered, never accepted; an answer has words
    refused = await report({"outcome": "accepted"})
    assert refused.status_code == 409 and "tidak diizinkan untuk pengaduan" in refused.text
    refused = await report({"outcome": "answered"})
    assert refused.status_code == 409 and "jawaban memerlukan teksnya" in refused.text
    answer = "Bantuan tahap 3 cair tanggal 20 September di kantor pos Susukan"
    assert (await report({"outcome": "answered", "note": answer})).status_code == 200
    assert (await report({"outcome": "closed"})).status_code == 200

    cases = await cases_of(api, intake.intake_id)
    assert cases[0].status == "closed" and cases[0].due_at is None
    events = await api.rows(
        "SELECT payload FROM outbox WHERE payload->>'referral_id' = :r"
        " AND topic = 'referrals.status'"
        " ORDER BY seq",
        r=str(case.id),
    )
    moves = [(e.payload["to_status"], e.payload["public_note"]) for e in events]
    assert moves == [
        ("created", None),
        ("received", None),
        ("in_progress", None),
        ("answered", answer),  # what the resident reads
        ("closed", None),
    ]
    assert {e.payload["kind"] for e in events} == {"complaint"}


async def test_the_complaint_is_shown_where_it_is_handled_and_lists_filter_by_kind(
    api: Any, make_intake: MakeIntake
) -> None:
    intake = make_intake(needs=["cash"], complaint=PKH_COMPLAINT)
    await route(api, intake)
    [case] = [c for c in await cases_of(api, intake.intake_id) if c.kind == "complaint"]
    agency = api.token("agency", programs=["PKH"])
    shown = (await api.client.get(f"/v1/referrals/{case.id}", headers=agency)).json()
    assert shown["kind"] == "complaint"
    assert shown["complaint"] == {
        "kind": "complaint",
        "category": "aid_not_received",
        "text": PKH_COMPLAINT["text"],
        "about_program": "PKH",
        "about_referral": str(case.about_referral),
    }
    listed = await api.client.get(
        "/v1/referrals",
        params={"intake_id": str(intake.intake_id), "kind": "complaint"},
        headers=agency,
    )
    assert [r["referral_id"] for r in listed.json()["items"]] == [str(case.id)]
    needs = await api.client.get(
        "/v1/referrals",
        params={"intake_id": str(intake.intake_id), "kind": "need"},
        headers=agency,
    )
    assert needs.json()["items"] and all(r["complaint"] is None for r in needs.json()["items"])
    assert all(r["kind"] == "need" for r in needs.json()["items"])
    assert json.dumps(shown)  # the whole view serialises


async def test_a_complaint_goes_nowhere_when_the_resident_agreed_to_no_referral(
    api: Any, make_intake: MakeIntake
) -> None:
    """The desk needs the 'referral' purpose (whoever the recipients); without it nothing
    leaves the Puskesos."""
    intake = make_intake(needs=[], consent={"purposes": ["notification"]}, complaint=PKH_COMPLAINT)
    await route(api, intake)
    assert await cases_of(api, intake.intake_id) == []

"""The router's HTTP API, in-process over its real lifespan, database and producer."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from rujukan_platform.paging import encode_cursor

from .conftest import MakeIntake

pytestmark = pytest.mark.integration

PROBLEM_JSON = "application/problem+json"


async def list_all(api: Any, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    r = await api.client.get("/v1/referrals", params=params, headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_listing_filters_by_intake_program_status_and_region(
    api: Any, make_intake: MakeIntake
) -> None:
    admin = api.token("admin")
    banjarnegara = make_intake()
    malang = make_intake(village_code="35.07.01.2001")
    ids_a = await api.route(banjarnegara)
    ids_b = await api.route(malang)
    assert {"PKH", "PBI-JK"} <= set(ids_b) == set(ids_a)
    # Berta's own village fund serves food, but never beside Sembako (referred for food)
    assert "BLT-DD-3304012001" not in ids_a

    items = await list_all(api, admin, intake_id=str(banjarnegara.intake_id))
    assert {i["referral_id"] for i in items} == {str(v) for v in ids_a.values()}
    assert all(i["intake_id"] == str(banjarnegara.intake_id) for i in items)
    pkh = next(i for i in items if i["program_code"] == "PKH")
    assert pkh["decision"]["eligible"] and pkh["decision"]["program_version"] == 2
    assert pkh["status"] == "created" and pkh["village_code"] == "33.04.01.2001"

    items = await list_all(api, admin, program="PKH")
    assert {i["referral_id"] for i in items} == {str(ids_a["PKH"]), str(ids_b["PKH"])}

    items = await list_all(api, admin, household_id=str(malang.household_id))
    assert {i["referral_id"] for i in items} == {str(v) for v in ids_b.values()}

    r = await api.client.post(
        f"/v1/referrals/{ids_b['PBI-JK']}/outcome", json={"outcome": "accepted"}, headers=admin
    )
    assert r.status_code == 200, r.text
    items = await list_all(api, admin, status="accepted")
    assert [i["referral_id"] for i in items] == [str(ids_b["PBI-JK"])]
    items = await list_all(api, admin, status="created", program="PBI-JK")
    assert [i["referral_id"] for i in items] == [str(ids_a["PBI-JK"])]

    for region, expected in (
        ("33.04", ids_a),
        ("33.04.01", ids_a),
        ("33.04.01.2001", ids_a),
        ("35", ids_b),
    ):
        items = await list_all(api, admin, region=region)
        assert {i["referral_id"] for i in items} == {str(v) for v in expected.values()}, region
    assert await list_all(api, admin, region="33.0") == []  # prefixes are whole segments
    assert await list_all(api, admin, region="34") == []

    # an operator sees only the region it covers
    operator = api.token("operator", regions=["35.07"])
    items = await list_all(api, operator)
    assert {i["referral_id"] for i in items} == {str(v) for v in ids_b.values()}
    r = await api.client.get(f"/v1/referrals/{ids_a['PKH']}", headers=operator)
    assert r.status_code == 404

    r = await api.client.get("/v1/referrals", params={"status": "lost"}, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM_JSON
    assert r.json()["errors"][0]["field"] == "status"
    r = await api.client.get("/v1/referrals")
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM_JSON


async def test_cursor_paging_visits_every_referral_once_newest_first(
    api: Any, make_intake: MakeIntake
) -> None:
    admin = api.token("admin")
    routed: dict[str, uuid.UUID] = {}
    for _ in range(3):
        for rid in (await api.route(make_intake())).values():
            routed[str(rid)] = rid
    everything = await list_all(api, admin, limit=500)
    assert {i["referral_id"] for i in everything} == set(routed)
    order = [i["referral_id"] for i in everything]

    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        r = await api.client.get("/v1/referrals", params=params, headers=admin)
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append([i["referral_id"] for i in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 20, "paging does not end"
    assert [rid for page in pages for rid in page] == order
    assert all(len(p) == 4 for p in pages[:-1]) and len(pages[-1]) <= 4
    keys = [(i["created_at"], i["referral_id"]) for i in everything]
    assert [k[0] for k in keys] == sorted((k[0] for k in keys), reverse=True)

    r = await api.client.get("/v1/referrals", params={"cursor": "not-a-cursor"}, headers=admin)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM_JSON
    assert r.json()["errors"] == [{"field": "cursor", "reason": "bukan cursor dari API ini"}]


async def test_a_work_queue_puts_priority_lanes_then_the_nearest_deadline_first(
    api: Any, make_intake: MakeIntake
) -> None:
    admin = api.token("admin")
    plain = await api.route(make_intake(priority_lanes=[]))
    pregnant = await api.route(make_intake(priority_lanes=["pregnant_or_breastfeeding"]))
    elderly = await api.route(make_intake(priority_lanes=["elderly"]))
    in_lane = {str(r) for r in [*pregnant.values(), *elderly.values()]}

    queue = await list_all(api, admin, order="urgent", limit=500)
    assert len(queue) == len(plain) + len(in_lane)
    assert {i["referral_id"] for i in queue[: len(in_lane)]} == in_lane
    for group in (queue[: len(in_lane)], queue[len(in_lane) :]):
        assert [i["due_at"] for i in group] == sorted(i["due_at"] for i in group)

    pages: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"order": "urgent", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = await api.client.get("/v1/referrals", params=params, headers=admin)
        assert r.status_code == 200, r.text
        pages += [i["referral_id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 100, "paging does not end"
    assert pages == [i["referral_id"] for i in queue]

    only_elderly = await list_all(api, admin, lane="elderly")
    assert {i["referral_id"] for i in only_elderly} == {str(r) for r in elderly.values()}
    r = await api.client.get("/v1/referrals", params={"lane": "vip"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lane"
    newest_cursor = encode_cursor("2026-01-01T00:00:00+00:00", str(uuid.uuid4()))
    r = await api.client.get(
        "/v1/referrals", params={"order": "urgent", "cursor": newest_cursor}, headers=admin
    )
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM_JSON


async def test_an_agency_sees_only_its_own_programs_referrals(
    api: Any, make_intake: MakeIntake
) -> None:
    ids = await api.route(make_intake())
    agency = api.token("agency", programs=["PBI-JK"])
    items = await list_all(api, agency)
    assert [i["referral_id"] for i in items] == [str(ids["PBI-JK"])]
    assert await list_all(api, agency, program="PKH") == []

    r = await api.client.get(f"/v1/referrals/{ids['PBI-JK']}", headers=agency)
    assert r.status_code == 200 and r.json()["program_code"] == "PBI-JK"
    for path in (f"/v1/referrals/{ids['PKH']}", f"/v1/referrals/{ids['PKH']}/trace"):
        r = await api.client.get(path, headers=agency)
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM_JSON
    r = await api.client.post(
        f"/v1/referrals/{ids['PKH']}/outcome", json={"outcome": "accepted"}, headers=agency
    )
    assert r.status_code == 404
    [row] = await api.rows("SELECT status FROM referrals WHERE id = :r", r=ids["PKH"])
    assert row.status == "created"

    # an operator may read but not answer for an agency
    operator = api.token("operator", regions=["33"])
    r = await api.client.post(
        f"/v1/referrals/{ids['PBI-JK']}/outcome", json={"outcome": "accepted"}, headers=operator
    )
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM_JSON


async def test_outcomes_over_http(api: Any, make_intake: MakeIntake) -> None:
    ids = await api.route(make_intake())
    pbi = ids["PBI-JK"]
    agency = api.token("agency", programs=["PBI-JK"])
    outbox_before = len(await api.rows("SELECT id FROM outbox"))

    r = await api.client.post(
        f"/v1/referrals/{pbi}/outcome",
        json={"outcome": "accepted", "note": "KIS diproses"},
        headers=agency,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted" and r.json()["referral_id"] == str(pbi)
    [row] = await api.rows("SELECT status FROM referrals WHERE id = :r", r=pbi)
    assert row.status == "accepted"
    staged = await api.rows("SELECT topic, payload FROM outbox ORDER BY seq")
    assert len(staged) == outbox_before + 1
    assert staged[-1].topic == "referrals.status"
    assert staged[-1].payload["to_status"] == "accepted"
    assert staged[-1].payload["from_status"] == "created"
    assert staged[-1].payload["note"] == "KIS diproses"

    # rejected without a reason: 422 naming the field, nothing changed
    r = await api.client.post(
        f"/v1/referrals/{pbi}/outcome", json={"outcome": "rejected"}, headers=agency
    )
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM_JSON
    assert {"field": "reason_code", "reason": "wajib diisi bila ditolak"} in r.json()["errors"]
    r = await api.client.post(
        f"/v1/referrals/{pbi}/outcome",
        json={"outcome": "rejected"},
        headers={**agency, "Accept-Language": "en"},
    )
    assert {"field": "reason_code", "reason": "required when rejected"} in r.json()["errors"]
    # an unknown outcome or reason: 422 from validation
    r = await api.client.post(
        f"/v1/referrals/{pbi}/outcome",
        json={"outcome": "rejected", "reason_code": "because"},
        headers=agency,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason_code"

    # accepted → received is impossible: 409 problem naming the current status
    r = await api.client.post(
        f"/v1/referrals/{pbi}/outcome", json={"outcome": "received"}, headers=agency
    )
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM_JSON
    problem = r.json()
    assert problem["status"] == 409 and problem["current_status"] == "accepted"
    assert "tidak dapat berpindah dari 'accepted' ke 'received'" in problem["detail"]
    assert r.headers["content-language"] == "id"
    [row] = await api.rows("SELECT status FROM referrals WHERE id = :r", r=pbi)
    assert row.status == "accepted"
    assert len(await api.rows("SELECT id FROM outbox")) == outbox_before + 1

    r = await api.client.post(
        f"/v1/referrals/{uuid.uuid4()}/outcome", json={"outcome": "accepted"}, headers=agency
    )
    assert r.status_code == 404


async def test_the_same_idempotency_key_applies_an_outcome_once(
    api: Any, make_intake: MakeIntake
) -> None:
    ids = await api.route(make_intake())
    pkh = ids["PKH"]
    agency = {**api.token("agency", programs=["PKH"]), "Idempotency-Key": "answer-1"}
    body = {"outcome": "rejected", "reason_code": "lack_of_capacity", "note": "kuota penuh"}
    first = await api.client.post(f"/v1/referrals/{pkh}/outcome", json=body, headers=agency)
    again = await api.client.post(f"/v1/referrals/{pkh}/outcome", json=body, headers=agency)
    assert first.status_code == 200 and again.status_code == 200, again.text
    assert first.json()["status"] == again.json()["status"] == "rejected"
    assert first.json()["reason_code"] == "lack_of_capacity"
    history = await api.rows(
        "SELECT to_status, idempotency_key FROM referral_history WHERE referral_id = :r"
        " ORDER BY seq",
        r=pkh,
    )
    assert [(h.to_status, h.idempotency_key) for h in history] == [
        ("created", None),
        ("rejected", "answer-1"),
    ]
    staged = await api.rows(
        "SELECT payload FROM outbox WHERE payload->>'referral_id' = :r"
        " AND topic = 'referrals.status' ORDER BY seq",
        r=str(pkh),
    )
    assert [s.payload["to_status"] for s in staged] == ["created", "rejected"]


async def test_trace_lists_every_change_in_order(api: Any, make_intake: MakeIntake) -> None:
    ids = await api.route(make_intake())
    pbi = ids["PBI-JK"]
    agency = api.token("agency", programs=["PBI-JK"])
    for i, outcome in enumerate(("received", "accepted", "in_service", "completed")):
        r = await api.client.post(
            f"/v1/referrals/{pbi}/outcome",
            json={"outcome": outcome, "note": f"step {i}"},
            headers={**agency, "Idempotency-Key": f"k-{i}"},
        )
        assert r.status_code == 200, r.text

    r = await api.client.get(f"/v1/referrals/{pbi}/trace", headers=agency)
    assert r.status_code == 200
    body = r.json()
    assert body["referral_id"] == str(pbi)
    steps = [(e["from_status"], e["to_status"]) for e in body["events"]]
    assert steps == [
        (None, "created"),
        ("created", "received"),
        ("received", "accepted"),
        ("accepted", "in_service"),
        ("in_service", "completed"),
    ]
    assert [e["note"] for e in body["events"][1:]] == [f"step {i}" for i in range(4)]
    assert body["events"][0]["actor"] == "router"
    assert {e["actor"] for e in body["events"][1:]} == {"test-agency"}
    times = [e["at"] for e in body["events"]]
    assert times == sorted(times)

    # closed: any further outcome is refused
    r = await api.client.post(
        f"/v1/referrals/{pbi}/outcome", json={"outcome": "accepted"}, headers=agency
    )
    assert r.status_code == 409 and "rujukan sudah ditutup" in r.json()["detail"]
    r = await api.client.post(
        f"/v1/referrals/{pbi}/outcome",
        json={"outcome": "accepted"},
        headers={**agency, "Accept-Language": "en"},
    )
    assert r.status_code == 409 and "the referral is closed" in r.json()["detail"]
    assert r.json()["title"] == "Impossible transition"


async def test_an_intakes_decisions_explain_every_program_and_a_referral_its_own(
    api: Any, make_intake: MakeIntake
) -> None:
    from datetime import UTC, datetime

    from rujukan_router.domain.decide import decide

    intake = make_intake(needs=["health_insurance"])  # eligible for more: PIP, SEMBAKO
    ids = await api.route(intake)
    expected = decide(
        intake, api.state.catalogue, open_programs=set(), as_of=datetime.now(UTC).date()
    )
    r = await api.client.get(
        f"/v1/intakes/{intake.intake_id}/decisions", headers=api.token("admin")
    )
    assert r.status_code == 200, r.text
    [decision] = r.json()["decisions"]
    assert decision["cause"] == "routing" and decision["facts"]["registry"]["decile"] == 2
    programs = {p["program_code"]: p for p in decision["programs"]}
    assert set(programs) == {d.program.code for d in expected.programs}
    for d in expected.programs:  # rendered from the stored facts: what the evaluation said
        view = programs[d.program.code]
        assert view["eligible"] == d.eligible and view["rank"] == d.rank
        assert view["outcome"] == d.outcome
        assert view["criteria"] == [c.to_dict() for c in d.criteria(expected.facts)]
    assert {code for code, p in programs.items() if p["outcome"] == "referred"} == set(ids)
    # eligible for needs nobody stated: suggested to the officer, not referred
    assert r.json()["suggested"] == [
        d.program.code for d in expected.eligible() if d.outcome == "suggested"
    ]
    assert {"PIP", "SEMBAKO"} <= set(r.json()["suggested"])
    assert not set(r.json()["suggested"]) & set(ids)
    dtks = programs["DTKS-IN"]["criteria"]
    assert dtks == [
        {"kind": "criterion", "name": "not_in_registry",
         "label": "Keluarga belum terdaftar di DTKS/DTSEN",
         "label_en": "Household not (yet) in the social registry",
         "cel": dtks[0]["cel"], "passed": False, "values": {"registry.found": True},
         "error": None}
    ]  # fmt: skip
    english = await api.client.get(
        f"/v1/intakes/{intake.intake_id}/decisions",
        headers={**api.token("admin"), "Accept-Language": "en-US,en;q=0.9"},
    )
    [in_english] = english.json()["decisions"]
    dtks_en = next(p for p in in_english["programs"] if p["program_code"] == "DTKS-IN")
    assert dtks_en["criteria"][0]["label"] == "Household not (yet) in the social registry"
    assert dtks_en["criteria"][0]["label_en"] == "Household not (yet) in the social registry"

    # a referral carries its own program's decision, as the agency received it
    r = await api.client.get(f"/v1/referrals/{ids['PKH']}", headers=api.token("admin"))
    assert r.json()["decision"]["criteria"] == programs["PKH"]["criteria"]
    assert r.json()["decision"]["eligible"] and r.json()["decision"]["program_version"] == 2

    # an agency sees its own programs' verdicts only; an operator only in its regions
    r = await api.client.get(
        f"/v1/intakes/{intake.intake_id}/decisions", headers=api.token("agency", programs=["PKH"])
    )
    assert [p["program_code"] for p in r.json()["decisions"][0]["programs"]] == ["PKH"]
    r = await api.client.get(
        f"/v1/intakes/{intake.intake_id}/decisions", headers=api.token("operator", regions=["35"])
    )
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM_JSON
    r = await api.client.get(
        f"/v1/intakes/{intake.intake_id}/decisions",
        headers=api.token("operator", regions=["33.04"]),
    )
    assert r.status_code == 200 and len(r.json()["decisions"][0]["programs"]) == len(programs)
    r = await api.client.get(f"/v1/intakes/{uuid.uuid4()}/decisions", headers=api.token("admin"))
    assert r.status_code == 404


async def test_a_forged_cursor_is_refused_naming_the_parameter(api: Any) -> None:
    for forged in (encode_cursor("yesterday", str(uuid.uuid4())), encode_cursor("2026", "x")):
        r = await api.client.get(
            "/v1/referrals", params={"cursor": forged}, headers=api.token("admin")
        )
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM_JSON, r.text
        assert r.json()["title"] == "Cursor tidak sah"


async def test_a_verdict_whose_rule_is_unknown_says_so_and_others_carry_no_explanation(
    api: Any, make_intake: MakeIntake
) -> None:
    intake = make_intake()
    await api.route(intake)
    async with api.runtime.sessions() as session, session.begin():  # a version never published
        await session.execute(
            text(
                "UPDATE decisions SET programs = (SELECT jsonb_agg(CASE WHEN p->>'program_code'"
                " = 'PKH' THEN jsonb_set(p, '{program_version}', '99') ELSE p END)"
                " FROM jsonb_array_elements(programs) p) WHERE intake_id = :i"
            ),
            {"i": intake.intake_id},
        )
    r = await api.client.get(
        f"/v1/intakes/{intake.intake_id}/decisions", headers=api.token("admin")
    )
    assert r.status_code == 200, r.text
    programs = {p["program_code"]: p for p in r.json()["decisions"][0]["programs"]}
    assert programs["PKH"]["program_version"] == 99 and programs["PKH"]["criteria"] == []
    assert programs["PKH"]["explanation"].startswith("unavailable")
    others = [p for code, p in programs.items() if code != "PKH"]
    assert others and all("explanation" not in p and p["criteria"] for p in others)


async def test_every_operation_documents_what_it_answers(api: Any) -> None:
    """Each success answer has a schema of its own in the OpenAPI: clients are generated from
    it, and schemathesis checks the answers against it."""
    spec = (await api.client.get("/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    operations = [
        (method, path, op)
        for path, item in spec["paths"].items()
        if path.startswith("/v1/")  # the router's own; the platform's probes are not
        for method, op in item.items()
    ]
    assert len(operations) == 12
    for method, path, op in operations:
        answers = {s: a for s, a in op["responses"].items() if s.startswith("2")}
        assert answers, (method, path)
        for status, answer in answers.items():
            ref = answer["content"]["application/json"]["schema"]["$ref"]
            named = schemas[ref.rsplit("/", 1)[-1]]
            assert named["type"] == "object" and named["properties"], (method, path, status)

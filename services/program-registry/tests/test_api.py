"""The program registry's API against the real database and broker: catalogue, ETags,
append-only rule versions, CEL checks, access, and the programs.catalog event."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from rujukan_contracts.envelope import EventMeta
from rujukan_contracts.events import ProgramPublishedV1
from rujukan_contracts.topics import PROGRAMS_CATALOG
from rujukan_platform.testing import assert_problem
from rujukan_registry.testing import new_code, program_document

from .conftest import RegistryService

pytestmark = pytest.mark.integration

SEEDED = {"PKH", "SEMBAKO", "PBI-JK", "PIP", "DTKS-IN"}


async def create(registry: RegistryService, body: dict, headers: dict | None = None) -> Any:
    return await registry.http.post(
        "/v1/programs", json=body, headers=headers or registry.token("admin")
    )


# --------------------------------------------------------------------------- reading


async def test_the_seeded_catalogue_is_listed_and_paged_by_cursor(
    registry: RegistryService,
) -> None:
    results = await registry.seed()
    assert SEEDED <= set(results) and set(results.values()) == {"created"}
    operator = registry.token("operator", regions=["33.04"])

    r = await registry.http.get("/v1/programs", headers=operator)
    assert r.status_code == 200
    everything = [p["code"] for p in r.json()["items"]]
    assert SEEDED <= set(everything)
    assert everything == sorted(everything) and len(everything) == len(results)
    assert r.json()["next_cursor"] is None

    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await registry.http.get("/v1/programs", params=params, headers=operator)).json()
        pages.append([p["code"] for p in page["items"]])
        assert len(page["items"]) <= 3
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "the cursor never ends"
    assert len(pages[0]) == 3 and len(pages) >= 2
    walked = [c for p in pages for c in p]
    assert walked == everything  # every program once, in order, no duplicates


async def test_a_program_has_an_etag_and_its_rule_versions(registry: RegistryService) -> None:
    await registry.seed()
    r = await registry.http.get("/v1/programs/PKH", headers=registry.token("operator"))
    assert r.status_code == 200
    assert r.headers["etag"] == '"1"'
    pkh = r.json()
    assert pkh["revision"] == 1
    assert [v["version"] for v in pkh["versions"]] == [1, 2]
    assert pkh["current_version"] == 2
    assert "m.age >= 70" in str(pkh["versions"][1]["rule"])
    assert "m.age >= 60" in str(pkh["versions"][0]["rule"])

    versions = (
        await registry.http.get("/v1/programs/PKH/versions", headers=registry.token("agency"))
    ).json()
    assert versions["current_version"] == 2
    assert [v["effective_from"] for v in versions["items"]] == ["2021-01-01", "2022-01-01"]

    assert_problem(await registry.http.get("/v1/programs/NOPE", headers=registry.token()), 404)
    assert_problem(await registry.http.get("/v1/programs/PKH"), 401)


# --------------------------------------------------------------------------- creating


async def test_a_new_program_is_created_and_published_to_the_catalog(
    registry: RegistryService, topic_tail: Callable[[str], Any]
) -> None:
    code = new_code()
    r = await create(registry, program_document(code))
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == '"1"'
    assert r.headers["location"] == f"/v1/programs/{code}"
    assert r.json()["code"] == code and r.json()["current_version"] == 1
    [row] = await registry.rows("SELECT code, revision, updated_by FROM programs")
    assert (row.code, row.revision, row.updated_by) == (code, 1, "tester")
    assert await registry.count("outbox") == 1

    async with topic_tail(PROGRAMS_CATALOG) as tail:
        assert await registry.runtime.relay.relay_once() == 1
        records = await tail.find(lambda rec: rec.key == code.encode())
    assert len(records) == 1
    record = records[0]
    meta = EventMeta.from_headers(record.headers)
    assert meta.type == "rujukan.program.published.v1"
    assert meta.source == "/rujukan/program-registry"
    assert meta.subject == code
    event = ProgramPublishedV1.model_validate_json(record.value)
    assert event.code == code and event.version == 1
    assert event.service_area == ["33.04"] and event.level == "district"
    assert event.rule["cel"] == "'housing' in needs"
    assert await registry.count("outbox") == 0

    again = await create(registry, program_document(code))
    assert_problem(again, 409)


@pytest.mark.parametrize(
    ("cel", "fault"),
    [
        ("registry.found &&", "syntax error"),
        ("registry.decile <= (4", "syntax error"),
        ("household.income < 100", "no such key: income"),
        ("salary > 3", "unknown variable"),
        ("registry.decile", "must evaluate to a bool"),
        ("size(members)", "must evaluate to a bool"),
    ],
)
async def test_an_invalid_cel_rule_is_refused_naming_the_criterion(
    registry: RegistryService, cel: str, fault: str
) -> None:
    code = new_code()
    body = program_document(code, cel=cel, name="broken_rule")
    english = {**registry.token("admin"), "Accept-Language": "en"}
    problem = assert_problem(await create(registry, body, english), 422)
    assert problem["errors"][0]["criterion"] == "broken_rule"
    assert problem["errors"][0]["field"] == "versions[0].rule"
    assert fault in problem["errors"][0]["reason"]
    assert "broken_rule" in problem["detail"]
    indonesian = assert_problem(await create(registry, body), 422)
    assert indonesian["title"] == "Aturan kelayakan tidak sah"
    assert indonesian["detail"].startswith("versions[0].rule: kriteria 'broken_rule': ")
    assert indonesian["errors"][0]["reason"] != problem["errors"][0]["reason"]
    assert await registry.count("programs") == 0
    assert await registry.count("outbox") == 0


async def test_a_faulty_criterion_deep_in_a_tree_is_named(registry: RegistryService) -> None:
    body = program_document(new_code())
    body["versions"][0]["rule"] = {
        "kind": "all_of",
        "name": "top",
        "label": "everything",
        "of": [
            {"kind": "criterion", "name": "fine", "label": "ok", "cel": "registry.found"},
            {
                "kind": "any_of",
                "name": "either",
                "label": "one of",
                "of": [
                    {"kind": "criterion", "name": "also_fine", "label": "ok", "cel": "true"},
                    {"kind": "criterion", "name": "bad_leaf", "label": "x", "cel": "nope == 1"},
                ],
            },
        ],
    }
    problem = assert_problem(await create(registry, body), 422)
    assert problem["errors"][0]["criterion"] == "bad_leaf"


# --------------------------------------------------------------------------- changing


async def test_replacing_a_program_needs_the_current_etag(registry: RegistryService) -> None:
    await registry.seed()
    r = await registry.http.get("/v1/programs/SEMBAKO", headers=registry.token())
    etag = r.headers["etag"]
    doc = {k: v for k, v in r.json().items() if k not in ("revision", "current_version")}
    doc["capacity"] = 500
    outbox_before = await registry.count("outbox")

    no_match = await registry.http.put("/v1/programs/SEMBAKO", json=doc, headers=registry.token())
    assert_problem(no_match, 428)
    stale = await registry.http.put(
        "/v1/programs/SEMBAKO", json=doc, headers={**registry.token(), "If-Match": '"7"'}
    )
    assert "revisi 1" in assert_problem(stale, 412)["detail"]
    garbage = await registry.http.put(
        "/v1/programs/SEMBAKO", json=doc, headers={**registry.token(), "If-Match": "*x"}
    )
    assert_problem(garbage, 412)
    assert await registry.count("outbox") == outbox_before

    ok = await registry.http.put(
        "/v1/programs/SEMBAKO", json=doc, headers={**registry.token(), "If-Match": etag}
    )
    assert ok.status_code == 200, ok.text
    assert ok.headers["etag"] == '"2"' != etag
    assert ok.json()["capacity"] == 500
    assert await registry.count("outbox") == outbox_before + 1
    [row] = await registry.rows(
        "SELECT revision, document->>'capacity' AS capacity FROM programs WHERE code = 'SEMBAKO'"
    )
    assert (row.revision, row.capacity) == (2, "500")

    # the old ETag is stale now
    again = await registry.http.put(
        "/v1/programs/SEMBAKO", json=doc, headers={**registry.token(), "If-Match": etag}
    )
    assert_problem(again, 412)
    weak = await registry.http.put(
        "/v1/programs/SEMBAKO", json=doc, headers={**registry.token(), "If-Match": 'W/"2"'}
    )
    assert weak.status_code == 200 and weak.headers["etag"] == '"3"'


async def test_published_versions_are_immutable(registry: RegistryService) -> None:
    await registry.seed()
    r = await registry.http.get("/v1/programs/PKH", headers=registry.token())
    doc = {k: v for k, v in r.json().items() if k not in ("revision", "current_version")}
    headers = {**registry.token(), "If-Match": r.headers["etag"]}

    changed = copy.deepcopy(doc)
    changed["versions"][1]["rule"]["of"][1]["of"][4]["cel"] = "members.exists(m, m.age >= 65)"
    problem = assert_problem(
        await registry.http.put("/v1/programs/PKH", json=changed, headers=headers), 422
    )
    assert problem["errors"] == [
        {"field": "versions[1]", "reason": "versi yang sudah terbit tidak pernah berubah"}
    ]
    dropped = copy.deepcopy(doc)
    dropped["versions"] = dropped["versions"][1:]
    problem = assert_problem(
        await registry.http.put("/v1/programs/PKH", json=dropped, headers=headers), 422
    )
    assert problem["errors"][0]["field"] == "versions"

    renamed = copy.deepcopy(doc)
    renamed["code"] = "PKH-2"
    problem = assert_problem(
        await registry.http.put("/v1/programs/PKH", json=renamed, headers=headers), 422
    )
    assert problem["type"] == "https://rujukan.example/problems/validation"
    assert problem["title"] == "Kode tidak cocok"
    assert problem["errors"] == [
        {"field": "code", "reason": "harus sama dengan kode program di URL"}
    ]
    english = {**headers, "Accept-Language": "en"}
    problem = assert_problem(
        await registry.http.put("/v1/programs/PKH", json=renamed, headers=english), 422
    )
    assert problem["title"] == "Code mismatch"
    assert problem["detail"] == "code: must equal the program code in the URL"

    [row] = await registry.rows("SELECT revision, document FROM programs WHERE code = 'PKH'")
    assert row.revision == 1 and row.document["versions"] == doc["versions"]


async def test_a_new_rule_version_is_appended(registry: RegistryService) -> None:
    await registry.seed()
    before = await registry.count("outbox")
    v3 = {
        "version": 3,
        "effective_from": "2024-01-01",
        "notes": "tests: elderly from 75",
        "rule": {
            "kind": "criterion",
            "name": "elderly",
            "label": "An elderly member aged 75 or over",
            "cel": "members.exists(m, m.age >= 75)",
        },
    }
    r = await registry.http.post("/v1/programs/PKH/versions", json=v3, headers=registry.token())
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == '"2"'
    assert [v["version"] for v in r.json()["versions"]] == [1, 2, 3]
    assert r.json()["current_version"] == 3

    listed = (await registry.http.get("/v1/programs/PKH/versions", headers=registry.token())).json()
    assert [v["version"] for v in listed["items"]] == [1, 2, 3]
    assert listed["items"][2]["rule"]["cel"] == "members.exists(m, m.age >= 75)"
    assert await registry.count("outbox") == before + 1
    [payload] = [
        r.payload
        for r in await registry.rows("SELECT payload FROM outbox ORDER BY seq DESC LIMIT 1")
    ]
    assert payload["code"] == "PKH" and payload["version"] == 3

    # not N+1 → refused; a version with a broken rule → refused; a stale If-Match → refused
    skip = {**v3, "version": 5, "effective_from": "2025-01-01"}
    problem = assert_problem(
        await registry.http.post("/v1/programs/PKH/versions", json=skip, headers=registry.token()),
        422,
    )
    assert problem["errors"] == [{"field": "version", "reason": "harus 4"}]
    assert problem["detail"] == "version: harus 4"
    assert problem["type"] == "https://rujukan.example/problems/validation"
    broken = {**v3, "version": 4, "effective_from": "2025-01-01"}
    broken["rule"] = {**v3["rule"], "cel": "members.exists(m, m.age >=)"}
    problem = assert_problem(
        await registry.http.post(
            "/v1/programs/PKH/versions", json=broken, headers=registry.token()
        ),
        422,
    )
    assert problem["errors"][0]["criterion"] == "elderly"
    fine = {**v3, "version": 4, "effective_from": "2025-01-01"}
    stale = await registry.http.post(
        "/v1/programs/PKH/versions", json=fine, headers={**registry.token(), "If-Match": '"1"'}
    )
    assert_problem(stale, 412)
    missing = await registry.http.post(
        "/v1/programs/NOPE/versions", json=fine, headers=registry.token()
    )
    assert_problem(missing, 404)
    assert await registry.count("outbox") == before + 1


# --------------------------------------------------------------------------- access


async def test_an_agency_manages_only_its_own_programs(registry: RegistryService) -> None:
    own, other = new_code(), new_code()
    agency = registry.token("agency", programs=[own], subject="agency-x")

    forbidden = await create(registry, program_document(other), agency)
    assert "program " + other in assert_problem(forbidden, 403)["detail"]
    assert await registry.count("programs") == 0

    created = await create(registry, program_document(own), agency)
    assert created.status_code == 201, created.text
    doc = {k: v for k, v in created.json().items() if k not in ("revision", "current_version")}
    doc["capacity"] = 12
    changed = await registry.http.put(
        f"/v1/programs/{own}", json=doc, headers={**agency, "If-Match": created.headers["etag"]}
    )
    assert changed.status_code == 200, changed.text
    [row] = await registry.rows("SELECT revision, updated_by FROM programs")
    assert (row.revision, row.updated_by) == (2, "agency-x")

    # someone else's program: created by an admin, the agency cannot change it
    assert (await create(registry, program_document(other))).status_code == 201
    theirs = {**program_document(other), "capacity": 1}
    r = await registry.http.put(
        f"/v1/programs/{other}", json=theirs, headers={**agency, "If-Match": '"1"'}
    )
    assert_problem(r, 403)
    v2 = {
        "version": 2,
        "effective_from": "2021-01-01",
        "rule": {"kind": "criterion", "name": "x", "label": "x", "cel": "true"},
    }
    r = await registry.http.post(f"/v1/programs/{other}/versions", json=v2, headers=agency)
    assert_problem(r, 403)
    [(revision,)] = await registry.rows("SELECT revision FROM programs WHERE code = :c", c=other)
    assert revision == 1


async def test_an_operator_reads_but_never_writes(registry: RegistryService) -> None:
    await registry.seed()
    operator = registry.token("operator", regions=["33.04"])
    assert (await registry.http.get("/v1/programs", headers=operator)).status_code == 200
    r = await registry.http.get("/v1/programs/PIP", headers=operator)
    assert r.status_code == 200
    doc = {k: v for k, v in r.json().items() if k not in ("revision", "current_version")}
    outbox = await registry.count("outbox")

    assert_problem(await create(registry, program_document(new_code()), operator), 403)
    put = await registry.http.put(
        "/v1/programs/PIP", json=doc, headers={**operator, "If-Match": r.headers["etag"]}
    )
    assert_problem(put, 403)
    service = registry.token("service")
    assert_problem(await create(registry, program_document(new_code()), service), 403)
    assert await registry.count("outbox") == outbox
    assert_problem(await registry.http.post("/v1/programs", json=program_document(new_code())), 401)


# --------------------------------------------------------------------------- seeding


async def test_seeding_twice_changes_nothing_the_second_time(registry: RegistryService) -> None:
    first = await registry.seed()
    assert SEEDED <= set(first) and set(first.values()) == {"created"}
    staged = await registry.count("outbox")
    assert staged == len(first)
    revisions = {
        r.code: r.revision for r in await registry.rows("SELECT code, revision FROM programs")
    }

    second = await registry.seed()
    assert second == {code: "unchanged" for code in first}
    assert await registry.count("outbox") == staged
    after = {r.code: r.revision for r in await registry.rows("SELECT code, revision FROM programs")}
    assert after == revisions


async def test_seeding_restores_a_changed_program(registry: RegistryService) -> None:
    await registry.seed()
    r = await registry.http.get("/v1/programs/PIP", headers=registry.token())
    doc = {k: v for k, v in r.json().items() if k not in ("revision", "current_version")}
    doc["capacity"] = 3
    put = await registry.http.put(
        "/v1/programs/PIP", json=doc, headers={**registry.token(), "If-Match": r.headers["etag"]}
    )
    assert put.status_code == 200
    staged = await registry.count("outbox")

    results = await registry.seed()
    assert results["PIP"] == "updated"
    assert {c for c, v in results.items() if v != "unchanged"} == {"PIP"}
    assert await registry.count("outbox") == staged + 1
    [row] = await registry.rows("SELECT revision, document FROM programs WHERE code = 'PIP'")
    assert row.revision == 3 and row.document["capacity"] is None


# --------------------------------------------------------------------------- suspected bugs


async def test_a_code_the_catalog_event_cannot_carry_is_refused_not_a_500(
    registry: RegistryService,
) -> None:
    r = await create(registry, program_document("X"))
    assert r.status_code in (201, 422), r.text
    too_long = "T" + "X" * 40
    r = await create(registry, program_document(too_long))
    assert r.status_code in (201, 422), r.text


@pytest.mark.parametrize("cursor", ["a", "abc", "_w=="], ids=["length", "padding", "not-utf8"])
async def test_a_malformed_cursor_is_a_client_error(registry: RegistryService, cursor: str) -> None:
    r = await registry.http.get("/v1/programs", params={"cursor": cursor}, headers=registry.token())
    assert 400 <= r.status_code < 500, r.status_code

"""The registry refuses what it cannot store or publish with a 4xx naming why, never a 500, and its
OpenAPI says what the server requires."""

from __future__ import annotations

from typing import Any

import pytest

from rujukan_registry.testing import new_code, program_document

from .conftest import RegistryService

pytestmark = pytest.mark.integration

CONTROL = "mengandung karakter kontrol (U+0000)"


def errors(response: Any, status: int = 422) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {e["field"]: e["reason"] for e in response.json().get("errors", [])}


async def test_control_characters_in_a_program_are_refused_naming_the_field(
    registry: RegistryService,
) -> None:
    code = new_code()
    for path, field in [
        (("name", "id"), "name.id"),
        (("owner_agency",), "owner_agency"),
        (("contact", "office"), "contact.office"),
    ]:
        body = program_document(code)
        target = body
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = "Dinas\x00Sosial"
        r = await registry.http.post("/v1/programs", json=body, headers=registry.token())
        assert errors(r)[field] == CONTROL
    body = program_document(code)
    body["versions"][0]["rule"]["cel"] = "'a\x00' == 'a'"
    r = await registry.http.post("/v1/programs", json=body, headers=registry.token())
    assert errors(r)["versions[0].rule.criterion.cel"] == CONTROL
    assert await registry.count("programs") == 0
    # free text keeps its newlines
    body = program_document(code)
    body["description"]["id"] = "Program untuk\npengujian"
    r = await registry.http.post("/v1/programs", json=body, headers=registry.token())
    assert r.status_code == 201, r.text
    assert r.json()["description"]["id"] == "Program untuk\npengujian"


async def test_a_nul_in_the_url_is_a_client_error(registry: RegistryService) -> None:
    r = await registry.http.get("/v1/programs/PKH%00", headers=registry.token())
    assert errors(r)["code"] == CONTROL


async def test_a_dry_run_of_an_empty_rule_is_refused_not_a_500(registry: RegistryService) -> None:
    await registry.seed()
    r = await registry.http.post(
        "/v1/programs/PKH/dry-run", json={"rule": {}}, headers=registry.token()
    )
    assert "rule" in errors(r)


async def test_a_version_whose_date_does_not_increase_is_refused_after_the_permission_check(
    registry: RegistryService,
) -> None:
    await registry.seed()
    stale = {
        "version": 3,
        "effective_from": "2021-01-01",  # PKH version 2 is in effect from a later date
        "rule": {"kind": "criterion", "name": "x", "label": "X", "cel": "true"},
    }
    url = "/v1/programs/PKH/versions"
    r = await registry.http.post(url, json=stale, headers=registry.token("operator"))
    errors(r, 403)
    r = await registry.http.post(url, json=stale, headers=registry.token("agency", programs=["X"]))
    errors(r, 403)
    r = await registry.http.post(url, json=stale, headers=registry.token())
    assert "harus sesudah 2022-01-01" in errors(r)["effective_from"]
    assert await registry.count("outbox") == len(await registry.rows("SELECT code FROM programs"))


async def test_the_openapi_marks_a_rule_node_kind_as_required(registry: RegistryService) -> None:
    schemas = (await registry.http.get("/openapi.json")).json()["components"]["schemas"]
    for name in ("Criterion", "AllOf", "AnyOf", "AtLeast"):
        assert "kind" in schemas[name]["required"], name
    r = await registry.http.post(
        "/v1/programs/PKH/dry-run",
        json={"rule": {"name": "x", "label": "X", "cel": "true"}},
        headers=registry.token(),
    )
    assert r.status_code == 422  # what the schema says: the server requires it

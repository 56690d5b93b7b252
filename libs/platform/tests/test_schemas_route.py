"""Every service serves the JSON Schema each record names in ce_dataschema."""

from __future__ import annotations

import json

import httpx
from fastapi import APIRouter

from rujukan_contracts.envelope import dataschema
from rujukan_contracts.events import EVENT_MODELS
from rujukan_contracts.generate import CONTRACTS_DIR
from rujukan_platform.testing import client_of, open_app


def service(api: APIRouter) -> httpx.AsyncClient:
    return client_of(open_app(api, title="Catatan"))


async def test_each_event_schema_is_served_as_committed_by_type_and_by_urn(
    notes_api: APIRouter,
) -> None:
    async with service(notes_api) as client:
        index = (await client.get("/schemas")).json()["schemas"]
        assert [s["type"] for s in index] == sorted(EVENT_MODELS)
        for entry in index:
            committed = json.loads(
                (CONTRACTS_DIR / "schemas" / f"{entry['type']}.json").read_text()
            )
            for url in (entry["url"], f"/schemas/{dataschema(entry['type'])}"):
                response = await client.get(url)  # no credentials: public, like /openapi.json
                assert response.status_code == 200, url
                assert response.headers["content-type"] == "application/schema+json"
                assert response.json() == committed
                assert response.json()["$id"] == entry["id"] == dataschema(entry["type"])
        openapi = (await client.get("/openapi.json")).json()
        assert not [p for p in openapi["paths"] if p.startswith("/schemas")]


async def test_an_unknown_schema_is_a_404_problem_in_the_callers_language(
    notes_api: APIRouter,
) -> None:
    async with service(notes_api) as client:
        indonesian = await client.get("/schemas/rujukan.nothing.v9")
        english = await client.get("/schemas/rujukan.nothing.v9", headers={"Accept-Language": "en"})
    assert indonesian.status_code == english.status_code == 404
    assert indonesian.headers["content-type"].startswith("application/problem+json")
    assert indonesian.json()["title"] == "Skema tidak ditemukan"
    assert english.json()["title"] == "Schema not found"
    assert "rujukan.nothing.v9" in english.json()["detail"]

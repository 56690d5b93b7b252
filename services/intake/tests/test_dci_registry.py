"""The DCI-style social-registry adapter against a real local HTTP server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from rujukan_intake.adapters.dci import DciRegistry
from rujukan_intake.adapters.registry import RegistryUnavailable
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.testing import Servers, free_port

from .conftest import running_intake

pytestmark = pytest.mark.integration

KNOWN = {"3304010101200001": {"decile": 2, "enrolments": ["SEMBAKO"], "has_kks": True}}


class FakeNationalRegistry:
    """A DCI registry search endpoint holding a few households; records what it was asked."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.failing = False
        self.app = FastAPI()

        @self.app.post("/registry/sync/search")
        async def search(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append({"body": body, "auth": request.headers.get("authorization")})
            if self.failing:
                return JSONResponse({"error": "maintenance"}, status_code=503)
            responses = []
            for req in body["message"]["search_request"]:
                kk = req["search_criteria"]["query"]["value"]
                record = KNOWN.get(kk)
                responses.append(
                    {
                        "reference_id": req["reference_id"],
                        "timestamp": req["timestamp"],
                        "status": "succ",
                        "data": {
                            "reg_type": "ns:org:RegistryType:Social",
                            "reg_records": [record] if record else [],
                        },
                    }
                )
            return JSONResponse(
                {
                    "header": {"action": "on-search", "status": "succ"},
                    "message": {
                        "transaction_id": body["message"]["transaction_id"],
                        "search_response": responses,
                    },
                }
            )


@pytest.fixture
async def national_registry() -> AsyncIterator[tuple[FakeNationalRegistry, str]]:
    fake = FakeNationalRegistry()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(fake.app, host="127.0.0.1", port=port, log_level="error")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield fake, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


async def test_lookup_many_asks_once_and_maps_found_and_missing(
    national_registry: tuple[FakeNationalRegistry, str],
) -> None:
    fake, url = national_registry
    registry = DciRegistry(base_url=url, token="registry-token")
    try:
        facts = await registry.lookup_many(None, ["3304010101200001", "3304010101209999"])
    finally:
        await registry.aclose()
    assert facts["3304010101200001"].found and facts["3304010101200001"].decile == 2
    assert facts["3304010101200001"].enrolments == ["SEMBAKO"]
    assert facts["3304010101200001"].source == "dci"
    assert not facts["3304010101209999"].found and facts["3304010101209999"].decile is None
    (request,) = fake.requests  # one round trip for the whole batch
    assert request["auth"] == "Bearer registry-token"
    criteria = [r["search_criteria"] for r in request["body"]["message"]["search_request"]]
    assert {c["query_type"] for c in criteria} == {"idtype-value"}
    assert [c["query"]["type"] for c in criteria] == ["KK", "KK"]


async def test_a_failing_or_absent_registry_is_unavailable_not_not_found(
    national_registry: tuple[FakeNationalRegistry, str],
) -> None:
    fake, url = national_registry
    fake.failing = True
    registry = DciRegistry(base_url=url)
    with pytest.raises(RegistryUnavailable):
        await registry.lookup_many(None, ["3304010101200001"])
    await registry.aclose()
    nowhere = DciRegistry(base_url=f"http://127.0.0.1:{free_port()}", timeout=1)
    with pytest.raises(RegistryUnavailable):
        await nowhere.lookup_many(None, ["3304010101200001"])
    await nowhere.aclose()


async def test_intake_with_the_dci_adapter_answers_503_when_the_registry_is_down(
    servers: Servers,
    fresh_database: str,
    catalogue_topics: None,
    national_registry: tuple[FakeNationalRegistry, str],
) -> None:
    fake, url = national_registry
    async with running_intake(
        servers, fresh_database, registry_adapter="dci", registry_url=url
    ) as intake:
        fake.failing = True
        r = await intake.http.post("/v1/intakes", json=EXAMPLE_INTAKE, headers=intake.token())
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert r.headers["content-type"] == "application/problem+json"
        assert await intake.count("intakes") == 0 and await intake.count("outbox") == 0

        fake.failing = False
        r = await intake.http.post("/v1/intakes", json=EXAMPLE_INTAKE, headers=intake.token())
        assert r.status_code == 202, r.text
        (registry,) = [row[0] for row in await intake.rows("SELECT registry FROM intakes")]
        assert registry["found"] is True and registry["source"] == "dci"
        assert registry["enrolments"] == ["SEMBAKO"]


async def test_a_kk_the_registry_does_not_know_is_searched_again_by_its_members_niks(
    national_registry: tuple[FakeNationalRegistry, str],
) -> None:
    fake, url = national_registry
    known_nik = "3304010101200001"  # the fake answers any identifier it holds
    registry = DciRegistry(base_url=url)
    try:
        facts = await registry.lookup_many(
            None,
            ["3304010101209998", "3304010101209999"],
            niks={"3304010101209998": ["3304011203840001", known_nik], "3304010101209999": []},
        )
    finally:
        await registry.aclose()
    found = facts["3304010101209998"]
    assert (found.found, found.matched_by, found.decile) == (True, "nik", 2)
    assert not facts["3304010101209999"].found and facts["3304010101209999"].matched_by is None
    by_kk, by_nik = fake.requests  # one round trip by KK, then one by NIK for the unknown
    for request, kind, values in (
        (by_kk, "KK", ["3304010101209998", "3304010101209999"]),
        (by_nik, "NIK", ["3304011203840001", known_nik]),
    ):
        queries = [
            r["search_criteria"]["query"] for r in request["body"]["message"]["search_request"]
        ]
        assert queries == [{"type": kind, "value": v} for v in values]

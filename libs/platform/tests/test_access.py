"""Who may call what (``access``): a service whose routes and table differ does not start, a
role the table does not name gets a 403 in Bahasa Indonesia first, and the SQL region filter
sees whole region segments only (against the real database)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import Column, MetaData, Table, Text, select

from rujukan_platform.access import (
    Caller,
    PolicyMismatch,
    Sees,
    allow,
    not_found,
    region_condition,
    rules_for,
)
from rujukan_platform.auth import Authenticator, Principal
from rujukan_platform.db import make_engine
from rujukan_platform.language import Localised
from rujukan_platform.problems import install_problem_handlers
from rujukan_platform.testing import Servers, bearer, client_of

SECRET = "a-test-secret-of-at-least-32-bytes!!"

router = APIRouter(prefix="/v1")


@router.get("/things/{thing_id}")
async def read_thing(thing_id: str, caller: Caller) -> dict[str, str]:
    return {"id": thing_id, "by": caller.subject}


@router.post("/things")
async def add_thing(caller: Caller) -> dict[str, str]:
    return {"by": caller.subject}


@router.delete("/things/{thing_id}")
async def drop_thing(thing_id: str, caller: Caller) -> None:
    return None


POLICY = {
    "things": {
        ("GET", "/v1/things/{thing_id}"): allow("operator", "admin", sees=Sees.RESIDENTS),
        ("POST", "/v1/things"): allow("admin", sees=Sees.CATALOGUE),
        ("DELETE", "/v1/things/{thing_id}"): allow("admin", sees=Sees.OPERATIONS),
    }
}


def test_the_rules_of_a_service_cover_its_routes_exactly() -> None:
    rules = rules_for("things", router.routes, POLICY)  # type: ignore[arg-type]
    assert rules[("POST", "/v1/things")].roles == frozenset({"admin"})
    assert rules[("GET", "/v1/things/{thing_id}")].sees is Sees.RESIDENTS

    uncovered = {"things": {k: v for k, v in POLICY["things"].items() if k[0] != "DELETE"}}
    with pytest.raises(PolicyMismatch) as missing:
        rules_for("things", router.routes, uncovered)  # type: ignore[arg-type]
    assert "routes without a rule" in str(missing.value)
    assert "('DELETE', '/v1/things/{thing_id}')" in str(missing.value)

    stale_rule = ("PUT", "/v1/things/{thing_id}")
    stale = {"things": {**POLICY["things"], stale_rule: allow("admin", sees=Sees.CATALOGUE)}}
    with pytest.raises(PolicyMismatch, match=r"rules without a route \[\('PUT'"):
        rules_for("things", router.routes, stale)  # type: ignore[arg-type]

    with pytest.raises(PolicyMismatch, match=r"^nobody: routes without a rule"):
        rules_for("nobody", router.routes, POLICY)  # type: ignore[arg-type]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(router)
    install_problem_handlers(app)
    app.state.authenticator = Authenticator(SECRET, {})
    app.state.access_rules = rules_for("things", router.routes, POLICY)  # type: ignore[arg-type]
    async with client_of(app) as client:
        yield client


async def test_each_route_lets_in_the_roles_its_rule_names_and_only_them(
    http: httpx.AsyncClient,
) -> None:
    operator, admin, agency = (bearer(r, SECRET) for r in ("operator", "admin", "agency"))
    r = await http.get("/v1/things/1", headers=operator)
    assert r.status_code == 200 and r.json() == {"id": "1", "by": "test-operator"}
    assert (await http.post("/v1/things", headers=admin)).status_code == 200

    r = await http.post("/v1/things", headers=operator)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Tidak diizinkan"
    assert r.json()["detail"] == "peran 'operator' tidak boleh memanggil ini (boleh: admin)"
    r = await http.post("/v1/things", headers={**operator, "Accept-Language": "en"})
    assert r.status_code == 403 and r.json()["title"] == "Forbidden"
    assert r.json()["detail"] == "the role 'operator' may not call this (allowed: admin)"
    r = await http.get("/v1/things/1", headers=agency)
    assert r.status_code == 403 and "(boleh: admin, operator)" in r.json()["detail"]

    # who the caller is comes first: no credentials is a 401, whatever the route allows
    assert (await http.delete("/v1/things/1")).status_code == 401


async def test_the_api_description_asks_for_a_token_or_an_api_key() -> None:
    app = FastAPI()
    app.include_router(router)
    schemes = app.openapi()["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schemes["bearer"]["description"],
    }
    assert schemes["apiKey"]["in"] == "header" and schemes["apiKey"]["name"] == "X-API-Key"
    operation = app.openapi()["paths"]["/v1/things"]["post"]
    assert {"bearer": []} in operation["security"] and {"apiKey": []} in operation["security"]


def test_what_a_caller_may_not_see_does_not_exist_for_them() -> None:
    problem = not_found("referral 7e57d004")
    assert problem.status == 404
    assert problem.body(language="id")["detail"] == "tidak ditemukan: referral 7e57d004"
    assert problem.body(language="id")["title"] == "Tidak ditemukan"
    assert problem.body(language="en")["detail"] == "not found: referral 7e57d004"
    assert problem.body(language="en")["title"] == "Not found"
    named = not_found(Localised("templat surat", "letter template"))
    assert named.body(language="id")["detail"] == "tidak ditemukan: templat surat"
    assert named.body(language="en")["detail"] == "not found: letter template"


VILLAGES = [
    "33.04.01.2001",
    "33.04.02.2001",
    "33.040.01.2001",  # shares the text prefix "33.04", not the region
    "33.05.01.2001",
    "11.01.01.2001",
]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("regions", "seen"),
    [
        (["*"], VILLAGES),
        (["33.04"], ["33.04.01.2001", "33.04.02.2001"]),
        (["33.04.02", "11"], ["33.04.02.2001", "11.01.01.2001"]),
        (["33.05.01.2001"], ["33.05.01.2001"]),
        (["33.0"], []),
        ([], []),
    ],
)
async def test_the_region_filter_in_sql_sees_whole_region_segments(
    servers: Servers, fresh_database: str, regions: list[str], seen: list[str]
) -> None:
    metadata = MetaData()
    intakes = Table("intakes", metadata, Column("id", Text), Column("village_code", Text))
    engine = make_engine(f"{servers.pg_url}/{fresh_database}", pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(
                intakes.insert(),
                [{"id": str(n), "village_code": v} for n, v in enumerate([*VILLAGES, None])],
            )
            officer = Principal(subject="op", role="operator", regions=regions)
            query = select(intakes.c.village_code).where(
                region_condition(intakes.c.village_code, officer)
            )
            found = (await conn.execute(query.order_by(intakes.c.id))).scalars().all()
        assert found == seen
        assert found == [v for v in VILLAGES if officer.may_see(v)]  # the same as in Python
    finally:
        await engine.dispose()

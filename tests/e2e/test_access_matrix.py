"""Every route of every service, called as every kind of principal (issue 12).

The four services run as deployed. One intake of Desa 33.04.01.2001 (Banjarnegara) is routed and
its resident told; then each route in ``rujukan_platform.access.POLICY`` is called with real ids
by administrators, operators at national, province, regency and village scope and of other
regions, the program's agency, another program's agency, village-scoped agencies, a service, and
callers with no, expired, forged or unsigned tokens. What each call must answer comes from the
table (who may ask) and from this file's own list of what each principal may see (not from
``Principal.may_see``, which is what is under test). A route in the table without a request
here, or a served route without a line in the table, fails the test.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from rujukan_contracts.events import EVENT_MODELS
from rujukan_contracts.references import referral_reference
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_platform.access import POLICY, Sees
from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.docs import FAVICON, REDOC_JS, SWAGGER_CSS, SWAGGER_JS
from rujukan_platform.testing import Servers, eventually
from tests.e2e.platform import SECRET, Platform, running_platform

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

VILLAGE = EXAMPLE_INTAKE["household"]["village_code"]  # 33.04.01.2001
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}
#: public too, and in no OpenAPI document: the API's documents, the pages' own assets, and the
#: event schemas (what an event looks like, never what one holds)
PUBLIC_DOCUMENTS = (
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    SWAGGER_JS,
    SWAGGER_CSS,
    REDOC_JS,
    FAVICON,
    "/schemas",
    f"/schemas/{min(EVENT_MODELS)}",
)


@dataclass(frozen=True)
class Who:
    """A caller, and what of the seeded intake (of VILLAGE) and its referral to the program
    under test it may see, written out by hand."""

    name: str
    headers: dict[str, str]
    role: str | None  # None: the credentials are refused (401)
    region_ok: bool = False  # the intake's village is within the caller's scope
    program_ok: bool = False  # the referral's program is the caller's (agencies)


def _token(role: str, *, secret: str = SECRET, ttl: int = 3600, **scope: list[str]) -> str:
    subject = f"matrix-{role}-{uuid.uuid4().hex[:6]}"
    principal = Principal(subject=subject, role=role, **scope)  # type: ignore[arg-type]
    return issue_token(secret, principal, ttl_seconds=ttl)


def _unsigned() -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"iss": "rujukan", "aud": "rujukan", "sub": "mallory", "role": "admin"}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims | {'exp': now + 600})}."


def principals(program: str, other_program: str) -> list[Who]:
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def op(name: str, region: str, ok: bool) -> Who:
        return Who(name, bearer(_token("operator", regions=[region])), "operator", ok, True)

    def agency(name: str, programs: list[str], regions: list[str], region_ok: bool) -> Who:
        token = _token("agency", programs=programs, regions=regions)
        return Who(name, bearer(token), "agency", region_ok, program in programs)

    return [
        Who("admin", bearer(_token("admin")), "admin", True, True),
        op("operator national", "*", True),
        op("operator province 33", "33", True),
        op("operator regency 33.04", "33.04", True),
        op("operator village", VILLAGE, True),
        op("operator Jakarta 31", "31", False),
        op("operator next village", "33.04.01.2002", False),
        agency(f"agency {program}", [program], [], True),
        agency(f"agency {other_program}", [other_program], [], True),
        agency(f"agency {program} of the village", [program], [VILLAGE], True),
        agency(f"agency {program} of another village", [program], ["33.04.05.2001"], False),
        Who("service", bearer(_token("service")), "service", True, True),
        Who("no token", {}, None),
        Who("expired", bearer(_token("admin", ttl=-3600)), None),
        Who("wrong signature", bearer(_token("admin", secret="x" * 48)), None),
        Who("alg none", bearer(_unsigned()), None),
        Who("unknown API key", {"X-API-Key": "not-a-key"}, None),
    ]


@dataclass
class Seeded:
    intake_id: str
    household_id: str
    referral_id: str
    program: str
    program_view: dict[str, Any]


Call = Callable[[httpx.AsyncClient, Who], Awaitable[httpx.Response]]
#: (response, caller allowed by the table) → what was wrong, or ""
Judge = Callable[[httpx.Response, Who], str]


@dataclass(frozen=True)
class Probe:
    call: Call
    judge: Judge


def sees(who: Who, about: str) -> bool:
    """What of the seeded records a caller may see: "intake" (its region), "referral" (region
    and program), "manage" (the program is the caller's), "inbox" (the Puskesos inbox of its
    region: not an agency's, which reads only its own), "" (nothing of a resident's)."""
    if about == "intake":
        return who.region_ok
    if about == "inbox":
        return who.region_ok and who.role != "agency"
    if about == "referral":
        return who.region_ok and who.program_ok
    if about == "manage":
        return who.role == "admin" or (who.role == "agency" and who.program_ok)
    return True


def status_in(about: str, *ok: int) -> Judge:
    """Seen: one of ``ok``; not seen: 404 (or 403), never the data."""

    def judge(r: httpx.Response, who: Who) -> str:
        if sees(who, about):
            return "" if r.status_code in ok else f"expected {ok}"
        return "" if r.status_code in (403, 404) else "expected 403/404"

    return judge


def listing(about: str, has_it: Callable[[dict[str, Any]], bool]) -> Judge:
    """A list: 200 with the seeded record when seen, 200 without it otherwise."""

    def judge(r: httpx.Response, who: Who) -> str:
        if r.status_code != 200:
            return "expected 200"
        seen = sees(who, about)
        return "" if has_it(r.json()) == seen else f"seeded record listed: {not seen}"

    return judge


def operations(r: httpx.Response, _who: Who) -> str:
    """An administrator's job route with a made-up id or body: anything but a refusal."""
    return "" if r.status_code not in (401, 403) and r.status_code < 500 else "refused or failed"


def probes(platform: Platform, s: Seeded) -> dict[tuple[str, str, str], Probe]:
    def at(service: str, method: str, path: str, **kw: Any) -> Call:
        async def call(http: httpx.AsyncClient, who: Who) -> httpx.Response:
            return await http.request(
                method, platform.url(service) + path, headers=who.headers, **kw
            )

        return call

    program_body = {
        k: v for k, v in s.program_view.items() if k not in ("revision", "current_version")
    }
    latest = s.program_view["versions"][-1]
    intake_item = {"idempotency_key": f"matrix-{uuid.uuid4()}", "intake": EXAMPLE_INTAKE}
    referral = f"/v1/referrals/{s.referral_id}"
    reference = referral_reference(uuid.UUID(s.referral_id), VILLAGE).lower()  # as typed
    code = s.program
    missing = str(uuid.uuid4())

    def batch_judge(r: httpx.Response, who: Who) -> str:
        if r.status_code != 200:
            return "expected 200"
        problem = r.json()["results"][0]["problem"]
        if sees(who, "intake"):
            return "" if problem is None else f"item refused: {problem}"
        return "" if problem and problem["status"] == 403 else "item not refused with 403"

    def dry_run_judge(r: httpx.Response, who: Who) -> str:
        """Only the program's managers; a village officer's run counts only their villages."""
        if not sees(who, "manage"):
            return "" if r.status_code == 403 else "expected 403 (not the program's)"
        if r.status_code != 200:
            return "expected 200"
        counted = r.json()["intakes_evaluated"] > 0
        return "" if counted == who.region_ok else f"the seeded intake counted: {counted}"

    return {
        ("intake", "POST", "/v1/intakes"): Probe(
            at("intake", "POST", "/v1/intakes", json=EXAMPLE_INTAKE), status_in("intake", 200, 202)
        ),
        ("intake", "POST", "/v1/intakes/batch"): Probe(
            at("intake", "POST", "/v1/intakes/batch", json={"items": [intake_item]}), batch_judge
        ),
        ("intake", "GET", "/v1/intakes/{intake_id:uuid}"): Probe(
            at("intake", "GET", f"/v1/intakes/{s.intake_id}"), status_in("intake", 200)
        ),
        ("intake", "GET", "/v1/referrals/{referral_id}/household"): Probe(
            at("intake", "GET", referral + "/household", params={"purpose": "uji akses"}),
            status_in("referral", 200),
        ),
        ("intake", "GET", "/v1/referrals/by-reference/{reference}/household"): Probe(
            at(
                "intake",
                "GET",
                f"/v1/referrals/by-reference/{reference}/household",
                params={"purpose": "uji akses"},
            ),
            status_in("referral", 200),
        ),
        ("intake", "GET", "/v1/identity-reads"): Probe(  # after the reads above: logged
            at("intake", "GET", "/v1/identity-reads", params={"household_id": s.household_id}),
            listing("intake", lambda b: bool(b["items"])),
        ),
        ("intake", "POST", "/v1/households/{household_id}/consent/withdraw"): Probe(
            at(
                "intake",
                "POST",
                f"/v1/households/{s.household_id}/consent/withdraw",
                json={"purposes": ["notification"]},
            ),
            # the first withdraws it, the others are answered with that withdrawal
            status_in("intake", 200),
        ),
        ("program-registry", "GET", "/v1/programs"): Probe(
            at("program-registry", "GET", "/v1/programs"), status_in("", 200)
        ),
        ("program-registry", "GET", "/v1/programs/{code}"): Probe(
            at("program-registry", "GET", f"/v1/programs/{code}"), status_in("", 200)
        ),
        ("program-registry", "GET", "/v1/programs/{code}/versions"): Probe(
            at("program-registry", "GET", f"/v1/programs/{code}/versions"), status_in("", 200)
        ),
        ("program-registry", "POST", "/v1/programs"): Probe(  # exists: 409 once allowed
            at("program-registry", "POST", "/v1/programs", json=program_body),
            status_in("manage", 409),
        ),
        ("program-registry", "PUT", "/v1/programs/{code}"): Probe(  # no If-Match: 428
            at("program-registry", "PUT", f"/v1/programs/{code}", json=program_body),
            status_in("manage", 428),
        ),
        ("program-registry", "POST", "/v1/programs/{code}/versions"): Probe(
            at("program-registry", "POST", f"/v1/programs/{code}/versions", json=latest),
            status_in("manage", 409, 412, 422, 428),
        ),
        ("program-registry", "POST", "/v1/programs/{code}/explain"): Probe(
            at(
                "program-registry",
                "POST",
                f"/v1/programs/{code}/explain",
                json={"intake_id": s.intake_id},
            ),
            status_in("referral", 200),
        ),
        ("program-registry", "POST", "/v1/programs/{code}/dry-run"): Probe(
            at(
                "program-registry",
                "POST",
                f"/v1/programs/{code}/dry-run",
                json={"rule": latest["rule"], "days": 30},
            ),
            dry_run_judge,
        ),
        ("referral-router", "GET", "/v1/referrals"): Probe(
            at("referral-router", "GET", "/v1/referrals", params={"intake_id": s.intake_id}),
            listing(
                "referral", lambda b: any(i["referral_id"] == s.referral_id for i in b["items"])
            ),
        ),
        ("referral-router", "GET", "/v1/referrals/{referral_id}"): Probe(
            at("referral-router", "GET", referral), status_in("referral", 200)
        ),
        ("referral-router", "GET", "/v1/referrals/{referral_id}/trace"): Probe(
            at("referral-router", "GET", referral + "/trace"), status_in("referral", 200)
        ),
        ("referral-router", "GET", "/v1/intakes/{intake_id}/decisions"): Probe(
            at("referral-router", "GET", f"/v1/intakes/{s.intake_id}/decisions"),
            status_in("intake", 200),
        ),
        ("referral-router", "POST", "/v1/referrals/{referral_id}/outcome"): Probe(
            at("referral-router", "POST", referral + "/outcome", json={"outcome": "accepted"}),
            status_in("referral", 200, 409),  # the first accepts, the others find it accepted
        ),
        ("referral-router", "POST", "/v1/referrals/{referral_id}/withdraw"): Probe(
            at(
                "referral-router",
                "POST",
                referral + "/withdraw",
                json={"reason": "Uji akses: rujukan ditarik petugas"},
            ),
            # the first withdraws it, the others repeat the same withdrawal (answered again)
            status_in("intake", 200),
        ),
        ("referral-router", "POST", "/v1/replays"): Probe(
            at("referral-router", "POST", "/v1/replays", json={"unknown": 1}), operations
        ),
        ("referral-router", "GET", "/v1/replays"): Probe(
            at("referral-router", "GET", "/v1/replays"), status_in("", 200)
        ),
        ("referral-router", "GET", "/v1/replays/{replay_id}"): Probe(
            at("referral-router", "GET", f"/v1/replays/{missing}"), operations
        ),
        ("referral-router", "POST", "/v1/replays/{replay_id}/start"): Probe(
            at("referral-router", "POST", f"/v1/replays/{missing}/start"), operations
        ),
        ("referral-router", "POST", "/v1/replays/{replay_id}/cancel"): Probe(
            at("referral-router", "POST", f"/v1/replays/{missing}/cancel"), operations
        ),
        ("referral-router", "POST", "/v1/replays/{replay_id}/registry-updates"): Probe(
            at("referral-router", "POST", f"/v1/replays/{missing}/registry-updates", json={}),
            operations,
        ),
        ("notifications", "GET", "/v1/notifications"): Probe(
            at("notifications", "GET", "/v1/notifications", params={"referral_id": s.referral_id}),
            listing("referral", lambda b: bool(b["items"])),
        ),
        ("notifications", "GET", "/v1/inbox"): Probe(
            at("notifications", "GET", "/v1/inbox", params={"recipient": f"puskesos:{VILLAGE}"}),
            status_in("inbox", 200),
        ),
        ("notifications", "GET", "/v1/templates/{status}/preview"): Probe(
            at("notifications", "GET", "/v1/templates/accepted/preview"), status_in("", 200)
        ),
        ("notifications", "POST", "/v1/alerts/alertmanager"): Probe(
            at("notifications", "POST", "/v1/alerts/alertmanager", json={}), operations
        ),
    }


@pytest.fixture
async def platform(servers: Servers, tmp_path: Path) -> AsyncIterator[Platform]:
    async with running_platform(servers, tmp_path) as p:
        yield p


async def seed(platform: Platform, http: httpx.AsyncClient) -> Seeded:
    """One intake of VILLAGE, routed, delivered and its resident told."""
    operator, admin = platform.token("operator", regions=[VILLAGE]), platform.token("admin")
    r = await http.post(
        platform.url("intake") + "/v1/intakes", json=EXAMPLE_INTAKE, headers=operator
    )
    assert r.status_code == 202, r.text
    intake_id, household_id = r.json()["intake_id"], r.json()["household_id"]

    async def delivered() -> list[dict[str, Any]]:
        got = await http.get(
            platform.url("referral-router") + "/v1/referrals",
            params={"intake_id": intake_id},
            headers=admin,
        )
        items: list[dict[str, Any]] = got.json()["items"]
        return items if items and all(i["status"] == "delivered" for i in items) else []

    referral = sorted(await eventually(delivered, timeout=60), key=lambda i: i["program_code"])[0]

    async def told() -> bool:
        got = await http.get(
            platform.url("notifications") + "/v1/notifications",
            params={"referral_id": referral["referral_id"]},
            headers=admin,
        )
        return bool(got.json()["items"])

    async def explained() -> bool:
        url = f"{platform.url('program-registry')}/v1/programs/{referral['program_code']}/explain"
        return (await http.post(url, json={"intake_id": intake_id}, headers=admin)).is_success

    async def intake_knows() -> bool:  # intake's view of its referrals (referrals.status)
        got = await http.get(f"{platform.url('intake')}/v1/intakes/{intake_id}", headers=admin)
        return any(r["referral_id"] == referral["referral_id"] for r in got.json()["referrals"])

    await eventually(told, timeout=60)
    await eventually(intake_knows, timeout=60)
    await eventually(explained, timeout=60)
    view = await http.get(
        f"{platform.url('program-registry')}/v1/programs/{referral['program_code']}",
        headers=admin,
    )
    return Seeded(
        intake_id, household_id, referral["referral_id"], referral["program_code"], view.json()
    )


async def test_every_route_answers_every_principal_as_the_table_says(platform: Platform) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        # every served route has a line in the table, and every line a route
        for service, table in POLICY.items():
            doc = (await http.get(platform.url(service) + "/openapi.json")).json()
            served = {
                (method.upper(), path)
                for path, ops in doc["paths"].items()
                for method in ops
                if (method.upper(), path) not in PUBLIC
            }
            lines = {(m, p.replace(":uuid", "")) for m, p in table}
            assert served == lines, (service, served ^ lines)
            # declared, so /docs can authorise and generated clients send credentials
            schemes = doc["components"]["securitySchemes"]
            assert schemes["bearer"]["scheme"] == "bearer" and schemes["apiKey"]["in"] == "header"
            for path, ops in doc["paths"].items():
                for method, op in ops.items():
                    if (method.upper(), path) not in PUBLIC:
                        assert {"bearer": []} in op["security"], (service, method, path)
            # what anyone may read answers without credentials, and with refused ones
            for path in [p for _m, p in PUBLIC] + list(PUBLIC_DOCUMENTS):
                for headers in ({}, {"Authorization": f"Bearer {_unsigned()}"}):
                    r = await http.get(platform.url(service) + path, headers=headers)
                    assert r.status_code == 200, (service, path, headers, r.status_code)

        seeded = await seed(platform, http)
        others = sorted(
            p["code"]
            for p in (
                await http.get(
                    platform.url("program-registry") + "/v1/programs",
                    params={"limit": 200},
                    headers=platform.token("admin"),
                )
            ).json()["items"]
            if p["code"] != seeded.program
        )
        callers = principals(seeded.program, others[0])
        table = probes(platform, seeded)
        assert set(table) == {(s, m, p) for s, t in POLICY.items() for m, p in t}, (
            "a route of the access table has no probe here"
        )

        wrong: list[str] = []
        calls = 0
        for (service, method, path), probe in table.items():
            rule = POLICY[service][(method, path)]
            for who in callers:
                r = await probe.call(http, who)
                calls += 1
                if who.role is None:
                    problem = "" if r.status_code == 401 else "expected 401"
                elif who.role not in rule.roles:
                    problem = "" if r.status_code == 403 else "expected 403 (role)"
                else:
                    problem = probe.judge(r, who)
                if r.status_code >= 500:
                    problem = "server error"
                if problem:
                    wrong.append(
                        f"{service} {method} {path} as {who.name}: {r.status_code} "
                        f"{r.text[:200]} — {problem}"
                    )
    print(f"\naccess matrix: {len(table)} routes x {len(callers)} principals = {calls} calls")
    assert not wrong, "\n".join(wrong)
    assert calls == len(table) * len(callers) and calls >= 28 * 17
    assert all(rule.sees in Sees for t in POLICY.values() for rule in t.values())

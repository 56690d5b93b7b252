"""The pages over a stand-in network: signing in (the local issuer only when switched on, every
POST with the session's CSRF token, the session in an HttpOnly, SameSite=Strict cookie holding a
token the services accept), and what a page asks the services for, with whose token, in which
language and in which trace."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import ValidationError

from rujukan_platform import telemetry
from rujukan_platform.auth import principal_of_token
from rujukan_platform.testing import free_port
from rujukan_workbench.app import create_app
from rujukan_workbench.cookies import COOKIE, CookieSigner, Session
from rujukan_workbench.sessions import SessionStore, sessions
from rujukan_workbench.settings import DEV_COOKIE_SECRET, WorkbenchSettings

pytestmark = pytest.mark.usefixtures("workbench_database")

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"
#: settings production accepts: its own secrets, and a key to seal the sessions' tokens with
PRODUCTION: dict[str, object] = {
    "environment": "production",
    "auth_secret": "x" * 40,
    "cookie_secret": "y" * 40,
    "data_keys": {"2026-12": base64.b64encode(b"k" * 32).decode()},
    "data_key_id": "2026-12",
}


def settings(**values: object) -> WorkbenchSettings:
    return WorkbenchSettings(auth_secret=SECRET, environment="test", **values)  # type: ignore[arg-type]


@asynccontextmanager
async def workbench(
    s: WorkbenchSettings,
    base_url: str = "http://wb.test",
    services: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(s, transport=services)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def sign_in(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    """Sign in through the sign-in page's form, as a browser does (its CSRF token included)."""
    page = await client.get("/masuk")
    return await client.post("/masuk", data=form | {"csrf": csrf_of(page.text)})


async def stored(client: httpx.AsyncClient) -> Session:
    """The session the client's cookie names, as the workbench's store keeps it."""
    s = settings()
    session_id = CookieSigner(s.cookie_secret.get_secret_value(), 3600).read(client.cookies[COOKIE])
    assert session_id is not None
    store = SessionStore.at(s.dsn, s.sealer)
    try:
        return await store.find(session_id)
    finally:
        await store.close()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def test_the_local_issuer_signs_a_puskesos_officer_in() -> None:
    async with workbench(settings(dev_sign_in=True)) as client:
        page = await client.get("/masuk")
        assert page.status_code == 200 and '<html lang="id">' in page.text
        form = {"kind": "puskesos", "village": "33.04.01.2001", "name": "Bu Ani"}

        refused = await client.post("/masuk", data=form)
        assert refused.status_code == 403 and COOKIE not in refused.headers.get("set-cookie", "")

        signed = await client.post("/masuk", data=form | {"csrf": csrf_of(page.text)})
        assert signed.status_code == 303
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        session = await stored(client)
        assert session.token is not None
        officer = principal_of_token(SECRET, session.token)
        assert (officer.subject, officer.role, officer.regions) == (
            "Bu Ani",
            "operator",
            ["33.04.01.2001"],
        )
        # the old session's CSRF token died with it: signing in drew a new nonce
        again = await client.post("/masuk", data=form | {"csrf": csrf_of(page.text)})
        assert again.status_code == 403


async def test_signing_out_ends_the_session_for_a_copied_cookie_too() -> None:
    """The cookie holds only the session's id (small, no token in it); the token is sealed in
    the store, and signing out deletes the session, so a copy of the cookie signs no one in."""
    async with workbench(settings(dev_sign_in=True)) as client:
        await sign_in(client, kind="agency", program="PKH")
        cookie = client.cookies[COOKIE]
        session = await stored(client)
        assert session.token is not None and session.token not in cookie and len(cookie) < 200
        s = settings()
        async with SessionStore.at(s.dsn, s.sealer)._engine.connect() as db:
            kept = (await db.execute(sessions.select())).all()
        assert session.token not in {row.token for row in kept}  # sealed at rest
        assert (await client.get("/antrean")).status_code != 303
        page = await client.get("/masuk")
        out = await client.post("/keluar", data={"csrf": csrf_of(page.text)})
        assert out.headers["location"] == "/masuk"

    async with workbench(settings(dev_sign_in=True)) as copied:  # another browser, or replica
        copied.cookies.set(COOKIE, cookie)
        assert (await copied.get("/antrean")).headers["location"] == "/masuk?lanjut=%2Fantrean"


async def test_after_signing_in_the_person_is_back_on_the_page_they_asked_for() -> None:
    async with workbench(settings(dev_sign_in=True)) as client:
        asked = await client.get("/rujukan/7f0c4a52-3f5e-4a5e-9c1e-0d2b3c4d5e6f?tercatat=true")
        assert asked.headers["location"] == (
            "/masuk?lanjut=%2Frujukan%2F7f0c4a52-3f5e-4a5e-9c1e-0d2b3c4d5e6f%3Ftercatat%3Dtrue"
        )
        page = await client.get(asked.headers["location"])
        going = re.search(r'name="lanjut" value="([^"]+)"', page.text)
        assert going is not None
        back = await sign_in(client, kind="agency", program="PKH", lanjut=going.group(1))
        assert back.headers["location"] == (
            "/rujukan/7f0c4a52-3f5e-4a5e-9c1e-0d2b3c4d5e6f?tercatat=true"
        )


@pytest.mark.parametrize(
    "elsewhere",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/\tevil",
    ],
)
async def test_after_signing_in_no_link_sends_the_person_to_another_site(elsewhere: str) -> None:
    async with workbench(settings(dev_sign_in=True)) as client:
        page = await client.get("/masuk", params={"lanjut": elsewhere})
        assert 'name="lanjut" value="/"' in page.text
        back = await sign_in(client, kind="operator", lanjut=elsewhere)
        assert back.headers["location"] == "/"
        language = await client.get("/bahasa/en", params={"kembali": elsewhere})
        assert language.headers["location"] == "/"


async def test_an_unknown_village_is_refused_in_the_persons_language() -> None:
    async with workbench(settings(dev_sign_in=True)) as client:
        client.cookies.set("rujukan_workbench_bahasa", "en")
        page = await client.get("/masuk")
        assert '<html lang="en">' in page.text
        answer = await client.post(
            "/masuk", data={"kind": "puskesos", "village": "99.99", "csrf": csrf_of(page.text)}
        )
        assert answer.status_code == 422 and "Unknown village code." in answer.text


async def test_without_the_local_issuer_no_one_signs_in() -> None:
    async with workbench(settings()) as client:
        page = await client.get("/masuk")
        assert "OIDC" in page.text and 'name="kind"' not in page.text
        moved = await client.get("/kunjungan/baru")
        assert moved.headers["location"] == "/masuk?lanjut=%2Fkunjungan%2Fbaru"
        assert "set-cookie" not in moved.headers  # the session is kept: no service refused it


def test_production_refuses_the_local_issuer_and_the_development_cookie_key() -> None:
    with pytest.raises(ValidationError, match="DEV_SIGN_IN"):
        WorkbenchSettings.model_validate(PRODUCTION | {"dev_sign_in": True})
    with pytest.raises(ValidationError, match="COOKIE_SECRET"):
        WorkbenchSettings.model_validate(PRODUCTION | {"cookie_secret": DEV_COOKIE_SECRET})


async def test_a_page_whose_service_does_not_answer_says_which() -> None:
    nowhere = "http://127.0.0.1:9"  # the discard port: nothing listens
    async with workbench(settings(dev_sign_in=True, router_url=nowhere)) as client:
        assert (await sign_in(client, kind="agency", program="PKH")).headers["location"] == "/"
        queue = await client.get("/antrean")
        assert queue.status_code == 503
        assert "Layanan tidak menjawab" in queue.text and "Sistem rujukan" in queue.text


async def test_over_https_the_cookies_are_secure() -> None:
    async with workbench(settings(dev_sign_in=True), base_url="https://wb.test") as client:
        page = await client.get("/masuk")
        assert "; Secure" in page.headers["set-cookie"]
        language = await client.get("/bahasa/en", params={"kembali": "//evil.example/"})
        assert language.headers["location"] == "/"  # only a path of the workbench's own
        assert "; Secure" in language.headers["set-cookie"]


async def test_in_production_the_cookies_are_secure_behind_a_proxy_speaking_http() -> None:
    production = WorkbenchSettings.model_validate(PRODUCTION)
    async with workbench(production) as client:
        page = await client.get("/masuk")
        assert "; Secure" in page.headers["set-cookie"]
        language = await client.get("/bahasa/en")
        assert "; Secure" in language.headers["set-cookie"]


async def test_a_body_past_the_limit_is_refused_before_it_is_read() -> None:
    async with workbench(settings(dev_sign_in=True, max_body_bytes=1000)) as client:
        csrf = csrf_of((await client.get("/masuk")).text)
        big = await client.post("/masuk", data={"csrf": csrf, "name": "x" * 2000})
        assert big.status_code == 413 and big.headers["x-frame-options"] == "DENY"
        small = await client.post("/masuk", data={"csrf": csrf, "kind": "operator"})
        assert small.status_code == 303


TEMPLATES = Path(__file__).resolve().parents[1] / "src/rujukan_workbench/templates"


async def test_every_answer_forbids_framing_and_foreign_scripts_and_no_page_is_cached() -> None:
    async with workbench(settings(dev_sign_in=True)) as client:
        page = await client.get("/masuk")
        refused = await client.post("/masuk", data={})  # a refusal's page too
        style = await client.get("/static/workbench.css")
    for answer in (page, refused, style):
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert answer.headers["x-frame-options"] == "DENY"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert refused.status_code == 403
    assert page.headers["cache-control"] == refused.headers["cache-control"] == "no-store"
    assert "no-store" not in style.headers.get("cache-control", "")


def test_the_pages_need_nothing_the_content_security_policy_forbids() -> None:
    """No inline script, handler or style: the policy allows only the workbench's own files."""
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"\s(style|on[a-z]+)=", text), template.name
        assert "<style" not in text, template.name


def test_every_cell_of_a_card_table_names_its_column() -> None:
    """On a phone a ``table.cards`` shows each row as a card whose cells say their column
    (``data-label``); a cell without one would show a bare value."""
    for template in TEMPLATES.glob("*.html"):
        for table in re.findall(r'<table class="cards">.*?</table>', template.read_text(), re.S):
            cells = re.findall(r"<td[^>]*>", table)
            assert cells and all("data-label=" in cell for cell in cells), template.name


QUEUED = {
    "referral_id": "0b6f1f5e-8d4a-4f53-9d0c-3c1f4c7c2a11",
    "reference": "RJK-3304-7F3K2Q",
    "program_code": "PKH",
    "status": "delivered",
    "escalation_level": 1,
    "priority_lanes": ["pregnant_or_breastfeeding"],
    "due_at": "2026-12-07T03:00:00+00:00",
    "village_code": "33.04.01.2001",
}


async def test_the_queue_asks_the_router_with_the_officers_token_in_one_trace() -> None:
    asked: list[httpx.Request] = []

    def router(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json={"items": [QUEUED], "next_cursor": "c2"})

    found = InMemorySpanExporter()
    telemetry.install(
        telemetry.new_provider("workbench-test", environment="test", version="0"),
        SimpleSpanProcessor(found),
    )
    try:
        services = httpx.MockTransport(router)
        async with workbench(settings(dev_sign_in=True), services=services) as client:
            await sign_in(client, kind="agency", program="PKH")
            queue = await client.get("/antrean")
    finally:
        telemetry.uninstall()
    assert queue.status_code == 200
    assert "RJK-3304-7F3K2Q" in queue.text and "eskalasi tingkat 1" in queue.text
    assert "2026-12-07 10:00 WIB" in queue.text  # the village's clock
    assert 'href="/antrean?lanjut=c2"' in queue.text
    [call] = asked
    assert call.url.path == "/v1/referrals"
    assert dict(call.url.params) == {"order": "urgent", "limit": "100"}
    token = call.headers["authorization"].removeprefix("Bearer ")
    assert principal_of_token(SECRET, token).programs == ["PKH"]
    assert call.headers["accept-language"] == "id"
    [server] = [s for s in found.get_finished_spans() if s.name.startswith("GET /antrean")]
    assert call.headers["traceparent"].split("-")[1] == f"{server.context.trace_id:032x}"


DECIDED = {
    "intake_id": "5f0c1b8e-2b7a-4d8e-9a51-0d6f3c2b1a10",
    "suggested": [],
    "decisions": [
        {
            "programs": [
                {
                    "program_code": "PKH",
                    "outcome": "skipped",
                    "skipped": "no_consent",
                    "rank": 1,
                    "criteria": [],
                },
                {
                    "program_code": "RTLH-3304",
                    "outcome": "skipped",
                    "skipped": "capacity_full",
                    "rank": 2,
                    "criteria": [],
                },
            ]
        }
    ],
}


async def test_a_visits_result_says_in_indonesian_why_a_program_was_skipped() -> None:
    def router(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/decisions"):
            return httpx.Response(200, json=DECIDED)
        return httpx.Response(200, json={"items": [], "next_cursor": None})

    services = httpx.MockTransport(router)
    async with workbench(settings(dev_sign_in=True), services=services) as client:
        await sign_in(client, kind="puskesos", village="33.04.01.2001")
        page = await client.get(f"/kunjungan/{DECIDED['intake_id']}")
    assert page.status_code == 200
    assert "(warga tidak setuju dirujuk ke program ini)" in page.text
    assert "(kuota program penuh)" in page.text
    assert "no_consent" not in page.text and "capacity_full" not in page.text


async def test_the_nik_check_needs_the_sessions_csrf_token_and_answers_as_intake() -> None:
    async with workbench(settings(dev_sign_in=True)) as client:
        await sign_in(client, kind="puskesos", village="33.04.01.2001")
        csrf = csrf_of((await client.get("/kunjungan/baru")).text)
        typed = {"nik": "3304015505900011", "birth_date": "1990-05-15", "sex": "male"}
        assert (await client.post("/periksa-nik", json=typed)).status_code == 403
        answer = await client.post("/periksa-nik", json=typed, headers={"X-CSRF-Token": csrf})
        assert answer.json() == {
            "ok": False,
            "message": "NIK ini milik seorang perempuan, tetapi anggota ini tercatat laki-laki",
        }
        typed["sex"] = "female"
        answer = await client.post("/periksa-nik", json=typed, headers={"X-CSRF-Token": csrf})
        assert answer.json()["ok"] is True
        garbled = await client.post(
            "/periksa-nik", content=b"nik=3304", headers={"X-CSRF-Token": csrf}
        )
        assert garbled.status_code == 200 and garbled.json()["ok"] is False


async def test_a_token_the_services_refuse_signs_the_person_out() -> None:
    def refusing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"status": 401, "detail": "token sudah kedaluwarsa"})

    services = httpx.MockTransport(refusing)
    async with workbench(settings(dev_sign_in=True), services=services) as client:
        await sign_in(client, kind="agency", program="PKH")
        queue = await client.get("/antrean")
        assert queue.status_code == 303 and queue.headers["location"] == "/masuk?lanjut=%2Fantrean"
        assert COOKIE not in client.cookies  # the session is dropped


async def test_ready_only_while_its_database_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """``/readyz`` (Kubernetes' readiness probe): nobody can sign in without the sessions'
    database, so a workbench that cannot reach it takes no traffic."""
    async with workbench(settings()) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}
    away = f"postgresql+asyncpg://rujukan:rujukan@127.0.0.1:{free_port()}/wb"
    monkeypatch.setenv("RUJUKAN_WORKBENCH_DATABASE_URL", away)  # the service's own env wins
    async with workbench(settings()) as client:
        refused = await client.get("/readyz")
        assert refused.status_code == 503
        assert refused.json()["checks"]["database"].startswith("failing")

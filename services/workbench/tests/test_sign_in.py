"""Signing in: the local issuer only when switched on, every POST with the session's CSRF token,
and the session in an HttpOnly, SameSite=Strict cookie holding a token the services accept."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from pydantic import ValidationError

from rujukan_platform.auth import principal_of_token
from rujukan_workbench.app import create_app
from rujukan_workbench.cookies import COOKIE, CookieSigner
from rujukan_workbench.settings import WorkbenchSettings

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


def settings(**values: object) -> WorkbenchSettings:
    return WorkbenchSettings(auth_secret=SECRET, environment="test", **values)  # type: ignore[arg-type]


@asynccontextmanager
async def workbench(
    s: WorkbenchSettings, base_url: str = "http://wb.test"
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(s)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


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
        session = CookieSigner(settings().cookie_secret.get_secret_value(), 3600).read(
            client.cookies[COOKIE]
        )
        assert session is not None and session.token is not None
        officer = principal_of_token(SECRET, session.token)
        assert (officer.subject, officer.role, officer.regions) == (
            "Bu Ani",
            "operator",
            ["33.04.01.2001"],
        )
        # the old session's CSRF token died with it: signing in drew a new nonce
        again = await client.post("/masuk", data=form | {"csrf": csrf_of(page.text)})
        assert again.status_code == 403


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
        assert moved.headers["location"] == "/masuk"


def test_production_refuses_the_local_issuer_and_the_development_cookie_key() -> None:
    with pytest.raises(ValidationError, match="DEV_SIGN_IN"):
        WorkbenchSettings(
            environment="production",
            auth_secret="x" * 40,  # type: ignore[arg-type]
            cookie_secret="y" * 40,  # type: ignore[arg-type]
            dev_sign_in=True,
        )
    with pytest.raises(ValidationError, match="COOKIE_SECRET"):
        WorkbenchSettings(environment="production", auth_secret="x" * 40)  # type: ignore[arg-type]


async def test_a_page_whose_service_does_not_answer_says_which() -> None:
    nowhere = "http://127.0.0.1:9"  # the discard port: nothing listens
    async with workbench(settings(dev_sign_in=True, router_url=nowhere)) as client:
        page = await client.get("/masuk")
        form = {"kind": "agency", "program": "PKH", "csrf": csrf_of(page.text)}
        assert (await client.post("/masuk", data=form)).headers["location"] == "/"
        queue = await client.get("/antrean")
        assert queue.status_code == 503
        assert "Layanan tidak menjawab" in queue.text and "router" in queue.text


async def test_over_https_the_cookies_are_secure() -> None:
    async with workbench(settings(dev_sign_in=True), base_url="https://wb.test") as client:
        page = await client.get("/masuk")
        assert "; Secure" in page.headers["set-cookie"]
        language = await client.get("/bahasa/en", params={"kembali": "//evil.example/"})
        assert language.headers["location"] == "/"  # only a path of the workbench's own
        assert "; Secure" in language.headers["set-cookie"]

"""Signing in with OpenID Connect against a real provider (``rujukan_platform.oidc_testing``): the
authorization-code flow with PKCE, state and nonce, the provider's access token kept and read as
the services read it, and every refusal on the way back said in Indonesian, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import ValidationError

from rujukan_platform.oidc_testing import Provider, running_provider
from rujukan_workbench.cookies import COOKIE, PENDING_COOKIE
from rujukan_workbench.settings import WorkbenchSettings
from services.workbench.tests.test_pages import SECRET, csrf_of, stored, workbench

pytestmark = pytest.mark.usefixtures("workbench_database")

WORKBENCH = "http://wb.test"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        running.person("bu-ani", role="operator", regions=["33.04.01.2001"])
        running.person("tamu")  # known to the provider, with no Rujukan role
        yield running


def oidc_settings(provider: Provider, **values: object) -> WorkbenchSettings:
    given: dict[str, object] = {
        "auth_secret": SECRET,
        "environment": "test",
        "oidc_issuer": provider.issuer,
        "oidc_client_id": "rujukan-workbench",
        "oidc_client_secret": "client-secret",
        "oidc_redirect_url": f"{WORKBENCH}/masuk/selesai",
        "oidc_issuers": [{"issuer": provider.issuer, "audience": "rujukan"}],
    }
    return WorkbenchSettings.model_validate(given | values)


@pytest.fixture
async def client(provider: Provider) -> AsyncIterator[httpx.AsyncClient]:
    async with workbench(oidc_settings(provider), base_url=WORKBENCH) as running:
        yield running


async def to_provider(client: httpx.AsyncClient, going: str = "/") -> str:
    """The sign-in page's button: the provider's authorization address it goes to."""
    page = await client.get("/masuk", params={"lanjut": going})
    assert page.status_code == 200 and "Masuk dengan akun instansi" in page.text
    started = await client.post("/masuk", data={"csrf": csrf_of(page.text), "lanjut": going})
    assert started.status_code == 303
    return started.headers["location"]


async def at_provider(authorize: str, subject: str | None) -> dict[str, str]:
    """The provider's page: sign in as ``subject`` (None: deny); its answer's parameters."""
    async with httpx.AsyncClient() as browser:
        form = {"sub": subject} if subject else {"action": "deny"}
        answered = await browser.post(authorize, data=form)
    assert answered.status_code == 302, answered.text
    back = answered.headers["location"]
    assert back.startswith(f"{WORKBENCH}/masuk/selesai?")
    return {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}


async def test_a_person_signs_in_at_the_provider_with_pkce_state_and_nonce(
    client: httpx.AsyncClient, provider: Provider
) -> None:
    authorize = await to_provider(client, going="/terlambat")
    asked = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(provider.issuer)
    assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"]
    assert asked["state"] and asked["nonce"] and asked["client_id"] == ["rujukan-workbench"]
    answer = await at_provider(authorize, "bu-ani")

    back = await client.get("/masuk/selesai", params=answer)
    assert back.status_code == 200 and 'content="0; url=/terlambat"' in back.text
    assert PENDING_COOKIE not in client.cookies  # used once
    session = await stored(client)
    assert session.principal is not None and session.token
    assert (session.principal.subject, session.principal.role) == ("bu-ani", "operator")
    assert session.principal.regions == ["33.04.01.2001"]
    assert session.expires_at is not None and session.id_token
    home = await client.get("/")
    assert home.headers["location"] == "/kunjungan/baru"  # a Puskesos officer's first page

    replayed = await client.get("/masuk/selesai", params=answer)  # the same answer again
    assert replayed.status_code == 400 and "kedaluwarsa" in replayed.text

    signed_out = await client.post("/keluar", data={"csrf": csrf_of(back.text)})
    ended = signed_out.headers["location"]  # on to the provider's end_session_endpoint
    assert ended.startswith(f"{provider.issuer}/oauth2/end_session?")
    assert parse_qs(urlsplit(ended).query)["post_logout_redirect_uri"] == [f"{WORKBENCH}/masuk"]


@pytest.mark.parametrize(
    ("subject", "answered", "said"),
    [
        ("bu-ani", {"state": "someone-elses"}, "bukan untuk permintaan masuk ini"),
        (None, {}, "tidak mengizinkan masuk"),  # the person denied it at the provider
        ("bu-ani", {"code": "made-up"}, "tidak mengizinkan masuk"),  # a code it does not know
        ("bu-ani", {"cookie": "gone"}, "kedaluwarsa"),  # no sign-in started here, or too long ago
        ("tamu", {}, "belum diberi peran"),  # a person the services would not accept
    ],
)
async def test_an_answer_that_does_not_hold_is_refused_in_indonesian(
    client: httpx.AsyncClient, subject: str | None, answered: dict[str, str], said: str
) -> None:
    answer = await at_provider(await to_provider(client), subject)
    if answered.pop("cookie", None):
        client.cookies.delete(PENDING_COOKIE, domain="wb.test", path="/masuk")
    back = await client.get("/masuk/selesai", params=answer | answered)
    assert back.status_code == 400 and said in back.text
    assert COOKIE not in back.cookies
    assert (await client.get("/antrean")).headers["location"] == "/masuk?lanjut=%2Fantrean"


async def test_a_provider_that_does_not_answer_is_said_so() -> None:
    away = Provider("http://127.0.0.1:9")  # the discard port: nothing listens
    async with workbench(oidc_settings(away), base_url=WORKBENCH) as client:
        page = await client.get("/masuk")
        started = await client.post("/masuk", data={"csrf": csrf_of(page.text)})
        assert started.status_code == 422 and "tidak menjawab" in started.text


def test_the_settings_refuse_two_ways_in_or_a_provider_the_services_do_not_trust(
    provider: Provider,
) -> None:
    with pytest.raises(ValidationError, match="choose one"):
        oidc_settings(provider, dev_sign_in=True)
    with pytest.raises(ValidationError, match="RUJUKAN_OIDC_ISSUERS"):
        oidc_settings(provider, oidc_issuers=[])

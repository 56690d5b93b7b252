"""Who is calling and what they may see (pure: requests built by hand, no server, no provider):
the principal's scope, the refusals a caller reads, and the settings that feed them."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr
from starlette.requests import Request

from rujukan_platform.auth import (
    AUDIENCE,
    ISSUER,
    Authenticator,
    Principal,
    Verified,
    VerifiedTokens,
    issue_token,
    require_role,
)
from rujukan_platform.language import Language, Localised, say
from rujukan_platform.problems import Problem
from rujukan_platform.settings import DEV_SECRET, OidcIssuer, ServiceSettings

SECRET = "a-test-secret-of-at-least-32-bytes!!"
PROVIDER = "https://sso.example/realms/rujukan"


def request(**headers: str) -> Request:
    raw = [(k.lower().replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/v1/x", "headers": raw})


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "op-1",
        "role": "operator",
        "regions": ["33.04"],
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    return {k: v for k, v in (base | overrides).items() if v is not None}


def signed(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), SECRET, algorithm="HS256")


AUTHENTICATOR = Authenticator(
    SECRET,
    {"k-pkh": {"subject": "agency:PKH", "role": "agency", "programs": ["PKH"]}},
    [OidcIssuer(issuer=PROVIDER, audience="rujukan-api", jwks_url=f"{PROVIDER}/certs")],
)


async def refusal(status: int, language: Language = "id", **headers: str) -> str:
    """Why the authenticator refused, as the caller reads it in ``language``."""
    with pytest.raises(Problem) as refused:
        await AUTHENTICATOR.authenticate(request(**headers))
    assert refused.value.status == status, refused.value.detail
    if status == 401:
        assert refused.value.headers == {"WWW-Authenticate": "Bearer"}
    assert refused.value.detail is not None
    return say(refused.value.detail, language)


# --- what a principal may see -----------------------------------------------------------------


def test_an_operator_sees_the_residents_of_their_regions_whatever_the_program() -> None:
    officer = Principal(subject="op", role="operator", regions=["33.04", "33.05.01"])
    assert officer.may_see("33.04.01.2001", "PKH")
    assert officer.may_see("33.05.01.2003")
    assert not officer.may_see("33.05.02.2001", "PKH")
    assert not officer.owns_program("PKH")
    national = Principal(subject="op", role="operator", regions=["*"])
    assert national.may_see("11.01.01.2001") and national.covers_region("94.71.01.1001")
    assert not Principal(subject="op", role="operator").may_see("33.04.01.2001")


def test_an_agency_sees_its_programs_narrowed_to_its_regions_when_it_has_some() -> None:
    pkh = Principal(subject="agency:PKH", role="agency", programs=["PKH"])
    assert pkh.may_see("11.01.01.2001", "PKH") and pkh.may_see("94.71.01.1001", "PKH")
    assert not pkh.may_see("33.04.01.2001", "BPNT")
    assert pkh.may_see("33.04.01.2001")  # a record about no program: any region
    village = Principal(
        subject="agency:BLT-DD", role="agency", programs=["BLT-DD"], regions=["33.04.01.2001"]
    )
    assert village.may_see("33.04.01.2001", "BLT-DD")
    assert not village.may_see("33.04.01.2002", "BLT-DD")
    assert not village.may_see("33.04.01.2001", "PKH")


@pytest.mark.parametrize("role", ["admin", "service"])
def test_administrators_and_services_see_everything(role: Any) -> None:
    who = Principal(subject="x", role=role)
    assert who.may_see("11.01.01.2001", "PKH") and who.owns_program("ANY")


def test_an_action_for_other_roles_is_a_403_naming_them() -> None:
    operator = Principal(subject="op", role="operator")
    require_role(operator, "operator", "admin")
    with pytest.raises(Problem) as refused:
        require_role(operator, "admin", "agency")
    assert refused.value.status == 403
    assert refused.value.detail == Localised(
        "tindakan ini memerlukan salah satu peran: admin, agency",
        "this action needs one of the roles: admin, agency",
    )


# --- credentials --------------------------------------------------------------------------------


async def test_local_tokens_and_api_keys_name_their_principal() -> None:
    token = issue_token(SECRET, Principal(subject="op-1", role="operator", regions=["33.04"]))
    principal = await AUTHENTICATOR.authenticate(request(authorization=f"Bearer {token}"))
    assert principal == Principal(subject="op-1", role="operator", regions=["33.04"])
    lower = await AUTHENTICATOR.authenticate(request(authorization=f"bearer  {token} "))
    assert lower == principal  # the scheme is case-insensitive, spaces are trimmed
    agency = await AUTHENTICATOR.authenticate(request(x_api_key="k-pkh"))
    assert agency.subject == "agency:PKH" and agency.programs == ["PKH"]


async def test_a_request_without_credentials_is_told_how_to_send_them() -> None:
    detail = await refusal(401)
    assert detail.startswith("kirim 'Authorization: Bearer <token>' atau 'X-API-Key'")
    assert "kunci API tidak dikenal" in await refusal(401, x_api_key="k-pkh-guessed")
    assert "unknown API key" in await refusal(401, "en", x_api_key="k-pkh-guessed")
    assert "kirim" in await refusal(401, authorization="Basic dXNlcjpwYXNz")


NOT_VALID = ("token tidak sah", "the bearer token is not valid")


@pytest.mark.parametrize(
    ("token", "why"),
    [
        (signed(exp=int(time.time()) - 10), ("token sudah kedaluwarsa", "has expired")),
        (signed(nbf=int(time.time()) + 600), ("token belum berlaku", "not valid yet")),
        (signed(aud="another-platform"), ("token bukan untuk Rujukan", "another audience")),
        (signed(exp=None), ("token tanpa klaim 'exp'", "the token has no 'exp' claim")),
        (signed(jti=None), ("token tanpa klaim 'jti'", "the token has no 'jti' claim")),
        (signed(jti=7), NOT_VALID),  # PyJWT: a jti is text
        (signed(iss="https://elsewhere.example"), ("penerbit token tidak dipercaya", "trusted")),
        (signed(iss=None), ("penerbit token tidak dipercaya", "not trusted")),
        (jwt.encode(claims(), "another-secret-of-at-least-32-bytes", "HS256"), NOT_VALID),
        ("not-a-token", NOT_VALID),
        (signed(regions=5), NOT_VALID),  # not a list of regions
    ],
    ids=[  # the tokens hold the time: every worker must name them alike
        "expired",
        "not-yet-valid",
        "another-audience",
        "no-exp",
        "no-jti",
        "jti-not-text",
        "untrusted-issuer",
        "no-issuer",
        "another-secret",
        "not-a-token",
        "regions-not-a-list",
    ],
)
async def test_a_bad_token_is_a_401_saying_why_in_bahasa_indonesia_first(
    token: str, why: tuple[str, str]
) -> None:
    indonesian, english = why
    assert indonesian in await refusal(401, authorization=f"Bearer {token}")
    assert english in await refusal(401, "en", authorization=f"Bearer {token}")


async def test_a_token_without_a_rujukan_role_is_a_403_not_a_default_role() -> None:
    for role in (None, "superuser"):
        detail = await refusal(403, authorization=f"Bearer {signed(role=role)}")
        assert detail.startswith("token tidak membawa peran Rujukan di klaim 'role'")


async def test_one_region_or_program_as_plain_text_is_a_list_of_one() -> None:
    token = signed(role="agency", regions="33.04.01.2001", programs="BLT-DD")
    principal = await AUTHENTICATOR.authenticate(request(authorization=f"Bearer {token}"))
    assert principal.regions == ["33.04.01.2001"] and principal.programs == ["BLT-DD"]


async def test_a_provider_token_is_checked_before_any_key_is_fetched() -> None:
    """The provider's keys live at an address nobody serves: these are refused on their header
    alone, so a made-up token can never make the service call the provider."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    provider_claims = claims(iss=PROVIDER, aud="rujukan-api")
    no_kid = jwt.encode(provider_claims, private, algorithm="RS256")
    assert "token tanpa 'kid'" in await refusal(401, authorization=f"Bearer {no_kid}")
    assert "names no signing key (kid)" in await refusal(
        401, "en", authorization=f"Bearer {no_kid}"
    )
    shared_secret = jwt.encode(provider_claims, SECRET, algorithm="HS256", headers={"kid": "k"})
    detail = await refusal(401, authorization=f"Bearer {shared_secret}")
    assert detail == "algoritme token tidak diizinkan"
    english = await refusal(401, "en", authorization=f"Bearer {shared_secret}")
    assert english == "the token's algorithm is not allowed"


async def test_a_service_authenticates_with_its_own_secret_and_keys() -> None:
    settings = ServiceSettings(
        auth_secret=SecretStr(SECRET), api_keys={"k1": {"subject": "svc", "role": "service"}}
    )
    token = issue_token(SECRET, Principal(subject="a", role="admin"))
    authenticator = Authenticator.of(settings)
    assert (await authenticator.authenticate(request(authorization=f"Bearer {token}"))).role == (
        "admin"
    )
    assert (await authenticator.authenticate(request(x_api_key="k1"))).subject == "svc"
    with pytest.raises(Problem) as refused:  # another service's secret: not ours
        await Authenticator.of(ServiceSettings()).authenticate(
            request(authorization=f"Bearer {token}")
        )
    assert refused.value.status == 401


# --- settings ---------------------------------------------------------------------------------


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValueError, match="RUJUKAN_AUTH_SECRET must be set in production"):
        ServiceSettings(environment="production")
    assert ServiceSettings(environment="local").auth_secret.get_secret_value() == DEV_SECRET
    production = ServiceSettings(environment="production", auth_secret=SecretStr(SECRET))
    assert production.auth_secret.get_secret_value() == SECRET


def test_the_database_address_and_the_consumers_a_process_runs() -> None:
    settings = ServiceSettings(pg_url="postgresql+asyncpg://u:p@db:5432/", database="intake")
    assert settings.dsn == "postgresql+asyncpg://u:p@db:5432/intake"
    assert (
        ServiceSettings(database_url="postgresql+asyncpg://x/y").dsn == "postgresql+asyncpg://x/y"
    )
    assert ServiceSettings().runs_consumer("anything")
    some = ServiceSettings(run_consumers=" routing, outcomes ,")
    assert some.runs_consumer("routing") and some.runs_consumer("outcomes")
    assert not some.runs_consumer("replay")
    assert not ServiceSettings(run_consumers="").runs_consumer("routing")


def test_a_service_value_that_only_looks_like_json_is_kept_as_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUJUKAN_DEMO_LOG_LEVEL", "[not json")
    monkeypatch.setenv("RUJUKAN_DEMO_API_KEYS", '{"k": {"subject": "s", "role": "admin"}}')
    monkeypatch.setenv("RUJUKAN_DEMO_NOT_A_FIELD", "ignored")
    settings = ServiceSettings(service="demo")
    assert settings.log_level == "[not json"
    assert settings.api_keys == {"k": {"subject": "s", "role": "admin"}}


def test_a_verified_token_is_remembered_until_its_expiry_or_the_ttl_and_the_oldest_go_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    remembered = VerifiedTokens(size=2, ttl=60)
    op = Principal(subject="op-1", role="operator", regions=["33.04"])
    remembered.put("short", Verified(op, "j1", expires=1_030.0))
    remembered.put("long", Verified(op, "j2", expires=9_999.0))
    assert remembered.get("short") is not None and remembered.get("long") is not None
    now[0] = 1_030.0  # the short token's expiry: verified again (and refused then)
    assert remembered.get("short") is None
    assert remembered.get("long") is not None
    now[0] = 1_060.0  # the ttl: verified again, so a key withdrawn since is noticed
    assert remembered.get("long") is None
    for token in ("a", "b", "c"):
        remembered.put(token, Verified(op, token, expires=9_999.0))
    assert [remembered.get(t) is not None for t in ("a", "b", "c")] == [False, True, True]


async def test_a_token_is_remembered_once_verified_and_a_refusal_is_not() -> None:
    authenticator = Authenticator(SECRET, {})
    token = issue_token(SECRET, Principal(subject="op-1", role="operator", regions=["33.04"]))
    first = await authenticator.authenticate(request(authorization=f"Bearer {token}"))
    assert authenticator._verified.get(token) == (first, _jti(token), _exp(token))
    assert await authenticator.authenticate(request(authorization=f"Bearer {token}")) == first
    # refused while not yet valid; once it is, accepted: the refusal was not remembered
    soon = int(time.time()) + 1
    early = signed(nbf=soon)
    with pytest.raises(Problem) as refused:
        await authenticator.authenticate(request(authorization=f"Bearer {early}"))
    assert refused.value.status == 401
    assert authenticator._verified.get(early) is None
    await asyncio.sleep(max(0.0, soon - time.time()) + 0.05)
    later = await authenticator.authenticate(request(authorization=f"Bearer {early}"))
    assert later.subject == "op-1"


def _jti(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])


def _exp(token: str) -> float:
    return float(jwt.decode(token, options={"verify_signature": False})["exp"])

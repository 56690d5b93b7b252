"""Standard identity (issue 12): tokens of an OIDC provider beside the local issuer, each with a
``jti`` that can be revoked.

The provider is a real HTTP server on loopback serving a discovery document and a JWKS of keys
made here (RSA and EC); revocations go through the real ``auth.revocations`` topic, written by
the real ``rujukan token revoke`` command.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import socket
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import APIRouter, FastAPI
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from rujukan_platform.access import Caller
from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.db import new_metadata
from rujukan_platform.runtime import Runtime
from rujukan_platform.settings import OidcIssuer, ServiceSettings
from rujukan_platform.testing import (
    Servers,
    TcpProxy,
    ThreadedHttp,
    client_of,
    eventually,
    free_port,
    open_app,
    own_service,
)

SECRET = "a-test-secret-of-at-least-32-bytes!!"
AUDIENCE = "rujukan-api"
SERVICE = "identity-test"

# --- a real OIDC provider -------------------------------------------------------------------


class Provider:
    """An OIDC provider's two documents over HTTP (as Keycloak lays them out), with its keys;
    ``fetches`` counts the requests for each document."""

    def __init__(self, realm: str = "rujukan") -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/realms/{realm}"
        self.jwks_path = f"/realms/{realm}/protocol/openid-connect/certs"
        self.jwks: list[dict[str, Any]] = []
        self.signers: dict[str, tuple[Any, str]] = {}
        self.fetches: Counter[str] = Counter()
        self._server: ThreadedHttp | None = None

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.jwks_path}"

    def add_key(self, kind: str, *, publish: bool = True) -> str:
        """A new signing key (``RS256`` or ``ES256``); its kid."""
        kid = f"{kind.lower()}-{uuid.uuid4().hex[:8]}"
        if kind == "RS256":
            private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
        else:
            private = ec.generate_private_key(ec.SECP256R1())
            jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
        self.signers[kid] = (private, kind)
        if publish:
            self.jwks.append(jwk | {"kid": kid, "alg": kind, "use": "sig"})
        return kid

    def public_pem(self, kid: str) -> bytes:
        private, _ = self.signers[kid]
        return bytes(
            private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": [AUDIENCE, "account"],
            "sub": "f3c1a7e2-0b6d-4d6e-9a51-2d1c9f0e8b7a",
            "role": "operator",
            "regions": ["33.04"],
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(self, kid: str, **overrides: Any) -> str:
        private, kind = self.signers[kid]
        return jwt.encode(self.claims(**overrides), private, algorithm=kind, headers={"kid": kid})

    def start(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.fetches[self.path] += 1
                if self.path.endswith("/.well-known/openid-configuration"):
                    body = {"issuer": provider.issuer, "jwks_uri": provider.jwks_url}
                elif self.path == provider.jwks_path:
                    body = {"keys": list(provider.jwks)}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadedHttp(Handler, self.port)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def jwks_fetches(self) -> int:
        return self.fetches[self.jwks_path]


@pytest.fixture
def provider() -> Iterator[Provider]:
    p = Provider()
    p.start()
    yield p
    p.stop()


def trust(provider: Provider, **options: Any) -> OidcIssuer:
    """The settings entry for ``provider`` (keys found through its discovery document)."""
    return OidcIssuer(issuer=provider.issuer, audience=AUDIENCE, **options)


# --- the API under test ---------------------------------------------------------------------


def build_app(settings: ServiceSettings, runtime: Runtime[None] | None = None) -> FastAPI:
    router = APIRouter(prefix="/v1")

    @router.get("/whoami")
    async def whoami(caller: Caller) -> dict[str, Any]:
        return caller.model_dump()

    app = open_app(
        router,
        settings=settings,
        lifespan=runtime.lifespan if runtime else None,
        readiness=runtime.readiness if runtime else None,
    )
    app.state.runtime = runtime
    return app


def settings_with(*issuers: OidcIssuer, **values: Any) -> ServiceSettings:
    return ServiceSettings(
        service=SERVICE,
        environment="test",
        auth_secret=SECRET,  # type: ignore[arg-type]
        oidc_issuers=list(issuers),
        api_keys={"k-agency-pkh": {"subject": "agency:PKH", "role": "agency", "programs": ["PKH"]}},
        run_relay=False,
        log_json=False,
        **values,
    )


@asynccontextmanager
async def api(settings: ServiceSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The API alone: no runtime, so no revocations."""
    app = build_app(settings)
    async with client_of(app) as c:
        yield c


@asynccontextmanager
async def served(
    settings: ServiceSettings,
) -> AsyncIterator[tuple[httpx.AsyncClient, Runtime[None]]]:
    """The API as a service process serves it: its runtime reads the token revocations."""
    definition = own_service(SERVICE, new_metadata(), settings_factory=lambda: settings)
    runtime = Runtime(definition, settings)
    runtime.on_fatal = lambda exc: pytest.fail(f"the service stopped itself: {exc!r}")
    app = build_app(settings, runtime)
    async with (
        app.router.lifespan_context(app),
        client_of(app) as c,
    ):
        yield c, runtime


def bearer(token: str) -> dict[str, str]:
    """A token's headers; the refusals are matched in English (``Accept-Language: en``)."""
    return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}


def local(role: str = "admin", **scope: list[str]) -> str:
    return issue_token(SECRET, Principal(subject=f"test-{role}", role=role, **scope))  # type: ignore[arg-type]


def refused(response: httpx.Response, status: int, *words: str) -> bool:
    """The response is the problem ``status`` and its detail says ``words``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert all(w in detail for w in words), detail
    return True


def forged(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A token signed by hand: HS256 with ``key`` (any bytes), or unsigned (``key`` None)."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(claims)}"
    if key is None:
        return signing_input + "."
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


# --- OIDC -----------------------------------------------------------------------------------


async def test_rs256_and_es256_tokens_of_a_trusted_provider_name_their_principal(
    provider: Provider,
) -> None:
    rs, es = provider.add_key("RS256"), provider.add_key("ES256")
    issuer = trust(provider, role_claim="rujukan_role", programs_claim="rujukan_programs")
    async with api(settings_with(issuer)) as client:
        agency = provider.token(rs, rujukan_role="agency", rujukan_programs="BLT-DD", regions=None)
        r = await client.get("/v1/whoami", headers=bearer(agency))
        assert r.status_code == 200, r.text
        assert r.json() == {
            "subject": "f3c1a7e2-0b6d-4d6e-9a51-2d1c9f0e8b7a",
            "role": "agency",
            "regions": [],
            "programs": ["BLT-DD"],  # a single-valued attribute arrives as a string
        }
        operator = provider.token(es, rujukan_role="operator")
        r = await client.get("/v1/whoami", headers=bearer(operator))
        assert r.status_code == 200, r.text
        assert r.json()["role"] == "operator" and r.json()["regions"] == ["33.04"]
        for _ in range(5):  # keys are cached: no fetch per request
            assert (await client.get("/v1/whoami", headers=bearer(operator))).status_code == 200
        # a token without a role the platform knows is refused, not given a default
        r = await client.get("/v1/whoami", headers=bearer(provider.token(rs, rujukan_role="x")))
        assert refused(r, 403, "rujukan_role")
    assert provider.fetches["/realms/rujukan/.well-known/openid-configuration"] == 1
    assert provider.jwks_fetches == 1


async def test_audience_issuer_and_required_claims_are_checked(provider: Provider) -> None:
    kid = provider.add_key("RS256")
    other = Provider(realm="other")  # a provider nobody configured, with a key of its own
    other_kid = other.add_key("RS256")
    async with api(settings_with(trust(provider))) as client:

        async def call(token: str) -> httpx.Response:
            return await client.get("/v1/whoami", headers=bearer(token))

        assert (await call(provider.token(kid))).status_code == 200
        assert (await call(provider.token(kid, aud=AUDIENCE))).status_code == 200
        assert refused(await call(provider.token(kid, aud="account")), 401, "another audience")
        assert refused(await call(provider.token(kid, aud=None)), 401, "'aud'")
        assert refused(await call(other.token(other_kid)), 401, "issuer is not trusted")
        # the provider's own key, but the token claims to come from elsewhere
        assert refused(await call(provider.token(kid, iss=other.issuer)), 401, "not trusted")
        assert refused(await call(provider.token(kid, exp=None)), 401, "'exp'")
        assert refused(await call(provider.token(kid, jti=None)), 401, "'jti'")
        assert refused(await call(provider.token(kid, sub=None)), 401, "'sub'")
        signed, admin = provider.token(kid).split("."), provider.token(kid, role="admin").split(".")
        tampered = ".".join([signed[0], admin[1], signed[2]])  # another payload, same signature
        assert refused(await call(tampered), 401, "not valid")


async def test_leeway_tolerates_clock_differences_only(provider: Provider) -> None:
    kid = provider.add_key("ES256")
    now = int(time.time())
    async with api(settings_with(trust(provider, leeway_seconds=60))) as client:

        async def status(token: str) -> httpx.Response:
            return await client.get("/v1/whoami", headers=bearer(token))

        assert (await status(provider.token(kid, exp=now - 30))).status_code == 200
        assert refused(await status(provider.token(kid, exp=now - 90)), 401, "expired")
        assert (await status(provider.token(kid, nbf=now + 30))).status_code == 200
        assert refused(await status(provider.token(kid, nbf=now + 90)), 401, "not valid yet")


async def test_algorithm_confusion_and_unsigned_tokens_are_refused(provider: Provider) -> None:
    kid = provider.add_key("RS256")
    async with api(settings_with(trust(provider, algorithms=["RS256"]))) as client:

        async def call(token: str) -> httpx.Response:
            return await client.get("/v1/whoami", headers=bearer(token))

        assert (await call(provider.token(kid))).status_code == 200
        claims = provider.claims(role="admin")
        # HS256 "signed" with the provider's public key, which anyone can read
        for key in (provider.public_pem(kid), json.dumps(provider.jwks[0]).encode()):
            token = forged({"alg": "HS256", "typ": "JWT", "kid": kid}, claims, key)
            assert refused(await call(token), 401, "algorithm is not allowed")
        for alg in ("none", "None"):
            token = forged({"alg": alg, "typ": "JWT", "kid": kid}, claims, None)
            assert refused(await call(token), 401, "algorithm is not allowed")
        es = provider.add_key("ES256")  # published, but this provider only signs with RS256
        assert refused(await call(provider.token(es)), 401, "algorithm is not allowed")
        # the local issuer's name does not make a token local: HS256 with the secret only
        local_claims = claims | {"iss": "rujukan", "aud": "rujukan"}
        hs_public = forged({"alg": "HS256", "typ": "JWT"}, local_claims, provider.public_pem(kid))
        assert refused(await call(hs_public), 401, "not valid")
        unsigned = forged({"alg": "none", "typ": "JWT"}, local_claims, None)
        assert refused(await call(unsigned), 401, "algorithm is not allowed")
        rs_local = jwt.encode(local_claims, provider.signers[kid][0], algorithm="RS256")
        assert refused(await call(rs_local), 401, "algorithm is not allowed")


async def test_an_unknown_kid_fetches_the_keys_once_then_401_and_a_new_key_is_found(
    provider: Provider,
) -> None:
    kid = provider.add_key("RS256")
    issuer = trust(provider, jwks_url=provider.jwks_url, refetch_cooldown_seconds=0)
    async with api(settings_with(issuer)) as client:
        assert (await client.get("/v1/whoami", headers=bearer(provider.token(kid)))).is_success
        assert provider.jwks_fetches == 1
        unpublished = provider.add_key("RS256", publish=False)
        r = await client.get("/v1/whoami", headers=bearer(provider.token(unpublished)))
        assert refused(r, 401, "signing key is unknown")
        assert provider.jwks_fetches == 2  # fetched again once, for the unknown kid
        rotated = provider.add_key("ES256")  # the provider rotates: a new key, published
        r = await client.get("/v1/whoami", headers=bearer(provider.token(rotated)))
        assert r.status_code == 200, r.text
        assert provider.jwks_fetches == 3
        assert (await client.get("/v1/whoami", headers=bearer(provider.token(kid)))).is_success
        assert provider.jwks_fetches == 3
    assert provider.fetches["/realms/rujukan/.well-known/openid-configuration"] == 0


async def test_tokens_with_made_up_kids_cannot_make_the_service_hammer_the_provider(
    provider: Provider,
) -> None:
    kid = provider.add_key("RS256")
    async with api(settings_with(trust(provider, refetch_cooldown_seconds=30))) as client:
        assert (await client.get("/v1/whoami", headers=bearer(provider.token(kid)))).is_success
        for _ in range(10):
            made_up = provider.add_key("RS256", publish=False)
            r = await client.get("/v1/whoami", headers=bearer(provider.token(made_up)))
            assert refused(r, 401, "signing key is unknown")
    assert provider.jwks_fetches == 1  # within the cooldown an unknown kid fetches nothing


async def test_a_provider_that_is_down_is_503_with_retry_after_and_known_keys_still_verify(
    provider: Provider,
) -> None:
    kid = provider.add_key("RS256")
    down = Provider()  # configured, never started: nothing listens on its port
    down.add_key("RS256")
    issuers = (trust(provider, jwks_cache_seconds=0.2), trust(down, timeout_seconds=1))
    async with api(settings_with(*issuers)) as client:
        r = await client.get("/v1/whoami", headers=bearer(down.token(next(iter(down.signers)))))
        assert refused(r, 503, "identity provider is not answering")
        assert r.headers["retry-after"] == "5"
        assert (await client.get("/v1/whoami", headers=bearer(provider.token(kid)))).is_success
        provider.stop()
        await asyncio.sleep(0.3)  # the cached keys are stale now: the next token fetches them
        r = await client.get("/v1/whoami", headers=bearer(provider.token(kid)))
        assert r.status_code == 200, r.text  # a key that verified before still verifies
        unseen = provider.add_key("RS256")
        r = await client.get("/v1/whoami", headers=bearer(provider.token(unseen)))
        assert refused(r, 503, "identity provider is not answering")
        assert r.headers["retry-after"] == "5"
        # local tokens do not depend on the provider
        assert (await client.get("/v1/whoami", headers=bearer(local()))).is_success


async def test_a_provider_that_never_answers_times_out_without_stalling_other_requests() -> None:
    silent = socket.socket()  # accepts connections (the backlog) and never answers them
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    issuer = OidcIssuer(
        issuer=f"http://127.0.0.1:{port}/realms/silent", audience=AUDIENCE, timeout_seconds=1
    )
    hanging = Provider()
    kid = hanging.add_key("RS256")
    token = jwt.encode(
        hanging.claims(iss=issuer.issuer), hanging.signers[kid][0], "RS256", {"kid": kid}
    )
    try:
        async with api(settings_with(issuer)) as client:
            oidc = asyncio.create_task(client.get("/v1/whoami", headers=bearer(token)))
            await asyncio.sleep(0.1)
            r = await client.get("/v1/whoami", headers=bearer(local()))
            assert r.status_code == 200 and not oidc.done()  # served while the fetch waits
            assert refused(await asyncio.wait_for(oidc, 10), 503, "not answering")
    finally:
        silent.close()


# --- the local issuer, jti and API keys -----------------------------------------------------


async def test_local_tokens_and_api_keys_still_work_and_every_token_needs_a_jti() -> None:
    async with api(settings_with()) as client:
        r = await client.get("/v1/whoami", headers=bearer(local("operator", regions=["33.04"])))
        assert r.status_code == 200 and r.json()["regions"] == ["33.04"]
        r = await client.get("/v1/whoami", headers={"X-API-Key": "k-agency-pkh"})
        assert r.status_code == 200 and r.json()["subject"] == "agency:PKH"
        claims = jwt.decode(local(), SECRET, algorithms=["HS256"], audience="rujukan")
        assert (
            len(claims["jti"]) >= 32
            and claims["jti"]
            != jwt.decode(local(), SECRET, algorithms=["HS256"], audience="rujukan")["jti"]
        )
        without = {k: v for k, v in claims.items() if k != "jti"}
        r = await client.get("/v1/whoami", headers=bearer(jwt.encode(without, SECRET, "HS256")))
        assert refused(r, 401, "'jti'")
        empty = jwt.encode(claims | {"jti": ""}, SECRET, "HS256")
        assert refused(await client.get("/v1/whoami", headers=bearer(empty)), 401, "'jti'")
        r = await client.get("/v1/whoami", headers=bearer(jwt.encode(claims, "x" * 40, "HS256")))
        assert refused(r, 401, "not valid")


def test_settings_read_the_trusted_providers_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "RUJUKAN_OIDC_ISSUERS",
        json.dumps([{"issuer": "https://sso.example/realms/rujukan", "audience": "rujukan"}]),
    )
    (issuer,) = ServiceSettings().oidc_issuers
    assert issuer.algorithms == ["RS256", "ES256"] and issuer.leeway_seconds == 60
    assert (
        issuer.discovery_url
        == "https://sso.example/realms/rujukan/.well-known/openid-configuration"
    )
    assert (issuer.role_claim, issuer.regions_claim, issuer.programs_claim) == (
        "role",
        "regions",
        "programs",
    )
    for wrong in ({"algorithms": ["HS256"]}, {"issuer": "rujukan"}, {"jwks_url": "file:///x"}):
        with pytest.raises(ValueError):
            OidcIssuer.model_validate({"issuer": "https://sso.example", "audience": "a"} | wrong)


# --- revocation through the real topic ------------------------------------------------------


async def revoke(servers: Servers, token_or_jti: str) -> str:
    """``python -m rujukan_platform token revoke``, as an operator runs it."""
    env = {**os.environ, "RUJUKAN_KAFKA_BOOTSTRAP": servers.kafka_bootstrap}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rujukan_platform",
        "token",
        "revoke",
        token_or_jti,
        "--reason",
        "laptop hilang / lost laptop",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


@pytest.mark.integration
async def test_a_revoked_token_is_refused_within_seconds_and_others_are_not(
    servers: Servers, provider: Provider
) -> None:
    kid = provider.add_key("ES256")
    settings = settings_with(trust(provider), kafka_bootstrap=servers.kafka_bootstrap)
    async with served(settings) as (client, _runtime):
        lost, kept = local("operator", regions=["33.04"]), local("operator", regions=["33.04"])
        lost_oidc, kept_oidc = provider.token(kid), provider.token(kid)
        for token in (lost, kept, lost_oidc, kept_oidc):
            assert (await client.get("/v1/whoami", headers=bearer(token))).status_code == 200

        jti = jwt.decode(lost, options={"verify_signature": False})["jti"]
        assert jti in await revoke(servers, jti)
        await revoke(servers, lost_oidc)  # the token itself: its jti and expiry read from it

        async def refused_both() -> bool:
            statuses = [
                (await client.get("/v1/whoami", headers=bearer(t))).status_code
                for t in (lost, lost_oidc)
            ]
            return statuses == [401, 401]

        await eventually(refused_both, timeout=10)
        r = await client.get("/v1/whoami", headers=bearer(lost))
        assert refused(r, 401, "token revoked")
        for token in (kept, kept_oidc):
            assert (await client.get("/v1/whoami", headers=bearer(token))).status_code == 200
        assert (await client.get("/v1/whoami", headers={"X-API-Key": "k-agency-pkh"})).is_success

    # a process started later reads the revocations from the topic before it answers
    async with served(settings) as (client, _runtime):
        assert refused(await client.get("/v1/whoami", headers=bearer(lost)), 401, "revoked")
        assert (await client.get("/v1/whoami", headers=bearer(kept))).status_code == 200


@pytest.mark.integration
async def test_until_the_revocations_have_loaded_tokens_get_503_not_200(
    servers: Servers,
) -> None:
    host, port = servers.kafka_bootstrap.split(",")[0].split(":")
    broker = TcpProxy(host, int(port))  # down: the broker is away when the process starts
    settings = settings_with(kafka_bootstrap=broker.address, revocations_wait_seconds=0.5)
    try:
        async with served(settings) as (client, _runtime):
            r = await client.get("/v1/whoami", headers=bearer(local()))
            assert refused(r, 503, "not loaded yet")
            assert r.headers["retry-after"] == "5"
            # credentials that are wrong anyway are refused at once, without waiting
            assert (await client.get("/v1/whoami", headers=bearer("x.y.z"))).status_code == 401
            assert (
                await client.get("/v1/whoami", headers={"X-API-Key": "k-agency-pkh"})
            ).is_success
            ready = await client.get("/readyz")
            assert "loading the token revocations" in ready.json()["checks"]["work"]
            await broker.up()

            async def served_again() -> bool:
                r = await client.get("/v1/whoami", headers=bearer(local()))
                return r.status_code == 200

            await eventually(served_again, timeout=60)
    finally:
        await broker.down()

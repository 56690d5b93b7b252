"""How a person signs in: a ``SignIn`` strategy that turns a completed sign-in into a principal
and the token the services accept.

Production uses ``OidcSignIn``: OpenID Connect's authorization-code flow with PKCE (S256),
``state`` and ``nonce`` (Authlib), against the provider ``RUJUKAN_WORKBENCH_OIDC_ISSUER`` names.
Its ID token is verified (signature by the provider's JWKS, ``iss``, ``aud``, ``exp``, ``nonce``)
and its access token kept: the services accept it (``RUJUKAN_OIDC_ISSUERS``), and who it names
is found by the services' own verification and claim mapping (``Authenticator.bearer``).
Development uses ``LocalIssuer``: one chooses who one is (a village's Puskesos officer, a program
officer, a national operator) and the workbench signs the token with the platform's shared secret
(``rujukan_platform.auth.issue_token``), only when ``RUJUKAN_WORKBENCH_DEV_SIGN_IN`` is on.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urljoin

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import StarletteOAuth2App
from joserfc.errors import JoseError
from starlette.datastructures import FormData

from rujukan_platform.auth import NATIONAL, Authenticator, Principal, issue_token
from rujukan_platform.logging import get_logger
from rujukan_platform.problems import Problem
from rujukan_platform.settings import OidcIssuer
from rujukan_regions import regions
from rujukan_workbench.cookies import Pending
from rujukan_workbench.settings import WorkbenchSettings

log = get_logger(__name__)
Kind = Literal["puskesos", "agency", "operator"]
#: programs of the seeded catalogue, offered as suggestions on the development sign-in page
KNOWN_PROGRAMS = (
    "PKH",
    "SEMBAKO",
    "PBI-JK",
    "PIP",
    "ATENSI",
    "DTKS-IN",
    "ADMINDUK",
    "BAZNAS",
    "RTLH-3304",
    "BLT-DD-3304012001",
)
#: the village the development sign-in offers first (Berta, Banjarnegara: the seeded households)
DEFAULT_VILLAGE = "33.04.01.2001"


class SignInRefused(ValueError):
    """The sign-in form names no one the platform knows (``key``: the catalogue's words)."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(key)
        self.key = key
        self.detail = detail


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    token: str
    #: when the token stops being accepted (epoch seconds): the session ends with it
    expires_at: float
    id_token: str | None = None


@dataclass(frozen=True)
class ToProvider:
    """The sign-in goes on at the provider (``url``); its answer must match ``pending``."""

    url: str
    pending: Pending


class SignIn(Protocol):
    """A way of signing in; the pages ask it for the signed-in person."""

    #: the template of its sign-in page
    template: str

    async def start(self, form: FormData) -> SignedIn | ToProvider:
        """The sign-in page's form posted: the person it names, or the way to the provider
        (SignInRefused if neither)."""
        ...

    async def finish(self, answer: Mapping[str, str], pending: Pending | None) -> SignedIn:
        """The provider's answer at the redirect URL: the person it names (SignInRefused)."""
        ...

    async def end_session_url(self, id_token: str | None) -> str | None:
        """Where signing out goes on, at the provider, when it ends sessions too."""
        ...


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class LocalIssuer:
    """Development: the person says who they are and the workbench issues their token."""

    template = "sign_in_local.html"

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._ttl = ttl_seconds

    def principal(self, form: FormData) -> Principal:
        kind = str(form.get("kind", ""))
        name = str(form.get("name", "")).strip()[:100]
        if kind == "puskesos":
            village = str(form.get("village", "")).strip()
            if not regions().is_village(village):
                raise SignInRefused("sign_in.bad_village")
            return Principal(
                subject=name or f"puskesos-{village}", role="operator", regions=[village]
            )
        if kind == "agency":
            program = str(form.get("program", "")).strip().upper()
            if not program:
                raise SignInRefused("sign_in.bad_program")
            scope = _listed(str(form.get("regions", "")))
            unknown = [code for code in scope if regions().get(code) is None]
            if unknown:
                raise SignInRefused("sign_in.bad_region", ", ".join(unknown))
            return Principal(
                subject=name or f"petugas-{program.lower()}",
                role="agency",
                programs=[program],
                regions=scope,
            )
        return Principal(subject=name or "operator", role="operator", regions=[NATIONAL])

    async def start(self, form: FormData) -> SignedIn | ToProvider:
        principal = self.principal(form)
        token = issue_token(self._secret, principal, ttl_seconds=self._ttl)
        return SignedIn(principal, token, expires_at=time.time() + self._ttl)

    async def finish(self, answer: Mapping[str, str], pending: Pending | None) -> SignedIn:
        raise SignInRefused("sign_in.bad_state")

    async def end_session_url(self, id_token: str | None) -> str | None:
        return None


class NoSignIn(LocalIssuer):
    """Neither the local issuer nor an OIDC provider: the sign-in page says so."""

    template = "sign_in_off.html"

    def __init__(self) -> None:
        super().__init__("", 0)

    async def start(self, form: FormData) -> SignedIn | ToProvider:
        raise SignInRefused("sign_in.off")


class OidcSignIn:
    """OpenID Connect's authorization-code flow with PKCE: to the provider and back."""

    template = "sign_in_oidc.html"

    def __init__(self, settings: WorkbenchSettings, authenticator: Authenticator) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id and settings.oidc_redirect_url
        secret = settings.oidc_client_secret
        self._issuer = settings.oidc_issuer
        self._redirect_url = settings.oidc_redirect_url
        self._session_seconds = settings.session_seconds
        self._leeway = provider_of(settings).leeway_seconds
        self._authenticator = authenticator
        self._client = StarletteOAuth2App(
            None,  # no framework: ``Pending`` keeps what Authlib would keep in a session
            name="rujukan",
            client_id=settings.oidc_client_id,
            client_secret=secret.get_secret_value() if secret is not None else None,
            server_metadata_url=settings.oidc_issuer.rstrip("/")
            + "/.well-known/openid-configuration",
            client_kwargs={
                "scope": settings.oidc_scopes,
                "code_challenge_method": "S256",
                "timeout": settings.upstream_timeout_seconds,
            },
        )

    async def start(self, form: FormData) -> SignedIn | ToProvider:
        try:
            made: dict[str, Any] = await self._client.create_authorization_url(self._redirect_url)
        except (httpx.HTTPError, ValueError, RuntimeError) as exc:
            raise SignInRefused("sign_in.provider_away") from exc
        pending = Pending(
            state=made["state"], nonce=made["nonce"], code_verifier=made["code_verifier"]
        )
        return ToProvider(made["url"], pending)

    async def finish(self, answer: Mapping[str, str], pending: Pending | None) -> SignedIn:
        if pending is None:  # none started here, or it took too long
            raise SignInRefused("sign_in.expired")
        if "error" in answer:  # said before the state is checked: some providers omit it then
            raise SignInRefused("sign_in.provider_refused")
        if not hmac.compare_digest(answer.get("state", ""), pending.state):
            raise SignInRefused("sign_in.bad_state")
        if not answer.get("code"):
            raise SignInRefused("sign_in.provider_refused")
        try:
            token: dict[str, Any] = await self._client.fetch_access_token(
                redirect_uri=self._redirect_url,
                code=answer["code"],
                code_verifier=pending.code_verifier,
            )
        except OAuthError as exc:  # the provider refused the code (used, expired, not ours)
            raise SignInRefused("sign_in.provider_refused") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise SignInRefused("sign_in.provider_away") from exc
        id_token = await self._verified_id_token(token, pending)
        try:  # who the token names, as every service will find it
            principal = await self._authenticator.bearer(str(token.get("access_token", "")))
        except Problem as exc:  # the operator's to fix (no role claim, another audience...)
            log.warning(
                "provider token not accepted", issuer=self._issuer, why=exc.body(language="en")
            )
            raise SignInRefused("sign_in.not_accepted") from exc
        expires_at = float(token.get("expires_at") or time.time() + self._session_seconds)
        return SignedIn(
            principal,
            str(token["access_token"]),
            expires_at=min(expires_at, time.time() + self._session_seconds),
            id_token=id_token,
        )

    async def _verified_id_token(self, token: dict[str, Any], pending: Pending) -> str:
        """The ID token, once its signature (the provider's JWKS), ``iss``, ``aud``, ``exp``,
        ``nonce`` and ``at_hash`` hold."""
        if not isinstance(token.get("id_token"), str):
            raise SignInRefused("sign_in.bad_id_token")
        try:
            await self._client.parse_id_token(
                token,
                nonce=pending.nonce,
                claims_options={"iss": {"essential": True, "values": [self._issuer]}},
                leeway=self._leeway,
            )
        except AuthlibBaseError as exc:  # a claim does not hold (authlib.jose's errors)
            key = "sign_in.expired" if exc.error == "expired_token" else "sign_in.bad_id_token"
            raise SignInRefused(key) from exc
        except (JoseError, ValueError) as exc:  # the signature, or no key of the provider's
            raise SignInRefused("sign_in.bad_id_token") from exc
        except httpx.HTTPError as exc:
            raise SignInRefused("sign_in.provider_away") from exc
        return str(token["id_token"])

    async def end_session_url(self, id_token: str | None) -> str | None:
        """The provider's ``end_session_endpoint`` (RP-initiated logout), back to the sign-in
        page; None when it publishes none."""
        try:
            made: dict[str, Any] = await self._client.create_logout_url(
                post_logout_redirect_uri=urljoin(self._redirect_url, "/masuk"),
                id_token_hint=id_token,
                client_id=self._client.client_id,
            )
        except (httpx.HTTPError, ValueError, RuntimeError):  # none published, or away
            return None
        return str(made["url"])


def provider_of(settings: WorkbenchSettings) -> OidcIssuer:
    """The entry of ``RUJUKAN_OIDC_ISSUERS`` for the workbench's provider (the settings hold
    that there is one): the workbench reads its tokens as the services do."""
    return next(i for i in settings.oidc_issuers if i.issuer == settings.oidc_issuer)


def strategy(settings: WorkbenchSettings) -> SignIn:
    """The sign-in the settings choose: the OIDC provider when one is named, the local issuer
    when switched on (never both: the settings refuse it), else none."""
    if settings.oidc_issuer:
        return OidcSignIn(settings, Authenticator.of(settings))
    if settings.dev_sign_in:
        return LocalIssuer(settings.auth_secret.get_secret_value(), settings.session_seconds)
    return NoSignIn()


def is_puskesos(principal: Principal) -> bool:
    """An operator of particular regions: a Puskesos officer (a national operator is not)."""
    return principal.role == "operator" and NATIONAL not in principal.regions


def is_national_operator(principal: Principal) -> bool:
    return principal.role in ("operator", "admin") and (
        principal.role == "admin" or NATIONAL in principal.regions
    )


def home_village(principal: Principal) -> str:
    """The village a Puskesos officer records households of, when their region is one."""
    village = next((r for r in principal.regions if regions().is_village(r)), None)
    return village or ""

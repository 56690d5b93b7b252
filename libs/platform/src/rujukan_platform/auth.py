"""One way to know who is calling, for every service: signed bearer tokens or API keys.

A bearer token is routed by its ``iss`` claim (read before anything is verified, only to pick
the verifier) to one of:

* the platform's own development issuer ``rujukan``: HS256, signed with ``RUJUKAN_AUTH_SECRET``
  (``rujukan token issue``; OAuth2 client-credentials style claims ``sub``, ``role``,
  ``regions``, ``programs``, ``exp``);
* an OpenID Connect provider named in ``RUJUKAN_OIDC_ISSUERS`` (Keycloak, ...): RS256 or ES256
  only, with the provider's published keys (``oidc.ProviderKeys``), its issuer, the platform's
  audience and a leeway for clocks; which claims carry the role, regions and programs is said
  per provider.

A token of any other issuer is refused (401), and so is one without ``exp`` or ``jti``, or
whose ``jti`` was revoked (``rujukan token revoke``; ``revocations.Revocations``). API keys map
to the same ``Principal`` through settings (``RUJUKAN_API_KEYS='{"key": {"subject": ...,
"role": ...}}'``) for clients that cannot sign; they are revoked by removing them.
"""

from __future__ import annotations

import asyncio
import hmac
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple, get_args

import jwt
import typer
from fastapi import Request
from jwt.algorithms import has_crypto
from pydantic import BaseModel, Field, ValidationError

from rujukan_platform.language import Localised, Words, say
from rujukan_platform.oidc import ProviderKeys, ProviderUnavailable, UnknownKey
from rujukan_platform.problems import FORBIDDEN, Problem, service_unavailable
from rujukan_platform.revocations import Revocations, publish, revocation
from rujukan_platform.settings import LOCAL_ISSUER, OidcIssuer, ServiceSettings

Role = Literal["admin", "operator", "agency", "service"]
ISSUER = LOCAL_ISSUER
AUDIENCE = "rujukan"
#: claims every accepted token carries
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "jti"]


#: the region an operator with national scope carries (``rujukan token issue --region '*'``)
NATIONAL = "*"


class Principal(BaseModel):
    """Who acts: an operator scoped to region-code prefixes (``*``: the whole country), an
    agency scoped to its programs (and, for village and district programs, to regions), an
    administrator, or another Rujukan service."""

    subject: str
    role: Role
    regions: list[str] = Field(default_factory=list)
    programs: list[str] = Field(default_factory=list)

    def covers_region(self, village_code: str) -> bool:
        if self.role in ("admin", "service") or NATIONAL in self.regions:
            return True
        return any(village_code == r or village_code.startswith(r + ".") for r in self.regions)

    def owns_program(self, program_code: str) -> bool:
        return self.role in ("admin", "service") or program_code in self.programs

    def may_see(self, village_code: str, program_code: str | None = None) -> bool:
        """Whether a resident's record (of a village; about a program, if it is about one) is
        the caller's to see: an operator's regions; an agency's programs, narrowed to its
        regions when its token carries some (a village's BLT-DD officer sees that village)."""
        if self.role in ("admin", "service"):
            return True
        if self.role == "operator":
            return self.covers_region(village_code)
        if self.role == "agency":
            if program_code is not None and not self.owns_program(program_code):
                return False
            return not self.regions or self.covers_region(village_code)
        return False


def issue_token(secret: str, principal: Principal, *, ttl_seconds: int = 3600) -> str:
    """A token of the local issuer, with a random ``jti`` so that it can be revoked."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": principal.subject,
        "role": principal.role,
        "regions": principal.regions,
        "programs": principal.programs,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class AuthenticationError(ValueError):
    """The credentials are missing, unknown, expired, revoked or not ours (``reason``: why)."""

    def __init__(self, reason: Words) -> None:
        super().__init__(say(reason, "en"))
        self.reason = reason


def _unauthorized(detail: Words) -> Problem:
    title = Localised("Tidak terautentikasi", "Unauthorized")
    return Problem(401, title, detail, headers={"WWW-Authenticate": "Bearer"})


NOT_VALID = Localised("token tidak sah", "the bearer token is not valid")
ALGORITHM_REFUSED = Localised(
    "algoritme token tidak diizinkan", "the token's algorithm is not allowed"
)
#: why a token was refused, most specific first
_REFUSALS: list[tuple[type[jwt.PyJWTError], Localised]] = [
    (
        jwt.ExpiredSignatureError,
        Localised("token sudah kedaluwarsa", "the bearer token has expired"),
    ),
    (
        jwt.ImmatureSignatureError,
        Localised("token belum berlaku", "the bearer token is not valid yet"),
    ),
    (
        jwt.InvalidAudienceError,
        Localised("token bukan untuk Rujukan", "the token is for another audience"),
    ),
    (jwt.InvalidIssuerError, Localised("penerbit token salah", "the token's issuer is wrong")),
    (jwt.InvalidAlgorithmError, ALGORITHM_REFUSED),
]


def _refusal(exc: jwt.PyJWTError) -> Localised:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        claim = exc.claim
        return Localised(f"token tanpa klaim '{claim}'", f"the token has no '{claim}' claim")
    return next((why for kind, why in _REFUSALS if isinstance(exc, kind)), NOT_VALID)


def _decode(
    token: str, key: Any, *, algorithms: list[str], audience: str, issuer: str, leeway: int = 0
) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise AuthenticationError(_refusal(exc)) from exc
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise AuthenticationError(
            Localised("token tanpa klaim 'jti'", "the token has no 'jti' claim")
        )
    return claims


def _listed(value: Any) -> Any:
    """A claim of one region or program may come as a plain string (a provider's
    single-valued attribute)."""
    return [value] if isinstance(value, str) else (value or [])


def _principal(
    claims: dict[str, Any],
    role: str = "role",
    regions: str = "regions",
    programs: str = "programs",
) -> Principal:
    if claims.get(role) not in get_args(Role):
        raise Problem(
            403,
            FORBIDDEN,
            Localised(
                f"token tidak membawa peran Rujukan di klaim '{role}'",
                f"the token carries no Rujukan role in its '{role}' claim",
            ),
        )
    try:
        return Principal(
            subject=claims["sub"],
            role=claims[role],
            regions=_listed(claims.get(regions)),
            programs=_listed(claims.get(programs)),
        )
    except ValidationError as exc:
        raise AuthenticationError(NOT_VALID) from exc


def principal_of_token(secret: str, token: str) -> Principal:
    """The principal a token of the local issuer names (its ``jti`` aside)."""
    claims = _decode(token, secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER)
    return _principal(claims)


class Verified(NamedTuple):
    principal: Principal
    jti: str
    expires: float  # the token's ``exp`` (seconds since the epoch)


class VerifiedTokens:
    """Tokens verified lately, so a client's next request with the same token skips parsing it
    three times, checking its signature and mapping its claims (a tenth of a single intake's
    CPU). An entry is kept ``ttl`` seconds at most and never past the token's expiry, so a
    provider's key withdrawn from its JWKS stops its tokens within ``ttl``; revocation is still
    checked on every request. At most ``size`` entries, the oldest dropped first."""

    def __init__(self, *, size: int = 4096, ttl: float = 60.0) -> None:
        self._size, self._ttl = size, ttl
        self._entries: OrderedDict[str, tuple[Verified, float]] = OrderedDict()

    def get(self, token: str) -> Verified | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        verified, until = entry
        if time.time() < min(until, verified.expires):
            return verified
        del self._entries[token]
        return None

    def put(self, token: str, verified: Verified) -> None:
        self._entries[token] = (verified, time.time() + self._ttl)
        self._entries.move_to_end(token)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


class Authenticator:
    """Checks the credentials of a request. A process that serves the API hands it the token
    revocations it reads (``watch``; the runtime does)."""

    def __init__(
        self,
        secret: str,
        api_keys: dict[str, dict[str, Any]],
        issuers: Sequence[OidcIssuer] = (),
        *,
        revocations_wait_seconds: float = 5.0,
    ) -> None:
        if issuers and not has_crypto:
            raise RuntimeError("OIDC issuers need the 'cryptography' package (pyjwt[crypto])")
        self._secret = secret
        self._api_keys = {k: Principal.model_validate(v) for k, v in api_keys.items()}
        self._providers = {i.issuer: ProviderKeys(i) for i in issuers}
        self._revocations: Revocations | None = None
        self._revocations_wait = revocations_wait_seconds
        self._verified = VerifiedTokens()

    @classmethod
    def of(cls, settings: ServiceSettings) -> Authenticator:
        """The service's authenticator: its secret, API keys and trusted OIDC providers."""
        return cls(
            settings.auth_secret.get_secret_value(),
            settings.api_keys,
            settings.oidc_issuers,
            revocations_wait_seconds=settings.revocations_wait_seconds,
        )

    def watch(self, revocations: Revocations) -> None:
        """Refuse the tokens revoked on ``auth.revocations``, and every token while they load."""
        self._revocations = revocations

    async def authenticate(self, request: Request) -> Principal:
        authorization = request.headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            return await self.bearer(authorization[7:].strip())
        api_key = request.headers.get("x-api-key")
        if api_key:
            for known, principal in self._api_keys.items():
                if hmac.compare_digest(known, api_key):
                    return principal
            raise _unauthorized(Localised("kunci API tidak dikenal", "unknown API key"))
        raise _unauthorized(
            Localised(
                "kirim 'Authorization: Bearer <token>' atau 'X-API-Key'",
                "send 'Authorization: Bearer <token>' or 'X-API-Key'",
            )
        )

    async def bearer(self, token: str) -> Principal:
        """The principal a bearer token names, verified as every service verifies it (401, 503
        ``Problem`` if not); the workbench derives a signed-in person from their token so."""
        try:
            known = self._verified.get(token)
            if known is None:
                known = await self._verify(token)
                self._verified.put(token, known)
            principal, jti, _ = known
        except AuthenticationError as exc:
            raise _unauthorized(exc.reason) from exc
        except ProviderUnavailable as exc:
            raise service_unavailable(
                Localised(
                    "penyedia identitas tidak menjawab", "the identity provider is not answering"
                )
            ) from exc
        await self._refuse_revoked(jti)
        return principal

    async def _verify(self, token: str) -> Verified:
        try:
            header = jwt.get_unverified_header(token)
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as exc:
            raise AuthenticationError(NOT_VALID) from exc
        if issuer == ISSUER:
            claims = _decode(
                token, self._secret, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
            )
            return Verified(_principal(claims), claims["jti"], float(claims["exp"]))
        provider = self._providers.get(issuer) if isinstance(issuer, str) else None
        if provider is None:
            raise AuthenticationError(
                Localised("penerbit token tidak dipercaya", "the token's issuer is not trusted")
            )
        config = provider.config
        if header.get("alg") not in config.algorithms:  # 'none', HS256 with a public key...
            raise AuthenticationError(ALGORITHM_REFUSED)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError(
                Localised("token tanpa 'kid'", "the token names no signing key (kid)")
            )
        try:
            key = await provider.key(kid)
        except UnknownKey as exc:
            raise AuthenticationError(
                Localised(
                    "kunci penanda tangan tidak dikenal", "the token's signing key is unknown"
                )
            ) from exc
        claims = _decode(
            token,
            key,
            algorithms=list(config.algorithms),
            audience=config.audience,
            issuer=config.issuer,
            leeway=config.leeway_seconds,
        )
        mapped = _principal(claims, config.role_claim, config.regions_claim, config.programs_claim)
        return Verified(mapped, claims["jti"], float(claims["exp"]))

    async def _refuse_revoked(self, jti: str) -> None:
        """401 for a revoked token; 503 while the revocations have not loaded (fail closed:
        until then a revoked token cannot be told from a good one)."""
        revocations = self._revocations
        if revocations is None:
            return
        if not revocations.ready.is_set():
            try:
                await asyncio.wait_for(revocations.ready.wait(), self._revocations_wait)
            except TimeoutError as exc:
                raise service_unavailable(
                    Localised(
                        "daftar token yang dicabut belum termuat",
                        "the list of revoked tokens has not loaded yet",
                    )
                ) from exc
        if jti in revocations:
            raise _unauthorized(Localised("token telah dicabut", "token revoked"))


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        needed = ", ".join(roles)
        raise Problem(
            403,
            FORBIDDEN,
            Localised(
                f"tindakan ini memerlukan salah satu peran: {needed}",
                f"this action needs one of the roles: {needed}",
            ),
        )


cli = typer.Typer(help="Issue development tokens (signed with RUJUKAN_AUTH_SECRET); revoke any.")


@cli.command()
def issue(
    role: str = typer.Option("admin"),
    subject: str = typer.Option("dev"),
    regions: list[str] = typer.Option(
        [], "--region", help="region-code prefix (33.04, 33.04.05.2001); '*' for national"
    ),
    programs: list[str] = typer.Option([], "--program"),
    ttl: int = typer.Option(86400),
) -> None:
    secret = ServiceSettings().auth_secret.get_secret_value()
    principal = Principal(subject=subject, role=role, regions=regions, programs=programs)
    print(issue_token(secret, principal, ttl_seconds=ttl))


@cli.command()
def revoke(
    token_or_jti: str = typer.Argument(
        ..., help="the token itself (its jti and expiry are read from it), or its jti"
    ),
    reason: str | None = typer.Option(None, help="why, for the log (no names: it is kept)"),
) -> None:
    """Revoke a token of any issuer: every service refuses it within seconds (401)."""
    jti, expires_at = _jti_and_expiry(token_or_jti)
    try:
        event = revocation(jti, reason=reason, expires_at=expires_at)
    except ValidationError as exc:
        raise typer.BadParameter(str(exc)) from exc
    asyncio.run(publish(ServiceSettings().kafka_bootstrap, event))
    print(f"dicabut / revoked: jti {jti}")


def _jti_and_expiry(token_or_jti: str) -> tuple[str, datetime | None]:
    if token_or_jti.count(".") != 2:
        return token_or_jti, None
    try:  # whoever holds the token may revoke it: its signature does not matter here
        claims = jwt.decode(token_or_jti, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise typer.BadParameter(
            "neither a readable token nor a jti (a jti has no two dots)"
        ) from exc
    if not isinstance(claims.get("jti"), str):
        raise typer.BadParameter("the token has no jti: it cannot be revoked, only expire")
    exp = claims.get("exp")
    return claims["jti"], datetime.fromtimestamp(exp, UTC) if isinstance(exp, int) else None

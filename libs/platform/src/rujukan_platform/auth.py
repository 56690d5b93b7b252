"""One way to know who is calling, for every service: signed bearer tokens or API keys.

Tokens are HS256 JWTs (OAuth2 client-credentials style: ``sub``, ``role``, ``regions``,
``programs``, ``exp``). API keys map to the same ``Principal`` through settings
(``RUJUKAN_API_KEYS='{"key": {"subject": ..., "role": ...}}'``) for clients that cannot sign.
The same credentials travel as Kafka record headers (``authorization``, ``x-api-key``) where a
consumer must know which agency wrote a record (``Authenticator.from_headers``).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Sequence
from typing import Any, Literal

import jwt
import typer
from fastapi import Request
from pydantic import BaseModel, Field

from rujukan_platform.problems import Problem
from rujukan_platform.settings import ServiceSettings

Role = Literal["admin", "operator", "agency", "service"]
ISSUER = "rujukan"
AUDIENCE = "rujukan"


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
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class AuthenticationError(ValueError):
    """The credentials are missing, unknown, expired or not ours."""


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


#: seconds of clock difference tolerated when a token is checked against a record's time
LEEWAY = 60


def principal_of_token(secret: str, token: str, *, at: float | None = None) -> Principal:
    """The principal a token names. ``at``: the time it must have been valid at instead of
    now — a record's broker timestamp, so a consumer that lags or re-reads a topic still accepts
    what was sent with a valid token, and nothing sent with an expired one."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"verify_exp": at is None},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationError("the bearer token has expired") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationError("the bearer token is not valid") from exc
    if at is not None and not (claims.get("iat", 0) - LEEWAY <= at <= claims["exp"] + LEEWAY):
        raise AuthenticationError("the bearer token was not valid when the record was written")
    return Principal(
        subject=claims["sub"],
        role=claims["role"],
        regions=claims.get("regions", []),
        programs=claims.get("programs", []),
    )


def verify_token(secret: str, token: str) -> Principal:
    try:
        return principal_of_token(secret, token)
    except AuthenticationError as exc:
        raise _unauthorized(str(exc)) from exc


class Authenticator:
    def __init__(self, secret: str, api_keys: dict[str, dict[str, Any]]) -> None:
        self._secret = secret
        self._api_keys = {k: Principal.model_validate(v) for k, v in api_keys.items()}

    @classmethod
    def of(cls, settings: ServiceSettings) -> Authenticator:
        """The service's authenticator: its secret and API keys (HTTP and Kafka alike)."""
        return cls(settings.auth_secret.get_secret_value(), settings.api_keys)

    def authenticate(self, request: Request) -> Principal:
        try:
            return self._credentials(
                request.headers.get("authorization", ""), request.headers.get("x-api-key")
            )
        except AuthenticationError as exc:
            raise _unauthorized(str(exc)) from exc

    def from_headers(self, headers: Sequence[tuple[str, bytes]], *, at: float) -> Principal:
        """Who wrote a Kafka record, from its ``authorization`` or ``x-api-key`` header; a token
        must have been valid at ``at`` (the record's timestamp, seconds)."""
        found = {k.lower(): v.decode("utf-8", "replace") for k, v in headers}
        return self._credentials(found.get("authorization", ""), found.get("x-api-key"), at=at)

    def _credentials(
        self, authorization: str, api_key: str | None, *, at: float | None = None
    ) -> Principal:
        if authorization.lower().startswith("bearer "):
            return principal_of_token(self._secret, authorization[7:].strip(), at=at)
        if api_key:
            for known, principal in self._api_keys.items():
                if hmac.compare_digest(known, api_key):
                    return principal
            raise AuthenticationError("unknown API key")
        raise AuthenticationError("send 'Authorization: Bearer <token>' or 'X-API-Key'")


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise Problem(403, "Forbidden", f"this action needs one of the roles: {', '.join(roles)}")


cli = typer.Typer(help="Issue development tokens (signed with RUJUKAN_AUTH_SECRET).")


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

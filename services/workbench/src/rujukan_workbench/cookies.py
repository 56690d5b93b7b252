"""The session cookie, signed by the server, and the CSRF token every form carries.

The cookie holds who is signed in and their platform token; it is HttpOnly (no script reads the
token), SameSite=Strict and, over https, Secure. It is signed (HMAC-SHA256 over its content and
the time it was signed), not encrypted: nothing in it is secret from the person it belongs to.
Every session has a random ``nonce``; a form's CSRF token is an HMAC of it, so a page of another
site can neither read nor forge one, and signing in draws a new nonce (no fixation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import TypeVar

from pydantic import BaseModel, Field, ValidationError

from rujukan_platform.auth import Principal

COOKIE = "rujukan_workbench"
LANGUAGE_COOKIE = "rujukan_workbench_bahasa"
#: an OpenID Connect sign-in on its way (``Pending``): SameSite=Lax, since the provider's
#: redirect back is a navigation from another site, which carries no SameSite=Strict cookie
PENDING_COOKIE = "rujukan_workbench_masuk"
Signed = TypeVar("Signed", bound=BaseModel)


class Session(BaseModel):
    """One browser's session: its nonce, and once signed in, who and their token."""

    nonce: str = Field(default_factory=lambda: secrets.token_urlsafe(24))
    principal: Principal | None = None
    token: str | None = None
    #: when the token stops being accepted (epoch seconds): the session ends then
    expires_at: float | None = None
    #: the provider's ID token, its ``id_token_hint`` at sign-out (OpenID Connect only)
    id_token: str | None = None

    @property
    def signed_in(self) -> bool:
        if self.expires_at is not None and self.expires_at <= time.time():
            return False
        return self.principal is not None and self.token is not None


class Pending(BaseModel):
    """An OpenID Connect sign-in between the redirect to the provider and its answer: what the
    answer must match (``state``), what proves the code is ours (PKCE ``code_verifier``), what
    the ID token must carry (``nonce``), and where the person was going (``next``)."""

    state: str
    nonce: str
    code_verifier: str
    next: str = "/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CookieSigner:
    """Signs sessions (and pending sign-ins) into cookie values and reads them back, refusing
    any changed or old one."""

    def __init__(self, secret: str, max_age_seconds: int) -> None:
        self._key = hashlib.sha256(b"rujukan-workbench-cookie:" + secret.encode()).digest()
        self._csrf_key = hashlib.sha256(b"rujukan-workbench-csrf:" + secret.encode()).digest()
        self.max_age_seconds = max_age_seconds

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def sign(self, session: BaseModel, *, now: float | None = None) -> str:
        payload = _b64(session.model_dump_json().encode())
        body = f"{payload}.{int(now if now is not None else time.time())}"
        return f"{body}.{self._mac(body)}"

    def read(self, value: str | None, *, now: float | None = None) -> Session | None:
        """The session a cookie value holds; None when it is missing, changed or expired."""
        return self.read_as(Session, value, now=now)

    def read_as(
        self,
        kind: type[Signed],
        value: str | None,
        *,
        now: float | None = None,
        max_age: int | None = None,
    ) -> Signed | None:
        """What a cookie value of ``kind`` holds; None when it is missing, changed or older than
        ``max_age`` (the signer's own by default)."""
        if not value or value.count(".") != 2:
            return None
        payload, signed_at, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac(f"{payload}.{signed_at}")):
            return None
        if not signed_at.isdigit():
            return None
        age = (now if now is not None else time.time()) - int(signed_at)
        if age > (max_age if max_age is not None else self.max_age_seconds):
            return None
        try:
            return kind.model_validate(json.loads(_unb64(payload)))
        except (ValueError, ValidationError):
            return None

    def csrf_token(self, session: Session) -> str:
        """The token this session's forms carry."""
        return _b64(hmac.new(self._csrf_key, session.nonce.encode(), hashlib.sha256).digest())

    def csrf_valid(self, session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf_token(session))

"""The session cookie, signed by the server, and the CSRF token every form carries.

The cookie holds only the session's random id (``Session.nonce``), signed (HMAC-SHA256 over it
and the time it was signed); HttpOnly (no script reads it), SameSite=Strict and, over https or
in production, Secure. Who is signed in, with their token, is kept server-side under that id
(``sessions.SessionStore``), so signing out ends the session for good and the cookie stays
small. A form's CSRF token is an HMAC of the id, so a page of another site can neither read nor
forge one, and signing in draws a new id (no fixation).
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
    """One browser's session: its random id (``nonce``: the cookie's, the CSRF tokens'), and
    once signed in, who and their token (kept in the store, never in the cookie)."""

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

    def sign(self, value: BaseModel | str, *, now: float | None = None) -> str:
        """A cookie value: ``value`` (a text, or a model as JSON) with when and the MAC."""
        text = value if isinstance(value, str) else value.model_dump_json()
        body = f"{_b64(text.encode())}.{int(now if now is not None else time.time())}"
        return f"{body}.{self._mac(body)}"

    def read(self, value: str | None, *, now: float | None = None) -> str | None:
        """The session id a cookie value holds; None when it is missing, changed or expired."""
        return self.read_text(value, now=now)

    def read_text(
        self, value: str | None, *, now: float | None = None, max_age: int | None = None
    ) -> str | None:
        """The text a cookie value holds; None when it is missing, changed or older than
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
            return _unb64(payload).decode()
        except ValueError:
            return None

    def read_as(
        self,
        kind: type[Signed],
        value: str | None,
        *,
        now: float | None = None,
        max_age: int | None = None,
    ) -> Signed | None:
        """What a cookie value of ``kind`` holds; None when it is missing, changed or old."""
        text = self.read_text(value, now=now, max_age=max_age)
        if text is None:
            return None
        try:
            return kind.model_validate(json.loads(text))
        except (ValueError, ValidationError):
            return None

    def csrf_token(self, session: Session) -> str:
        """The token this session's forms carry."""
        return _b64(hmac.new(self._csrf_key, session.nonce.encode(), hashlib.sha256).digest())

    def csrf_valid(self, session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf_token(session))

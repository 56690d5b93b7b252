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

from pydantic import BaseModel, Field, ValidationError

from rujukan_platform.auth import Principal

COOKIE = "rujukan_workbench"
LANGUAGE_COOKIE = "rujukan_workbench_bahasa"


class Session(BaseModel):
    """One browser's session: its nonce, and once signed in, who and their token."""

    nonce: str = Field(default_factory=lambda: secrets.token_urlsafe(24))
    principal: Principal | None = None
    token: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.principal is not None and self.token is not None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CookieSigner:
    """Signs sessions into cookie values and reads them back, refusing any changed or old one."""

    def __init__(self, secret: str, max_age_seconds: int) -> None:
        self._key = hashlib.sha256(b"rujukan-workbench-cookie:" + secret.encode()).digest()
        self._csrf_key = hashlib.sha256(b"rujukan-workbench-csrf:" + secret.encode()).digest()
        self.max_age_seconds = max_age_seconds

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def sign(self, session: Session, *, now: float | None = None) -> str:
        payload = _b64(session.model_dump_json().encode())
        body = f"{payload}.{int(now if now is not None else time.time())}"
        return f"{body}.{self._mac(body)}"

    def read(self, value: str | None, *, now: float | None = None) -> Session | None:
        """The session a cookie value holds; None when it is missing, changed or expired."""
        if not value or value.count(".") != 2:
            return None
        payload, signed_at, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac(f"{payload}.{signed_at}")):
            return None
        if not signed_at.isdigit():
            return None
        age = (now if now is not None else time.time()) - int(signed_at)
        if age > self.max_age_seconds:
            return None
        try:
            return Session.model_validate(json.loads(_unb64(payload)))
        except (ValueError, ValidationError):
            return None

    def csrf_token(self, session: Session) -> str:
        """The token this session's forms carry."""
        return _b64(hmac.new(self._csrf_key, session.nonce.encode(), hashlib.sha256).digest())

    def csrf_valid(self, session: Session, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(token, self.csrf_token(session))

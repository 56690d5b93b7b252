"""A real OpenID Connect provider for tests (the workbench's sign-in, the services' tokens):
``oidc-provider-mock`` (Flask, on Authlib; a development dependency) in a thread on a free
port. Its sign-in page lets a test choose the subject; ``person`` sets the claims that
subject's tokens carry. Its access tokens are JWTs as a production provider's (Keycloak's) are:
RS256 with the provider's published key, ``aud`` the platform, a ``jti``, and the person's
claims (role, regions, programs), so that the services accept them."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import flask
import httpx
import oidc_provider_mock
import werkzeug.serving
from joserfc import jwt
from joserfc.jwk import RSAKey
from oidc_provider_mock._storage import storage

from rujukan_platform.auth import AUDIENCE
from rujukan_platform.testing import free_port


def _jwt_access_token(seconds: int) -> Any:
    def generate(client: Any, grant_type: str, user: Any, scope: str) -> str:
        now = int(time.time())
        claims = {
            **user.claims,
            "iss": flask.request.host_url.rstrip("/"),
            "sub": user.sub,
            "aud": AUDIENCE,
            "azp": client.id,
            "iat": now,
            "exp": now + seconds,
            "jti": uuid.uuid4().hex,
        }
        signing = storage.jwk.as_dict(is_private=True)
        key = RSAKey.import_key(signing)
        return jwt.encode({"alg": "RS256", "kid": signing["kid"]}, claims, key)

    return generate


@dataclass
class Provider:
    issuer: str

    def person(self, subject: str, **claims: Any) -> None:
        """The claims ``subject``'s tokens carry from now on (``role``, ``regions``, ...)."""
        r = httpx.put(f"{self.issuer}/users/{subject}", json={"email": subject, **claims})
        assert r.status_code == 204, r.text

    def trusted(self) -> str:
        """``RUJUKAN_OIDC_ISSUERS`` trusting this provider (the platform's audience)."""
        return json.dumps([{"issuer": self.issuer, "audience": AUDIENCE}])


@contextmanager
def running_provider(token_seconds: int = 3600) -> Iterator[Provider]:
    app = flask.Flask("oidc_provider_mock")  # its templates
    app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = _jwt_access_token(token_seconds)
    oidc_provider_mock.init_app(
        app,
        require_nonce=True,
        issue_refresh_token=False,
        access_token_max_age=timedelta(seconds=token_seconds),
    )
    app.secret_key = uuid.uuid4().bytes
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line for every request
    port = free_port()
    server = werkzeug.serving.make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield Provider(f"http://127.0.0.1:{port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)

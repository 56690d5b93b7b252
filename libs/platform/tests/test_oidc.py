"""An OIDC provider's signing keys (``oidc.ProviderKeys``) from a real HTTP server on loopback:
a discovery document that cannot be trusted, many requests at once for a key not fetched yet,
and which keys keep verifying while the provider is away."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from rujukan_platform.oidc import SEEN_KEYS, ProviderKeys, ProviderUnavailable
from rujukan_platform.settings import OidcIssuer
from rujukan_platform.testing import free_port

PUBLIC_JWK = RSAAlgorithm.to_jwk(
    rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key(), as_dict=True
)
JWKS = "/certs"
DISCOVERY = "/.well-known/openid-configuration"


class Documents:
    """A provider's two documents, served until ``stop``; ``fetches`` counts requests."""

    def __init__(self) -> None:
        port = free_port()
        self.issuer = f"http://127.0.0.1:{port}"
        self.discovery: dict[str, Any] = {"issuer": self.issuer, "jwks_uri": self.issuer + JWKS}
        self.keys: list[dict[str, Any]] = []
        self.fetches: Counter[str] = Counter()
        documents = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents.fetches[self.path] += 1
                body = {DISCOVERY: documents.discovery, JWKS: {"keys": documents.keys}}
                data = json.dumps(body.get(self.path, {})).encode()
                self.send_response(200 if self.path in body else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def add_key(self) -> str:
        """A published key under a new kid (one public key for all: only kids matter here)."""
        kid = f"k{len(self.keys)}"
        self.keys.append(PUBLIC_JWK | {"kid": kid, "alg": "RS256", "use": "sig"})
        return kid

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def provider() -> Iterator[Documents]:
    documents = Documents()
    yield documents
    documents.stop()


def keys_of(provider: Documents, **options: Any) -> ProviderKeys:
    return ProviderKeys(OidcIssuer(issuer=provider.issuer, audience="rujukan-api", **options))


@pytest.mark.parametrize(
    ("discovery", "why"),
    [
        ({"issuer": "https://impostor.example", "jwks_uri": "x"}, "names another issuer"),
        ({"issuer": None}, "names another issuer"),
        ({"jwks_uri": None}, "has no jwks_uri"),
    ],
)
async def test_a_discovery_document_that_cannot_be_trusted_makes_the_provider_away(
    provider: Documents, discovery: dict[str, Any], why: str
) -> None:
    provider.add_key()
    provider.discovery |= {k: v for k, v in discovery.items() if v is not None}
    for key in [k for k, v in discovery.items() if v is None]:
        provider.discovery.pop(key)
    keys = keys_of(provider)
    with pytest.raises(ProviderUnavailable, match=why):
        await keys.key("k0")
    # away for a while: the next request is answered at once, without asking the provider again
    with pytest.raises(ProviderUnavailable, match="away"):
        await keys.key("k0")
    assert provider.fetches[DISCOVERY] == 1 and provider.fetches[JWKS] == 0


async def test_many_first_requests_for_a_key_fetch_the_documents_once(
    provider: Documents,
) -> None:
    kid = provider.add_key()
    keys = keys_of(provider)
    found = await asyncio.gather(*(keys.key(kid) for _ in range(10)))
    assert {k.key_id for k in found} == {kid}
    assert provider.fetches == Counter({DISCOVERY: 1, JWKS: 1})


async def test_while_the_provider_is_away_the_most_recently_used_keys_keep_verifying(
    provider: Documents,
) -> None:
    kids = [provider.add_key() for _ in range(SEEN_KEYS + 1)]
    # keys cached for a moment only: every request below fetches again, as hours apart would
    keys = keys_of(provider, jwks_url=provider.issuer + JWKS, jwks_cache_seconds=0.001)
    for kid in kids:
        await asyncio.sleep(0.002)
        assert (await keys.key(kid)).key_id == kid
    provider.stop()
    await asyncio.sleep(0.002)
    for kid in kids[1:]:  # the last SEEN_KEYS used
        assert (await keys.key(kid)).key_id == kid
    with pytest.raises(ProviderUnavailable):  # the oldest was forgotten
        await keys.key(kids[0])
    assert provider.fetches[DISCOVERY] == 0  # its jwks_url was given: no discovery

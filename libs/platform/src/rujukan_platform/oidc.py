"""The signing keys of an OpenID Connect provider, fetched without stalling the service.

Keys come from the provider's JWKS (its ``jwks_url``, or the ``jwks_uri`` of its discovery
document, read at first use) through PyJWT's ``PyJWKClient``: cached for
``jwks_cache_seconds``, fetched again when a token names an unknown key (at most every
``refetch_cooldown_seconds``). A fetch runs in a worker thread and gives up after
``timeout_seconds``; while the provider is away, requests are answered at once (503, with
``Retry-After``) instead of each waiting for another timeout, and a key that has already
verified a token keeps verifying.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

from jwt import PyJWK, PyJWKClient
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWKSetError

from rujukan_platform.logging import get_logger
from rujukan_platform.problems import RETRY_AFTER_SECONDS
from rujukan_platform.settings import OidcIssuer

log = get_logger(__name__)
T = TypeVar("T")
#: keys remembered for an outage, per provider (providers publish a handful)
SEEN_KEYS = 32


class ProviderUnavailable(Exception):
    """The provider's discovery document or keys could not be fetched (answered 503)."""


class UnknownKey(Exception):
    """The provider publishes no key with the token's ``kid`` (answered 401)."""


class ProviderKeys:
    """One provider's signing keys, by ``kid``."""

    def __init__(self, config: OidcIssuer) -> None:
        self.config = config
        self._client: PyJWKClient | None = None
        self._lock = asyncio.Lock()
        self._away_until = 0.0
        self._seen: dict[str, PyJWK] = {}

    async def key(self, kid: str) -> PyJWK:
        cached = self._cached(kid)  # the usual case: no thread, no network
        if cached is not None:
            return cached
        async with self._lock:  # one fetch at a time per provider; the others wait for it
            if (cached := self._cached(kid)) is not None:  # fetched while this one waited
                return cached
            if time.monotonic() < self._away_until:
                return self._while_away(kid, None)
            try:
                client = self._client or await self._discover()
                key = await self._in_thread(client.get_signing_key, kid)
            except ProviderUnavailable as exc:
                self._away_until = time.monotonic() + RETRY_AFTER_SECONDS
                return self._while_away(kid, exc)
            except PyJWKClientError as exc:  # fetched, but no such key
                raise UnknownKey(kid) from exc
        if len(self._seen) >= SEEN_KEYS:
            self._seen.pop(next(iter(self._seen)))
        self._seen[kid] = key
        return key

    def _cached(self, kid: str) -> PyJWK | None:
        cache = self._client.jwk_set_cache if self._client else None
        keys = cache.get() if cache else None
        if keys is None:
            return None
        return next((k for k in keys.keys if k.key_id == kid), None)

    def _while_away(self, kid: str, cause: Exception | None) -> PyJWK:
        if kid in self._seen:
            return self._seen[kid]
        raise ProviderUnavailable(f"{self.config.issuer}: {cause or 'away'}") from cause

    async def _discover(self) -> PyJWKClient:
        url = self.config.jwks_url
        if url is None:
            document = await self._in_thread(_get_json, self.config.discovery_url, self._timeout)
            if not isinstance(document, dict) or document.get("issuer") != self.config.issuer:
                raise ProviderUnavailable("the discovery document names another issuer")
            url = document.get("jwks_uri")
            if not isinstance(url, str):
                raise ProviderUnavailable("the discovery document has no jwks_uri")
        self._client = PyJWKClient(
            url,
            cache_jwk_set=True,
            lifespan=self.config.jwks_cache_seconds,
            timeout=self._timeout,
            cooldown_duration=self.config.refetch_cooldown_seconds,
        )
        return self._client

    @property
    def _timeout(self) -> float:
        return self.config.timeout_seconds

    async def _in_thread(self, call: Callable[..., T], *args: Any) -> T:
        """``call`` in a worker thread, given up on after the timeout (the event loop never
        waits for the network); a failure to reach the provider is ``ProviderUnavailable``."""
        try:
            return await asyncio.wait_for(asyncio.to_thread(call, *args), self._timeout + 0.5)
        except (PyJWKClientConnectionError, PyJWKSetError, TimeoutError, OSError, ValueError) as e:
            log.warning("identity provider not answering", issuer=self.config.issuer, error=str(e))
            raise ProviderUnavailable(str(e)) from e


def _get_json(url: str, timeout: float) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)

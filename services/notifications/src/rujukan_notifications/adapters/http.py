"""The one HTTP client of every gateway and webhook: aiohttp's, used directly.

With httpx's API over aiohttp's pool (httpx-aiohttp), webhooks were 22 % of notifications'
samples at 200 households a second (py-spy), two thirds of that in httpx's own layers (its
request and response models, cookies, redirects), none of which a send needs; without them,
notifications' CPU a household fell 27 % in the bulk phase
(bench/results/pipeline_throughput.md). Behaviour kept from httpx: redirects are not followed (a
3xx is a failure, and a webhook's body never goes where its agency did not say), no cookies are
kept between sends, proxies come from the environment (``HTTPS_PROXY``, ``NO_PROXY``): read
once, not by aiohttp's ``trust_env`` on every request, which looked for a ``.netrc`` and read
the environment each time and cost more than the rest of the send.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from rujukan_notifications.domain.channels import DeliveryFailed

RETRYABLE_STATUS = frozenset({408, 425, 429})
#: whether NO_PROXY names the host (urllib's own check; typeshed does not list it)
_proxy_bypass: Callable[[str, Mapping[str, str]], bool] = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
#: read of an answer's body at most (enough for the detail a failure records)
MAX_ANSWER_BYTES = 64 * 1024


class HttpClient:
    """Keeps up to ``connections`` connections alive, as many as the dispatcher may send on at
    once: fewer, and a burst of sends to one agency closes the rest after each request and
    opens new ones for the next burst. The session is opened at the first send, in the
    running event loop it belongs to."""

    def __init__(
        self,
        *,
        connections: int,
        timeout_seconds: float,
        proxies: Mapping[str, str] | None = None,
    ) -> None:
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None
        #: scheme -> proxy URL, and ``no`` -> NO_PROXY, as urllib reads them
        self._proxies = dict(
            urllib.request.getproxies_environment() if proxies is None else proxies
        )
        self._proxy_of: dict[tuple[str, str], str | None] = {}

    def proxy(self, url: str) -> str | None:
        """The proxy a request to ``url`` goes through (None: straight), once per host."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        if key not in self._proxy_of:
            bypass = _proxy_bypass(parts.netloc, self._proxies)
            self._proxy_of[key] = None if bypass else self._proxies.get(parts.scheme)
        return self._proxy_of[key]

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections, limit_per_host=0),
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
                json_serialize=lambda value: orjson.dumps(value).decode(),
            )
        return self._session

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None = None,
        json: Any = None,
        form: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> None:
        """One HTTP call; network errors, timeouts, 408/425/429 and 5xx may pass on a retry,
        other answers but 2xx not (``DeliveryFailed``)."""
        if auth is not None:
            headers = {**headers, "Authorization": aiohttp.encode_basic_auth(*auth)}
        try:
            async with self.session().request(
                method,
                url,
                headers=headers,
                data=body if body is not None else form,
                json=json,
                params=None if query is None else {k: _query_value(v) for k, v in query.items()},
                proxy=self.proxy(url),
                allow_redirects=False,
            ) as response:
                answer = await response.content.read(MAX_ANSWER_BYTES)
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        if 200 <= status < 300:
            return
        retryable = status >= 500 or status in RETRYABLE_STATUS
        text = answer.decode("utf-8", errors="replace")[:200]
        raise DeliveryFailed(f"HTTP {status}: {text}", retryable=retryable)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _query_value(value: Any) -> str:
    """A query parameter as httpx wrote it: JSON's true/false/empty for booleans and null."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)

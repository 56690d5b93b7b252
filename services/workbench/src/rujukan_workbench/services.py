"""The services' HTTP APIs, called with the signed-in person's token and language.

The workbench decides nothing itself: a service's refusal (403, 404, 409, 422) comes back as the
service's problem+json, whose ``detail`` (Indonesian first) the page shows as it is; a service
that does not answer is ``Unanswered``, shown as such.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx

from rujukan_platform import telemetry
from rujukan_workbench.settings import WorkbenchSettings

Service = Literal["intake", "registry", "router", "notifications"]


class Unanswered(Exception):
    """A service did not answer (down, or slower than ``upstream_timeout_seconds``)."""

    def __init__(self, service: Service) -> None:
        super().__init__(service)
        self.service = service


class ServiceApi:
    """One person's calls to the services, for one page."""

    def __init__(
        self, http: httpx.AsyncClient, settings: WorkbenchSettings, token: str, language: str
    ) -> None:
        self._http = http
        self._urls: dict[Service, str] = {
            "intake": settings.intake_url,
            "registry": settings.registry_url,
            "router": settings.router_url,
            "notifications": settings.notifications_url,
        }
        self._headers = {"Authorization": f"Bearer {token}", "Accept-Language": language}

    async def call(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        url = self._urls[service].rstrip("/") + path
        headers = dict(self._headers)
        if traceparent := telemetry.current_traceparent():  # one trace: page, then services
            headers["traceparent"] = traceparent
        try:
            return await self._http.request(method, url, params=params, json=json, headers=headers)
        except httpx.TransportError as exc:
            raise Unanswered(service) from exc

    async def get(self, service: Service, path: str, **params: Any) -> httpx.Response:
        wanted = {k: v for k, v in params.items() if v is not None}
        return await self.call(service, "GET", path, params=wanted)


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """A refusal's problem+json (``detail``, ``errors``), or its text as the detail."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return {"status": response.status_code, "detail": response.text[:500]}

"""Notifications' HTTP API under /v1."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from rujukan_notifications.domain.messages import LANGUAGES, SAMPLE, STATUSES, render_status
from rujukan_notifications.service_layer.deliveries import list_deliveries
from rujukan_platform.auth import CurrentPrincipal, require_role
from rujukan_platform.problems import Problem
from rujukan_platform.runtime import Runtime

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["notifications"])

    @api.get(
        "/notifications",
        summary="Every delivery for one referral, oldest first",
        responses={401: PROBLEM, 403: PROBLEM},
    )
    async def notifications(referral_id: UUID, principal: CurrentPrincipal) -> dict[str, Any]:
        require_role(principal, "admin", "operator", "service")
        async with runtime.sessions() as session:
            return {"items": await list_deliveries(session, referral_id)}

    @api.get(
        "/templates/{status}/preview",
        summary="Render a status template with sample data",
        responses={401: PROBLEM, 404: PROBLEM},
    )
    async def preview(
        status: str, _principal: CurrentPrincipal, language: str = "id"
    ) -> dict[str, str]:
        if status not in STATUSES or language not in LANGUAGES:
            raise Problem(404, "Not found", f"no template for status {status!r} in {language!r}")
        message = render_status(status, language, {**SAMPLE, "status": status})
        return {"subject": message.subject, "body": message.body}

    return api

"""Notifications' HTTP API under /v1."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from rujukan_contracts.text import Line
from rujukan_notifications.domain.alerts import OPS_INBOX
from rujukan_notifications.domain.messages import KINDS, LANGUAGES, SAMPLE, render
from rujukan_notifications.service_layer.deliveries import list_deliveries, list_inbox
from rujukan_platform.access import Caller, forbidden
from rujukan_platform.auth import Principal
from rujukan_platform.problems import PROBLEM, Problem, field_error
from rujukan_platform.runtime import Runtime

INBOXES = ("puskesos", "supervisor")


def _may_read_inbox(principal: Principal, recipient: str) -> None:
    """Admins and services read every inbox; an operator the inboxes of their regions
    (``puskesos:<village code>``, ``supervisor:<regency code>``). The platform's own alerts
    (``ops``) are for administrators."""
    if recipient == OPS_INBOX:
        if principal.role != "admin":
            raise forbidden("kotak masuk ops untuk administrator / the ops inbox is for admins")
        return
    kind, _, region = recipient.partition(":")
    if kind not in INBOXES or not region:
        raise field_error("recipient", "expected puskesos:<village code> or supervisor:<regency>")
    if not principal.may_see(region):
        raise forbidden(f"{recipient} di luar wilayah Anda / is outside your regions")


def router(runtime: Runtime[Any]) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["notifications"])

    @api.get(
        "/notifications",
        summary="Every delivery for one referral, oldest first, with each attempt",
        responses={401: PROBLEM, 403: PROBLEM},
    )
    async def notifications(referral_id: UUID, principal: Caller) -> dict[str, Any]:
        async with runtime.sessions() as session:
            return {"items": await list_deliveries(session, referral_id, principal)}

    @api.get(
        "/inbox",
        summary="An operator inbox (rejections, expiries, escalations), newest first",
        responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM},
    )
    async def inbox(
        recipient: Line,
        principal: Caller,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Line | None = None,
    ) -> dict[str, Any]:
        _may_read_inbox(principal, recipient)
        async with runtime.sessions() as session:
            return await list_inbox(session, recipient, limit=limit, cursor=cursor)

    @api.get(
        "/templates/{status}/preview",
        summary="Render a template (e-mail 'status', 'sms' or operator 'inbox') with sample data",
        responses={401: PROBLEM, 404: PROBLEM},
    )
    async def preview(
        status: Line,
        _principal: Caller,
        language: Line = "id",
        kind: Literal["status", "sms", "inbox"] = "status",
    ) -> dict[str, str]:
        if status not in KINDS[kind] or language not in LANGUAGES:
            raise Problem(404, "Not found", f"no {kind} template for {status!r} in {language!r}")
        message = render(f"{kind}_{status}", language, {**SAMPLE, "status": status})
        return {"subject": message.subject, "body": message.body}

    return api

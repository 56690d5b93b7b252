"""Notifications' HTTP API under /v1: a referral's deliveries, the operators' inboxes and
template previews."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from rujukan_contracts.text import Line
from rujukan_notifications.adapters import views
from rujukan_notifications.domain.alerts import OPS_INBOX
from rujukan_notifications.domain.messages import LANGUAGES, SAMPLE, previewable, render
from rujukan_notifications.entrypoints.schemas import Deliveries, InboxPage, Preview
from rujukan_platform.access import forbidden, not_found
from rujukan_platform.auth import Principal
from rujukan_platform.dependencies import Caller, UnitOfWorkDep
from rujukan_platform.language import Localised
from rujukan_platform.problems import PROBLEM, field_error

#: operators' inboxes, by region: the village Puskesos, the regency supervisor, the regency's
#: Dinas Sosial (the last level of every escalation chain by default)
INBOXES = ("puskesos", "supervisor", "dinsos")
#: an agency's own inboxes: ``agency:<program>:<region>[:<desk>]`` (its escalation chain)
AGENCY_INBOX = "agency"

router = APIRouter(prefix="/v1", tags=["notifications"])


def _may_read_inbox(principal: Principal, recipient: str) -> None:
    """Admins and services read every inbox; an operator the inboxes of their regions
    (``puskesos:<village code>``, ``supervisor:`` and ``dinsos:<regency code>``); an agency the
    inboxes of its programs in its regions (``agency:PKH:33.04:korkab``). The platform's own
    alerts (``ops``) are for administrators."""
    if recipient == OPS_INBOX:
        if principal.role != "admin":
            raise forbidden(
                Localised("kotak masuk ops untuk administrator", "the ops inbox is for admins")
            )
        return
    kind, _, region = recipient.partition(":")
    program = None
    if kind == AGENCY_INBOX:
        program, _, place = region.partition(":")
        region = place.split(":")[0]
    if (kind not in INBOXES and kind != AGENCY_INBOX) or not region or program == "":
        raise field_error(
            "recipient",
            Localised(
                "harus puskesos:<kode desa>, supervisor:<kabupaten>, dinsos:<kabupaten> atau "
                "agency:<program>:<wilayah>",
                "expected puskesos:<village code>, supervisor:<regency>, dinsos:<regency> or "
                "agency:<program>:<region>",
            ),
        )
    # an operator reads the regions' inboxes, an agency its programs' own
    theirs = {"operator": program is None, "agency": program is not None}.get(principal.role, True)
    if not theirs or not principal.may_see(region, program):
        raise forbidden(
            Localised(f"{recipient} di luar wilayah Anda", f"{recipient} is outside your regions")
        )


@router.get(
    "/notifications",
    summary="Every delivery for one referral, oldest first, with each attempt",
    responses={403: PROBLEM},
)
async def notifications(referral_id: UUID, principal: Caller, uow: UnitOfWorkDep) -> Deliveries:
    return Deliveries(items=await views.referral_deliveries(uow.session, referral_id, principal))


@router.get(
    "/inbox",
    summary="An operator inbox (rejections, expiries, escalations), newest first",
    responses={403: PROBLEM},
)
async def inbox(
    recipient: Line,
    principal: Caller,
    uow: UnitOfWorkDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Line | None = None,
) -> InboxPage:
    _may_read_inbox(principal, recipient)
    return await views.inbox(uow.session, recipient, limit=limit, cursor=cursor)


@router.get(
    "/templates/{status}/preview",
    summary="Render a template (e-mail 'status', 'sms' or operator 'inbox') with sample data;"
    " a resident's 'news', or the news of one status ('accepted')",
    responses={404: PROBLEM},
)
async def preview(
    status: Line,
    _principal: Caller,
    language: Line = "id",
    kind: Literal["status", "sms", "inbox"] = "status",
) -> Preview:
    if not previewable(kind, status) or language not in LANGUAGES:
        raise not_found(
            Localised(
                f"templat {kind} {status!r} ({language!r})",
                f"template {kind} {status!r} ({language!r})",
            )
        )
    message = render(f"{kind}_{status}", language, {**SAMPLE, "status": status})
    return Preview(subject=message.subject, body=message.body)

"""Intake's HTTP API under /v1."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Header, Request, Response
from pydantic import BaseModel

from rujukan_intake.domain.intake import EXAMPLE_INTAKE, IntakeCreate
from rujukan_intake.service_layer.intakes import get_intake, submit_intake
from rujukan_platform.auth import CurrentPrincipal, require_role
from rujukan_platform.runtime import Runtime

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


class IntakeAccepted(BaseModel):
    intake_id: UUID
    household_id: UUID
    status: str
    duplicate: bool
    links: dict[str, str]


class ReferralView(BaseModel):
    referral_id: UUID
    program_code: str
    status: str
    reason_code: str | None
    changed_at: datetime


class IntakeView(BaseModel):
    intake_id: UUID
    household_id: UUID
    village_code: str
    needs: list[str]
    priority_lanes: list[str]
    registry: dict[str, Any]
    consent: dict[str, Any]
    taken_by: dict[str, Any]
    submitted_at: datetime
    referrals: list[ReferralView]


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["intakes"])
    settings = runtime.settings
    from rujukan_intake.adapters.registry import LocalRegistry
    from rujukan_intake.settings import IntakeSettings

    assert isinstance(settings, IntakeSettings)
    registry = LocalRegistry()

    @api.post(
        "/intakes",
        status_code=202,
        response_model=IntakeAccepted,
        summary="Record a household's needs (and/or a complaint) with the resident's consent",
        responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM},
    )
    async def post_intake(
        request: Request,
        response: Response,
        principal: CurrentPrincipal,
        body: Annotated[
            IntakeCreate,
            Body(
                openapi_examples={
                    "household": {
                        "summary": "A household eligible for PKH and PBI-JK",
                        "value": EXAMPLE_INTAKE,
                    }
                }
            ),
        ],
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> IntakeAccepted:
        require_role(principal, "operator", "admin")
        async with runtime.sessions() as session, session.begin():
            result = await submit_intake(
                session,
                req=body,
                principal=principal,
                idempotency_key=idempotency_key,
                pii_key=settings.pii_key.get_secret_value(),
                registry=registry,
                duplicate_window=settings.duplicate_window,
                traceparent=request.headers.get("traceparent"),
            )
        runtime.relay.wake()
        location = f"/v1/intakes/{result.intake_id}"
        response.headers["Location"] = location
        return IntakeAccepted(
            intake_id=result.intake_id,
            household_id=result.household_id,
            status="submitted",
            duplicate=result.duplicate,
            links={"self": location},
        )

    @api.get(
        "/intakes/{intake_id}",
        response_model=IntakeView,
        summary="An intake and the current status of its referrals",
        responses={401: PROBLEM, 404: PROBLEM},
    )
    async def read_intake(intake_id: UUID, principal: CurrentPrincipal) -> dict[str, Any]:
        async with runtime.sessions() as session:
            return await get_intake(session, intake_id, principal)

    return api

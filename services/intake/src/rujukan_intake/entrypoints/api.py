"""Intake's HTTP API under /v1."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Header, Query, Request, Response
from pydantic import BaseModel, Field

from rujukan_contracts.text import Line, Timestamp
from rujukan_intake import metrics
from rujukan_intake.adapters.dci import DciRegistry
from rujukan_intake.adapters.registries import make_registry
from rujukan_intake.adapters.registry import RegistryUnavailable
from rujukan_intake.domain.intake import EXAMPLE_INTAKE, IntakeCreate
from rujukan_intake.service_layer.identity import household_of_referral, reads_of
from rujukan_intake.service_layer.intakes import Submitted, get_intake, submit_intakes
from rujukan_intake.settings import IntakeSettings
from rujukan_platform.access import Caller
from rujukan_platform.auth import Principal
from rujukan_platform.problems import PROBLEM, Problem
from rujukan_platform.runtime import Runtime


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


class MemberIdentity(BaseModel):
    name: str
    birth_date: date
    sex: str
    relationship: str


class HouseholdIdentity(BaseModel):
    """Who a referral is about, for the officers who must find and serve the family."""

    referral_id: UUID
    program_code: str
    household_id: UUID
    village_code: str
    members: list[MemberIdentity]


class IdentityRead(BaseModel):
    at: datetime
    subject: str
    role: str
    household_id: UUID
    village_code: str
    referral_id: UUID | None
    program_code: str | None
    purpose: str


class IdentityReads(BaseModel):
    items: list[IdentityRead]


class BatchItem(BaseModel):
    """One intake of a batch, with the client's own key for safe retries and resumes."""

    idempotency_key: Line | None = Field(default=None, max_length=200)
    intake: IntakeCreate


class BatchRequest(BaseModel):
    items: list[BatchItem] = Field(min_length=1)


class BatchResult(BaseModel):
    index: int
    status: int = Field(description="202 accepted (or a duplicate), 403 or 422 refused")
    intake_id: UUID | None = None
    duplicate: bool = False
    problem: dict[str, Any] | None = None


class BatchResponse(BaseModel):
    accepted: int
    duplicates: int
    refused: int
    results: list[BatchResult]


def router(runtime: Runtime[Any]) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["intakes"])
    settings = runtime.settings
    assert isinstance(settings, IntakeSettings)
    registry = make_registry(settings)
    if isinstance(registry, DciRegistry):
        runtime.closers.append(registry.aclose)

    async def submit(
        request: Request, principal: Principal, items: list[tuple[IntakeCreate, str | None]]
    ) -> list[Submitted]:
        try:
            async with runtime.sessions() as session, session.begin():
                results = await submit_intakes(
                    session,
                    items,
                    principal=principal,
                    pii_key=settings.pii_key.get_secret_value(),
                    sealer=settings.sealer,
                    registry=registry,
                    duplicate_window=settings.duplicate_window,
                    traceparent=request.headers.get("traceparent"),
                )
        except RegistryUnavailable as exc:
            raise Problem(
                503,
                "Social registry unavailable",
                f"{exc}; nothing was stored, retry with the same Idempotency-Key",
                headers={"Retry-After": "5"},
            ) from exc
        runtime.relay.wake()
        for (req, _key), result in zip(items, results, strict=True):
            if result.problem is not None:
                metrics.REFUSED.labels(str(result.problem.status)).inc()
            elif not result.duplicate:
                kind = "complaint" if req.complaint is not None and not req.needs else "need"
                metrics.INTAKES.labels(req.household.village_code.strip()[:2], kind).inc()
        return results

    @api.post(
        "/intakes",
        status_code=202,
        response_model=IntakeAccepted,
        summary="Record a household's needs (and/or a complaint) with the resident's consent",
        responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM, 503: PROBLEM},
    )
    async def post_intake(
        request: Request,
        response: Response,
        principal: Caller,
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
        idempotency_key: Annotated[Line | None, Header(max_length=200)] = None,
    ) -> IntakeAccepted:
        (result,) = await submit(request, principal, [(body, idempotency_key)])
        if result.problem is not None:
            raise result.problem
        location = f"/v1/intakes/{result.intake_id}"
        response.headers["Location"] = location
        assert result.intake_id is not None and result.household_id is not None
        return IntakeAccepted(
            intake_id=result.intake_id,
            household_id=result.household_id,
            status="submitted",
            duplicate=result.duplicate,
            links={"self": location},
        )

    @api.post(
        "/intakes/batch",
        response_model=BatchResponse,
        summary="Record many intakes at once (bulk import); each item succeeds or fails alone",
        responses={401: PROBLEM, 403: PROBLEM, 413: PROBLEM, 422: PROBLEM, 503: PROBLEM},
        max_body_size=settings.max_batch_body_bytes,
    )
    async def post_batch(request: Request, principal: Caller, body: BatchRequest) -> BatchResponse:
        if len(body.items) > settings.batch_limit:
            raise Problem(
                413, "Batch too large", f"items: at most {settings.batch_limit} per request"
            )
        results = await submit(
            request, principal, [(item.intake, item.idempotency_key) for item in body.items]
        )
        out = [
            BatchResult(
                index=i,
                status=r.problem.status if r.problem else 202,
                intake_id=r.intake_id,
                duplicate=r.duplicate,
                problem=r.problem.body() if r.problem else None,
            )
            for i, r in enumerate(results)
        ]
        refused = sum(r.problem is not None for r in results)
        duplicates = sum(r.duplicate and r.problem is None for r in results)
        return BatchResponse(
            accepted=len(results) - refused - duplicates,
            duplicates=duplicates,
            refused=refused,
            results=out,
        )

    @api.get(
        "/intakes/{intake_id:uuid}",  # only a UUID: /intakes/batch is another resource
        response_model=IntakeView,
        summary="An intake and the current status of its referrals",
        responses={401: PROBLEM, 404: PROBLEM},
    )
    async def read_intake(intake_id: UUID, principal: Caller) -> dict[str, Any]:
        async with runtime.sessions() as session:
            return await get_intake(session, intake_id, principal)

    @api.get(
        "/referrals/{referral_id}/household",
        response_model=HouseholdIdentity,
        summary="Who a referral is about: names, birth dates, relationships (every read logged)",
        responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 422: PROBLEM},
    )
    async def referral_household(
        referral_id: UUID,
        principal: Caller,
        purpose: Annotated[
            Line,
            Query(
                min_length=3,
                max_length=200,
                description="why you need it (kept in the access log), e.g. 'verifikasi lapangan'",
            ),
        ],
    ) -> dict[str, Any]:
        async with runtime.sessions() as session, session.begin():
            return await household_of_referral(
                session,
                referral_id,
                principal,
                purpose=purpose,
                sealer=settings.sealer,
            )

    @api.get(
        "/identity-reads",
        response_model=IdentityReads,
        summary="The access log: who read which household's identity, when, and why",
        responses={401: PROBLEM, 403: PROBLEM, 422: PROBLEM},
    )
    async def identity_read_log(
        principal: Caller,
        household_id: UUID | None = None,
        referral_id: UUID | None = None,
        before: Timestamp | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        async with runtime.sessions() as session:
            items = await reads_of(
                session,
                principal,
                household_id=household_id,
                referral_id=referral_id,
                before=before,
                limit=limit,
            )
        return {"items": items}

    return api

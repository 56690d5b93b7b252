"""Intake's HTTP API under /v1: changes as commands through the handler table, reads through
the views."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Header, Query, Response

from rujukan_contracts.references import NOT_A_REFERENCE, normalise_reference
from rujukan_contracts.text import Line, Timestamp
from rujukan_intake import metrics
from rujukan_intake.adapters import views
from rujukan_intake.adapters.registry import RegistryUnavailable
from rujukan_intake.domain.commands import IntakeItem, ReadHousehold, SubmitIntakes, Submitted
from rujukan_intake.domain.intake import EXAMPLE_INTAKE, IntakeCreate
from rujukan_intake.entrypoints.dependencies import IntakeUoW, Settings, SubmitOne
from rujukan_intake.entrypoints.schemas import (
    BatchRequest,
    BatchResponse,
    BatchResult,
    HouseholdIdentity,
    IdentityReads,
    IntakeAccepted,
    IntakeView,
    VisitAnswer,
)
from rujukan_platform.access import not_found
from rujukan_platform.dependencies import Caller, HandleDep
from rujukan_platform.language import Localised, PreferredLanguage
from rujukan_platform.problems import PROBLEM, Problem, field_error

#: the batch endpoint's body limit (every other request: ``max_body_bytes``, 1 MiB): 500
#: intakes of many members each
MAX_BATCH_BODY_BYTES = 16 * 1024 * 1024

router = APIRouter(prefix="/v1", tags=["intakes"])

#: why a caller reads a family's identity, kept in the access log
Purpose = Annotated[
    Line,
    Query(
        min_length=3,
        max_length=200,
        description="why you need it (kept in the access log), e.g. 'verifikasi lapangan'",
    ),
]


@contextmanager
def _registry_unavailable_is_503() -> Iterator[None]:
    """A registry that does not answer fails the whole submission: nothing was stored."""
    try:
        yield
    except RegistryUnavailable as exc:
        raise Problem(
            503,
            Localised("Registri sosial tidak tersedia", "Social registry unavailable"),
            Localised(
                f"registri sosial tidak menjawab ({exc}); tidak ada yang disimpan, ulangi dengan "
                "Idempotency-Key yang sama",
                f"{exc}; nothing was stored, retry with the same Idempotency-Key",
            ),
            headers={"Retry-After": "5"},
        ) from exc


def _count(items: Sequence[IntakeItem], results: Sequence[Submitted]) -> None:
    """Count what was recorded (after commit) and what was refused."""
    for item, result in zip(items, results, strict=True):
        if result.problem is not None:
            metrics.REFUSED.labels(str(result.problem.status)).inc()
        elif not result.duplicate:
            req = item.intake
            kind = "complaint" if req.complaint is not None and not req.needs else "need"
            metrics.INTAKES.labels(req.household.village_code.strip()[:2], kind).inc()


@router.post(
    "/intakes",
    status_code=202,
    summary="Record a household's needs (and/or a complaint) with the resident's consent",
    responses={403: PROBLEM, 503: PROBLEM},
)
async def post_intake(
    response: Response,
    principal: Caller,
    submit_one: SubmitOne,
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
    idempotency_key: Annotated[Line | None, Header(min_length=1, max_length=200)] = None,
) -> IntakeAccepted:
    item = IntakeItem(body, principal, idempotency_key)
    with _registry_unavailable_is_503():
        result = await submit_one(item)  # with the others arriving meanwhile
    _count([item], [result])
    if result.problem is not None:
        raise result.problem
    assert result.intake_id is not None and result.household_id is not None
    location = f"/v1/intakes/{result.intake_id}"
    response.headers["Location"] = location
    return IntakeAccepted(
        intake_id=result.intake_id,
        household_id=result.household_id,
        status="submitted",
        duplicate=result.duplicate,
        links={"self": location},
        **VisitAnswer.of(result),
    )


@router.post(
    "/intakes/batch",
    summary="Record many intakes at once (bulk import); each item succeeds or fails alone",
    responses={403: PROBLEM, 413: PROBLEM, 503: PROBLEM},
    max_body_size=MAX_BATCH_BODY_BYTES,
)
async def post_batch(
    principal: Caller,
    handle: HandleDep,
    settings: Settings,
    body: BatchRequest,
    language: PreferredLanguage,
) -> BatchResponse:
    if len(body.items) > settings.batch_limit:
        limit = settings.batch_limit
        raise Problem(
            413,
            Localised("Batch terlalu besar", "Batch too large"),
            Localised(
                f"items: paling banyak {limit} per permintaan",
                f"items: at most {limit} per request",
            ),
        )
    items = [IntakeItem(item.intake, principal, item.idempotency_key) for item in body.items]
    with _registry_unavailable_is_503():
        results: list[Submitted] = await handle(SubmitIntakes(items))
    _count(items, results)
    refused = sum(r.problem is not None for r in results)
    duplicates = sum(r.duplicate and r.problem is None for r in results)
    return BatchResponse(
        accepted=len(results) - refused - duplicates,
        duplicates=duplicates,
        refused=refused,
        results=[
            BatchResult(
                index=i,
                status=r.problem.status if r.problem else 202,
                intake_id=r.intake_id,
                duplicate=r.duplicate,
                problem=r.problem.body(language=language) if r.problem else None,
                **VisitAnswer.of(r),
            )
            for i, r in enumerate(results)
        ],
    )


@router.get(
    "/intakes/{intake_id:uuid}",  # only a UUID: /intakes/batch is another resource
    summary="An intake and the current status of its referrals",
    responses={404: PROBLEM},
)
async def read_intake(
    intake_id: UUID, principal: Caller, uow: IntakeUoW, settings: Settings
) -> IntakeView:
    found = await views.intake(uow, intake_id)
    if found is None or not principal.covers_region(found.village_code):
        raise not_found(f"intake {intake_id}")
    decisions = f"{settings.router_url.rstrip('/')}/v1/intakes/{intake_id}/decisions"
    return found.model_copy(update={"links": {"decisions": decisions}})


@router.get(
    "/referrals/{referral_id}/household",
    summary="The family behind an open referral its consent covers: names, NIK, KK, address, "
    "contact, documents (every read logged)",
    responses={403: PROBLEM, 404: PROBLEM},
)
async def referral_household(
    referral_id: UUID, principal: Caller, handle: HandleDep, purpose: Purpose
) -> HouseholdIdentity:
    household = await handle(ReadHousehold(referral_id, by=principal, purpose=purpose))
    return HouseholdIdentity.model_validate(household)


@router.get(
    "/referrals/by-reference/{reference}/household",
    summary="The same, for a referral named by its reference as a person types it "
    "(rjk 3304 7f3k2q, O for 0)",
    responses={403: PROBLEM, 404: PROBLEM},
)
async def referral_household_by_reference(
    reference: str, principal: Caller, handle: HandleDep, purpose: Purpose
) -> HouseholdIdentity:
    canonical = normalise_reference(reference)
    if canonical is None:
        raise field_error("reference", NOT_A_REFERENCE)
    household = await handle(
        ReadHousehold(None, by=principal, purpose=purpose, reference=canonical)
    )
    return HouseholdIdentity.model_validate(household)


@router.get(
    "/identity-reads",
    summary="The access log: who read which household's identity, when, and why",
    responses={403: PROBLEM},
)
async def identity_read_log(
    principal: Caller,
    uow: IntakeUoW,
    household_id: UUID | None = None,
    referral_id: UUID | None = None,
    before: Timestamp | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> IdentityReads:
    reads = await views.identity_reads_of(
        uow,
        principal,
        household_id=household_id,
        referral_id=referral_id,
        before=before,
        limit=limit,
    )
    return IdentityReads(items=reads)

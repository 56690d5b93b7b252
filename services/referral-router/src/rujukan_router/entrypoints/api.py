"""Referral router's HTTP API under /v1: module-level routes; reads through the views
(``adapters/views.py``), changes of state as commands through the handler table."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal, TypeVar
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Header, Query, Response

from rujukan_contracts.events import OutcomeKind, PriorityLane, ReferralStatus
from rujukan_contracts.references import NOT_A_REFERENCE, normalise_reference
from rujukan_contracts.text import Line
from rujukan_platform.access import forbidden, not_found
from rujukan_platform.auth import Principal
from rujukan_platform.dependencies import Caller, HandleDep
from rujukan_platform.language import Localised, Words
from rujukan_platform.problems import (
    CONFLICT,
    PROBLEM,
    Problem,
    field_error,
    refused,
)
from rujukan_platform.runtime import Runtime
from rujukan_router.adapters.replays import FINISHED
from rujukan_router.adapters.views import ReferralFilter, ReferralOrder, RouterViews
from rujukan_router.domain.commands import (
    AddRegistryUpdates,
    CancelReplay,
    CreateReplay,
    ReportOutcome,
    StartReplay,
    WithdrawReferral,
)
from rujukan_router.domain.lifecycle import TransitionRefused
from rujukan_router.entrypoints.dependencies import RouterRuntime, Views
from rujukan_router.entrypoints.jobs import work_for
from rujukan_router.entrypoints.schemas import (
    OUTCOME_EXAMPLES,
    WITHDRAW_EXAMPLES,
    IntakeDecisions,
    OutcomeIn,
    ReferralPage,
    ReferralView,
    RegistryUpdate,
    RegistryUpdatesAdded,
    ReplayList,
    ReplayRequest,
    ReplayView,
    TraceView,
    WithdrawIn,
    registry_facts,
)
from rujukan_router.service_layer.referrals import ReferralNotFound
from rujukan_router.service_layer.replay import ReplayNotFound, ReplayStateError
from rujukan_router.service_layer.state import RouterState

__all__ = ["OutcomeIn", "router"]

router = APIRouter(prefix="/v1", tags=["referrals"])

R = TypeVar("R")
#: the titles of a refused change of a referral's status (a 409)
IMPOSSIBLE = Localised("Perpindahan status tidak mungkin", "Impossible transition")
CLOSED = Localised("Rujukan sudah ditutup", "The referral is closed")


def _a_referral(referral_id: UUID) -> Localised:
    """A referral as the officer and the English reader name it (in a 404)."""
    return Localised(f"rujukan {referral_id}", f"referral {referral_id}")


def _found(row: R | None, what: Words) -> R:
    """The row a view found, or a 404 naming what is missing (for this caller)."""
    if row is None:
        raise not_found(what)
    return row


# -- referrals ----------------------------------------------------------------------------------


def _reference(typed: str | None) -> str | None:
    """A reference as typed, in its canonical form; 422 when it cannot be one."""
    if typed is None:
        return None
    reference = normalise_reference(typed)
    if reference is None:
        raise field_error("reference", NOT_A_REFERENCE)
    return reference


@router.get(
    "/referrals",
    summary="Referrals, newest first, filtered and paged by cursor",
)
async def list_referrals(
    principal: Caller,
    views: Views,
    intake_id: UUID | None = None,
    household_id: UUID | None = None,
    program: Line | None = None,
    status: ReferralStatus | None = None,
    region: Annotated[Line | None, Query(description="region-code prefix, e.g. 33.04")] = None,
    overdue: Annotated[
        bool, Query(description="only open referrals past their current step's deadline")
    ] = False,
    lane: Annotated[
        PriorityLane | None, Query(description="only households in this priority lane")
    ] = None,
    reference: Annotated[
        Line | None,
        Query(
            description="the referral with this reference, as a person types it "
            "(rjk 3304 7f3k2q and O for 0 are read as RJK-3304-7F3K2Q)"
        ),
    ] = None,
    order: Annotated[
        ReferralOrder,
        Query(
            description="newest: the newest first; urgent: households in a priority lane "
            "first, then the nearest deadline (a work queue)"
        ),
    ] = "newest",
    kind: Annotated[
        Literal["need", "complaint"] | None,
        Query(description="only need referrals, or only complaint cases (pengaduan)"),
    ] = None,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> ReferralPage:
    wanted = ReferralFilter(
        intake_id,
        household_id,
        program,
        status,
        region,
        overdue,
        lane,
        _reference(reference),
        kind,
    )
    page = await views.referrals(principal, wanted, cursor=cursor, limit=limit, order=order)
    return ReferralPage(
        items=[ReferralView.model_validate(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/referrals/{referral_id}",
    summary="One referral with its decision",
    responses={404: PROBLEM},
)
async def get_referral(referral_id: UUID, principal: Caller, views: Views) -> ReferralView:
    return await _referral(views, principal, referral_id)


async def _referral(views: RouterViews, principal: Principal, referral_id: UUID) -> ReferralView:
    row = await views.referral(principal, referral_id)
    return ReferralView.model_validate(_found(row, _a_referral(referral_id)))


@router.get(
    "/referrals/{referral_id}/trace",
    summary="Every status change, in order",
    responses={404: PROBLEM},
)
async def trace(referral_id: UUID, principal: Caller, views: Views) -> TraceView:
    events = _found(await views.trace(principal, referral_id), _a_referral(referral_id))
    return TraceView.model_validate({"referral_id": referral_id, "events": events})


@router.get(
    "/intakes/{intake_id}/decisions",
    summary="Every evaluation of an intake: each program's verdict and outcome (referred, "
    "suggested, not eligible, skipped), every criterion explained in the caller's language",
    responses={403: PROBLEM, 404: PROBLEM},
)
async def intake_decisions(intake_id: UUID, principal: Caller, views: Views) -> IntakeDecisions:
    found = await views.intake_decisions(principal, intake_id)
    if found is None:
        raise not_found(f"intake {intake_id}")
    return IntakeDecisions.model_validate(
        {"intake_id": intake_id, "suggested": views.suggested(found), "decisions": found}
    )


@router.post(
    "/referrals/{referral_id}/outcome",
    summary="An agency reports an outcome (for agencies without a Kafka client)",
    responses={403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
)
async def post_outcome(
    referral_id: UUID,
    principal: Caller,
    body: Annotated[OutcomeIn, Body(openapi_examples=OUTCOME_EXAMPLES)],
    views: Views,
    handle: HandleDep,
    idempotency_key: Annotated[Line | None, Header(max_length=200)] = None,
) -> ReferralView:
    """The same report again under its Idempotency-Key is answered as the referral is now;
    another report under that key is refused (422) and changes nothing."""
    if body.outcome == OutcomeKind.rejected and body.reason_code is None:
        required = Localised("wajib diisi bila ditolak", "required when rejected")
        raise refused(
            [{"field": "reason_code", "reason": required}],
            Localised("Hasil tidak dapat diproses", "Unprocessable outcome"),
        )
    program = _found(await views.program_of(principal, referral_id), _a_referral(referral_id))
    if not principal.owns_program(program):
        raise forbidden(
            Localised(
                "rujukan ini milik program instansi lain",
                "the referral belongs to another agency's program",
            )
        )
    command = ReportOutcome(
        referral_id=referral_id,
        outcome=body.outcome,
        reason_code=body.reason_code,
        note=body.note,
        public_note=body.public_note,
        actor=principal.subject,
        idempotency_key=idempotency_key,
        program_code=program,
    )
    async with _as_referral_problems(referral_id, IMPOSSIBLE, lambda exc: exc.reason):
        await handle(command)
    return await _referral(views, principal, referral_id)


@router.post(
    "/referrals/{referral_id}/withdraw",
    summary="An operator withdraws a referral, saying why (the agency is told on its topic)",
    responses={403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
)
async def post_withdraw(
    referral_id: UUID,
    principal: Caller,
    body: Annotated[WithdrawIn, Body(openapi_examples=WITHDRAW_EXAMPLES)],
    views: Views,
    handle: HandleDep,
) -> ReferralView:
    """Only referrals of the caller's regions (another region's: 404). The same withdrawal
    again answers as the referral is now; a closed referral cannot be withdrawn (409)."""
    _found(await views.program_of(principal, referral_id), _a_referral(referral_id))
    command = WithdrawReferral(
        referral_id=referral_id,
        reason=body.reason,
        actor=principal.subject,
        reason_code=body.reason_code,
    )
    async with _as_referral_problems(referral_id, CLOSED, _not_withdrawable):
        await handle(command)
    return await _referral(views, principal, referral_id)


def _not_withdrawable(exc: TransitionRefused) -> Localised:
    status = exc.current.value
    return Localised(
        f"rujukan ini berstatus '{status}' dan tidak dapat ditarik lagi",
        f"the referral is '{status}' and can no longer be withdrawn",
    )


@asynccontextmanager
async def _as_referral_problems(
    referral_id: UUID, title: Localised, detail: Callable[[TransitionRefused], Localised]
) -> AsyncIterator[None]:
    """A step the referral's status refuses is a 409 naming that status (``title`` and the
    route's ``detail`` of the refusal); a referral gone meanwhile, a 404."""
    try:
        yield
    except TransitionRefused as exc:
        raise Problem(
            409,
            title,
            detail(exc),
            type_="https://rujukan.example/problems/transition",
            current_status=exc.current.value,
        ) from exc
    except ReferralNotFound as exc:
        raise not_found(_a_referral(referral_id)) from exc


# -- replays ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Wait:
    """The wait a client prefers for a job it created or started (``Prefer: wait=N``, RFC
    7240), and what the answer needs."""

    seconds: float
    response: Response
    views: RouterViews
    runtime: Runtime[RouterState]

    async def answer(self, replay_id: UUID) -> ReplayView:
        """Work on the job here for the wait, then report it: 200 when it finished, 202
        while it goes on."""
        if self.seconds > 0:
            await work_for(self.runtime, replay_id, self.seconds)
        view = await _replay(self.views, replay_id)
        if view.status in FINISHED:
            self.response.status_code = 200
        return view


async def _wait(
    response: Response,
    views: Views,
    runtime: RouterRuntime,
    prefer: Annotated[Line | None, Header(description="wait=N: work on it for N s")] = None,
) -> _Wait:
    return _Wait(_preferred_wait(prefer), response, views, runtime)


ReplayWait = Annotated[_Wait, Depends(_wait)]


def _preferred_wait(prefer: str | None) -> float:
    """``Prefer: wait=N`` (RFC 7240), capped at a minute; 0 when absent or unreadable."""
    for part in (prefer or "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "wait":
            try:
                return max(0.0, min(60.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 0.0


@router.post(
    "/replays",
    summary="Re-evaluate stored intakes after a rule or the registry changed (dry run first)",
    description=(
        "Creates a replay job: every household's latest intake is evaluated again, a chunk "
        "of households per transaction, by whichever router process holds the job's lease "
        "(resumable after a crash). `Prefer: wait=N` (seconds, at most 60) works on the job "
        "in this request for up to N seconds and answers 200 with the finished job, or 202 "
        "with its progress; the background workers finish it either way. `start: false` "
        "creates a draft that takes more registry updates first."
    ),
    status_code=202,
    responses={
        200: {"description": "the replay finished within the wait", "model": ReplayView},
        403: PROBLEM,
    },
)
async def post_replay(
    principal: Caller, body: ReplayRequest, handle: HandleDep, wait: ReplayWait
) -> ReplayView:
    command = CreateReplay(
        requested_by=principal.subject,
        apply=body.apply,
        programs=body.programs,
        rule=body.rule.model_dump(mode="json") if body.rule is not None else None,
        since=body.since,
        registry_updates=registry_facts(body.registry_updates, datetime.now(UTC)),
        start=body.start,
    )
    replay_id: UUID = await handle(command)
    wait.response.headers["Location"] = f"/v1/replays/{replay_id}"
    return await wait.answer(replay_id)


@router.get(
    "/replays/{replay_id}",
    summary="A replay's status, progress and report",
    responses={403: PROBLEM, 404: PROBLEM},
)
async def get_replay(replay_id: UUID, principal: Caller, views: Views) -> ReplayView:
    return await _replay(views, replay_id)


async def _replay(views: RouterViews, replay_id: UUID) -> ReplayView:
    return ReplayView.model_validate(_found(await views.replay(replay_id), f"replay {replay_id}"))


@router.get(
    "/replays",
    summary="Replays, newest first",
    responses={403: PROBLEM},
)
async def list_replays(
    principal: Caller, views: Views, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> ReplayList:
    return ReplayList(items=[ReplayView.model_validate(r) for r in await views.replays(limit)])


@router.post(
    "/replays/{replay_id}/registry-updates",
    summary="More refreshed registry facts for a draft replay (up to 10,000 per request)",
    responses={403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    max_body_size=16 * 1024 * 1024,  # 10,000 rows of facts; every other route: 1 MiB
)
async def post_registry_updates(
    replay_id: UUID,
    principal: Caller,
    updates: Annotated[list[RegistryUpdate], Body(max_length=10_000)],
    handle: HandleDep,
) -> RegistryUpdatesAdded:
    async with _as_problems(replay_id):
        added: int = await handle(
            AddRegistryUpdates(replay_id, registry_facts(updates, datetime.now(UTC)))
        )
    return RegistryUpdatesAdded(replay_id=replay_id, added=added)


@router.post(
    "/replays/{replay_id}/start",
    summary="Start a draft replay",
    status_code=202,
    responses={
        200: {"description": "finished within the wait", "model": ReplayView},
        403: PROBLEM,
        404: PROBLEM,
        409: PROBLEM,
    },
)
async def start(
    replay_id: UUID, principal: Caller, handle: HandleDep, wait: ReplayWait
) -> ReplayView:
    async with _as_problems(replay_id):
        await handle(StartReplay(replay_id))
    return await wait.answer(replay_id)


@router.post(
    "/replays/{replay_id}/cancel",
    summary="Stop a replay after the chunk in progress (what it applied stays)",
    responses={403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
)
async def cancel(replay_id: UUID, principal: Caller, views: Views, handle: HandleDep) -> ReplayView:
    async with _as_problems(replay_id):
        await handle(CancelReplay(replay_id))
    return await _replay(views, replay_id)


@asynccontextmanager
async def _as_problems(replay_id: UUID) -> AsyncIterator[None]:
    """A missing job is a 404; an operation its status does not allow, a 409."""
    try:
        yield
    except ReplayNotFound as exc:
        raise not_found(f"replay {replay_id}") from exc
    except ReplayStateError as exc:
        raise Problem(409, CONFLICT, exc.reason) from exc

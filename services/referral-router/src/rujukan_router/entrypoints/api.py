"""Referral router's HTTP API under /v1."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Body, Header, Query, Response
from pydantic import BaseModel, Field, StrictBool, StrictInt
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import OutcomeKind, ReasonCode, ReferralStatus, RegistryFacts
from rujukan_contracts.text import Line, Text, Timestamp
from rujukan_eligibility.rules import Rule, RuleError, compile_rule
from rujukan_platform.access import Caller, not_found, region_condition
from rujukan_platform.auth import Principal
from rujukan_platform.paging import decode_cursor, encode_cursor
from rujukan_platform.problems import PROBLEM, Problem, invalid_rule
from rujukan_platform.runtime import Runtime
from rujukan_router.adapters.tables import intakes, referrals, replays
from rujukan_router.domain.lifecycle import TransitionRefused
from rujukan_router.entrypoints.consumers import state
from rujukan_router.service_layer.decisions import (
    decision_view,
    decisions_by_id,
    decisions_of_intake,
    referral_decision,
    versions_in,
)
from rujukan_router.service_layer.outcomes import apply_outcome
from rujukan_router.service_layer.referrals import (
    ReferralNotFound,
    referral_trace,
    referral_view,
)
from rujukan_router.service_layer.replay import (
    FINISHED,
    ReplayNotFound,
    ReplayStateError,
    add_registry_updates,
    cancel_replay,
    create_replay,
    replay_row,
    replay_view,
    start_replay,
    work,
)


class OutcomeIn(BaseModel):
    outcome: OutcomeKind
    reason_code: ReasonCode | None = Field(default=None, description="required when rejected")
    note: Text | None = Field(default=None, max_length=2000)


OUTCOME_EXAMPLES = {
    "accepted": {
        "summary": "The agency accepts the referral",
        "value": {"outcome": "accepted", "note": "Kartu KIS sedang diproses"},
    },
    "rejected": {
        "summary": "The agency rejects it, with a reason",
        "value": {
            "outcome": "rejected",
            "reason_code": "lack_of_capacity",
            "note": "Kuota bulan ini penuh",
        },
    },
}


def _visible(principal: Principal) -> Any:
    """``Principal.may_see`` in SQL: the referrals the caller may see (``None``: all)."""
    if principal.role in ("admin", "service"):
        return None
    if principal.role == "agency":
        own = referrals.c.program_code.in_(principal.programs or ["-"])
        if principal.regions:  # a village or district program's officer: their regions only
            return and_(own, region_condition(referrals.c.village_code, principal))
        return own
    if principal.role == "operator":
        return region_condition(referrals.c.village_code, principal)
    return referrals.c.id.is_(None)


def router(runtime: Runtime[Any]) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["referrals"])

    @api.get(
        "/referrals",
        summary="Referrals, newest first, filtered and paged by cursor",
        responses={401: PROBLEM, 422: PROBLEM},
    )
    async def list_referrals(
        principal: Caller,
        intake_id: UUID | None = None,
        household_id: UUID | None = None,
        program: Line | None = None,
        status: ReferralStatus | None = None,
        region: Annotated[Line | None, Query(description="region-code prefix, e.g. 33.04")] = None,
        overdue: Annotated[
            bool, Query(description="only open referrals past their current step's deadline")
        ] = False,
        cursor: Line | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        stmt = select(referrals).order_by(referrals.c.created_at.desc(), referrals.c.id.desc())
        conditions = []
        if (v := _visible(principal)) is not None:
            conditions.append(v)
        if intake_id:
            conditions.append(referrals.c.intake_id == intake_id)
        if household_id:
            conditions.append(referrals.c.household_id == household_id)
        if program:
            conditions.append(referrals.c.program_code == program)
        if overdue:
            conditions.append(referrals.c.due_at < datetime.now(UTC))
            conditions.append(referrals.c.open)
        if status:
            conditions.append(referrals.c.status == status.value)
        if region:
            conditions.append(
                or_(
                    referrals.c.village_code == region,
                    referrals.c.village_code.startswith(region + "."),
                )
            )
        if cursor:
            at_text, rid_text = decode_cursor(cursor, 2)
            try:
                at, rid = datetime.fromisoformat(at_text), UUID(rid_text)
            except ValueError as exc:
                raise Problem(422, "Invalid cursor", "cursor: not a cursor from this API") from exc
            conditions.append(
                or_(
                    referrals.c.created_at < at,
                    and_(referrals.c.created_at == at, referrals.c.id < rid),
                )
            )
        if conditions:
            stmt = stmt.where(*conditions)
        async with runtime.sessions() as session:
            rows = (await session.execute(stmt.limit(limit))).all()
            items = await _with_decisions(session, rows)
        next_cursor = (
            encode_cursor(rows[-1].created_at.isoformat(), str(rows[-1].id))
            if len(rows) == limit
            else None
        )
        return {"items": items, "next_cursor": next_cursor}

    async def _with_decisions(session: AsyncSession, rows: Sequence[Any]) -> list[dict[str, Any]]:
        """Referral views, each with the decision it was made on, explained."""
        found = await decisions_by_id(session, list({r.decision_id for r in rows}))
        rules = state(runtime).rules
        await rules.load(session, versions_in(found.values()))
        return [
            referral_view(r, referral_decision(r, found.get(r.decision_id), rules)) for r in rows
        ]

    async def _decision_of(session: AsyncSession, row: Any) -> dict[str, Any] | None:
        (view,) = await _with_decisions(session, [row])
        decision: dict[str, Any] | None = view["decision"]
        return decision

    async def _visible_row(referral_id: UUID, principal: Principal) -> Any:
        stmt = select(referrals).where(referrals.c.id == referral_id)
        if (v := _visible(principal)) is not None:
            stmt = stmt.where(v)
        async with runtime.sessions() as session:
            row = (await session.execute(stmt)).first()
        if row is None:
            raise Problem(404, "Not found", f"no referral {referral_id}")
        return row

    @api.get(
        "/referrals/{referral_id}",
        summary="One referral with its decision",
        responses={401: PROBLEM, 404: PROBLEM},
    )
    async def get_referral(referral_id: UUID, principal: Caller) -> dict[str, Any]:
        row = await _visible_row(referral_id, principal)
        async with runtime.sessions() as session:
            (view,) = await _with_decisions(session, [row])
        return view

    @api.get(
        "/intakes/{intake_id}/decisions",
        summary="Every evaluation of an intake: each program's verdict, every criterion explained",
        responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    )
    async def intake_decisions(intake_id: UUID, principal: Caller) -> dict[str, Any]:
        async with runtime.sessions() as session:
            stored = (
                await session.execute(
                    select(intakes.c.village_code).where(intakes.c.intake_id == intake_id)
                )
            ).first()
            # an agency sees an intake of its regions (any, without regions), but only its own
            # programs' verdicts (below)
            if stored is None or not principal.may_see(stored.village_code):
                raise not_found(f"intake {intake_id}")
            rows = await decisions_of_intake(session, intake_id)
            rules = state(runtime).rules
            await rules.load(session, versions_in(rows))
        programs = set(principal.programs) if principal.role == "agency" else None
        return {
            "intake_id": intake_id,
            "decisions": [decision_view(r, rules, programs) for r in rows],
        }

    @api.get(
        "/referrals/{referral_id}/trace",
        summary="Every status change, in order",
        responses={401: PROBLEM, 404: PROBLEM},
    )
    async def trace(referral_id: UUID, principal: Caller) -> dict[str, Any]:
        await _visible_row(referral_id, principal)
        async with runtime.sessions() as session:
            return {
                "referral_id": referral_id,
                "events": await referral_trace(session, referral_id),
            }

    @api.post(
        "/referrals/{referral_id}/outcome",
        summary="An agency reports an outcome (for agencies without a Kafka client)",
        responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
    )
    async def post_outcome(
        referral_id: UUID,
        principal: Caller,
        body: Annotated[OutcomeIn, Body(openapi_examples=OUTCOME_EXAMPLES)],
        idempotency_key: Annotated[Line | None, Header(max_length=200)] = None,
    ) -> dict[str, Any]:
        if body.outcome == OutcomeKind.rejected and body.reason_code is None:
            raise Problem(
                422,
                "Unprocessable outcome",
                "reason_code: required when rejected",
                errors=[{"field": "reason_code", "reason": "required when rejected"}],
            )
        row = await _visible_row(referral_id, principal)
        if not principal.owns_program(row.program_code):
            raise Problem(403, "Forbidden", "the referral belongs to another agency's program")
        try:
            async with runtime.sessions() as session, session.begin():
                updated, _staged = await apply_outcome(
                    session,
                    referral_id=referral_id,
                    program_code=row.program_code,
                    outcome=body.outcome,
                    reason=body.reason_code,
                    note=body.note,
                    actor=principal.subject,
                    idempotency_key=idempotency_key,
                    catalogue=state(runtime).catalogue,
                )
                decision = await _decision_of(session, updated)
        except TransitionRefused as exc:
            raise Problem(
                409,
                "Impossible transition",
                str(exc),
                type_="https://rujukan.example/problems/transition",
                current_status=exc.current.value,
            ) from exc
        except ReferralNotFound as exc:
            raise Problem(404, "Not found", f"no referral {referral_id}") from exc
        runtime.relay.wake()
        return referral_view(updated, decision)

    def _updates(updates: list[RegistryUpdate]) -> dict[UUID, RegistryFacts]:
        now = datetime.now(UTC)
        return {u.household_id: u.facts(now) for u in updates}

    async def _job(session: AsyncSession, replay_id: UUID) -> Any:
        row = await replay_row(session, replay_id)
        if row is None:
            raise Problem(404, "Not found", f"no replay {replay_id}")
        return row

    @api.post(
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
        responses={200: {"description": "the replay finished within the wait"}, 401: PROBLEM,
                   403: PROBLEM, 422: PROBLEM},
    )  # fmt: skip
    async def post_replay(
        principal: Caller,
        body: ReplayRequest,
        response: Response,
        prefer: Annotated[Line | None, Header(description="wait=N: work on it for N s")] = None,
    ) -> dict[str, Any]:
        catalogue = state(runtime).catalogue
        unknown = [c for c in body.programs or [] if catalogue.get(c) is None]
        if unknown:
            raise Problem(
                422,
                "Unknown program",
                f"programs: {', '.join(unknown)} unknown",
                errors=[{"field": "programs", "reason": f"unknown: {unknown}"}],
            )
        if body.rule is not None:
            if body.apply or not body.programs or len(body.programs) != 1:
                raise Problem(
                    422,
                    "What-if only",
                    "rule: a draft rule needs exactly one program and "
                    "apply=false; publish the rule at the registry to apply it",
                    errors=[{"field": "rule", "reason": "dry run only, for one program"}],
                )
            try:
                compile_rule(body.rule)
            except RuleError as exc:
                raise invalid_rule("rule", exc.criterion, exc.fault) from exc
        async with runtime.sessions() as session, session.begin():
            replay_id = await create_replay(
                session,
                apply=body.apply,
                programs=body.programs,
                rule=body.rule.model_dump(mode="json") if body.rule is not None else None,
                since=body.since,
                registry_updates=_updates(body.registry_updates),
                requested_by=principal.subject,
                start=body.start,
                now=datetime.now(UTC),
            )
        response.headers["Location"] = f"/v1/replays/{replay_id}"
        return await _wait_for(replay_id, prefer, response)

    async def _wait_for(replay_id: UUID, prefer: str | None, response: Response) -> dict[str, Any]:
        """Work on the job here for the wait the client prefers (RFC 7240), then report it."""
        wait = _preferred_wait(prefer)
        row = None
        if wait > 0:
            rs = state(runtime)
            row = await work(
                runtime.sessions,
                rs.catalogue,
                rs.replay_cache,
                owner=f"request:{uuid4()}",
                now=lambda: datetime.now(UTC),
                replay_id=replay_id,
                until=time.monotonic() + wait,
                on_chunk=runtime.relay.wake,
            )
        if row is None:
            async with runtime.sessions() as session:
                row = await _job(session, replay_id)
        if row.status in FINISHED:
            response.status_code = 200
        return replay_view(row)

    @api.get(
        "/replays/{replay_id}",
        summary="A replay's status, progress and report",
        responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    )
    async def get_replay(replay_id: UUID, principal: Caller) -> dict[str, Any]:
        async with runtime.sessions() as session:
            return replay_view(await _job(session, replay_id))

    @api.get(
        "/replays",
        summary="Replays, newest first",
        responses={401: PROBLEM, 403: PROBLEM},
    )
    async def list_replays(
        principal: Caller, limit: Annotated[int, Query(ge=1, le=100)] = 20
    ) -> dict[str, Any]:
        async with runtime.sessions() as session:
            rows = (
                await session.execute(
                    select(replays).order_by(replays.c.created_at.desc()).limit(limit)
                )
            ).all()
        return {"items": [replay_view(r) for r in rows]}

    @api.post(
        "/replays/{replay_id}/registry-updates",
        summary="More refreshed registry facts for a draft replay (up to 10,000 per request)",
        responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        max_body_size=16 * 1024 * 1024,  # 10,000 rows of facts; every other route: 1 MiB
    )
    async def post_registry_updates(
        replay_id: UUID,
        principal: Caller,
        updates: Annotated[list[RegistryUpdate], Body(max_length=10_000)],
    ) -> dict[str, Any]:
        async with runtime.sessions() as session, session.begin(), _as_problems(replay_id):
            added = await add_registry_updates(session, replay_id, _updates(updates))
        return {"replay_id": replay_id, "added": added}

    @api.post(
        "/replays/{replay_id}/start",
        summary="Start a draft replay",
        status_code=202,
        responses={200: {"description": "finished within the wait"}, 401: PROBLEM,
                   403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )  # fmt: skip
    async def start(
        replay_id: UUID,
        principal: Caller,
        response: Response,
        prefer: Annotated[Line | None, Header(description="wait=N: work on it for N s")] = None,
    ) -> dict[str, Any]:
        async with runtime.sessions() as session, session.begin(), _as_problems(replay_id):
            await start_replay(session, replay_id)
        return await _wait_for(replay_id, prefer, response)

    @api.post(
        "/replays/{replay_id}/cancel",
        summary="Stop a replay after the chunk in progress (what it applied stays)",
        responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    async def cancel(replay_id: UUID, principal: Caller) -> dict[str, Any]:
        async with runtime.sessions() as session, session.begin():
            async with _as_problems(replay_id):
                await cancel_replay(session, replay_id, datetime.now(UTC))
            row = await _job(session, replay_id)
        return replay_view(row)

    return api


class RegistryUpdate(BaseModel):
    """Refreshed registry facts for one household (e.g. after a DTSEN decile update)."""

    household_id: UUID
    found: StrictBool = True
    decile: StrictInt | None = Field(default=None, ge=1, le=10)
    enrolments: list[Line] = Field(default_factory=list)
    has_kks: StrictBool = False

    def facts(self, at: datetime) -> RegistryFacts:
        return RegistryFacts(
            found=self.found,
            decile=self.decile,
            enrolments=self.enrolments,
            has_kks=self.has_kks,
            source="replay",
            checked_at=at,
        )


@asynccontextmanager
async def _as_problems(replay_id: UUID) -> AsyncIterator[None]:
    """A missing job is a 404; an operation its status does not allow, a 409."""
    try:
        yield
    except ReplayNotFound as exc:
        raise Problem(404, "Not found", f"no replay {replay_id}") from exc
    except ReplayStateError as exc:
        raise Problem(409, "Conflict", str(exc)) from exc


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


class ReplayRequest(BaseModel):
    programs: list[Line] | None = Field(default=None, description="default: every program")
    rule: Rule | None = Field(
        default=None, description="what-if: a draft rule for the one program named (dry run)"
    )
    registry_updates: list[RegistryUpdate] = Field(default_factory=list, max_length=10_000)
    since: Timestamp | None = Field(default=None, description="intakes submitted since")
    apply: StrictBool = Field(
        default=False, description="false: report only; true: refer the gains"
    )
    start: StrictBool = Field(
        default=True, description="false: a draft, to add registry updates to before starting"
    )

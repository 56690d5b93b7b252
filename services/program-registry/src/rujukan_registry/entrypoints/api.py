"""Program registry's HTTP API under /v1."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Header, Query, Response
from pydantic import BaseModel, Field, StrictInt, model_validator

from rujukan_contracts.text import Line
from rujukan_eligibility.catalogue import RuleVersion, SeedProgram
from rujukan_eligibility.context import EvaluationContext
from rujukan_eligibility.rules import Rule
from rujukan_platform.access import Caller
from rujukan_platform.paging import decode_cursor, encode_cursor
from rujukan_platform.problems import PROBLEM, Problem
from rujukan_platform.runtime import Runtime
from rujukan_registry.service_layer.catalogue import (
    add_version,
    create_program,
    get_program,
    list_programs,
    may_manage,
    replace_program,
)
from rujukan_registry.service_layer.evaluation import (
    compile_draft,
    dry_run,
    intake_context,
    rule_of,
)


def _etag(revision: int) -> str:
    return f'"{revision}"'


def _parse_if_match(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError as exc:
        raise Problem(412, "Precondition failed", "If-Match must be an ETag from this API") from exc


def _view(program: SeedProgram, revision: int) -> dict[str, Any]:
    return {
        **program.model_dump(mode="json"),
        "revision": revision,
        "current_version": program.current_version().version,
    }


def router(runtime: Runtime[Any]) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["programs"])

    @api.get(
        "/programs", summary="The catalogue, by code, paged by cursor", responses={401: PROBLEM}
    )
    async def programs_list(
        _principal: Caller,
        cursor: Annotated[
            Line | None, Query(description="from a previous page's next_cursor")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> dict[str, Any]:
        after = decode_cursor(cursor, 1)[0] if cursor else None
        async with runtime.sessions() as session:
            page = await list_programs(session, after=after, limit=limit)
        next_cursor = encode_cursor(page[-1][0].code) if len(page) == limit else None
        return {"items": [_view(p, r) for p, r in page], "next_cursor": next_cursor}

    @api.post(
        "/programs",
        status_code=201,
        summary="Create a program (rules compiled first)",
        responses={401: PROBLEM, 403: PROBLEM, 409: PROBLEM, 422: PROBLEM},
    )
    async def program_create(
        principal: Caller, body: SeedProgram, response: Response
    ) -> dict[str, Any]:
        async with runtime.sessions() as session, session.begin():
            revision = await create_program(session, body, principal)
        runtime.relay.wake()
        response.headers["ETag"] = _etag(revision)
        response.headers["Location"] = f"/v1/programs/{body.code}"
        return _view(body, revision)

    @api.get(
        "/programs/{code}",
        summary="One program, with its ETag",
        responses={401: PROBLEM, 404: PROBLEM},
    )
    async def program_get(code: Line, _principal: Caller, response: Response) -> dict[str, Any]:
        async with runtime.sessions() as session:
            program, revision = await get_program(session, code)
        response.headers["ETag"] = _etag(revision)
        return _view(program, revision)

    @api.put(
        "/programs/{code}",
        summary="Replace a program's metadata, append rule versions",
        responses={
            401: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            412: PROBLEM,
            422: PROBLEM,
            428: PROBLEM,
        },
    )
    async def program_replace(
        code: Line,
        principal: Caller,
        body: SeedProgram,
        response: Response,
        if_match: Annotated[Line | None, Header()] = None,
    ) -> dict[str, Any]:
        async with runtime.sessions() as session, session.begin():
            revision = await replace_program(
                session, code, body, principal, if_match=_parse_if_match(if_match)
            )
        runtime.relay.wake()
        response.headers["ETag"] = _etag(revision)
        return _view(body, revision)

    @api.get(
        "/programs/{code}/versions",
        summary="Every rule version, oldest first",
        responses={401: PROBLEM, 404: PROBLEM},
    )
    async def program_versions(code: Line, _principal: Caller) -> dict[str, Any]:
        async with runtime.sessions() as session:
            program, _revision = await get_program(session, code)
        current = program.current_version().version
        return {
            "code": code,
            "current_version": current,
            "items": [v.model_dump(mode="json") for v in program.versions],
        }

    @api.post(
        "/programs/{code}/versions",
        status_code=201,
        summary="Add a rule version (number = last + 1)",
        responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 412: PROBLEM, 422: PROBLEM},
    )
    async def program_add_version(
        code: Line,
        principal: Caller,
        body: Annotated[RuleVersion, Body()],
        response: Response,
        if_match: Annotated[Line | None, Header()] = None,
    ) -> dict[str, Any]:
        async with runtime.sessions() as session, session.begin():
            program, revision = await add_version(
                session, code, body, principal, if_match=_parse_if_match(if_match)
            )
        runtime.relay.wake()
        response.headers["ETag"] = _etag(revision)
        return _view(program, revision)

    @api.post(
        "/programs/{code}/explain",
        summary="Which criteria pass or fail for one household, with the values used",
        responses={401: PROBLEM, 404: PROBLEM, 422: PROBLEM},
    )
    async def explain(
        code: Line,
        principal: Caller,
        body: Annotated[ExplainRequest, Body(openapi_examples=EXPLAIN_EXAMPLES)],
    ) -> dict[str, Any]:
        today = date.today()
        async with runtime.sessions() as session:
            program, _revision = await get_program(session, code)
            version, rule = rule_of(program, body.version)
            if body.intake_id is not None:
                context = await intake_context(
                    session, body.intake_id, today, principal=principal, program=code
                )
            else:
                assert body.context is not None
                context = body.context.to_cel()
        evaluation = rule.evaluate(context)
        return {
            "program": code,
            "version": version,
            "serves_region": program.serves_region(context["region"]["village"]),
            **evaluation.to_dict(),
        }

    @api.post(
        "/programs/{code}/dry-run",
        summary="Before publishing a draft rule: whom it would newly include or exclude",
        responses={401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 422: PROBLEM},
    )
    async def dry_run_draft(
        code: Line,
        principal: Caller,
        body: DryRunRequest,
    ) -> dict[str, Any]:
        may_manage(principal, code)
        draft = compile_draft(body.rule)
        async with runtime.sessions() as session:
            program, _revision = await get_program(session, code)
            return await dry_run(
                session, program, draft, days=body.days, as_of=date.today(), principal=principal
            )

    return api


class ExplainRequest(BaseModel):
    """Either a household context (CONTEXT.md) or the id of a recent intake."""

    context: EvaluationContext | None = None
    intake_id: UUID | None = None
    version: StrictInt | None = Field(default=None, description="default: the version in effect")

    @model_validator(mode="after")
    def _one_of(self) -> ExplainRequest:
        if (self.context is None) == (self.intake_id is None):
            raise ValueError("send exactly one of 'context' or 'intake_id'")
        return self


class DryRunRequest(BaseModel):
    rule: Rule = Field(description="the draft rule tree (all_of / any_of / at_least)")
    days: StrictInt = Field(default=90, ge=1, le=366, description="how far back to look")


EXPLAIN_EXAMPLES = {
    "household": {
        "summary": "A household context",
        "value": {
            "context": {
                "members": [
                    {
                        "age": 42,
                        "age_months": 510,
                        "sex": "male",
                        "relationship": "head",
                        "working": True,
                    },
                    {
                        "age": 38,
                        "age_months": 460,
                        "sex": "female",
                        "relationship": "spouse",
                        "pregnant": True,
                    },
                    {"age": 4, "age_months": 54, "sex": "female", "relationship": "child"},
                ],
                "registry": {"found": True, "decile": 2, "enrolments": [], "has_kks": True},
                "region": {
                    "province": "33",
                    "district": "33.04",
                    "subdistrict": "33.04.01",
                    "village": "33.04.01.2001",
                },
                "needs": ["health_insurance"],
                "household": {"size": 3},
            }
        },
    },
    "intake": {
        "summary": "A recent intake",
        "value": {"intake_id": "0b8f6a52-3c1e-4f7a-9d1e-2f4d8c6b9a01"},
    },
}

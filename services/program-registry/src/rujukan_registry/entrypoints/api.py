"""Program registry's HTTP API under /v1: module-level routes; reads through the unit of work's
repositories, changes as commands through the handler table."""

from __future__ import annotations

from datetime import date
from typing import Annotated, cast

from fastapi import APIRouter, Body, Depends, Header, Query, Response

from rujukan_contracts.text import Line
from rujukan_eligibility.catalogue import RuleVersion, SeedProgram
from rujukan_platform.access import not_found
from rujukan_platform.dependencies import Caller, HandleDep, unit_of_work
from rujukan_platform.language import Localised, PreferredLanguage, labelled_in
from rujukan_platform.paging import decode_cursor, encode_cursor
from rujukan_platform.problems import PRECONDITION_FAILED, PROBLEM, Problem
from rujukan_registry.adapters.repository import StoredProgram
from rujukan_registry.domain.commands import AddVersion, CreateProgram, ReplaceProgram, Saved
from rujukan_registry.domain.programs import compiled_or_refused
from rujukan_registry.entrypoints.schemas import (
    DryRunRequest,
    ExplainRequest,
    ExplainView,
    ProgramPage,
    ProgramView,
    VersionsView,
)
from rujukan_registry.service_layer.evaluation import (
    DryRunResult,
    dry_run,
    intake_context,
    rule_of,
)
from rujukan_registry.service_layer.handlers import may_manage
from rujukan_registry.service_layer.unit_of_work import RegistryUnitOfWork

RegistryUoW = Annotated[RegistryUnitOfWork, Depends(unit_of_work)]
IfMatch = Annotated[Line | None, Header()]

router = APIRouter(prefix="/v1", tags=["programs"])


def _etag(revision: int) -> str:
    return f'"{revision}"'


def _parse_if_match(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip().removeprefix("W/").strip('"'))
    except ValueError as exc:
        raise Problem(
            412,
            PRECONDITION_FAILED,
            Localised("If-Match harus ETag dari API ini", "If-Match must be an ETag from this API"),
        ) from exc


async def _program(uow: RegistryUnitOfWork, code: str) -> StoredProgram:
    stored = await uow.programs.get(code)
    if stored is None:
        raise not_found(f"program {code}")
    return stored


def _answer(saved: Saved, response: Response) -> ProgramView:
    response.headers["ETag"] = _etag(saved.revision)
    return ProgramView.of(saved)


@router.get(
    "/programs",
    summary="The catalogue, by code, paged by cursor",
)
async def programs_list(
    _principal: Caller,
    uow: RegistryUoW,
    cursor: Annotated[Line | None, Query(description="from a previous page's next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ProgramPage:
    after = decode_cursor(cursor, 1)[0] if cursor else None
    page = await uow.programs.page(after=after, limit=limit)
    next_cursor = encode_cursor(page[-1].program.code) if len(page) == limit else None
    items = [ProgramView.of(Saved(p.program, p.revision)) for p in page]
    return ProgramPage(items=items, next_cursor=next_cursor)


@router.post(
    "/programs",
    status_code=201,
    summary="Create a program (rules compiled first)",
    responses={403: PROBLEM, 409: PROBLEM},
)
async def program_create(
    principal: Caller, body: SeedProgram, response: Response, handle: HandleDep
) -> ProgramView:
    saved = cast(Saved, await handle(CreateProgram(body, principal)))
    response.headers["Location"] = f"/v1/programs/{body.code}"
    return _answer(saved, response)


@router.get(
    "/programs/{code}",
    summary="One program, with its ETag",
    responses={404: PROBLEM},
)
async def program_get(
    code: Line, _principal: Caller, uow: RegistryUoW, response: Response
) -> ProgramView:
    stored = await _program(uow, code)
    return _answer(Saved(stored.program, stored.revision), response)


@router.put(
    "/programs/{code}",
    summary="Replace a program's metadata, append rule versions",
    responses={403: PROBLEM, 404: PROBLEM, 412: PROBLEM, 428: PROBLEM},
)
async def program_replace(
    code: Line,
    principal: Caller,
    body: SeedProgram,
    response: Response,
    handle: HandleDep,
    if_match: IfMatch = None,
) -> ProgramView:
    command = ReplaceProgram(code, body, principal, _parse_if_match(if_match))
    return _answer(cast(Saved, await handle(command)), response)


@router.get(
    "/programs/{code}/versions",
    summary="Every rule version, oldest first",
    responses={404: PROBLEM},
)
async def program_versions(code: Line, _principal: Caller, uow: RegistryUoW) -> VersionsView:
    program = (await _program(uow, code)).program
    return VersionsView(
        code=code, current_version=program.current_version().version, items=program.versions
    )


@router.post(
    "/programs/{code}/versions",
    status_code=201,
    summary="Add a rule version (number = last + 1)",
    responses={403: PROBLEM, 404: PROBLEM, 412: PROBLEM},
)
async def program_add_version(
    code: Line,
    principal: Caller,
    body: Annotated[RuleVersion, Body()],
    response: Response,
    handle: HandleDep,
    if_match: IfMatch = None,
) -> ProgramView:
    command = AddVersion(code, body, principal, _parse_if_match(if_match))
    return _answer(cast(Saved, await handle(command)), response)


@router.post(
    "/programs/{code}/explain",
    summary="Which criteria pass or fail for one household, with the values used (labels in "
    "the caller's language: Accept-Language, Indonesian first)",
    responses={404: PROBLEM},
)
async def explain(
    code: Line,
    principal: Caller,
    uow: RegistryUoW,
    body: Annotated[ExplainRequest, Body(openapi_examples=EXPLAIN_EXAMPLES)],
    language: PreferredLanguage,
) -> ExplainView:
    program = (await _program(uow, code)).program
    version, rule = rule_of(program, body.version)
    if body.intake_id is not None:
        context = await intake_context(
            uow.intake_facts, body.intake_id, date.today(), principal=principal, program=code
        )
    else:
        assert body.context is not None
        context = body.context.to_cel()
    evaluation = rule.evaluate(context).to_dict()
    return ExplainView.model_validate(
        {
            "program": code,
            "version": version,
            "serves_region": program.serves_region(context["region"]["village"]),
            "eligible": evaluation["eligible"],
            "criteria": [labelled_in(c, language) for c in evaluation["criteria"]],
            "tree": labelled_in(evaluation["tree"], language),
        }
    )


@router.post(
    "/programs/{code}/dry-run",
    summary="Before publishing a draft rule: whom it would newly include or exclude",
    responses={403: PROBLEM, 404: PROBLEM},
)
async def dry_run_draft(
    code: Line, principal: Caller, uow: RegistryUoW, body: DryRunRequest
) -> DryRunResult:
    may_manage(principal, code)
    draft = compiled_or_refused(body.rule)
    program = (await _program(uow, code)).program
    return await dry_run(
        uow.intake_facts, program, draft, days=body.days, as_of=date.today(), principal=principal
    )


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

"""RFC 9457 problem details for every error a client can see.

A ``Problem`` raised anywhere becomes ``application/problem+json``; request validation errors
become a 422 whose ``errors`` list names each field (``members[0].nik``) and the reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rujukan_platform.logging import get_logger, mask

PROBLEM_JSON = "application/problem+json"
log = get_logger(__name__)


class Problem(Exception):
    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type_: str = "about:blank",
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.errors = errors
        self.headers = headers
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def field_error(field: str, reason: str) -> Problem:
    """A 422 naming one field and why it was refused."""
    return Problem(
        422,
        "Unprocessable request",
        f"{field}: {reason}",
        type_="https://rujukan.example/problems/validation",
        errors=[{"field": field, "reason": reason}],
    )


def invalid_rule(field: str, criterion: str, fault: str) -> Problem:
    """A 422 naming the rule's field, the criterion at fault and why (registry and router)."""
    return Problem(
        422,
        "Invalid eligibility rule",
        f"{field}: criterion '{criterion}': {fault}",
        type_="https://rujukan.example/problems/invalid-rule",
        errors=[{"field": field, "criterion": criterion, "reason": fault}],
    )


def _loc_to_field(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if item in ("body", "query", "path", "header"):
            continue
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "body"


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    return JSONResponse(
        problem.body(instance=str(request.url.path)),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"field": _loc_to_field(tuple(e["loc"])), "reason": mask(str(e["msg"]))}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        problem = Problem(
            422,
            "Unprocessable request",
            detail,
            type_="https://rujukan.example/problems/validation",
            errors=errors,
        )
        return problem_response(problem, request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        problem = Problem(
            exc.status_code, str(exc.detail), headers=dict(exc.headers) if exc.headers else None
        )
        return problem_response(problem, request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        return problem_response(Problem(500, "Internal error"), request)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)

"""RFC 9457 problem details for every error a client can see.

A ``Problem`` raised anywhere becomes ``application/problem+json``; request validation errors
become a 422 whose ``errors`` list names each field (``members[0].nik``) and the reason. A
database or broker that is down, starting or restarting is weather, not a bug: 503 with
``Retry-After``, never 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
from aiokafka.errors import KafkaError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.routing import Match

from rujukan_contracts.text import TEXT_PATTERN, control_character_reason, is_text_pattern
from rujukan_platform.failures import is_transient
from rujukan_platform.logging import get_logger, mask

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5
BODY_LIMIT_SCOPE_KEY = "rujukan.max_body_bytes"
#: what may fail because a server is away: each is answered 503 when ``is_transient`` says so
WEATHER_PRONE: tuple[type[Exception], ...] = (
    DBAPIError,
    PoolTimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    KafkaError,
    OSError,
)
log = get_logger(__name__)


class ProblemDetails(BaseModel):
    """The body of every error response, as the OpenAPI documents it."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, str]] | None = None


#: an OpenAPI response entry for a problem (``responses={404: PROBLEM}``)
PROBLEM: dict[str, Any] = {
    "content": {PROBLEM_JSON: {"schema": ProblemDetails.model_json_schema()}}
}

#: what any route may answer: an unreadable body, a body over the limit, a refused field, a
#: server away
COMMON_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body could not be read as JSON text (UTF-8)", **PROBLEM},
    413: {"description": "The request body is over the limit; it was not read", **PROBLEM},
    422: {"description": "A field was refused: `errors` names each one and why", **PROBLEM},
    503: {
        "description": "A database or the broker is away; retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        **PROBLEM,
    },
}

#: what the access check may answer on any route behind it (``access.authorize``)
ACCESS_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token: missing, expired, revoked or not ours", **PROBLEM},
}


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
        else:  # a refused key may hold a lone surrogate: escape it, or the answer cannot encode
            name = str(item).encode("utf-8", "backslashreplace").decode("utf-8")
            parts.append(("." if parts else "") + name)
    return "".join(parts) or "body"


def _reason(error: Mapping[str, Any]) -> str:
    """Why a field was refused, as a person can read it (never the refused value itself)."""
    pattern = (error.get("ctx") or {}).get("pattern")
    if error["type"] == "string_pattern_mismatch" and is_text_pattern(pattern):
        free_text = pattern == TEXT_PATTERN
        if reason := control_character_reason(error.get("input"), free_text=free_text):
            return reason
    if error["type"] == "string_unicode":
        return "bukan teks UTF-8 yang sah / is not valid UTF-8 text"
    return mask(str(error["msg"]))


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's 405 lists only the methods of
    the first route it tried, so ``GET`` and ``POST`` on one path each hid the other."""
    routes = request.app.router.routes
    return [
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    ]


def too_large(limit: int) -> Problem:
    """413: the body is over the limit, so it was not read (nothing was stored)."""
    return Problem(
        413,
        "Content Too Large",
        f"the request body is larger than {limit} bytes; nothing was read or stored",
        type_="https://rujukan.example/problems/too-large",
    )


def service_unavailable(
    why: str = "basis data atau broker tidak menjawab / a database or the broker is not answering",
) -> Problem:
    """503 for weather: the client retries the same request later (after ``Retry-After``);
    ``why`` in Bahasa Indonesia first."""
    return Problem(
        503,
        "Service unavailable",
        f"{why}; tidak ada yang diubah, coba lagi nanti / nothing was changed, retry later",
        type_="https://rujukan.example/problems/unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


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
            {"field": _loc_to_field(tuple(e["loc"])), "reason": _reason(e)} for e in exc.errors()
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
        if exc.status_code == 413:  # a body limit: ours, or a route's own (FastAPI's)
            scope = request.scope
            limit = scope.get(MAX_BODY_SIZE_SCOPE_KEY) or scope.get(BODY_LIMIT_SCOPE_KEY) or 0
            return problem_response(too_large(int(limit)), request)
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        problem = Problem(exc.status_code, str(exc.detail), headers=headers or None)
        return problem_response(problem, request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        return problem_response(Problem(500, "Internal error"), request)

    async def on_weather_prone(request: Request, exc: Exception) -> JSONResponse:
        if not is_transient(exc):
            return await on_unexpected(request, exc)
        log.warning("server unavailable", path=request.url.path, error=type(exc).__name__)
        return problem_response(service_unavailable(), request)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    for kind in WEATHER_PRONE:
        app.add_exception_handler(kind, on_weather_prone)
    app.add_exception_handler(Exception, on_unexpected)

"""RFC 9457 problem details for every error a client can see.

A ``Problem`` raised anywhere becomes ``application/problem+json``; request validation errors
become a 422 whose ``errors`` list names each field (``members[0].nik``) and the reason. A
database or broker that is down, starting or restarting is weather, not a bug: 503 with
``Retry-After``, never 500.

Titles, details and reasons are ``Words``: a plain string, or ``Localised`` (Indonesian,
English) chosen by ``problem_response`` from the request's ``Accept-Language`` (Indonesian unless
English is preferred), which it names in ``Content-Language``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
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

from rujukan_platform.failures import is_transient
from rujukan_platform.language import (
    DEFAULT,
    Language,
    Localised,
    Words,
    in_both,
    parse_accept_language,
    say,
)
from rujukan_platform.logging import get_logger
from rujukan_platform.reasons import field_path, field_reason

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


#: the titles many problems share
UNPROCESSABLE = Localised("Permintaan tidak dapat diproses", "Unprocessable request")
FORBIDDEN = Localised("Tidak diizinkan", "Forbidden")
NOT_FOUND = Localised("Tidak ditemukan", "Not found")
CONFLICT = Localised("Bertentangan dengan data yang ada", "Conflict")
PRECONDITION_FAILED = Localised("Prasyarat tidak terpenuhi", "Precondition failed")
#: a status the framework answers itself (no route, wrong method, ...) → its title
STATUS_TITLES: dict[int, Localised] = {
    400: Localised("Permintaan tidak dapat dibaca", "Bad request"),
    404: Localised("Tidak ditemukan", "Not Found"),
    405: Localised("Metode tidak diizinkan", "Method Not Allowed"),
    406: Localised("Format jawaban tidak tersedia", "Not Acceptable"),
    415: Localised("Jenis isi tidak didukung", "Unsupported Media Type"),
}


def spoken(value: Any, language: Language) -> Any:
    """``value`` with every ``Localised`` in it (in lists and dicts too) said in ``language``."""
    if isinstance(value, Localised):
        return say(value, language)
    if isinstance(value, dict):
        return {k: spoken(v, language) for k, v in value.items()}
    if isinstance(value, list):
        return [spoken(v, language) for v in value]
    return value


def reasons_joined(errors: Sequence[Mapping[str, Words]]) -> Localised:
    """A detail naming each refused field and why: ``field: reason; field: reason``."""
    return in_both(
        lambda language: "; ".join(
            f"{say(e['field'], language)}: {say(e['reason'], language)}" for e in errors
        )
    )


class Problem(Exception):
    def __init__(
        self,
        status: int,
        title: Words,
        detail: Words | None = None,
        *,
        type_: str = "about:blank",
        errors: Sequence[Mapping[str, Words]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(str(detail or title))
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_
        self.errors = [dict(e) for e in errors] if errors is not None else None
        self.headers = headers
        self.extra = extra

    def body(self, instance: str | None = None, language: Language = DEFAULT) -> dict[str, Any]:
        """The problem as JSON, every title, detail and reason in ``language``."""
        body: dict[str, Any] = {
            "type": self.type,
            "title": say(self.title, language),
            "status": self.status,
        }
        if self.detail:
            body["detail"] = say(self.detail, language)
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = spoken(self.errors, language)
        body.update(spoken(self.extra, language))
        return body


def refused(errors: Sequence[Mapping[str, Words]], title: Words = UNPROCESSABLE) -> Problem:
    """A 422 naming each refused field and why (``errors``: ``field`` and ``reason``)."""
    return Problem(
        422,
        title,
        reasons_joined(errors),
        type_="https://rujukan.example/problems/validation",
        errors=errors,
    )


def field_error(field: str, reason: Words) -> Problem:
    """A 422 naming one field and why it was refused."""
    return refused([{"field": field, "reason": reason}])


def invalid_rule(field: str, criterion: str, fault: Words) -> Problem:
    """A 422 naming the rule's field, the criterion at fault and why (registry and router)."""
    return Problem(
        422,
        Localised("Aturan kelayakan tidak sah", "Invalid eligibility rule"),
        in_both(
            lambda language: (
                f"{field}: "
                + ("kriteria" if language == "id" else "criterion")
                + f" '{criterion}': {say(fault, language)}"
            )
        ),
        type_="https://rujukan.example/problems/invalid-rule",
        errors=[{"field": field, "criterion": criterion, "reason": fault}],
    )


def _loc_to_field(loc: tuple[Any, ...]) -> str:
    """The refused field of a request: its location without the part (``body``, ``query``...)."""
    if loc and loc[0] in ("body", "query", "path", "header"):
        loc = loc[1:]
    return field_path(loc, whole="body")


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
        Localised("Isi permintaan terlalu besar", "Content Too Large"),
        Localised(
            f"isi permintaan lebih dari {limit} byte; tidak ada yang dibaca atau disimpan",
            f"the request body is larger than {limit} bytes; nothing was read or stored",
        ),
        type_="https://rujukan.example/problems/too-large",
    )


SERVERS_AWAY = Localised(
    "basis data atau broker tidak menjawab", "a database or the broker is not answering"
)


def service_unavailable(why: Words = SERVERS_AWAY) -> Problem:
    """503 for weather: the client retries the same request later (after ``Retry-After``)."""
    return Problem(
        503,
        Localised("Layanan sedang tidak tersedia", "Service unavailable"),
        in_both(
            lambda language: (
                say(why, language)
                + (
                    "; tidak ada yang diubah, coba lagi nanti"
                    if language == "id"
                    else "; nothing was changed, retry later"
                )
            )
        ),
        type_="https://rujukan.example/problems/unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def language_headers(language: Language) -> dict[str, str]:
    """What says which language an answer is in, and that it depends on ``Accept-Language``."""
    return {"Content-Language": language, "Vary": "Accept-Language"}


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    """The problem as ``application/problem+json`` in the language the request prefers."""
    language = parse_accept_language(request.headers.get("accept-language"))
    return JSONResponse(
        problem.body(instance=str(request.url.path), language=language),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers={**(problem.headers or {}), **language_headers(language)},
    )


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors: list[dict[str, Words]] = [
            {"field": _loc_to_field(tuple(e["loc"])), "reason": field_reason(e)}
            for e in exc.errors()
        ]
        return problem_response(refused(errors), request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 413:  # a body limit: ours, or a route's own (FastAPI's)
            scope = request.scope
            limit = scope.get(MAX_BODY_SIZE_SCOPE_KEY) or scope.get(BODY_LIMIT_SCOPE_KEY) or 0
            return problem_response(too_large(int(limit)), request)
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        title: Words = str(exc.detail)
        if exc.status_code in STATUS_TITLES and title == HTTPStatus(exc.status_code).phrase:
            title = STATUS_TITLES[exc.status_code]  # the framework's own words, not a route's
        problem = Problem(exc.status_code, title, headers=headers or None)
        return problem_response(problem, request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path)
        title = Localised("Kesalahan internal", "Internal error")
        return problem_response(Problem(500, title), request)

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

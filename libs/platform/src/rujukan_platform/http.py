"""The FastAPI app every service starts from: problem errors, auth, metrics, health and readiness.

Every route of the service's routers is behind ``access.authorize`` (its line in the one access
table); ``/healthz``, ``/readyz`` and ``/metrics`` are not (probes and Prometheus), nor are the
API's documents (``/openapi.json``; ``/docs`` and ``/redoc``, whose assets the service serves:
``docs.py``).

``/healthz`` says the process is alive; ``/readyz`` checks the database and the broker;
``/metrics`` serves Prometheus text. Request metrics use the route template, never the raw path,
and fold unknown methods into ``other`` (``metrics.method_label``), so label sets stay bounded.
A request body over ``max_body_bytes`` gets a 413 problem before it is read (``BodyLimit``); a
route that takes more says so with FastAPI's ``max_body_size``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rujukan_platform import metrics
from rujukan_platform.access import POLICY, Rule, authorize, rules_for
from rujukan_platform.auth import Authenticator
from rujukan_platform.docs import install_docs
from rujukan_platform.failures import describe
from rujukan_platform.problems import (
    ACCESS_PROBLEMS,
    BODY_LIMIT_SCOPE_KEY,
    COMMON_PROBLEMS,
    PROBLEM,
    PROBLEM_JSON,
    install_problem_handlers,
    problem_response,
    too_large,
)
from rujukan_platform.schemas import install_schemas
from rujukan_platform.settings import ServiceSettings

ReadinessCheck = Callable[[], Coroutine[Any, Any, None]]


def _route_template(scope: Scope) -> str:
    """The matched route's template (``/v1/referrals/{referral_id}``), never the raw path."""
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


class RequestMetrics:
    """Counts each request and times it to its last byte, by route template, method and status.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware`` runs
    the app in a task of its own and streams the response through a queue, which cost the intake
    API a fifth of its CPU at concurrency 16 (bench/results/intake_single.md)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what it was, if the app raised before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = _route_template(scope)  # set by routing, so read it once the app has run
            if route != "/metrics":
                method = metrics.method_label(scope["method"])
                metrics.HTTP_REQUESTS.labels(route, method, str(status)).inc()
                metrics.HTTP_DURATION.labels(route, method).observe(time.perf_counter() - started)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit; rendered as a 413 problem."""

    def __init__(self) -> None:
        super().__init__(413, "Content Too Large")


class BodyLimit:
    """Refuse a request body over the limit before it is parsed.

    A ``Content-Length`` over the limit gets a 413 without the app being called; a chunked body
    is counted as it streams and reading stops at the limit. The limit is ``default`` unless the
    matched route declares its own ``max_body_size`` (the intake batch endpoint).
    """

    def __init__(self, app: ASGIApp, *, default: int, routes: Sequence[APIRoute]) -> None:
        self.app = app
        self.default = default
        self.routes = [r for r in routes if r.max_body_size is not None]

    def limit(self, scope: Scope) -> int:
        for route in self.routes:
            if scope["method"] in (route.methods or ()) and route.path_regex.match(scope["path"]):
                return int(route.max_body_size or self.default)
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        scope[BODY_LIMIT_SCOPE_KEY] = limit
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await problem_response(too_large(limit), Request(scope))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        await self.app(scope, counted, send)


READY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string"},
        "checks": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["status", "checks"],
}


def create_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    readiness: Callable[[], dict[str, ReadinessCheck]] | None = None,
    policy: Mapping[str, Mapping[tuple[str, str], Rule]] = POLICY,
) -> FastAPI:
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # docs.install_docs serves /docs and /redoc with their own assets
        redoc_url=None,
        responses=COMMON_PROBLEMS,
        # one schema per model whether it is read or answered (a program's rule is both): the
        # names clients generate code from stay the same when a route starts answering a model
        separate_input_output_schemas=False,
    )
    app.state.authenticator = Authenticator.of(settings)
    api_routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    app.state.access_rules = rules_for(settings.service, api_routes, policy)
    install_problem_handlers(app)
    install_docs(app)
    install_schemas(app)
    for router in routers:  # every API route is behind the one access check
        app.include_router(router, dependencies=[Depends(authorize)], responses=ACCESS_PROBLEMS)
    app.add_middleware(
        BodyLimit,
        default=settings.max_body_bytes,
        routes=api_routes,
    )

    install_operations(app, settings.service)
    install_readiness(app, readiness)
    return app


def install_operations(app: FastAPI, service: str) -> None:
    """Request metrics (by route template), ``/healthz`` and ``/metrics``: every process that
    serves HTTP has them, an API service (``create_app``) or the workbench's pages."""

    app.add_middleware(RequestMetrics)

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def install_readiness(
    app: FastAPI, readiness: Callable[[], dict[str, ReadinessCheck]] | None
) -> None:
    """``/readyz``: every check of ``readiness`` (the database, the broker) answers within 3 s,
    or 503 saying which failed and why: an API service's, or the workbench's (its database)."""

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="The database and the broker answer",
        responses={
            200: {"content": {"application/json": {"schema": READY_SCHEMA}}},
            503: {"description": "Not ready: `checks` says why", **PROBLEM},
        },
    )
    async def readyz() -> Response:
        checks = readiness() if readiness else {}
        results: dict[str, str] = {}

        async def run(name: str, check: ReadinessCheck) -> None:
            try:
                await asyncio.wait_for(check(), timeout=3.0)
                results[name] = "ok"
            except Exception as exc:  # readiness reports any failure, whatever its kind
                results[name] = f"failing: {describe(exc)[:300]}"  # says why: no SQL, no data

        await asyncio.gather(*(run(n, c) for n, c in checks.items()))
        ready = all(v == "ok" for v in results.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": results}
        if ready:
            return JSONResponse(body)
        body.update({"type": "about:blank", "title": "Not ready", "status": 503})
        return JSONResponse(body, status_code=503, media_type=PROBLEM_JSON)

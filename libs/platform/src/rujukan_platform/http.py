"""The FastAPI app every service starts from: problem errors, auth, metrics, health and readiness.

``/healthz`` says the process is alive; ``/readyz`` checks the database and the broker;
``/metrics`` serves Prometheus text. Request metrics use the route template, never the raw path,
so label sets stay bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from rujukan_platform import metrics
from rujukan_platform.auth import Authenticator
from rujukan_platform.problems import PROBLEM_JSON, install_problem_handlers
from rujukan_platform.settings import ServiceSettings

ReadinessCheck = Callable[[], Coroutine[Any, Any, None]]


def _route_template(request: Request) -> str:
    """The matched route's template (``/v1/referrals/{referral_id}``), never the raw path."""
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def create_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    readiness: Callable[[], dict[str, ReadinessCheck]] | None = None,
) -> FastAPI:
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        responses={422: {"description": "Validation error (application/problem+json)"}},
    )
    app.state.authenticator = Authenticator.of(settings)
    install_problem_handlers(app)
    for router in routers:
        app.include_router(router)

    @app.middleware("http")
    async def record_metrics(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = _route_template(request)  # set by routing, so read it after call_next
            if route not in ("/metrics",):
                metrics.HTTP_REQUESTS.labels(route, request.method, str(status)).inc()
                metrics.HTTP_DURATION.labels(route, request.method).observe(
                    time.perf_counter() - started
                )

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service}

    @app.get("/readyz", tags=["operations"], summary="The database and the broker answer")
    async def readyz() -> Response:
        checks = readiness() if readiness else {}
        results: dict[str, str] = {}

        async def run(name: str, check: ReadinessCheck) -> None:
            try:
                await asyncio.wait_for(check(), timeout=3.0)
                results[name] = "ok"
            except Exception as exc:  # readiness reports any failure, whatever its kind
                results[name] = f"failing: {type(exc).__name__}"

        await asyncio.gather(*(run(n, c) for n, c in checks.items()))
        ready = all(v == "ok" for v in results.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not ready", "checks": results}
        if ready:
            return JSONResponse(body)
        body.update({"type": "about:blank", "title": "Not ready", "status": 503})
        return JSONResponse(body, status_code=503, media_type=PROBLEM_JSON)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics")
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app

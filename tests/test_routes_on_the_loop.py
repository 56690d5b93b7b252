"""No route of any service, nor anything a route depends on, is a plain ``def``: FastAPI runs
those in its thread pool, a hand-off to a worker thread and back on every request (the
intake API's sync dependencies cost a fifteenth of its busy time at concurrency 16 before
they were ``async def``)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from rujukan_intake.bootstrap import definition as intake
from rujukan_notifications.bootstrap import definition as notifications
from rujukan_registry.bootstrap import definition as registry
from rujukan_router.bootstrap import definition as router
from rujukan_workbench.app import router as workbench

ROUTERS: dict[str, list[APIRouter]] = {
    "intake": list(intake.routers),
    "notifications": list(notifications.routers),
    "program-registry": list(registry.routers),
    "referral-router": list(router.routers),
    "workbench": [workbench],
}


def _calls(dependant: Dependant) -> Iterator[Any]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _runs_on_the_loop(call: Any) -> bool:
    target = call if inspect.isfunction(call) or inspect.ismethod(call) else call.__call__
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


@pytest.mark.parametrize("service", sorted(ROUTERS))
def test_every_route_and_dependency_runs_on_the_event_loop(service: str) -> None:
    routes = [r for rt in ROUTERS[service] for r in rt.routes if isinstance(r, APIRoute)]
    assert routes, f"{service} has no routes to check"
    in_the_pool = sorted(
        {
            f"{route.path} -> {getattr(call, '__qualname__', type(call).__qualname__)}"
            for route in routes
            for call in _calls(route.dependant)
            if not _runs_on_the_loop(call)
        }
    )
    assert in_the_pool == [], f"{service}: these run in FastAPI's thread pool"


def test_the_check_sees_a_plain_def_dependency() -> None:
    from fastapi import Depends

    def plain() -> int:
        return 1

    check = APIRouter()

    @check.get("/x")
    async def endpoint(value: int = Depends(plain)) -> int:
        return value

    (route,) = check.routes
    assert isinstance(route, APIRoute)
    assert [c for c in _calls(route.dependant) if not _runs_on_the_loop(c)] == [plain]

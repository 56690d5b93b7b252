"""What module-level routes depend on, as ``Annotated`` types: the caller, a unit of work, the
settings and the runtime of the process serving the request.

Every dependency is ``async def``, however little it does: FastAPI runs a plain ``def`` in its
thread pool, a hand-off to a worker thread and back on every request for a dictionary lookup
(a fifteenth of the intake API's busy time at concurrency 16; ``tests/test_routes_on_the_loop.py``).

Routes are plain module-level functions on an ``APIRouter``; ``runtime.build_app`` puts the
runtime on ``app.state``, and these dependencies read it from the request. A service narrows
them to its own types in ``entrypoints/dependencies.py`` (its unit of work with its
repositories, its settings, its dependencies), so a route's signature says all it uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from rujukan_platform import telemetry
from rujukan_platform.access import Caller
from rujukan_platform.runtime import Runtime
from rujukan_platform.settings import ServiceSettings
from rujukan_platform.uow import UnitOfWork

__all__ = [
    "Caller",
    "HandleDep",
    "RuntimeDep",
    "SettingsDep",
    "UnitOfWorkDep",
    "runtime_of",
    "unit_of_work",
]


def runtime_of(request: Request) -> Runtime[Any]:
    runtime: Runtime[Any] = request.app.state.runtime
    return runtime


async def the_runtime(request: Request) -> Runtime[Any]:
    return runtime_of(request)


async def settings_of(request: Request) -> ServiceSettings:
    return runtime_of(request).settings


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """A unit of work for this request, continuing the caller's trace; what the route does not
    commit is rolled back when the request ends."""
    runtime = runtime_of(request)
    traceparent = telemetry.from_caller(request.headers.get("traceparent"))
    async with runtime.unit_of_work(traceparent=traceparent) as uow:
        yield uow


async def handler_of(request: Request) -> Callable[[Any], Awaitable[Any]]:
    """Handle a command through the service's handler table in a unit of work of its own,
    committed before the route answers, continuing the caller's trace."""
    runtime = runtime_of(request)
    traceparent = telemetry.from_caller(request.headers.get("traceparent"))

    async def handle(command: Any) -> Any:
        return await runtime.handle(command, traceparent=traceparent)

    return handle


HandleDep = Annotated[Callable[[Any], Awaitable[Any]], Depends(handler_of)]
RuntimeDep = Annotated[Runtime[Any], Depends(the_runtime)]
SettingsDep = Annotated[ServiceSettings, Depends(settings_of)]
UnitOfWorkDep = Annotated[UnitOfWork, Depends(unit_of_work)]

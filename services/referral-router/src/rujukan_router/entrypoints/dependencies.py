"""What the router's routes depend on, as the router's own types: its runtime (with its
per-process state) and its views on the request's unit of work."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rujukan_platform.dependencies import UnitOfWorkDep, runtime_of
from rujukan_platform.language import PreferredLanguage
from rujukan_platform.runtime import Runtime
from rujukan_router.adapters.views import RouterViews
from rujukan_router.service_layer.state import RouterState


async def router_runtime(request: Request) -> Runtime[RouterState]:
    runtime: Runtime[RouterState] = runtime_of(request)
    return runtime


RouterRuntime = Annotated[Runtime[RouterState], Depends(router_runtime)]


async def views(
    uow: UnitOfWorkDep, runtime: RouterRuntime, language: PreferredLanguage
) -> RouterViews:
    """The API's reads, in the request's unit of work (never committed: reads change nothing),
    explained with this process's rule book in the caller's language (Accept-Language)."""
    return RouterViews(uow.session, runtime.deps.rules, language)


Views = Annotated[RouterViews, Depends(views)]

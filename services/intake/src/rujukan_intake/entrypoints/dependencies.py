"""The platform's route dependencies, narrowed to intake's own types."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, cast

from fastapi import Depends, Request

from rujukan_intake.domain.commands import IntakeItem, Submitted
from rujukan_intake.service_layer.state import IntakeState
from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork
from rujukan_intake.settings import IntakeSettings
from rujukan_platform import telemetry
from rujukan_platform.dependencies import runtime_of, unit_of_work

__all__ = ["IntakeUoW", "Settings", "SubmitOne"]


async def intake_settings(request: Request) -> IntakeSettings:
    return cast(IntakeSettings, runtime_of(request).settings)


async def submit_one(request: Request) -> Callable[[IntakeItem], Awaitable[Submitted]]:
    """Submit one intake with the others arriving meanwhile (``service_layer.coalescing``),
    continuing the caller's trace."""
    state = cast(IntakeState, runtime_of(request).deps)
    traceparent = telemetry.current_traceparent() or telemetry.from_caller(
        request.headers.get("traceparent")
    )
    return partial(state.submissions.submit, traceparent=traceparent)


#: a unit of work for the request's reads (rolled back at the end)
IntakeUoW = Annotated[IntakeUnitOfWork, Depends(unit_of_work)]
Settings = Annotated[IntakeSettings, Depends(intake_settings)]
SubmitOne = Annotated[Callable[[IntakeItem], Awaitable[Submitted]], Depends(submit_one)]

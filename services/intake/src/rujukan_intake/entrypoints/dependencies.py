"""The platform's route dependencies, narrowed to intake's own types."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork
from rujukan_intake.settings import IntakeSettings
from rujukan_platform.dependencies import settings_of, unit_of_work

__all__ = ["IntakeUoW", "Settings"]


def intake_settings(request: Request) -> IntakeSettings:
    return cast(IntakeSettings, settings_of(request))


#: a unit of work for the request's reads (rolled back at the end)
IntakeUoW = Annotated[IntakeUnitOfWork, Depends(unit_of_work)]
Settings = Annotated[IntakeSettings, Depends(intake_settings)]

"""Registry's consumer: the facts of recent intakes, for explain-by-intake and dry runs."""

from __future__ import annotations

from typing import Any

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_contracts.topics import INTAKE_SUBMITTED
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.handlers import Handlers
from rujukan_platform.runtime import Runtime
from rujukan_platform.uow import UnitOfWork
from rujukan_registry.service_layer.evaluation import remember_intake


async def on_intake(event: IntakeSubmittedV1, uow: UnitOfWork) -> None:
    await remember_intake(uow.session, event)


def handlers(_runtime: Runtime[Any]) -> Handlers[UnitOfWork]:
    return Handlers[UnitOfWork]().on(IntakeSubmittedV1, on_intake)


def consumers(runtime: Runtime[Any]) -> list[ConsumerSpec]:
    return [
        ConsumerSpec(
            name="registry-intake-facts",
            topics=[INTAKE_SUBMITTED],
            handlers=runtime.handlers.only(IntakeSubmittedV1),
        )
    ]

"""Registry's consumer: the facts of recent intakes, for explain-by-intake and dry runs."""

from __future__ import annotations

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_contracts.topics import INTAKE_SUBMITTED
from rujukan_platform.consumer import ConsumerSpec, HandlerContext
from rujukan_platform.runtime import Runtime
from rujukan_registry.service_layer.evaluation import remember_intake


async def on_intake(ctx: HandlerContext, event: IntakeSubmittedV1) -> None:
    await remember_intake(ctx.session, event)


def consumers(_runtime: Runtime) -> list[ConsumerSpec]:
    return [
        ConsumerSpec(
            name="registry-intake-facts",
            topics=[INTAKE_SUBMITTED],
            handlers={IntakeSubmittedV1.ce_type: on_intake},
        )
    ]

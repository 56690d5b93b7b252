"""Registry's consumer: the facts of recent intakes, for explain-by-intake and dry runs."""

from __future__ import annotations

from typing import Any

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_contracts.topics import INTAKE_SUBMITTED
from rujukan_platform.consumer import ConsumerSpec
from rujukan_platform.runtime import Runtime


def consumers(runtime: Runtime[Any]) -> list[ConsumerSpec]:
    return [runtime.consumer("registry-intake-facts", [INTAKE_SUBMITTED], IntakeSubmittedV1)]

"""What intake shares in one process: its handlers' keys for personal data and registry, and the
coalescer that submits the API's single intakes together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rujukan_intake.adapters.dci import DciRegistry
from rujukan_intake.adapters.registries import make_registry
from rujukan_intake.adapters.registry import SocialRegistry
from rujukan_intake.service_layer.coalescing import SubmissionCoalescer
from rujukan_intake.settings import IntakeSettings
from rujukan_platform.runtime import Runtime
from rujukan_platform.sealing import Sealer


@dataclass(frozen=True, slots=True)
class IntakeState:
    #: hashes NIK and KK: lookups without storing either
    pii_key: str
    #: seals members' names at rest
    sealer: Sealer
    registry: SocialRegistry
    #: a household's second intake within this window answers with its first
    duplicate_window: timedelta
    #: ``POST /v1/intakes`` arriving together, submitted in one unit of work (drained at stop)
    submissions: SubmissionCoalescer

    @classmethod
    def of(cls, runtime: Runtime[Any]) -> IntakeState:
        settings = runtime.settings
        assert isinstance(settings, IntakeSettings)
        submissions = SubmissionCoalescer(
            lambda command, traceparent: runtime.handle(command, traceparent=traceparent),
            max_batch=settings.submit_batch_max,
            linger=settings.submit_linger_seconds,
        )
        runtime.closers.append(submissions.drain)  # first: it may still need the registry
        registry = make_registry(settings)
        if isinstance(registry, DciRegistry):
            runtime.closers.append(registry.aclose)
        return cls(
            pii_key=settings.pii_key.get_secret_value(),
            sealer=settings.sealer,
            registry=registry,
            duplicate_window=settings.duplicate_window,
            submissions=submissions,
        )

"""What intake's handlers share in one process: the keys for personal data and the registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rujukan_intake.adapters.dci import DciRegistry
from rujukan_intake.adapters.registries import make_registry
from rujukan_intake.adapters.registry import SocialRegistry
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

    @classmethod
    def of(cls, runtime: Runtime[Any]) -> IntakeState:
        settings = runtime.settings
        assert isinstance(settings, IntakeSettings)
        registry = make_registry(settings)
        if isinstance(registry, DciRegistry):
            runtime.closers.append(registry.aclose)
        return cls(
            pii_key=settings.pii_key.get_secret_value(),
            sealer=settings.sealer,
            registry=registry,
            duplicate_window=settings.duplicate_window,
        )

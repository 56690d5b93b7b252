"""Choose the social-registry adapter the settings name."""

from __future__ import annotations

from rujukan_intake.adapters.dci import DciRegistry
from rujukan_intake.adapters.registry import LocalRegistry, SocialRegistry
from rujukan_intake.domain.identity import keyed_hash
from rujukan_intake.settings import IntakeSettings


def make_registry(settings: IntakeSettings) -> SocialRegistry:
    if settings.registry_adapter == "dci":
        assert settings.registry_url is not None
        return DciRegistry(
            base_url=settings.registry_url,
            token=settings.registry_token.get_secret_value() if settings.registry_token else None,
            timeout=settings.registry_timeout_seconds,
        )
    key = settings.pii_key.get_secret_value()
    return LocalRegistry(lambda kk: keyed_hash(key, kk))

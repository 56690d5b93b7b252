"""Intake's settings: the shared ones plus the key for hashing personal identifiers."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr, model_validator

from rujukan_platform.settings import ServiceSettings

DEV_PII_KEY = "rujukan-local-pii-key-do-not-use"


class IntakeSettings(ServiceSettings):
    service: str = "intake"
    port: int = 8001
    database: str = "intake"
    pii_key: SecretStr = SecretStr(DEV_PII_KEY)
    duplicate_window_hours: int = 24

    @model_validator(mode="after")
    def _refuse_default_pii_key(self) -> IntakeSettings:
        if self.environment == "production" and self.pii_key.get_secret_value() == DEV_PII_KEY:
            raise ValueError("RUJUKAN_INTAKE_PII_KEY must be set in production")
        return self

    @property
    def duplicate_window(self) -> timedelta:
        return timedelta(hours=self.duplicate_window_hours)

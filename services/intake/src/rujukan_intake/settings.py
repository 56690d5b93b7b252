"""Intake's settings: the shared ones plus the keys for personal data: one hashes NIK and KK, the
others seal members' names at rest (``RUJUKAN_INTAKE_DATA_KEYS='{"2027-01": "<base64>"}'``,
``RUJUKAN_INTAKE_DATA_KEY_ID=2027-01``; ``rujukan_platform.sealing``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from rujukan_platform.settings import SealingSettings

DEV_PII_KEY = "rujukan-local-pii-key-do-not-use"


class IntakeSettings(SealingSettings):
    service: str = "intake"
    port: int = 8001
    database: str = "intake"
    pii_key: SecretStr = SecretStr(DEV_PII_KEY)
    duplicate_window_hours: int = 24
    registry_adapter: Literal["local", "dci"] = "local"
    registry_url: str | None = None
    registry_token: SecretStr | None = None
    registry_timeout_seconds: float = 5.0
    batch_limit: int = 500
    #: single POSTs arriving together are submitted in one unit of work, up to this many
    #: (``service_layer.coalescing``); 1 submits each alone
    submit_batch_max: int = Field(default=100, ge=1)
    #: while single POSTs come closer together than this (seconds), a batch waits this long for
    #: company before it starts (``rujukan_platform.group_commit``); 0 never waits
    submit_linger_seconds: float = Field(default=0.01, ge=0, le=1)
    #: where officers read the router's decisions (RUJUKAN_INTAKE_ROUTER_URL): an intake's view
    #: links to them, since the router, not intake, decides
    router_url: str = "http://127.0.0.1:8003"

    @model_validator(mode="after")
    def _refuse_default_pii_key(self) -> IntakeSettings:
        if self.environment == "production" and self.pii_key.get_secret_value() == DEV_PII_KEY:
            raise ValueError("RUJUKAN_INTAKE_PII_KEY must be set in production")
        return self

    @model_validator(mode="after")
    def _dci_needs_a_url(self) -> IntakeSettings:
        if self.registry_adapter == "dci" and not self.registry_url:
            raise ValueError("RUJUKAN_INTAKE_REGISTRY_URL is required with the dci adapter")
        return self

    @property
    def duplicate_window(self) -> timedelta:
        return timedelta(hours=self.duplicate_window_hours)

"""Intake's settings: the shared ones plus the keys for personal data: one hashes NIK and KK, the
others seal members' names at rest (``RUJUKAN_INTAKE_DATA_KEYS='{"2027-01": "<base64>"}'``,
``RUJUKAN_INTAKE_DATA_KEY_ID=2027-01``; ``rujukan_platform.sealing``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import PrivateAttr, SecretStr, model_validator

from rujukan_platform.sealing import DEV_KEY_ID, Sealer, dev_key, sealer_from_settings
from rujukan_platform.settings import ServiceSettings

DEV_PII_KEY = "rujukan-local-pii-key-do-not-use"
DEV_DATA_KEY = dev_key("intake")


class IntakeSettings(ServiceSettings):
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
    #: keys sealing members' names (key id → 32 bytes in base64); new names use ``data_key_id``,
    #: every key listed still opens what it sealed (rotation: ``python -m rujukan_intake reseal``)
    data_keys: dict[str, SecretStr] = {DEV_KEY_ID: SecretStr(DEV_DATA_KEY)}
    data_key_id: str = DEV_KEY_ID
    _sealer: Sealer = PrivateAttr()

    @model_validator(mode="after")
    def _refuse_default_pii_key(self) -> IntakeSettings:
        if self.environment == "production" and self.pii_key.get_secret_value() == DEV_PII_KEY:
            raise ValueError("RUJUKAN_INTAKE_PII_KEY must be set in production")
        return self

    @model_validator(mode="after")
    def _data_keys(self) -> IntakeSettings:
        self._sealer = sealer_from_settings(
            self.data_keys,
            self.data_key_id,
            dev=DEV_DATA_KEY,
            production=self.environment == "production",
            variable="RUJUKAN_INTAKE_DATA_KEYS",
        )
        return self

    @model_validator(mode="after")
    def _dci_needs_a_url(self) -> IntakeSettings:
        if self.registry_adapter == "dci" and not self.registry_url:
            raise ValueError("RUJUKAN_INTAKE_REGISTRY_URL is required with the dci adapter")
        return self

    @property
    def sealer(self) -> Sealer:
        return self._sealer

    @property
    def duplicate_window(self) -> timedelta:
        return timedelta(hours=self.duplicate_window_hours)

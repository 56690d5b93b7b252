"""Service settings from the environment (pydantic-settings).

Shared values use the ``RUJUKAN_`` prefix (``RUJUKAN_KAFKA_BOOTSTRAP``, ``RUJUKAN_PG_URL``...);
a service's own values use ``RUJUKAN_<SERVICE>_`` (``RUJUKAN_INTAKE_PORT``). Secrets keep a
development default only in the ``local`` and ``test`` environments: production refuses it.
"""

from __future__ import annotations

import json
import os
from typing import Any, Literal

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "rujukan-local-development-secret-do-not-use"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RUJUKAN_", extra="ignore")

    service: str = "service"
    environment: Literal["local", "test", "production"] = "local"
    host: str = "127.0.0.1"
    port: int = 8000
    pg_url: str = "postgresql+asyncpg://rujukan:rujukan@127.0.0.1:55432"
    database: str = "rujukan"
    database_url: str | None = None
    kafka_bootstrap: str = "127.0.0.1:9092"
    auth_secret: SecretStr = SecretStr(DEV_SECRET)
    api_keys: dict[str, dict[str, Any]] = {}
    log_level: str = "INFO"
    log_json: bool = True
    run_relay: bool = True
    run_consumers: str = "all"
    outbox_batch: int = 500
    outbox_poll_seconds: float = 0.05
    consumer_batch: int = 500
    consumer_fetch_min_bytes: int = 1
    consumer_fetch_max_wait_ms: int = 100
    #: a request body over this gets 413 before it is read (a route may allow more)
    max_body_bytes: int = 1024 * 1024

    @model_validator(mode="before")
    @classmethod
    def _service_scoped_env(cls, data: Any) -> Any:
        """``RUJUKAN_<SERVICE>_<FIELD>`` overrides the shared ``RUJUKAN_<FIELD>``."""
        if not isinstance(data, dict):
            return data
        service = str(data.get("service") or cls.model_fields["service"].default)
        prefix = f"RUJUKAN_{service.upper().replace('-', '_')}_"
        for key, value in os.environ.items():
            if key.startswith(prefix):
                field = key.removeprefix(prefix).lower()
                if field in cls.model_fields:
                    data[field] = _json_if_structured(value)
        return data

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> ServiceSettings:
        if self.environment == "production" and self.auth_secret.get_secret_value() == DEV_SECRET:
            raise ValueError("RUJUKAN_AUTH_SECRET must be set in production")
        return self

    @property
    def dsn(self) -> str:
        return self.database_url or f"{self.pg_url.rstrip('/')}/{self.database}"

    def runs_consumer(self, name: str) -> bool:
        wanted = {n.strip() for n in self.run_consumers.split(",") if n.strip()}
        return "all" in wanted or name in wanted


def _json_if_structured(value: str) -> Any:
    """Dict and list settings arrive as JSON text (as pydantic-settings reads its own env)."""
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value

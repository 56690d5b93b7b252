"""Service settings from the environment (pydantic-settings).

Shared values use the ``RUJUKAN_`` prefix (``RUJUKAN_KAFKA_BOOTSTRAP``, ``RUJUKAN_PG_URL``...);
a service's own values use ``RUJUKAN_<SERVICE>_`` (``RUJUKAN_INTAKE_PORT``). Secrets keep a
development default only in the ``local`` and ``test`` environments: production refuses it.
"""

from __future__ import annotations

import json
import os
from typing import Any, Literal, NamedTuple, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from rujukan_platform.sealing import DEV_KEY_ID, Sealer, dev_key, sealer_from_settings

DEV_SECRET = "rujukan-local-development-secret-do-not-use"
#: the ``iss`` of the platform's own development tokens (HS256, ``auth_secret``)
LOCAL_ISSUER = "rujukan"


class OidcIssuer(BaseModel):
    """An OpenID Connect provider whose tokens the services accept (Keycloak, ...).

    Its signing keys come from ``jwks_url``, or from the ``jwks_uri`` of
    ``<issuer>/.well-known/openid-configuration`` fetched at first use. Only asymmetric
    algorithms: a provider's token can never be checked with a shared secret."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(description="the tokens' `iss`, exactly")
    audience: str = Field(description="what the tokens' `aud` must contain (this platform)")
    jwks_url: str | None = None
    algorithms: list[Literal["RS256", "ES256"]] = Field(default=["RS256", "ES256"], min_length=1)
    leeway_seconds: int = Field(default=60, ge=0, le=300)
    role_claim: str = "role"
    regions_claim: str = "regions"
    programs_claim: str = "programs"
    #: a fetch of the discovery document or the keys that takes longer fails (503)
    timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    #: how long fetched keys are used before they are fetched again
    jwks_cache_seconds: float = Field(default=300.0, gt=0)
    #: a token naming an unknown key fetches the keys again, at most this often
    refetch_cooldown_seconds: float = Field(default=10.0, ge=0)

    @field_validator("issuer", "jwks_url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value == LOCAL_ISSUER:
            raise ValueError(f"'{LOCAL_ISSUER}' is the local issuer's, which signs with HS256")
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("an http(s) address")
        return value

    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


class FetchOptions(NamedTuple):
    """When the broker answers a consumer's fetch: once ``min_bytes`` are there, or after
    ``max_wait_ms`` with what there is."""

    min_bytes: int
    max_wait_ms: int


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RUJUKAN_", extra="ignore")

    service: str = "service"
    environment: Literal["local", "test", "production"] = "local"
    host: str = "127.0.0.1"
    port: int = 8000
    pg_url: str = "postgresql+asyncpg://rujukan:rujukan@127.0.0.1:15432"
    database: str = "rujukan"
    database_url: str | None = None
    kafka_bootstrap: str = "127.0.0.1:9092"
    auth_secret: SecretStr = SecretStr(DEV_SECRET)
    api_keys: dict[str, dict[str, Any]] = {}
    #: OIDC providers trusted beside the local issuer
    #: (``RUJUKAN_OIDC_ISSUERS='[{"issuer": "https://sso.example/realms/rujukan", ...}]'``)
    oidc_issuers: list[OidcIssuer] = []
    #: a request that needs the token revocations waits this long for them to load, then 503
    revocations_wait_seconds: float = 5.0
    log_level: str = "INFO"
    log_json: bool = True
    #: the long-running processes' event loop and uvicorn's HTTP parser: libuv's loop and
    #: httptools (C), or the standard library's loop and h11 (pure Python) to compare or fall
    #: back with (``bench/intake_single.py --b-env``)
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    http_parser: Literal["httptools", "h11"] = "httptools"
    run_relay: bool = True
    run_consumers: str = "all"
    outbox_batch: int = 500
    #: the relay looks for other processes' rows this often while they come, up to
    #: ``outbox_idle_poll_seconds`` apart when none do (``rujukan_platform.polling``); this
    #: process's own commits wake it at once
    outbox_poll_seconds: float = 0.05
    outbox_idle_poll_seconds: float = 0.5
    #: how long a patient relay (``ServiceDefinition.patient_relay``) waits after a wake
    outbox_patient_seconds: float = 0.5
    consumer_batch: int = 500
    #: a fetch returns as soon as a record is there; with none, the broker holds it this long
    #: (500 ms is Kafka's own default; at 100 ms every idle consumer fetched ten times a second)
    consumer_fetch_min_bytes: int = 1
    consumer_fetch_max_wait_ms: int = 500
    #: a patient consumer's fetch (``ConsumerSpec.patient``) returns once this much is there,
    #: or after the wait: a batch a wake-up, not a record or two (at 200 intakes/s, p99 to the
    #: agency topic a quarter lower with 64 KiB; 1 MiB then took a fifth off notifications' CPU:
    #: ``bench/results/pipeline_throughput.md``)
    consumer_patient_fetch_min_bytes: int = 1024 * 1024
    consumer_patient_fetch_max_wait_ms: int = 500
    #: a request body over this gets 413 before it is read (a route may allow more)
    max_body_bytes: int = 1024 * 1024
    #: the process's CPU niceness at least (``nice``, 0-19), set at start: a service whose work
    #: can wait (notifications gathers a visit's news for a minute) yields the cores to the
    #: ones a Puskesos officer waits on when they share a machine
    cpu_niceness: int = Field(default=0, ge=0, le=19)

    @model_validator(mode="before")
    @classmethod
    def _service_scoped_env(cls, data: Any) -> Any:
        """``RUJUKAN_<SERVICE>_<FIELD>`` overrides the shared ``RUJUKAN_<FIELD>``."""
        if not isinstance(data, dict):
            return data
        prefix = _service_prefix(str(data.get("service") or cls.model_fields["service"].default))
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

    def fetch_options(self, *, patient: bool) -> FetchOptions:
        """A consumer's fetch settings: a patient one's (``ConsumerSpec.patient``) or the rest's."""
        if patient:
            return FetchOptions(
                self.consumer_patient_fetch_min_bytes, self.consumer_patient_fetch_max_wait_ms
            )
        return FetchOptions(self.consumer_fetch_min_bytes, self.consumer_fetch_max_wait_ms)

    @property
    def dsn(self) -> str:
        return self.database_url or f"{self.pg_url.rstrip('/')}/{self.database}"

    def runs_consumer(self, name: str) -> bool:
        wanted = {n.strip() for n in self.run_consumers.split(",") if n.strip()}
        return "all" in wanted or name in wanted


class SealingSettings(ServiceSettings):
    """A service that seals personal data at rest (``rujukan_platform.sealing``).

    ``RUJUKAN_<SERVICE>_DATA_KEYS='{"2027-01": "<base64 of 32 bytes>"}'`` lists its keys (key id
    → 32 bytes in base64) and ``RUJUKAN_<SERVICE>_DATA_KEY_ID`` names the one new values are
    sealed with; every key listed still opens what it sealed (rotation: ``reseal``). Without
    keys the service seals with its development key, which production refuses."""

    data_keys: dict[str, SecretStr] = {}
    data_key_id: str = DEV_KEY_ID
    _sealer: Sealer = PrivateAttr()

    @model_validator(mode="after")
    def _data_keys(self) -> Self:
        dev = dev_key(self.service)
        if not self.data_keys:
            self.data_keys = {DEV_KEY_ID: SecretStr(dev)}
        self._sealer = sealer_from_settings(
            self.data_keys,
            self.data_key_id,
            dev=dev,
            production=self.environment == "production",
            variable=f"{_service_prefix(self.service)}DATA_KEYS",
        )
        return self

    @property
    def sealer(self) -> Sealer:
        return self._sealer


def _service_prefix(service: str) -> str:
    """Where a service's own variables start: ``RUJUKAN_PROGRAM_REGISTRY_``."""
    return f"RUJUKAN_{service.upper().replace('-', '_')}_"


def _json_if_structured(value: str) -> Any:
    """Dict and list settings arrive as JSON text (as pydantic-settings reads its own env)."""
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value

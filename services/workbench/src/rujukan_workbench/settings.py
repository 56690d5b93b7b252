"""The workbench's settings (``RUJUKAN_WORKBENCH_*``): where the services answer, how people sign
in, and the key its cookies are signed with.

Only the shared ``ServiceSettings`` fields it reads matter (``auth_secret``, ``environment``,
``host``, logging); the database and Kafka fields are there and unused: it has neither.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from rujukan_platform.settings import ServiceSettings

DEV_COOKIE_SECRET = "rujukan-workbench-local-cookie-secret-do-not-use"


class WorkbenchSettings(ServiceSettings):
    service: str = "workbench"
    port: int = 8000
    intake_url: str = "http://127.0.0.1:8001"
    registry_url: str = "http://127.0.0.1:8002"
    router_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    #: Grafana, for the operator's overview links
    grafana_url: str = "http://127.0.0.1:3000"
    #: signs the session cookie and derives the CSRF tokens (not the platform's auth secret)
    cookie_secret: SecretStr = SecretStr(DEV_COOKIE_SECRET)
    #: how long a sign-in lasts (the token's and the cookie's lifetime)
    session_seconds: int = 8 * 3600
    #: the development sign-in: choose who one is, and the workbench issues the token with the
    #: platform's shared secret. Off unless switched on (``make up`` does); never in production.
    dev_sign_in: bool = False
    #: an OpenID Connect provider for the authorization-code flow (not built yet: ``sign_in``)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_url: str | None = None
    #: referrals on one page of a list (the queue, the overdue, a household's); "next" reads on
    page_size: int = Field(default=100, ge=1, le=500)
    #: how long a page waits for a service before it says the service is not answering
    upstream_timeout_seconds: float = 15.0

    @model_validator(mode="after")
    def _production_is_locked(self) -> WorkbenchSettings:
        if self.environment == "production":
            if self.dev_sign_in:
                raise ValueError("RUJUKAN_WORKBENCH_DEV_SIGN_IN is for development only")
            if self.cookie_secret.get_secret_value() == DEV_COOKIE_SECRET:
                raise ValueError("RUJUKAN_WORKBENCH_COOKIE_SECRET must be set in production")
        return self

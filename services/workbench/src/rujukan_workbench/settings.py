"""The workbench's settings (``RUJUKAN_WORKBENCH_*``): where the services answer, how people sign
in, the key its cookies are signed with, and its database (the signed-in sessions,
``RUJUKAN_WORKBENCH_DATABASE``, their tokens sealed with ``RUJUKAN_WORKBENCH_DATA_KEYS``).

Of the shared settings it reads ``auth_secret``, ``oidc_issuers``, ``environment``, ``host``,
``pg_url``, logging; the Kafka fields are there and unused: it has no Kafka.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from rujukan_platform.settings import SealingSettings

DEV_COOKIE_SECRET = "rujukan-workbench-local-cookie-secret-do-not-use"


class WorkbenchSettings(SealingSettings):
    service: str = "workbench"
    port: int = 8000
    database: str = "workbench"
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
    #: the OpenID Connect provider people sign in with (``sign_in.OidcSignIn``): its issuer,
    #: which ``RUJUKAN_OIDC_ISSUERS`` must list too (the services accept its access tokens)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    #: where the provider sends the person back: this workbench's ``/masuk/selesai``
    oidc_redirect_url: str | None = None
    oidc_scopes: str = "openid profile"
    #: how long a person may take at the provider's sign-in page
    oidc_sign_in_seconds: int = Field(default=600, ge=30)
    #: referrals on one page of a list (the queue, the overdue, a household's); "next" reads on
    page_size: int = Field(default=100, ge=1, le=500)
    #: how long a page waits for a service before it says the service is not answering
    upstream_timeout_seconds: float = 15.0

    @model_validator(mode="after")
    def _one_way_to_sign_in(self) -> WorkbenchSettings:
        if not self.oidc_issuer:
            return self
        if self.dev_sign_in:
            raise ValueError(
                "RUJUKAN_WORKBENCH_OIDC_ISSUER and RUJUKAN_WORKBENCH_DEV_SIGN_IN: choose one"
            )
        if not (self.oidc_client_id and self.oidc_redirect_url):
            raise ValueError("OIDC sign-in needs RUJUKAN_WORKBENCH_OIDC_CLIENT_ID, _REDIRECT_URL")
        if all(i.issuer != self.oidc_issuer for i in self.oidc_issuers):
            raise ValueError(
                f"RUJUKAN_OIDC_ISSUERS has no entry for {self.oidc_issuer}: the services would"
                " refuse its tokens"
            )
        return self

    @model_validator(mode="after")
    def _production_is_locked(self) -> WorkbenchSettings:
        if self.environment == "production":
            if self.dev_sign_in:
                raise ValueError("RUJUKAN_WORKBENCH_DEV_SIGN_IN is for development only")
            if self.cookie_secret.get_secret_value() == DEV_COOKIE_SECRET:
                raise ValueError("RUJUKAN_WORKBENCH_COOKIE_SECRET must be set in production")
        return self

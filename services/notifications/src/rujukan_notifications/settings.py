"""Notifications' settings: the channels' providers, agency webhooks, and how hard to try.

Structured values are JSON in the environment, e.g.::

    RUJUKAN_NOTIFICATIONS_SMS='{"kind": "generic", "url": "https://gw.example/send",
        "headers": {"Authorization": "Bearer ..."}, "body": {"msisdn": "{to}", "text": "{body}"}}'
    RUJUKAN_NOTIFICATIONS_WHATSAPP='{"kind": "twilio", "account_sid": "AC...",
        "auth_token": "...", "from_number": "whatsapp:+14155238886"}'
    RUJUKAN_NOTIFICATIONS_AGENCY_WEBHOOKS='{"PBI-JK": {"url": "https://...", "secret": "..."}}'

Residents' e-mail addresses and phone numbers are sealed at rest (``rujukan_platform.sealing``)
with ``RUJUKAN_NOTIFICATIONS_DATA_KEYS='{"2027-01": "<base64 of 32 bytes>"}'`` and
``RUJUKAN_NOTIFICATIONS_DATA_KEY_ID=2027-01``.
"""

from __future__ import annotations

import json
from datetime import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from rujukan_notifications.domain.news import DEFAULT_RESIDENT_NEWS, NEWS_KINDS
from rujukan_platform.settings import SealingSettings


class GenericGatewaySettings(BaseModel):
    """Any HTTP SMS/WhatsApp gateway: ``{to}`` and ``{body}`` are replaced in the URL, the
    header values and every string of the body template (sent as JSON, a form, or, for GET,
    as query parameters)."""

    kind: Literal["generic"] = "generic"
    name: str = "generic"
    url: str
    method: Literal["POST", "PUT", "GET"] = "POST"
    headers: dict[str, str] = {}
    body: dict[str, Any] = {"to": "{to}", "message": "{body}"}
    encoding: Literal["json", "form"] = "json"


class TwilioSettings(BaseModel):
    """Twilio's Messages API; ``from_number`` is ``whatsapp:+...`` for the WhatsApp sender."""

    kind: Literal["twilio"] = "twilio"
    name: str = "twilio"
    account_sid: str
    auth_token: SecretStr
    from_number: str
    base_url: str = "https://api.twilio.com"


GatewaySettings = Annotated[GenericGatewaySettings | TwilioSettings, Field(discriminator="kind")]


class WebhookEndpoint(BaseModel):
    url: str
    secret: SecretStr


class NotificationSettings(SealingSettings):
    service: str = "notifications"
    port: int = 8004
    database: str = "notifications"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_sender: str = "Rujukan SLRT <noreply@rujukan.example>"
    smtp_timeout_seconds: float = 10.0
    #: SMS and WhatsApp gateways; a channel without one is not offered
    sms: GatewaySettings | None = None
    whatsapp: GatewaySettings | None = None
    #: which channels a consented phone number may be used for (the contract has no preference)
    phone_channels: list[Literal["sms", "whatsapp"]] = ["sms"]
    #: name → webhook: a program code's is its agency's (told of each new referral and of its
    #: late ones); any other name is one a program's escalation chain may name in the catalogue
    agency_webhooks: dict[str, WebhookEndpoint] = {}
    http_timeout_seconds: float = 10.0
    #: language of the Puskesos operator inbox
    operator_language: Literal["id", "en"] = "id"
    #: what a resident is told of, besides their visit's referrals: statuses (accepted,
    #: rejected, completed, expired, withdrawn, ...) and ``escalated`` (past its deadline)
    resident_news: list[str] = list(DEFAULT_RESIDENT_NEWS)
    #: a visit's news is gathered this long, then summed up in one message
    visit_window_seconds: float = Field(60.0, ge=0)
    #: sends of one delivery (a take-over counts); a resident's contact is waited for as often
    max_attempts: int = 5
    #: the dispatcher looks for due deliveries this often while there are some, up to
    #: ``dispatch_idle_poll_seconds`` apart when there are none (``rujukan_platform.polling``)
    dispatch_poll_seconds: float = 0.1
    dispatch_idle_poll_seconds: float = 0.5
    #: deliveries claimed at once; a claim holds for the lease (longer than a send may take:
    #: the SMTP and HTTP timeouts), then a row left ``sending`` is taken over and sent again
    dispatch_batch: int = Field(100, ge=1)
    dispatch_lease_seconds: float = Field(60.0, gt=0)
    #: claimed batches being sent at once: the next is sent while the last one finishes
    dispatch_batches_in_flight: int = Field(2, ge=1)
    #: sends in flight at once per provider (50: a relay's common limit of connections per
    #: client, Postfix's ``smtpd_client_connection_count_limit``)
    send_concurrency: int = Field(50, ge=1)
    circuit_failure_threshold: int = 5
    circuit_cooldown_seconds: float = 60.0
    #: SMS/WhatsApp to one recipient: at most this many per window, the rest later
    rate_limit_messages: int = 3
    rate_limit_window_seconds: int = 3600
    #: no SMS/WhatsApp between start and end (local time); equal times turn this off
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(7, 0)
    quiet_hours_timezone: str = "Asia/Jakarta"

    @field_validator("resident_news")
    @classmethod
    def _known_news(cls, value: list[str]) -> list[str]:
        unknown = set(value) - NEWS_KINDS
        if unknown:
            raise ValueError(f"not a kind of news: {sorted(unknown)}; one of {sorted(NEWS_KINDS)}")
        return value

    @field_validator(
        "sms", "whatsapp", "agency_webhooks", "phone_channels", "resident_news", mode="before"
    )
    @classmethod
    def _json_from_environment(cls, value: Any) -> Any:
        """``RUJUKAN_NOTIFICATIONS_<FIELD>`` arrives as raw text: decode the JSON here."""
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if text[0] in "{[":
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

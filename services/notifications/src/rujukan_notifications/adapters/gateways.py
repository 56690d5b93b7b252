"""SMS and WhatsApp over HTTP gateways: a generic, configured request shape, and Twilio.

Every request carries ``Idempotency-Key: <delivery id>``: a message sent again after its sender
died mid-send has the same key, and a gateway that honours the header drops the copy. A generic
gateway that wants the id elsewhere (a ``messageId`` in the body) names it ``{id}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rujukan_notifications.adapters.http import HttpClient
from rujukan_notifications.domain.messages import Message
from rujukan_notifications.settings import GenericGatewaySettings, TwilioSettings

IDEMPOTENCY_HEADER = "Idempotency-Key"
_PLACEHOLDER = re.compile(r"\{(to|body|id)\}")


def fill(template: Any, values: Mapping[str, str]) -> Any:
    """Replace ``{to}``, ``{body}`` and ``{id}`` in every string of a JSON-like template, in one
    pass (no ``format``: braces in a message, even ``{id}``, stay what they are)."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda m: values[m[1]], template)
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    return template


def idempotency(message: Message) -> dict[str, str]:
    return {IDEMPOTENCY_HEADER: str(message.delivery_id)} if message.delivery_id else {}


class GenericGateway:
    def __init__(self, settings: GenericGatewaySettings, client: HttpClient) -> None:
        self._settings = settings
        self._client = client

    def provider(self, recipient: str) -> str:
        return self._settings.name

    async def send(self, recipient: str, message: Message) -> None:
        s = self._settings
        values = {"to": recipient, "body": message.body, "id": str(message.delivery_id or "")}
        body = fill(s.body, values)
        kwargs: dict[str, Any] = {"headers": idempotency(message) | fill(s.headers, values)}
        if s.method == "GET":
            kwargs["query"] = body
        elif s.encoding == "form":
            kwargs["form"] = body
        else:
            kwargs["json"] = body
        await self._client.send(s.method, fill(s.url, values), **kwargs)


class TwilioGateway:
    """``POST /2010-04-01/Accounts/{sid}/Messages.json``, form-encoded ``To``/``From``/``Body``,
    basic auth with the account SID and auth token. For WhatsApp both ends are
    ``whatsapp:+<E.164>``."""

    def __init__(
        self, settings: TwilioSettings, client: HttpClient, *, whatsapp: bool = False
    ) -> None:
        self._settings = settings
        self._client = client
        self._prefix = "whatsapp:" if whatsapp else ""

    def provider(self, recipient: str) -> str:
        return self._settings.name

    def _address(self, number: str) -> str:
        return number if number.startswith(self._prefix) else self._prefix + number

    async def send(self, recipient: str, message: Message) -> None:
        s = self._settings
        await self._client.send(
            "POST",
            f"{s.base_url.rstrip('/')}/2010-04-01/Accounts/{s.account_sid}/Messages.json",
            form={
                "To": self._address(recipient),
                "From": self._address(s.from_number),
                "Body": message.body,
            },
            auth=(s.account_sid, s.auth_token.get_secret_value()),
            headers=idempotency(message),
        )

"""Agency webhooks signed with HMAC-SHA256, and the check an agency runs on receipt.

The signature covers ``f"{timestamp}.{body}"``; it travels as
``X-Rujukan-Signature: v1=<hex>`` next to ``X-Rujukan-Timestamp`` (Unix seconds) and
``X-Rujukan-Delivery`` (the delivery id). A receiver calls ``verify_signature``, which refuses a
bad signature and a timestamp outside the replay window.

The contract for agencies: an event may arrive more than once (a retry after a timeout, or a
sender that died after the agency answered); every copy has the same ``event_id`` in the signed
body (equal to ``X-Rujukan-Delivery``), a fresh timestamp and signature. Handle an event id once
and answer 2xx to the copies.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

from rujukan_notifications.adapters.http import HttpClient
from rujukan_notifications.domain.channels import DeliveryFailed
from rujukan_notifications.domain.messages import Message
from rujukan_notifications.settings import WebhookEndpoint

TIMESTAMP_HEADER = "X-Rujukan-Timestamp"
SIGNATURE_HEADER = "X-Rujukan-Signature"
DELIVERY_HEADER = "X-Rujukan-Delivery"
REPLAY_WINDOW_SECONDS = 300


class InvalidSignature(Exception):
    pass


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_signature(
    secret: str,
    *,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float | None = None,
    tolerance: int = REPLAY_WINDOW_SECONDS,
) -> None:
    """Raise ``InvalidSignature`` unless ``signature`` (one or more comma-separated ``v1=``
    values) matches and ``timestamp`` is within ``tolerance`` seconds of ``now``."""
    if not timestamp or not signature:
        raise InvalidSignature("missing timestamp or signature")
    try:
        sent = int(timestamp)
    except ValueError as exc:
        raise InvalidSignature("the timestamp is not a number") from exc
    if abs((time.time() if now is None else now) - sent) > tolerance:
        raise InvalidSignature("the timestamp is outside the replay window")
    expected = sign(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, s.strip()) for s in signature.split(",")):
        raise InvalidSignature("the signature does not match")


class WebhookChannel:
    """The recipient is a program code; its endpoint and secret come from settings."""

    def __init__(
        self,
        endpoints: Mapping[str, WebhookEndpoint],
        client: HttpClient,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._endpoints = endpoints
        self._client = client
        self._clock = clock

    def provider(self, recipient: str) -> str:
        return f"webhook:{recipient}"

    async def send(self, recipient: str, message: Message) -> None:
        endpoint = self._endpoints.get(recipient)
        if endpoint is None:
            raise DeliveryFailed(
                f"belum ada webhook yang diatur untuk {recipient}", retryable=False
            )
        body = message.body.encode()
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(endpoint.secret.get_secret_value(), timestamp, body),
        }
        if message.delivery_id:
            headers[DELIVERY_HEADER] = str(message.delivery_id)
        await self._client.send("POST", endpoint.url, body=body, headers=headers)

"""The channels a deployment offers, built from settings: e-mail and the inbox always, SMS and
WhatsApp when a gateway is configured, webhooks when an agency has one."""

from __future__ import annotations

import httpx
from httpx_aiohttp import HttpxAiohttpClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rujukan_notifications.adapters.gateways import GenericGateway, TwilioGateway
from rujukan_notifications.adapters.inbox import InboxChannel
from rujukan_notifications.adapters.smtp import EmailChannel
from rujukan_notifications.adapters.webhooks import WebhookChannel
from rujukan_notifications.domain.channels import Channel
from rujukan_notifications.settings import (
    GenericGatewaySettings,
    NotificationSettings,
    TwilioSettings,
)


def http_client(settings: NotificationSettings) -> httpx.AsyncClient:
    """The one HTTP client of every gateway and webhook, keeping as many connections alive as
    the dispatcher may send on at once (``dispatch_batches_in_flight`` batches of
    ``dispatch_batch``): httpx keeps 20 by default, so a burst of sends to one agency or
    gateway closed the rest after each request and opened new ones for the next burst.

    httpx's API over aiohttp's connection pool (httpx-aiohttp): httpcore's pool looks at every
    connection it holds, a socket poll each, on every request and response, and counts them
    again for each idle one, so with this many kept alive a webhook's send cost more in the
    pool than in the request (bench/results/notifications_throughput.md)."""
    most = settings.dispatch_batches_in_flight * settings.dispatch_batch
    return HttpxAiohttpClient(
        timeout=settings.http_timeout_seconds,
        limits=httpx.Limits(max_connections=most, max_keepalive_connections=most),
    )


def gateway(
    settings: GenericGatewaySettings | TwilioSettings,
    client: httpx.AsyncClient,
    *,
    whatsapp: bool,
) -> Channel:
    if isinstance(settings, GenericGatewaySettings):
        return GenericGateway(settings, client)
    return TwilioGateway(settings, client, whatsapp=whatsapp)


def build_channels(
    settings: NotificationSettings,
    sessions: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
) -> dict[str, Channel]:
    channels: dict[str, Channel] = {
        "email": EmailChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            timeout=settings.smtp_timeout_seconds,
        ),
        "inbox": InboxChannel(sessions),
    }
    if settings.sms is not None:
        channels["sms"] = gateway(settings.sms, client, whatsapp=False)
    if settings.whatsapp is not None:
        channels["whatsapp"] = gateway(settings.whatsapp, client, whatsapp=True)
    if settings.agency_webhooks:
        channels["webhook"] = WebhookChannel(settings.agency_webhooks, client)
    return channels

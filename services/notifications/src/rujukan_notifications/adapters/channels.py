"""The channels a deployment offers, built from settings: e-mail and the inbox always, SMS and
WhatsApp when a gateway is configured, webhooks when an agency has one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rujukan_notifications.adapters.gateways import GenericGateway, TwilioGateway
from rujukan_notifications.adapters.http import HttpClient
from rujukan_notifications.adapters.inbox import InboxChannel
from rujukan_notifications.adapters.smtp import EmailChannel
from rujukan_notifications.adapters.webhooks import WebhookChannel
from rujukan_notifications.domain.channels import Channel
from rujukan_notifications.settings import (
    GenericGatewaySettings,
    NotificationSettings,
    TwilioSettings,
)


def http_client(settings: NotificationSettings) -> HttpClient:
    """The one HTTP client of every gateway and webhook, keeping as many connections alive as
    the dispatcher may send on at once (``dispatch_batches_in_flight`` batches of
    ``dispatch_batch``)."""
    return HttpClient(
        connections=settings.dispatch_batches_in_flight * settings.dispatch_batch,
        timeout_seconds=settings.http_timeout_seconds,
    )


def gateway(
    settings: GenericGatewaySettings | TwilioSettings,
    client: HttpClient,
    *,
    whatsapp: bool,
) -> Channel:
    if isinstance(settings, GenericGatewaySettings):
        return GenericGateway(settings, client)
    return TwilioGateway(settings, client, whatsapp=whatsapp)


def build_channels(
    settings: NotificationSettings,
    sessions: async_sessionmaker[AsyncSession],
    client: HttpClient,
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

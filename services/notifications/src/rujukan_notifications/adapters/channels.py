"""The channels a deployment offers, built from settings: e-mail and the inbox always, SMS and
WhatsApp when a gateway is configured, webhooks when an agency has one."""

from __future__ import annotations

import httpx
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

"""What notifications' API answers: one model per response, so OpenAPI shows each body."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from rujukan_notifications.domain.alerts import OPS_INBOX, FiledAlert
from rujukan_notifications.domain.audience import Audience
from rujukan_notifications.domain.channels import ChannelName
from rujukan_notifications.domain.deliveries import DeliveryState, Outcome


class AttemptRead(BaseModel):
    """One dispatch step of a delivery."""

    #: the delivery's attempt count after this step
    attempt: int
    outcome: Outcome
    provider: str | None
    detail: str | None
    duration_ms: int | None
    at: datetime


class DeliveryRead(BaseModel):
    """A message to one audience over one channel, with every step taken to send it."""

    notification_id: UUID
    referral_id: UUID
    audience: Audience
    channel: ChannelName
    #: masked (``w***@example.org``, ``+62*******789``); an inbox or a program code as is
    recipient: str | None
    template: str
    state: DeliveryState
    #: every step that counted; ``waits`` of them waited for the resident's contact, and spent
    #: none of the ``max_attempts`` sends (so ``attempts`` may pass it)
    attempts: int
    waits: int
    last_error: str | None
    #: when the next try is due, while pending
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    #: a resident told in person by the Puskesos: why no channel reached them, as a machine
    #: reason (``no_channel_configured``, ``no_contact``) and in Bahasa Indonesia
    unreachable_reason: str | None = None
    unreachable_detail: str | None = None
    history: list[AttemptRead]


class Deliveries(BaseModel):
    items: list[DeliveryRead]


class InboxMessageRead(BaseModel):
    id: UUID
    subject: str
    body: str
    created_at: datetime


class InboxPage(BaseModel):
    """Newest first; ``next_cursor`` reads on (``None``: nothing older)."""

    items: list[InboxMessageRead]
    next_cursor: str | None


class Preview(BaseModel):
    """A template rendered with sample data (an SMS has no subject: ``""``)."""

    subject: str
    body: str


class AlertsFiled(BaseModel):
    inbox: str = OPS_INBOX
    alerts: list[FiledAlert]

"""The operator inbox: messages stored in notifications' database, read over HTTP."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rujukan_notifications.adapters.repository import InboxRepository
from rujukan_notifications.domain.channels import DeliveryFailed
from rujukan_notifications.domain.messages import Message


class InboxChannel:
    """Writes in its own transaction, keyed by the delivery id, so a retried delivery cannot
    leave two copies in an inbox."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def provider(self, recipient: str) -> str:
        return "inbox"

    async def send(self, recipient: str, message: Message) -> None:
        if message.delivery_id is None:
            raise DeliveryFailed("pesan kotak masuk memerlukan id pengirimannya", retryable=False)
        async with self._sessions() as session, session.begin():
            await InboxRepository(session).deliver(
                message.delivery_id,
                recipient=recipient,
                subject=message.subject,
                body=message.body,
            )

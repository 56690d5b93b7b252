"""Notifications' unit of work: its repositories on one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_notifications.adapters.repository import (
    AlertRepository,
    ContactRepository,
    DeliveryRepository,
    InboxRepository,
)
from rujukan_platform.runtime import Runtime
from rujukan_platform.uow import UnitOfWork


class NotificationsUnitOfWork(UnitOfWork):
    contacts: ContactRepository
    deliveries: DeliveryRepository
    inbox: InboxRepository
    alerts: AlertRepository

    def _open(self, session: AsyncSession) -> None:
        self.contacts = ContactRepository(session)
        self.deliveries = DeliveryRepository(session)
        self.inbox = InboxRepository(session)
        self.alerts = AlertRepository(session)


UnitsOfWork = Callable[[], NotificationsUnitOfWork]
"""A new unit of work at each call."""


def units_of(runtime: Runtime[Any]) -> UnitsOfWork:
    """The runtime's units of work (their commits wake the outbox relay), typed as ours: the
    service's definition names ``NotificationsUnitOfWork`` as its class."""
    return lambda: cast(NotificationsUnitOfWork, runtime.unit_of_work())

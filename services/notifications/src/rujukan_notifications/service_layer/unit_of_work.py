"""Notifications' unit of work: its repositories on one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from rujukan_notifications.adapters.repository import (
    AlertRepository,
    ContactRepository,
    DeliveryRepository,
    InboxRepository,
    NewsRepository,
)
from rujukan_notifications.adapters.silence import SilencedHouseholds
from rujukan_platform.runtime import Runtime
from rujukan_platform.uow import UnitOfWork


class NotificationsUnitOfWork(UnitOfWork):
    contacts: ContactRepository
    news: NewsRepository
    deliveries: DeliveryRepository
    inbox: InboxRepository
    alerts: AlertRepository
    silenced: SilencedHouseholds


UnitsOfWork = Callable[[], NotificationsUnitOfWork]
"""A new unit of work at each call."""


def units_of(runtime: Runtime[Any]) -> UnitsOfWork:
    """The runtime's units of work (their commits wake the outbox relay), typed as ours: the
    service's definition names ``NotificationsUnitOfWork`` as its class."""
    return lambda: cast(NotificationsUnitOfWork, runtime.unit_of_work())

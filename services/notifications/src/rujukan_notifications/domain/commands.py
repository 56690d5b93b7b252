"""What callers ask notifications to do (the handler table's commands; events come from the
contracts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rujukan_notifications.domain.alerts import Alert


@dataclass(frozen=True, slots=True)
class FileAlerts:
    """Alertmanager's alerts into the operators' inbox, one message per occurrence."""

    alerts: Sequence[Alert]

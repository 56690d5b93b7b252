"""Notifications' settings: where the SMTP server is and how hard to try."""

from __future__ import annotations

from rujukan_platform.settings import ServiceSettings


class NotificationSettings(ServiceSettings):
    service: str = "notifications"
    port: int = 8004
    database: str = "notifications"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_sender: str = "Rujukan SLRT <noreply@rujukan.example>"
    smtp_timeout_seconds: float = 10.0
    max_attempts: int = 5
    dispatch_poll_seconds: float = 0.1

"""Referral router's settings."""

from __future__ import annotations

from rujukan_platform.settings import ServiceSettings


class RouterSettings(ServiceSettings):
    service: str = "referral-router"
    port: int = 8003
    database: str = "router"
    sla_check_seconds: float = 30.0
    sla_grace_days: int = 2

"""Referral router's settings."""

from __future__ import annotations

from rujukan_platform.settings import ServiceSettings


class RouterSettings(ServiceSettings):
    service: str = "referral-router"
    port: int = 8003
    database: str = "router"

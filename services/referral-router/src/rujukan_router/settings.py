"""Referral router's settings."""

from __future__ import annotations

from rujukan_platform.settings import ServiceSettings


class RouterSettings(ServiceSettings):
    service: str = "referral-router"
    port: int = 8003
    database: str = "router"
    # The router writes ~2 outbox rows and 3 Kafka records per referral, ~3 referrals per
    # intake: bigger batches halve its round trips per household (bench/results).
    consumer_batch: int = 1000
    outbox_batch: int = 2000
    sla_check_seconds: float = 30.0
    sla_grace_days: int = 2

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
    # At low rates a batch of one intake costs as much as a batch of a hundred: let the broker
    # gather up to 64 KiB (~40 intakes) for at most 25 ms (measured: a third less CPU at
    # 200 intakes/s, the same latency percentiles).
    consumer_fetch_min_bytes: int = 65536
    consumer_fetch_max_wait_ms: int = 25
    sla_check_seconds: float = 30.0
    sla_grace_days: int = 2

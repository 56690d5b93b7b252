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
    # RUJUKAN_REFERRAL_ROUTER_CONSUMER_FETCH_MIN_BYTES=65536 and _FETCH_MAX_WAIT_MS=25 let the
    # broker gather batches at low rates: a third less CPU at 200 intakes/s, the same latency
    # percentiles, but ~5 % less throughput at full load (bench/results); the defaults favour
    # throughput.
    sla_check_seconds: float = 30.0
    sla_grace_days: int = 2

"""Notifications' own metrics (bounded labels: channel names, results, configured providers)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DELIVERIES = Counter(
    "rujukan_notifications_deliveries_total",
    "Deliveries finished, by channel and result (sent, failed, skipped)",
    ["channel", "result"],
)
ATTEMPTS = Counter(
    "rujukan_notifications_attempts_total",
    "Dispatch steps by channel and outcome (sent, retry, failed, skipped, waiting, deferred,"
    " circuit_open, released, taken_over)",
    ["channel", "outcome"],
)
SEND_DURATION = Histogram(
    "rujukan_notifications_send_seconds",
    "Time a provider took to take (or refuse) one message",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TAKEOVERS = Counter(
    "rujukan_notifications_takeovers_total",
    "Deliveries taken over from a sender whose lease expired mid-send (it died or stalled):"
    " each is sent again with the same idempotency handle",
    ["channel"],
)
DB_WAITS = Counter(
    "rujukan_notifications_dispatch_db_waits_total",
    "Times the dispatcher waited for PostgreSQL (restarting, connection lost) while holding"
    " claims, instead of leaving them to be taken over",
)
CLAIMS_LOST = Counter(
    "rujukan_notifications_claims_lost_total",
    "Results not recorded because the delivery had been taken over meanwhile",
    ["channel"],
)
VISIT_MESSAGES = Counter(
    "rujukan_notifications_visit_messages_total",
    "Messages planned for residents, each summing up one visit's news",
)
TOLD_IN_PERSON = Counter(
    "rujukan_notifications_told_in_person_total",
    "Residents no channel reached, handed to the village Puskesos to tell in person, by reason"
    " (no_channel_configured, no_contact, undeliverable)",
    ["reason"],
)
CIRCUIT_STATE = Gauge(
    "rujukan_notifications_circuit_state",
    "Circuit breaker per provider: 0 closed, 1 half-open, 2 open",
    ["provider"],
)
CIRCUIT_VALUES = {"closed": 0, "half_open": 1, "open": 2}
DUE_DELIVERIES = Gauge(
    "rujukan_notifications_due_deliveries",
    "Pending deliveries whose time has come and that no dispatcher has taken yet, by channel"
    " (a channel no running release knows shows here too)",
    ["channel"],
)
OLDEST_DUE = Gauge(
    "rujukan_notifications_oldest_due_seconds",
    "How long the longest-waiting due delivery has been due, by channel (0: none due)",
    ["channel"],
)

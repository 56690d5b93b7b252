"""Every platform metric name, in one module (Prometheus naming, bounded label sets).

Services add their domain metrics in their own ``metrics.py``; the plumbing's live here.

Every label takes its values from a closed set: route templates (never raw paths), the standard
HTTP methods (``other`` for the rest, so a client inventing methods cannot add series), status
codes, consumer names written in code, and topics of the program catalogue. No ``_created``
series: prometheus_client reads the switch when it renders, and every service imports this
module before it serves ``/metrics``, so one call here covers the services' own metrics too.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # type: ignore[no-untyped-call]  # a _created series per label set says nothing

#: the methods of RFC 9110 and PATCH (RFC 5789); any other is counted as ``other``
HTTP_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)


def method_label(method: str) -> str:
    """The ``method`` label of a request: its method if standard, else ``other``."""
    return method if method in HTTP_METHODS else "other"


HTTP_REQUESTS = Counter(
    "rujukan_http_requests_total", "HTTP requests served", ["route", "method", "status"]
)
HTTP_DURATION = Histogram(
    "rujukan_http_request_duration_seconds",
    "HTTP request duration",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_CONSUMED = Counter(
    "rujukan_events_consumed_total",
    "Events read by a consumer, by result (processed, duplicate, dlq)",
    ["consumer", "topic", "result"],
)
EVENT_PROCESSING = Histogram(
    "rujukan_event_batch_processing_seconds",
    "Time to process one consumer batch, database commit included",
    ["consumer"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENT_LATENCY = Histogram(
    "rujukan_event_end_to_end_seconds",
    "From the event's ce_time to the end of its processing",
    ["consumer"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
CONSUMER_RETRIES = Counter(
    "rujukan_consumer_retries_total", "Batches retried after a transient failure", ["consumer"]
)
CONSUMER_LAG = Gauge(
    "rujukan_consumer_lag", "Messages behind the high watermark", ["consumer", "topic", "partition"]
)
DLQ_MESSAGES = Counter(
    "rujukan_dlq_messages_total", "Messages sent to a dead-letter topic", ["consumer", "topic"]
)
EVENTS_PUBLISHED = Counter(
    "rujukan_events_published_total", "Events relayed from the outbox to Kafka", ["topic"]
)
OUTBOX_BACKLOG = Gauge("rujukan_outbox_backlog", "Outbox rows not yet published")
OUTBOX_OLDEST_AGE = Gauge(
    "rujukan_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row"
)
OUTBOX_RELAY_ERRORS = Counter("rujukan_outbox_relay_errors_total", "Relay batches that failed")
CONSUMER_WAITING = Gauge(
    "rujukan_consumer_waiting",
    "1 while a consumer waits out a transient failure (database or broker away), partitions paused",
    ["consumer"],
)
CONSUMER_PAUSED = Gauge(
    "rujukan_consumer_paused",
    "1 while a partition is paused because it dead-lettered faster than its DLQ limit allows",
    ["consumer", "topic", "partition"],
)
CONSUMER_RECORD_FAILURES = Counter(
    "rujukan_consumer_record_failures_total",
    "Tries of one record that failed for a reason other than weather",
    ["consumer"],
)
TASK_RESTARTS = Counter(
    "rujukan_task_restarts_total",
    "Background tasks of a service process restarted after they failed",
    ["task"],
)

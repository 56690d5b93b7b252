"""The router's domain metrics (platform metrics live in rujukan_platform.metrics).

Counted from the events the outbox relay actually published — after commit and Kafka's
acknowledgement — so a rolled-back or retried batch is never counted. Labels are bounded:
program codes (the catalogue), statuses (the lifecycle), provinces (38).
"""

from __future__ import annotations

import collections
from collections.abc import Sequence

import orjson
from prometheus_client import Counter

from rujukan_contracts.events import ESCALATION_CHAIN, ReferralStatusChangedV1, escalation_role
from rujukan_contracts.topics import REFERRALS_STATUS
from rujukan_platform.outbox import OutboxEvent

REFERRALS = Counter(
    "rujukan_router_referrals_total",
    "Referral lifecycle changes published, by program, new status and province",
    ["program", "status", "province"],
)
SLA_BREACHES = Counter(
    "rujukan_router_sla_breaches_total",
    "Deadlines missed (each escalation or expiry), by program",
    ["program"],
)
ESCALATIONS = Counter(
    "rujukan_router_escalations_total",
    "Escalations published, by the role that must act now",
    ["program", "escalated_to"],
)


def initialise(program_code: str) -> None:
    """Zero-valued series for a program, so "no breach yet" reads 0, not "no data"."""
    SLA_BREACHES.labels(program_code)
    for role in ESCALATION_CHAIN[1:]:
        ESCALATIONS.labels(program_code, role)


def observe_published(rows: Sequence[OutboxEvent]) -> None:
    """Count the status events among ``rows`` (one label lookup per distinct series)."""
    changes: collections.Counter[tuple[str, str, str]] = collections.Counter()
    escalations: collections.Counter[tuple[str, str]] = collections.Counter()
    breaches: collections.Counter[str] = collections.Counter()
    for row in rows:
        # each change once: a withdrawal also goes on its program's topic, as the same event
        if row.type != ReferralStatusChangedV1.ce_type or row.topic != REFERRALS_STATUS:
            continue
        event = orjson.loads(row.payload)
        program = event["program_code"]
        if event.get("escalated_to"):
            role = event["escalated_to"]
            escalations[(program, escalation_role(role) or role)] += 1
            breaches[program] += 1
            continue
        changes[(program, event["to_status"], event["village_code"][:2])] += 1
        if event["to_status"] == "expired":
            breaches[program] += 1
    for labels, n in changes.items():
        REFERRALS.labels(*labels).inc(n)
    for pair, n in escalations.items():
        ESCALATIONS.labels(*pair).inc(n)
    for program, n in breaches.items():
        SLA_BREACHES.labels(program).inc(n)

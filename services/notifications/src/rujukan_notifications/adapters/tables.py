"""Notifications' tables: residents' contacts (consented only), deliveries and their attempts,
and the operators' inbox."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Identity, Index, Integer, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY

from rujukan_platform.db import new_metadata, time_column, uuid_column

metadata = new_metadata()
outbox = metadata.tables["outbox"]

contacts = Table(
    "contacts",
    metadata,
    uuid_column("household_id", primary_key=True),
    Column("language", Text, nullable=False),
    Column("email", Text, nullable=True),
    Column("phone", Text, nullable=True),
    # the channels consented to (email, sms, whatsapp), decided when the intake arrived
    Column("channels", ARRAY(Text), nullable=False),
    time_column("updated_at", nullable=False, now=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    uuid_column("id", primary_key=True),
    uuid_column("source_event_id", nullable=False),
    uuid_column("referral_id", nullable=False, index=True),
    uuid_column("household_id", nullable=False),
    Column("audience", Text, nullable=False),  # resident, operator, supervisor, agency
    Column("channel", Text, nullable=False),
    # operators' inbox and agencies' program code; residents' contact stays in `contacts`
    Column("address", Text, nullable=True),
    Column("recipient_masked", Text, nullable=True),
    Column("template", Text, nullable=False),
    Column("context", Text, nullable=False),
    Column("state", Text, nullable=False),  # pending, sending, sent, failed, skipped
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    time_column("next_attempt_at", nullable=False, now=True),
    time_column("created_at", nullable=False, now=True),
    time_column("sent_at", nullable=True),
    # while ``sending``: the dispatcher that claimed the row and until when its claim holds
    Column("claimed_by", Text, nullable=True),
    time_column("lease_until", nullable=True),
    Index(
        "uq_deliveries_source_audience_channel",
        "source_event_id",
        "audience",
        "channel",
        unique=True,
    ),
    Index("ix_deliveries_pending", "next_attempt_at", postgresql_where="state = 'pending'"),
    Index("ix_deliveries_sending", "lease_until", postgresql_where="state = 'sending'"),
    Index("ix_deliveries_household_sent", "household_id", "sent_at"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    uuid_column(
        "delivery_id",
        ForeignKey("deliveries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("attempt", Integer, nullable=False),  # the delivery's attempt count after this step
    # sent, retry, failed, skipped, waiting, deferred, circuit_open, released, taken_over
    Column("outcome", Text, nullable=False),
    Column("provider", Text, nullable=True),
    Column("detail", Text, nullable=True),
    Column("duration_ms", Integer, nullable=True),
    time_column("at", nullable=False),
)

inbox_messages = Table(
    "inbox_messages",
    metadata,
    # the delivery's id: a delivery sent twice is stored once
    uuid_column("id", primary_key=True),
    Column("recipient", Text, nullable=False),  # puskesos:<village>, supervisor:<regency>, ops
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    time_column("created_at", nullable=False, now=True),
    # an Alertmanager alert: "<fingerprint>/<startsAt>", and firing or resolved
    Column("alert_key", Text, nullable=True),
    Column("alert_status", Text, nullable=True),
    Index("uq_inbox_messages_alert_key", "alert_key", unique=True),
    Index("ix_inbox_messages_recipient_created", "recipient", "created_at"),
)

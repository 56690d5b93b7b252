"""Notifications' tables: residents' contact points (consented only) and deliveries."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from rujukan_platform.db import new_metadata

metadata = new_metadata()
outbox = metadata.tables["outbox"]

contacts = Table(
    "contacts",
    metadata,
    Column("household_id", UUID(as_uuid=True), primary_key=True),
    Column("language", Text, nullable=False),
    Column("email", Text, nullable=True),
    Column("phone", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("source_event_id", UUID(as_uuid=True), nullable=False),
    Column("referral_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("household_id", UUID(as_uuid=True), nullable=False),
    Column("channel", Text, nullable=False),
    Column("recipient_masked", Text, nullable=True),
    Column("template", Text, nullable=False),
    Column("context", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Index("uq_deliveries_source_channel", "source_event_id", "channel", unique=True),
    Index("ix_deliveries_pending", "next_attempt_at", postgresql_where="state = 'pending'"),
)

"""Intake's tables. NIK and KK are stored only as keyed hashes: no digit of either, since a
member's birth date, sex and village already give twelve of the NIK's sixteen digits."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from rujukan_platform.db import new_metadata

metadata = new_metadata()

households = Table(
    "households",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("kk_hash", Text, nullable=False, unique=True),
    Column("village_code", Text, nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

members = Table(
    "members",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("household_id", UUID(as_uuid=True), ForeignKey("households.id"), nullable=False),
    Column("nik_hash", Text, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", Text, nullable=False),
    Column("relationship", Text, nullable=False),
    Column("attributes", JSONB, nullable=False),
    Index("ix_members_household_nik", "household_id", "nik_hash", unique=True),
)

intakes = Table(
    "intakes",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("household_id", UUID(as_uuid=True), ForeignKey("households.id"), nullable=False),
    Column("idempotency_key", Text, nullable=True),
    Column("principal", Text, nullable=False),
    Column("village_code", Text, nullable=False, index=True),
    Column("needs", ARRAY(Text), nullable=False),
    Column("priority_lanes", ARRAY(Text), nullable=False),
    Column("registry", JSONB, nullable=False),
    Column("consent", JSONB, nullable=False),
    Column("taken_by", JSONB, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_intakes_idempotency", "principal", "idempotency_key", unique=True),
    Index("ix_intakes_household_submitted", "household_id", "submitted_at"),
)

# The Idempotency-Keys of submissions answered with an earlier intake of their household (a
# duplicate within the window): no intake row holds them, yet each still names one request.
duplicate_keys = Table(
    "duplicate_keys",
    metadata,
    Column("principal", Text, primary_key=True),
    Column("idempotency_key", Text, primary_key=True),
    Column("intake_id", UUID(as_uuid=True), ForeignKey("intakes.id"), nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
)

identity_reads = Table(
    "identity_reads",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("subject", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("household_id", UUID(as_uuid=True), nullable=False),
    Column("village_code", Text, nullable=False),
    Column("referral_id", UUID(as_uuid=True), nullable=True),
    Column("program_code", Text, nullable=True),
    Column("purpose", Text, nullable=False),
    Index("ix_identity_reads_household", "household_id", "at"),
    Index("ix_identity_reads_village", "village_code", "at"),
)

intake_referrals = Table(
    "intake_referrals",
    metadata,
    Column("referral_id", UUID(as_uuid=True), primary_key=True),
    Column("intake_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("program_code", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("reason_code", Text, nullable=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

registry_households = Table(
    "registry_households",
    metadata,
    Column("kk_hash", Text, primary_key=True),
    Column("decile", Integer, nullable=False),
    Column("enrolments", ARRAY(Text), nullable=False),
    Column("has_kks", Boolean, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

"""Intake's tables. NIK and KK are looked up only by their keyed hashes; the numbers
themselves, like names, addresses and contacts, are stored only sealed (``adapters.names``), for
the owning agency of an open, consented referral to read (``service_layer.identity``)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from rujukan_platform.db import new_metadata, time_column, uuid_column

metadata = new_metadata()

households = Table(
    "households",
    metadata,
    uuid_column("id", primary_key=True),
    Column("kk_hash", Text, nullable=False, unique=True),
    Column("village_code", Text, nullable=False, index=True),
    # sealed; None before revision 0008 (a hash gives nothing back)
    Column("kk_number", Text, nullable=True),
    # sealed, free text (street, RT/RW, dusun); the latest an intake gave
    Column("address", Text, nullable=True),
    time_column("created_at", nullable=False, now=True),
)

members = Table(
    "members",
    metadata,
    uuid_column("id", primary_key=True),
    uuid_column("household_id", ForeignKey("households.id"), nullable=False),
    Column("nik_hash", Text, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("nik", Text, nullable=True),  # sealed; None before revision 0008
    Column("birth_date", Date, nullable=False),
    Column("sex", Text, nullable=False),
    Column("relationship", Text, nullable=False),
    Column("attributes", JSONB, nullable=False),
    Index("ix_members_household_nik", "household_id", "nik_hash", unique=True),
)

intakes = Table(
    "intakes",
    metadata,
    uuid_column("id", primary_key=True),
    uuid_column("household_id", ForeignKey("households.id"), nullable=False),
    Column("idempotency_key", Text, nullable=True),
    Column("principal", Text, nullable=False),
    Column("village_code", Text, nullable=False, index=True),
    Column("needs", ARRAY(Text), nullable=False),
    Column("priority_lanes", ARRAY(Text), nullable=False),
    Column("registry", JSONB, nullable=False),
    Column("consent", JSONB, nullable=False),
    Column("taken_by", JSONB, nullable=False),
    # the contact the resident gave (ContactPoint JSON), sealed; the documents they said they lack
    Column("contact", Text, nullable=True),
    Column("missing_documents", ARRAY(Text), nullable=True),
    Column("request_hash", Text, nullable=False),
    time_column("submitted_at", nullable=False, now=True),
    # a follow-up visit: the household's first intake within the duplicate window
    uuid_column("visit_of", ForeignKey("intakes.id"), nullable=True, index=True),
    # what the visit said (members, household, needs, complaint, lanes): a repeat has the same
    Column("content_hash", Text, nullable=True),
    # the households (other KKs) its members already belonged to, by NIK hash: [household_id]
    # (None: intakes from before the check)
    Column("possible_duplicates", JSONB, nullable=True),
    # the visit's complaint as the resident said it (kind, category, text, what about)
    Column("complaint", JSONB, nullable=True),
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
    uuid_column("intake_id", ForeignKey("intakes.id"), nullable=False),
    Column("request_hash", Text, nullable=False),
    time_column("submitted_at", nullable=False),
)

identity_reads = Table(
    "identity_reads",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    time_column("at", nullable=False, now=True),
    Column("subject", Text, nullable=False),
    Column("role", Text, nullable=False),
    uuid_column("household_id", nullable=False),
    Column("village_code", Text, nullable=False),
    uuid_column("referral_id", nullable=True),
    Column("program_code", Text, nullable=True),
    Column("purpose", Text, nullable=False),
    Index("ix_identity_reads_household", "household_id", "at"),
    Index("ix_identity_reads_village", "village_code", "at"),
)

intake_referrals = Table(
    "intake_referrals",
    metadata,
    uuid_column("referral_id", primary_key=True),
    uuid_column("intake_id", nullable=False, index=True),
    Column("reference", Text, nullable=True),  # RJK-3304-7F3K2Q, as the router stores it
    Column("program_code", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("reason_code", Text, nullable=True),
    time_column("changed_at", nullable=False),
    Column("kind", Text, nullable=False, server_default="need"),  # need, complaint
    Index("uq_intake_referrals_reference", "reference", unique=True),
)

# What intake knows of each program from programs.catalog: its name and the documents a
# resident brings to it, for the agency reading a referral's household.
intake_programs = Table(
    "intake_programs",
    metadata,
    Column("code", Text, primary_key=True),
    Column("name", JSONB, nullable=False),
    Column("required_documents", ARRAY(Text), nullable=False),
    time_column("published_at", nullable=False),
)

registry_households = Table(
    "registry_households",
    metadata,
    Column("kk_hash", Text, primary_key=True),
    Column("decile", Integer, nullable=False),
    Column("enrolments", ARRAY(Text), nullable=False),
    Column("has_kks", Boolean, nullable=False),
    time_column("loaded_at", nullable=False, now=True),
)

# The registry's members by the NIK's keyed hash: a household is found by any member's NIK
# when its KK was mistyped or replaced.
registry_members = Table(
    "registry_members",
    metadata,
    Column("nik_hash", Text, primary_key=True),
    Column("kk_hash", ForeignKey("registry_households.kk_hash"), nullable=False, index=True),
)

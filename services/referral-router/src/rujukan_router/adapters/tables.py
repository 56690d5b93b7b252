"""Referral router's tables: its view of the catalogue, referrals, their history, decisions."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    Date,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSON, JSONB

from rujukan_platform.db import new_metadata, time_column, uuid_column
from rujukan_router.domain.lifecycle import CLOSED

metadata = new_metadata()
outbox = metadata.tables["outbox"]

catalogue = Table(
    "catalogue",
    metadata,
    Column("code", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("program", JSONB, nullable=False),
    time_column("updated_at", nullable=False, now=True),
)

# Indexes are chosen for the write path as much as for queries: the 'delivered' update (once per
# referral, thousands a second) changes no indexed column, so with room on the page (fillfactor)
# PostgreSQL updates the row in place (HOT) without touching the seven indexes. That is why the
# open-referral rule reads the stored ``open`` flag rather than ``status``, and why listings by
# program use (program_code, created_at) rather than an index on status.
TERMINAL_SQL = "(" + ", ".join(sorted(f"'{s.value}'" for s in CLOSED)) + ")"
referrals = Table(
    "referrals",
    metadata,
    uuid_column("id", primary_key=True),
    # what people read and type (``rujukan_contracts.references``): computed from the id and the
    # village in Python, written by the same COPY; unique, so a collision is never shared
    Column("reference", Text, nullable=False),
    uuid_column("intake_id", nullable=False, index=True),
    uuid_column("household_id", nullable=False, index=True),
    Column("program_code", Text, nullable=False),
    Column("program_version", Integer, nullable=False),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("open", Boolean, Computed(f"status NOT IN {TERMINAL_SQL}", persisted=True)),
    Column("reason_code", Text, nullable=True),
    Column("village_code", Text, nullable=False),
    Column("needs", ARRAY(Text), nullable=False),
    Column("priority_lanes", ARRAY(Text), nullable=False),
    Column("rank", Integer, nullable=False),
    uuid_column("decision_id", nullable=False),
    time_column("due_at", nullable=True),
    Column("escalation_level", Integer, nullable=False, server_default="0"),
    Column("queued", Boolean, nullable=False, server_default="false"),
    uuid_column("rerouted_from", nullable=True),
    time_column("created_at", nullable=False),
    time_column("updated_at", nullable=False),
    Index("ix_referrals_program_created", "program_code", "created_at"),
    Index("ix_referrals_due", "due_at", postgresql_where="due_at IS NOT NULL"),
    # text_pattern_ops: region filters are prefixes (village_code LIKE '33.04.%')
    Index(
        "ix_referrals_village", "village_code", postgresql_ops={"village_code": "text_pattern_ops"}
    ),
    Index("uq_referrals_reference", "reference", unique=True),
    # At most one open referral per household and program: re-submissions never duplicate.
    # Complaints are cases of their own beside it (a household may complain about a program
    # it has an open referral to, more than once).
    Index(
        "uq_referrals_open_household_program",
        "household_id",
        "program_code",
        unique=True,
        postgresql_where="open AND kind = 'need'",
    ),
    postgresql_with={"fillfactor": "50"},
)

# What a complaint case (a referral of kind 'complaint') is about, in the resident's words.
complaints = Table(
    "complaints",
    metadata,
    uuid_column("referral_id", primary_key=True),
    Column("kind", Text, nullable=False),  # complaint, question, suggestion
    Column("category", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("about_program", Text, nullable=True),
    uuid_column("about_referral", nullable=True),
)

referral_history = Table(
    "referral_history",
    metadata,
    uuid_column("referral_id", nullable=False),
    Column("seq", BigInteger, Identity(), nullable=False),
    Column("from_status", Text, nullable=True),
    Column("to_status", Text, nullable=False),
    Column("reason_code", Text, nullable=True),
    Column("note", Text, nullable=True),
    Column("actor", Text, nullable=False),
    Column("idempotency_key", Text, nullable=True),
    # SHA-256 of the report the key was first used for (idempotency.fingerprint)
    Column("request_hash", Text, nullable=True),
    time_column("at", nullable=False),
    # one index: a referral's trace in order, and the key every lookup starts from
    PrimaryKeyConstraint("referral_id", "seq"),
    Index(
        "uq_referral_history_idem",
        "referral_id",
        "idempotency_key",
        unique=True,
        postgresql_where="idempotency_key IS NOT NULL",
    ),
)

# One row per evaluation of an intake (routing, a re-route, a replay): the facts every rule
# read, once, and per program its verdict — each criterion's result, the program version, the
# rank. Explanations are rendered from these with the version's rule (adapters/views).
decisions = Table(
    "decisions",
    metadata,
    uuid_column("id", primary_key=True),
    uuid_column("intake_id", nullable=False, index=True),
    Column("cause", Text, nullable=False),
    time_column("evaluated_at", nullable=False),
    Column("facts", JSONB, nullable=False),
    Column("programs", JSONB, nullable=False),
)

# Every program version the router has decided with, so old decisions explain themselves.
program_versions = Table(
    "program_versions",
    metadata,
    Column("code", Text, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("program", JSONB, nullable=False),
    time_column("recorded_at", nullable=False, now=True),
)

# The facts of every intake routed (no personal data), for re-routing and replays.
intakes = Table(
    "intakes",
    metadata,
    uuid_column("intake_id", primary_key=True),
    uuid_column("household_id", nullable=False),
    Column("village_code", Text, nullable=False),
    time_column("submitted_at", nullable=False),
    Column("event", JSON, nullable=False),
    # a household's intakes, newest last: replays take the latest of each household in order
    Index("ix_intakes_household_submitted", "household_id", "submitted_at"),
)

# Referrals counted against each program's capacity, per period.
program_usage = Table(
    "program_usage",
    metadata,
    Column("program_code", Text, primary_key=True),
    Column("period_start", Date, primary_key=True),
    Column("used", Integer, nullable=False),
)

# Replays and what-ifs run as jobs: created by the API, worked through in chunks of households
# by whichever router process holds the lease, resumable from ``cursor`` after a crash.
replays = Table(
    "replays",
    metadata,
    uuid_column("id", primary_key=True),
    Column("status", Text, nullable=False),  # draft, pending, running, done, failed, cancelled
    Column("apply", Boolean, nullable=False),
    Column("programs", ARRAY(Text), nullable=True),  # None: every program
    Column("rule", JSONB, nullable=True),  # what-if: a draft rule for the one program named
    time_column("since", nullable=True),
    Column("requested_by", Text, nullable=False),
    time_column("created_at", nullable=False),
    time_column("started_at", nullable=True),
    time_column("finished_at", nullable=True),
    uuid_column("cursor", nullable=True),  # the last household evaluated
    Column("evaluated", BigInteger, nullable=False, server_default="0"),
    Column("report", JSONB, nullable=False),
    Column("error", Text, nullable=True),
    Column("lease_owner", Text, nullable=True),
    time_column("heartbeat_at", nullable=True),
    Index("ix_replays_status", "status", "created_at"),
)

# Refreshed registry facts a replay evaluates households with (a DTSEN decile update, ...).
replay_registry_updates = Table(
    "replay_registry_updates",
    metadata,
    uuid_column("replay_id", primary_key=True),
    uuid_column("household_id", primary_key=True),
    Column("facts", JSONB, nullable=False),
)

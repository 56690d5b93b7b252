"""Program registry's tables: one row per program holding its whole document (metadata and
every rule version), with a revision number that is the ETag for optimistic concurrency."""

from __future__ import annotations

from sqlalchemy import Column, Integer, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from rujukan_platform.db import new_metadata, time_column, uuid_column

metadata = new_metadata()
outbox = metadata.tables["outbox"]

programs = Table(
    "programs",
    metadata,
    Column("code", Text, primary_key=True),
    Column("owner_agency", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("published_version", Integer, nullable=True),
    Column("document", JSONB, nullable=False),
    Column("updated_by", Text, nullable=False),
    time_column("updated_at", nullable=False, now=True),
)

# Recent intakes (no personal data: the intake event's facts) for explain-by-intake and dry runs.
intake_facts = Table(
    "intake_facts",
    metadata,
    uuid_column("intake_id", primary_key=True),
    Column("village_code", Text, nullable=False),
    time_column("submitted_at", nullable=False, index=True),
    Column("event", JSONB, nullable=False),
)

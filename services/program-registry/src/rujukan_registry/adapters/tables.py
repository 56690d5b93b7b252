"""Program registry's tables: one row per program holding its whole document (metadata and
every rule version), with a revision number that is the ETag for optimistic concurrency."""

from __future__ import annotations

from rujukan_platform.db import new_metadata
from sqlalchemy import Column, DateTime, Integer, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

metadata = new_metadata()
outbox = metadata.tables["outbox"]

programs = Table(
    "programs",
    metadata,
    Column("code", Text, primary_key=True),
    Column("owner_agency", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("document", JSONB, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

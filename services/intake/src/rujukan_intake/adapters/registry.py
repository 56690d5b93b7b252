"""The social-registry (DTKS/DTSEN) check, behind one small interface.

``LocalRegistry`` reads a table loaded from CSV (``python -m rujukan_intake load-registry``);
the table holds KK keyed hashes, never KK numbers. Other adapters (a DCI-style HTTP search)
implement the same ``lookup``.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import RegistryFacts
from rujukan_intake.adapters.tables import registry_households


class RegistryUnavailable(RuntimeError):
    """The registry could not answer now; the intake is refused with 503, nothing lost."""


class SocialRegistry(Protocol):
    async def lookup_many(
        self, session: AsyncSession, kk_numbers: list[str]
    ) -> dict[str, RegistryFacts]:
        """Registry facts for each KK number (found or not); raises ``RegistryUnavailable``."""
        ...


class LocalRegistry:
    """A registry table loaded from CSV, keyed by the KK's keyed hash."""

    source = "local"

    def __init__(self, hash_kk: HashFn) -> None:
        self._hash = hash_kk

    async def lookup_many(
        self, session: AsyncSession, kk_numbers: list[str]
    ) -> dict[str, RegistryFacts]:
        hashes = {self._hash(kk): kk for kk in kk_numbers}
        rows = (
            await session.execute(
                select(registry_households).where(registry_households.c.kk_hash.in_(list(hashes)))
            )
        ).all()
        now = datetime.now(UTC)
        found = {
            hashes[row.kk_hash]: RegistryFacts(
                found=True,
                decile=row.decile,
                enrolments=list(row.enrolments),
                has_kks=row.has_kks,
                source=self.source,
                checked_at=now,
            )
            for row in rows
        }
        missing = RegistryFacts(found=False, source=self.source, checked_at=now)
        return {kk: found.get(kk, missing) for kk in kk_numbers}


def read_registry_csv(path: Path, hash_kk: HashFn) -> list[dict[str, object]]:
    """Rows ``kk,decile,enrolments(;-separated),has_kks`` → table rows keyed by KK hash."""
    rows: list[dict[str, object]] = []
    with path.open(newline="", encoding="utf-8") as f:
        for i, rec in enumerate(csv.DictReader(f), start=2):
            kk = rec["kk"].strip()
            if not (kk.isdigit() and len(kk) == 16):
                raise ValueError(f"{path.name} line {i}: kk must be 16 digits")
            rows.append(
                {
                    "kk_hash": hash_kk(kk),
                    "decile": int(rec["decile"]),
                    "enrolments": [e for e in rec.get("enrolments", "").split(";") if e],
                    "has_kks": rec.get("has_kks", "").strip().lower() in ("1", "true", "yes"),
                }
            )
    return rows


async def load_registry(session: AsyncSession, rows: list[dict[str, object]]) -> int:
    if not rows:
        return 0
    stmt = insert(registry_households).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["kk_hash"],
        set_={
            "decile": stmt.excluded.decile,
            "enrolments": stmt.excluded.enrolments,
            "has_kks": stmt.excluded.has_kks,
        },
    )
    await session.execute(stmt)
    return len(rows)


class HashFn(Protocol):
    def __call__(self, value: str) -> str: ...

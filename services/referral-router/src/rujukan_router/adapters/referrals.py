"""Referrals, their history and the decisions they were made on: all of the write side's SQL.

New rows come in batches (an intake consumer batch makes thousands) and are written with one
binary ``COPY`` per kind of row; the hot statements (the households' open referrals, delivery)
are one set-based statement per batch on the driver's connection. Everything else is a
statement per referral through SQLAlchemy Core: an agency's answer, a missed deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg
from sqlalchemy import select

from rujukan_contracts.events import ReferralStatus
from rujukan_platform.db import copy_records, driver_connection
from rujukan_platform.uow import Repository
from rujukan_router.adapters.tables import intakes, referral_history, referrals


class DecisionRow(NamedTuple):
    """One evaluation of an intake: the facts the rules read and each program's verdict
    (both JSON text, written as they are)."""

    id: UUID
    intake_id: UUID
    cause: str
    evaluated_at: datetime
    facts: str
    programs: str


class ReferralRow(NamedTuple):
    """A new referral, column by column as ``COPY`` writes it."""

    id: UUID
    #: ``referral_reference(id, village_code)``; a reference already taken fails the ``COPY``
    #: on ``uq_referrals_reference`` (see ``ReferralRepository.add``)
    reference: str
    intake_id: UUID
    household_id: UUID
    program_code: str
    program_version: int
    kind: str
    status: str
    village_code: str
    needs: list[str]
    priority_lanes: list[str]
    rank: int
    decision_id: UUID
    due_at: datetime
    escalation_level: int
    queued: bool
    rerouted_from: UUID | None
    created_at: datetime
    updated_at: datetime


class ComplaintRow(NamedTuple):
    """What a complaint case is about, in the resident's words (``complaints``)."""

    referral_id: UUID
    kind: str
    category: str
    text: str
    about_program: str | None
    about_referral: UUID | None


class ComplaintLink(NamedTuple):
    """A need referral a complaint may be about: named by it, or open to the program it goes
    to."""

    id: UUID
    household_id: UUID
    program_code: str
    open: bool


class HistoryRow(NamedTuple):
    """One status change of a referral. ``idempotency_key`` and ``request_hash``: the report
    that caused it, when an agency named it (``ReportOutcome``)."""

    referral_id: UUID
    from_status: str | None
    to_status: str
    note: str | None
    actor: str
    at: datetime
    reason_code: str | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None


class ReferralRef(NamedTuple):
    """A referral as its status events name it."""

    id: UUID
    intake_id: UUID
    household_id: UUID
    program_code: str
    village_code: str
    due_at: datetime | None
    escalation_level: int = 0
    kind: str = "need"


@dataclass(frozen=True, slots=True)
class StoredReferral:
    """What the write side reads of a stored referral: what its status events name, where it
    stands, the needs a re-route must serve and the lanes its deadlines are counted for."""

    id: UUID
    intake_id: UUID
    household_id: UUID
    program_code: str
    village_code: str
    status: str
    reason_code: str | None
    due_at: datetime | None
    escalation_level: int
    needs: list[str]
    priority_lanes: list[str]
    kind: str = "need"

    @classmethod
    def of(cls, row: Any) -> StoredReferral:
        return cls(*row)


_STORED = [referrals.c[f.name] for f in fields(StoredReferral)]


@dataclass(frozen=True, slots=True)
class Step:
    """Where a change leaves a referral: its status, and what that status waits on."""

    status: str
    reason_code: str | None
    due_at: datetime | None
    escalation_level: int


class KeyedReport(NamedTuple):
    """The report an idempotency key was first used for on a referral (``request_hash`` None:
    stored before migration 0006; its other columns hold the report)."""

    request_hash: str | None
    to_status: str
    reason_code: str | None
    note: str | None


_REF = ", ".join(ReferralRef._fields)
REFERENCE_INDEX = "uq_referrals_reference"


class ReferenceTaken(RuntimeError):
    """A new referral drew a reference another referral holds (rare: see ``add``)."""


class ReferralRepository(Repository):
    """The referrals of one unit of work."""

    # -- new rows, a batch at a time ---------------------------------------------------------

    async def add(
        self,
        decisions: Sequence[DecisionRow],
        referrals_: Sequence[ReferralRow],
        history: Sequence[HistoryRow],
    ) -> None:
        """Write a batch's decisions, referrals and their first history rows (``COPY`` each).

        A reference another referral holds (about one in a thousand referrals once a regency has
        a million) fails the unit of work with ``ReferenceTaken``: nothing is written, and the
        retry — the consumer's, or the client's — makes the referrals with new ids, so new
        references. Nothing is lost and no reference is ever shared."""
        await copy_records(self._session, "decisions", DecisionRow._fields, decisions)
        try:
            await copy_records(self._session, "referrals", ReferralRow._fields, referrals_)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name != REFERENCE_INDEX:
                raise
            raise ReferenceTaken(
                "a new referral's reference is already another referral's: the unit of work is"
                " undone, and its retry makes the referrals with new ids"
            ) from exc
        await self.add_history(history)

    async def add_history(self, history: Sequence[HistoryRow]) -> None:
        await copy_records(self._session, "referral_history", HistoryRow._fields, history)

    async def add_complaints(self, complaints_: Sequence[ComplaintRow]) -> None:
        await copy_records(self._session, "complaints", ComplaintRow._fields, complaints_)

    async def complaint_links(
        self, household_ids: Sequence[UUID], referral_ids: Sequence[UUID]
    ) -> list[ComplaintLink]:
        """The households' open need referrals, and the need referrals complaints name (one
        statement a batch; only batches with complaints ask)."""
        conn = await driver_connection(self._session)
        rows = await conn.fetch(
            "SELECT id, household_id, program_code, open FROM referrals WHERE kind = 'need'"
            " AND ((household_id = ANY($1::uuid[]) AND open) OR id = ANY($2::uuid[]))",
            list(household_ids),
            list(referral_ids),
        )
        return [ComplaintLink(*r) for r in rows]

    async def open_programs(self, household_ids: Sequence[UUID]) -> dict[UUID, set[str]]:
        """The programs each household has an open referral to (complaint cases aside)."""
        found: dict[UUID, set[str]] = {}
        if not household_ids:
            return found
        conn = await driver_connection(self._session)
        rows = await conn.fetch(
            "SELECT household_id, program_code FROM referrals"
            " WHERE household_id = ANY($1::uuid[]) AND open AND kind = 'need'",
            list(household_ids),
        )
        for household_id, code in rows:
            found.setdefault(household_id, set()).add(code)
        return found

    async def programs_of_intake(self, intake_id: UUID) -> set[str]:
        """Every program an intake was ever referred to."""
        rows = await self._session.execute(
            select(referrals.c.program_code).where(referrals.c.intake_id == intake_id)
        )
        return set(rows.scalars())

    # -- set-based moves -----------------------------------------------------------------

    async def move_all(
        self, ids: Sequence[str], *, from_status: ReferralStatus, to: ReferralStatus, at: datetime
    ) -> list[ReferralRef]:
        """Move every referral of ``ids`` (uuid text) still in ``from_status`` to ``to``, in one
        statement (no indexed column changes: PostgreSQL updates the rows in place)."""
        conn = await driver_connection(self._session)
        rows = await conn.fetch(
            "UPDATE referrals SET status = $2, updated_at = $3"
            f" WHERE id = ANY($1::uuid[]) AND status = $4 RETURNING {_REF}",
            list(ids),  # uuid text: asyncpg parses it in C
            to.value,
            at,
            from_status.value,
        )
        return [ReferralRef(*r) for r in rows]

    # -- one referral at a time ----------------------------------------------------------

    async def lock(self, referral_id: UUID) -> StoredReferral | None:
        """The referral, locked until the unit of work ends."""
        row = (
            await self._session.execute(
                select(*_STORED).where(referrals.c.id == referral_id).with_for_update()
            )
        ).first()
        return StoredReferral.of(row) if row is not None else None

    async def lock_open_of(self, household_id: UUID, *, until: datetime) -> list[StoredReferral]:
        """The household's open referrals and complaint cases made from intakes submitted up
        to ``until``, locked until the unit ends (a later intake's stand)."""
        rows = await self._session.execute(
            select(*_STORED)
            .join(intakes, intakes.c.intake_id == referrals.c.intake_id)
            .where(
                referrals.c.household_id == household_id,
                referrals.c.open,
                intakes.c.submitted_at <= until,
            )
            .order_by(referrals.c.id)
            .with_for_update(of=referrals)
        )
        return [StoredReferral.of(row) for row in rows]

    async def report_under(self, referral_id: UUID, key: str) -> KeyedReport | None:
        """What was reported on the referral under an idempotency key, if anything."""
        row = (
            await self._session.execute(
                select(
                    *(referral_history.c[name] for name in KeyedReport._fields),
                ).where(
                    referral_history.c.referral_id == referral_id,
                    referral_history.c.idempotency_key == key,
                )
            )
        ).first()
        return KeyedReport(*row) if row is not None else None

    async def change(self, referral_id: UUID, step: Step, at: datetime) -> StoredReferral:
        """Put the referral on ``step`` (its status already allowed by ``lifecycle``)."""
        values = {f.name: getattr(step, f.name) for f in fields(step)}
        row = (
            await self._session.execute(
                referrals.update()
                .where(referrals.c.id == referral_id)
                .values(**values, updated_at=at)
                .returning(*_STORED)
            )
        ).one()
        return StoredReferral.of(row)

    async def due(self, now: datetime, limit: int) -> list[StoredReferral]:
        """Open referrals past their deadline, oldest deadline first, locked; rows another
        replica holds are skipped (it fires them)."""
        rows = await self._session.execute(
            select(*_STORED)
            .where(referrals.c.due_at <= now, referrals.c.open)
            .order_by(referrals.c.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [StoredReferral.of(r) for r in rows]

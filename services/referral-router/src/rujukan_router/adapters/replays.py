"""Replay jobs: created by the API, worked through a chunk of households at a time by whichever
router process holds the job's lease, resumable from their cursor after a crash.

The chunk query is the replay's hot path (the whole registry, 2,000 households a transaction):
it runs on the driver's connection and returns the stored JSON as text, decoded once by the
caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

import orjson
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from rujukan_contracts.events import RegistryFacts
from rujukan_platform.db import driver_connection
from rujukan_platform.uow import Repository
from rujukan_router.adapters.tables import replay_registry_updates, replays

ACTIVE = ("pending", "running")
FINISHED = ("done", "failed", "cancelled")


@dataclass(frozen=True, slots=True)
class ReplayJob:
    """What a job asks of the households it re-evaluates."""

    id: UUID
    status: str  # draft, pending, running, done, failed, cancelled
    apply: bool
    programs: list[str] | None
    rule: dict[str, Any] | None
    since: datetime | None

    @classmethod
    def of(cls, row: Any) -> ReplayJob:
        return cls(*row)


_JOB = [replays.c[f.name] for f in fields(ReplayJob)]


class Progress(NamedTuple):
    """Where a job stands, read under its row lock at the start of a chunk."""

    status: str
    lease_owner: str | None
    cursor: UUID | None
    report: dict[str, Any]


class Household(NamedTuple):
    """A household's latest intake as a chunk reads it: the intake's JSON, every stored
    decision's verdicts (a JSON array of arrays, oldest first) and the refreshed facts the job
    carries for the household, if any."""

    intake_id: UUID
    household_id: UUID
    event: str
    decided_before: str | None
    registry: str | None


_CHUNK_SQL = (
    "SELECT DISTINCT ON (i.household_id) i.intake_id, i.household_id, i.event::text,"
    " (SELECT jsonb_agg(d.programs ORDER BY d.evaluated_at, d.id)::text FROM decisions d"
    "  WHERE d.intake_id = i.intake_id),"
    " u.facts::text"
    " FROM intakes i LEFT JOIN replay_registry_updates u"
    "  ON u.replay_id = $1 AND u.household_id = i.household_id"
    " WHERE ($2::uuid IS NULL OR i.household_id > $2)"
    " AND ($3::timestamptz IS NULL OR i.submitted_at >= $3)"
    " ORDER BY i.household_id, i.submitted_at DESC LIMIT $4"
)


class ReplayRepository(Repository):
    async def add(
        self, job: ReplayJob, *, requested_by: str, at: datetime, report: Mapping[str, Any]
    ) -> None:
        """A new job, with who asked for it and its empty report."""
        values = {f.name: getattr(job, f.name) for f in fields(job)}
        await self._session.execute(
            replays.insert().values(
                **values, requested_by=requested_by, created_at=at, report=dict(report)
            )
        )

    async def get(self, replay_id: UUID, *, lock: bool = False) -> ReplayJob | None:
        """The job (``lock``: locked until the unit of work ends)."""
        stmt = select(*_JOB).where(replays.c.id == replay_id)
        row = (await self._session.execute(stmt.with_for_update() if lock else stmt)).first()
        return ReplayJob.of(row) if row is not None else None

    async def add_registry_updates(
        self, replay_id: UUID, updates: Mapping[UUID, RegistryFacts]
    ) -> None:
        """Refreshed facts for households of the job (a household's latest facts win)."""
        if not updates:
            return
        stmt = insert(replay_registry_updates).values(
            [
                {"replay_id": replay_id, "household_id": h, "facts": f.model_dump(mode="json")}
                for h, f in updates.items()
            ]
        )
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=["replay_id", "household_id"], set_={"facts": stmt.excluded.facts}
            )
        )

    async def set_status(
        self, replay_id: UUID, status: str, *, finished_at: datetime | None = None
    ) -> None:
        """A new status; a finished job also lets go of its lease."""
        values: dict[str, Any] = {"status": status}
        if status in FINISHED:
            values.update(finished_at=finished_at, lease_owner=None)
        await self._session.execute(
            replays.update().where(replays.c.id == replay_id).values(**values)
        )

    async def fail(self, replay_id: UUID, error: str, at: datetime) -> None:
        """A job that hit a failure that is not weather, unless it ended meanwhile."""
        await self._session.execute(
            replays.update()
            .where(replays.c.id == replay_id, replays.c.status.in_(ACTIVE))
            .values(status="failed", error=error[:2000], finished_at=at, lease_owner=None)
        )

    # -- leases --------------------------------------------------------------------------

    async def claim(
        self, owner: str, now: datetime, *, stale: datetime, replay_id: UUID | None = None
    ) -> ReplayJob | None:
        """Take the lease of the oldest active job nobody holds, or whose holder has not beaten
        since ``stale`` (``replay_id``: only that job); skips a job another claim is taking."""
        claimable = (
            select(replays.c.id)
            .where(
                replays.c.status.in_(ACTIVE),
                (replays.c.lease_owner.is_(None))
                | (replays.c.lease_owner == owner)
                | (replays.c.heartbeat_at < stale),
            )
            .order_by(replays.c.created_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if replay_id is not None:
            claimable = claimable.where(replays.c.id == replay_id)
        row = (
            await self._session.execute(
                replays.update()
                .where(replays.c.id == claimable.scalar_subquery())
                .values(
                    lease_owner=owner,
                    heartbeat_at=now,
                    status="running",
                    started_at=func.coalesce(replays.c.started_at, now),
                )
                .returning(*_JOB)
            )
        ).first()
        return ReplayJob.of(row) if row is not None else None

    async def release(self, replay_id: UUID, owner: str) -> None:
        """Give the lease back (a request that worked on a job until its wait ran out)."""
        await self._session.execute(
            replays.update()
            .where(replays.c.id == replay_id, replays.c.lease_owner == owner)
            .values(lease_owner=None)
        )

    # -- chunks --------------------------------------------------------------------------

    async def progress(self, replay_id: UUID) -> Progress | None:
        """Where the job stands, its row locked until the unit of work ends."""
        conn = await driver_connection(self._session)
        row = await conn.fetchrow(
            "SELECT status, lease_owner, cursor, report::text FROM replays WHERE id = $1"
            " FOR UPDATE",
            replay_id,
        )
        if row is None:
            return None
        return Progress(row[0], row[1], row[2], orjson.loads(row[3]))

    async def households(
        self, replay_id: UUID, *, after: UUID | None, since: datetime | None, size: int
    ) -> list[Household]:
        """The next ``size`` households after ``after``, each with its latest intake (submitted
        since ``since``)."""
        conn = await driver_connection(self._session)
        rows = await conn.fetch(_CHUNK_SQL, replay_id, after, since, size)
        return [Household(*r) for r in rows]

    async def advance(
        self,
        replay_id: UUID,
        *,
        cursor: UUID | None,
        evaluated: int,
        report: Mapping[str, Any],
        now: datetime,
        done: bool,
    ) -> None:
        """Move the job past a chunk: its cursor, count and report, its heartbeat."""
        conn = await driver_connection(self._session)
        await conn.execute(
            "UPDATE replays SET cursor = $2, evaluated = evaluated + $3, report = $4::jsonb,"
            " heartbeat_at = $5, status = $6, finished_at = $7 WHERE id = $1",
            replay_id,
            cursor,
            evaluated,
            orjson.dumps(report).decode(),
            now,
            "done" if done else "running",
            now if done else None,
        )

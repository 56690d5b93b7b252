"""The registry's repositories: all of its SQL on the write side, rows as named types.

A program is one row holding its whole document (metadata and every rule version) and a
revision number that is its ETag; recent intakes are kept as their events' facts (no personal
data) for explain-by-intake and dry runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, Text, cast, column, delete, select
from sqlalchemy.dialects.postgresql import JSONB, insert

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_eligibility.catalogue import SeedProgram
from rujukan_platform.db import rows_table
from rujukan_platform.uow import Repository
from rujukan_registry.adapters.tables import intake_facts, programs


@dataclass(frozen=True, slots=True)
class StoredProgram:
    program: SeedProgram
    revision: int
    published_version: int | None


@dataclass(frozen=True, slots=True)
class StoredIntake:
    intake_id: UUID
    village_code: str
    intake: IntakeSubmittedV1


def _stored(row: Row[Any]) -> StoredProgram:
    return StoredProgram(
        SeedProgram.model_validate(row.document), int(row.revision), row.published_version
    )


class ProgramRepository(Repository):
    async def get(self, code: str, *, lock: bool = False) -> StoredProgram | None:
        """The program, locked for update when ``lock`` (a change is about to be made)."""
        stmt = select(programs).where(programs.c.code == code)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt)).first()
        return None if row is None else _stored(row)

    async def page(self, *, after: str | None, limit: int) -> list[StoredProgram]:
        """Programs by code, after the cursor's code."""
        stmt = select(programs).order_by(programs.c.code).limit(limit)
        if after:
            stmt = stmt.where(programs.c.code > after)
        return [_stored(r) for r in (await self._session.execute(stmt)).all()]

    async def all_unlocked(self) -> list[StoredProgram]:
        """Every program no other transaction is changing, locked for this one."""
        stmt = select(programs).with_for_update(skip_locked=True)
        return [_stored(r) for r in (await self._session.execute(stmt)).all()]

    async def save(
        self,
        program: SeedProgram,
        *,
        revision: int,
        published_version: int,
        updated_by: str,
    ) -> None:
        """Insert the program (revision 1) or replace its document."""
        values = {
            "published_version": published_version,
            "owner_agency": program.owner_agency,
            "status": program.status,
            "revision": revision,
            "document": program.model_dump(mode="json"),
            "updated_by": updated_by,
            "updated_at": datetime.now(UTC),
        }
        if revision == 1:
            await self._session.execute(programs.insert().values(code=program.code, **values))
        else:
            await self._session.execute(
                programs.update().where(programs.c.code == program.code).values(**values)
            )

    async def set_published_version(self, code: str, version: int) -> None:
        await self._session.execute(
            programs.update().where(programs.c.code == code).values(published_version=version)
        )


class IntakeFactsRepository(Repository):
    async def remember(self, intakes: Sequence[IntakeSubmittedV1]) -> None:
        """Keep ``intakes`` (a consumer batch's) in one statement whatever their number: one
        array a column, the events as JSON text cast on the way in (``rows_table``)."""
        if not intakes:
            return
        c = intake_facts.c
        given = rows_table(
            column("intake_id", c.intake_id.type),
            column("village_code", c.village_code.type),
            column("submitted_at", c.submitted_at.type),
            column("event", Text()),
            name="given",
            rows=[
                (i.intake_id, i.village_code, i.submitted_at, i.model_dump_json()) for i in intakes
            ],
        )
        await self._session.execute(
            insert(intake_facts)
            .from_select(
                ["intake_id", "village_code", "submitted_at", "event"],
                select(
                    given.c.intake_id,
                    given.c.village_code,
                    given.c.submitted_at,
                    cast(given.c.event, JSONB),
                ),
            )
            .on_conflict_do_nothing()
        )

    async def forget_before(self, cutoff: datetime) -> int:
        result = await self._session.execute(
            delete(intake_facts)
            .where(intake_facts.c.submitted_at < cutoff)
            .returning(intake_facts.c.intake_id)
        )
        return len(result.all())

    async def get(self, intake_id: UUID) -> StoredIntake | None:
        row = (
            await self._session.execute(
                select(intake_facts.c.village_code, intake_facts.c.event).where(
                    intake_facts.c.intake_id == intake_id
                )
            )
        ).first()
        if row is None:
            return None
        return StoredIntake(
            intake_id, row.village_code, IntakeSubmittedV1.model_validate(row.event)
        )

    async def since(self, since: datetime) -> AsyncIterator[StoredIntake]:
        """Intakes submitted since ``since``, oldest first, streamed (a dry run reads them all)."""
        result = await self._session.stream(
            select(intake_facts.c.intake_id, intake_facts.c.village_code, intake_facts.c.event)
            .where(intake_facts.c.submitted_at >= since)
            .order_by(intake_facts.c.submitted_at)
        )
        async for row in result:
            yield StoredIntake(
                row.intake_id, row.village_code, IntakeSubmittedV1.model_validate(row.event)
            )

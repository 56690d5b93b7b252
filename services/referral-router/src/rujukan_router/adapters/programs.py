"""The router's stored knowledge of programs: its queryable copy of the catalogue, every version
it decided with, and the referrals counted against each program's capacity per period."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, Integer, Text, column, literal, select, tuple_
from sqlalchemy.dialects.postgresql import insert

from rujukan_contracts.events import ProgramPublishedV1
from rujukan_platform.db import rows_parameters, rows_table
from rujukan_platform.uow import Repository
from rujukan_router.adapters.tables import catalogue, program_usage, program_versions

UsageKey = tuple[str, date]
"""A program's capacity period: its code and the period's first day."""


class ProgramRepository(Repository):
    async def record(self, event: ProgramPublishedV1) -> None:
        """Keep a program's newest version queryable (an older one arriving late changes
        nothing), and every version for explaining the decisions made with it."""
        program: dict[str, Any] = event.model_dump(mode="json")
        stmt = insert(catalogue).values(
            code=event.code,
            version=event.version,
            status=event.status,
            program=program,
            updated_at=datetime.now(UTC),
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["code"],
            set_={
                "version": stmt.excluded.version,
                "status": stmt.excluded.status,
                "program": stmt.excluded.program,
                "updated_at": stmt.excluded.updated_at,
            },
            where=catalogue.c.version <= stmt.excluded.version,
        )
        await self._session.execute(stmt)
        versions = insert(program_versions).values(
            code=event.code, version=event.version, program=program
        )
        await self._session.execute(  # a version's labels may be corrected, never its criteria
            versions.on_conflict_do_update(
                index_elements=["code", "version"], set_={"program": versions.excluded.program}
            )
        )

    async def get(self, code: str) -> ProgramPublishedV1 | None:
        """The newest version of a program stored here (one the live catalogue no longer has)."""
        program = (
            await self._session.execute(select(catalogue.c.program).where(catalogue.c.code == code))
        ).scalar_one_or_none()
        return ProgramPublishedV1.model_validate(program) if program is not None else None

    async def lock_usage(self, keys: Iterable[UsageKey]) -> dict[UsageKey, int]:
        """The referrals counted in each capacity period, the rows locked until the unit of work
        ends, in code order (replicas queue in one order and never deadlock). Two statements
        whatever the number of periods."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        given = rows_parameters(_PERIODS, wanted)
        await self._session.execute(_ADD_PERIODS, given)
        rows = await self._session.execute(_LOCK_PERIODS, given)
        return {(code, start): used for code, start, used in rows}

    async def save_usage(self, used: Mapping[UsageKey, int]) -> None:
        """New totals for periods locked by ``lock_usage``, in one statement."""
        if used:
            rows = [(code, start, count) for (code, start), count in used.items()]
            await self._session.execute(_SAVE_USAGE, rows_parameters(_TOTALS, rows))


# A consumer batch's capacity periods as arrays: the same three statements for any number of
# periods (an IN list of pairs and an UPDATE a period were new round trips for each).
_PERIODS = rows_table(
    column("program_code", Text()), column("period_start", Date()), name="wanted", rows=[]
)
_ADD_PERIODS = (
    insert(program_usage)
    .from_select(
        ["program_code", "period_start", "used"],
        select(_PERIODS.c.program_code, _PERIODS.c.period_start, literal(0, Integer())),
    )
    .on_conflict_do_nothing()
)
_LOCK_PERIODS = (
    select(program_usage.c.program_code, program_usage.c.period_start, program_usage.c.used)
    .where(
        tuple_(program_usage.c.program_code, program_usage.c.period_start).in_(
            select(_PERIODS.c.program_code, _PERIODS.c.period_start)
        )
    )
    .order_by(program_usage.c.program_code, program_usage.c.period_start)
    .with_for_update(of=program_usage)
)
_TOTALS = rows_table(
    column("program_code", Text()),
    column("period_start", Date()),
    column("used", Integer()),
    name="given",
    rows=[],
)
_SAVE_USAGE = (
    program_usage.update()
    .where(
        program_usage.c.program_code == _TOTALS.c.program_code,
        program_usage.c.period_start == _TOTALS.c.period_start,
    )
    .values(used=_TOTALS.c.used)
)

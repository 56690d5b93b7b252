"""The router's stored knowledge of programs: its queryable copy of the catalogue, every version
it decided with, and the referrals counted against each program's capacity per period."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert

from rujukan_contracts.events import ProgramPublishedV1
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
        ends, in code order (replicas queue in one order and never deadlock)."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        await self._session.execute(
            insert(program_usage).on_conflict_do_nothing(),
            [{"program_code": code, "period_start": start, "used": 0} for code, start in wanted],
        )
        rows = await self._session.execute(
            select(program_usage.c.program_code, program_usage.c.period_start, program_usage.c.used)
            .where(tuple_(program_usage.c.program_code, program_usage.c.period_start).in_(wanted))
            .order_by(program_usage.c.program_code, program_usage.c.period_start)
            .with_for_update()
        )
        return {(code, start): used for code, start, used in rows}

    async def save_usage(self, used: Mapping[UsageKey, int]) -> None:
        """New totals for periods locked by ``lock_usage``."""
        for (code, start), count in used.items():
            await self._session.execute(
                program_usage.update()
                .where(program_usage.c.program_code == code, program_usage.c.period_start == start)
                .values(used=count)
            )

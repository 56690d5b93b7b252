"""Use cases: create, change and read programs; seed the catalogue; publish each change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.topics import PROGRAMS_CATALOG
from rujukan_eligibility.catalogue import RuleVersion, SeedProgram, load_seed_programs
from rujukan_platform.auth import Principal
from rujukan_platform.outbox import stage
from rujukan_platform.problems import Problem
from rujukan_registry.adapters.tables import outbox, programs
from rujukan_registry.domain.programs import (
    check_append_only,
    compile_or_refuse,
    published_event,
)


def may_manage(principal: Principal, code: str) -> None:
    if principal.role == "admin" or (principal.role == "agency" and principal.owns_program(code)):
        return
    raise Problem(403, "Forbidden", f"you may not manage program {code}")


async def _load(session: AsyncSession, code: str, *, lock: bool = False) -> Any:
    stmt = select(programs).where(programs.c.code == code)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).first()


async def create_program(session: AsyncSession, program: SeedProgram, principal: Principal) -> int:
    may_manage(principal, program.code)
    compile_or_refuse(program)
    if await _load(session, program.code) is not None:
        raise Problem(409, "Conflict", f"program {program.code} already exists")
    await _write(session, program, principal, revision=1, insert=True)
    return 1


async def replace_program(
    session: AsyncSession,
    code: str,
    program: SeedProgram,
    principal: Principal,
    *,
    if_match: int | None,
) -> int:
    """Replace metadata and append versions; ``If-Match`` must name the current revision."""
    may_manage(principal, code)
    if program.code != code:
        raise Problem(
            422,
            "Code mismatch",
            "code: must equal the program code in the URL",
            errors=[{"field": "code", "reason": "must equal the URL's program code"}],
        )
    row = await _load(session, code, lock=True)
    if row is None:
        raise Problem(404, "Not found", f"no program {code}")
    if if_match is None:
        raise Problem(428, "Precondition required", "send If-Match with the program's ETag")
    if if_match != row.revision:
        raise Problem(
            412,
            "Precondition failed",
            f"the program changed (revision {row.revision}); reload and retry",
        )
    compile_or_refuse(program)
    check_append_only(SeedProgram.model_validate(row.document), program)
    await _write(session, program, principal, revision=row.revision + 1, insert=False)
    return int(row.revision) + 1


async def add_version(
    session: AsyncSession,
    code: str,
    version: RuleVersion,
    principal: Principal,
    *,
    if_match: int | None,
) -> tuple[SeedProgram, int]:
    may_manage(principal, code)  # before anything about the program is told
    row = await _load(session, code, lock=True)
    if row is None:
        raise Problem(404, "Not found", f"no program {code}")
    current = SeedProgram.model_validate(row.document)
    last = current.versions[-1]
    if version.version != last.version + 1:
        raise Problem(
            422,
            "Wrong version number",
            f"version: must be {last.version + 1}",
            errors=[{"field": "version", "reason": f"must be {last.version + 1}"}],
        )
    if version.effective_from <= last.effective_from:
        reason = f"must be after {last.effective_from} (version {last.version})"
        raise Problem(
            422,
            "Effective date does not increase",
            f"effective_from: {reason}",
            type_="https://rujukan.example/problems/validation",
            errors=[{"field": "effective_from", "reason": reason}],
        )
    updated = SeedProgram.model_validate(
        {
            **current.model_dump(mode="json"),
            "versions": [
                *[v.model_dump(mode="json") for v in current.versions],
                version.model_dump(mode="json"),
            ],
        }
    )
    revision = await replace_program(
        session,
        code,
        updated,
        principal,
        if_match=if_match if if_match is not None else row.revision,
    )
    return updated, revision


async def _write(
    session: AsyncSession,
    program: SeedProgram,
    principal: Principal,
    *,
    revision: int,
    insert: bool,
) -> None:
    event = published_event(program)
    values = {
        "published_version": event.version,
        "owner_agency": program.owner_agency,
        "status": program.status,
        "revision": revision,
        "document": program.model_dump(mode="json"),
        "updated_by": principal.subject,
        "updated_at": datetime.now(UTC),
    }
    if insert:
        await session.execute(programs.insert().values(code=program.code, **values))
    else:
        await session.execute(
            programs.update().where(programs.c.code == program.code).values(**values)
        )
    await stage(session, outbox, [(PROGRAMS_CATALOG, event)])


async def publish_due_versions(session: AsyncSession, today: date) -> list[str]:
    """Publish programs whose version in effect changed with the date (a version's
    ``effective_from`` arrived). Run periodically; harmless to run often."""
    rows = (await session.execute(select(programs).with_for_update(skip_locked=True))).all()
    switched: list[str] = []
    for row in rows:
        program = SeedProgram.model_validate(row.document)
        event = published_event(program, today=today)
        if event.version != row.published_version:
            await session.execute(
                programs.update()
                .where(programs.c.code == row.code)
                .values(published_version=event.version)
            )
            await stage(session, outbox, [(PROGRAMS_CATALOG, event)])
            switched.append(row.code)
    return switched


async def get_program(session: AsyncSession, code: str) -> tuple[SeedProgram, int]:
    row = await _load(session, code)
    if row is None:
        raise Problem(404, "Not found", f"no program {code}")
    return SeedProgram.model_validate(row.document), int(row.revision)


async def list_programs(
    session: AsyncSession, *, after: str | None, limit: int
) -> list[tuple[SeedProgram, int]]:
    stmt = select(programs).order_by(programs.c.code).limit(limit)
    if after:
        stmt = stmt.where(programs.c.code > after)
    rows = (await session.execute(stmt)).all()
    return [(SeedProgram.model_validate(r.document), int(r.revision)) for r in rows]


async def seed_catalogue(session: AsyncSession, seed_dir: Path) -> dict[str, str]:
    """Load the seed files idempotently: create what is missing, update what changed."""
    system = Principal(subject="seed", role="admin")
    results: dict[str, str] = {}
    for program in load_seed_programs(seed_dir):
        row = await _load(session, program.code, lock=True)
        if row is None:
            await create_program(session, program, system)
            results[program.code] = "created"
        elif row.document != program.model_dump(mode="json"):
            await replace_program(session, program.code, program, system, if_match=row.revision)
            results[program.code] = "updated"
        else:
            results[program.code] = "unchanged"
    return results

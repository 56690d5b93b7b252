"""The registry's handler table: every change of state, by command or event, and the use cases
behind them. Each change of a program is published on ``programs.catalog`` in its transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from rujukan_contracts.events import IntakeSubmittedV1
from rujukan_contracts.topics import PROGRAMS_CATALOG
from rujukan_eligibility.catalogue import SeedProgram, load_seed_programs
from rujukan_platform.access import forbidden, not_found
from rujukan_platform.auth import Principal
from rujukan_platform.handlers import Handlers, Received
from rujukan_platform.language import Localised
from rujukan_platform.problems import CONFLICT, PRECONDITION_FAILED, Problem, refused
from rujukan_registry.domain.commands import (
    AddVersion,
    CreateProgram,
    ForgetOldIntakes,
    PublishDueVersions,
    ReplaceProgram,
    Saved,
    SeedCatalogue,
)
from rujukan_registry.domain.programs import check_append_only, check_rules, published_event
from rujukan_registry.service_layer.unit_of_work import RegistryUnitOfWork

#: how long the facts of an intake are kept for explain-by-intake and dry runs
INTAKE_RETENTION = timedelta(days=180)


#: the titles of the registry's refusals of a program or version (422)
CODE_MISMATCH = Localised("Kode tidak cocok", "Code mismatch")
WRONG_NUMBER = Localised("Nomor versi salah", "Wrong version number")
NOT_LATER = Localised("Tanggal berlaku tidak bertambah", "Effective date does not increase")


def may_manage(principal: Principal, code: str) -> None:
    if principal.role == "admin" or (principal.role == "agency" and principal.owns_program(code)):
        return
    raise forbidden(
        Localised(
            f"Anda tidak boleh mengelola program {code}", f"you may not manage program {code}"
        )
    )


async def _save(
    uow: RegistryUnitOfWork, program: SeedProgram, by: Principal, revision: int
) -> Saved:
    event = published_event(program)
    await uow.programs.save(
        program, revision=revision, published_version=event.version, updated_by=by.subject
    )
    uow.publish(PROGRAMS_CATALOG, event)
    return Saved(program, revision)


async def create_program(cmd: CreateProgram, uow: RegistryUnitOfWork) -> Saved:
    may_manage(cmd.by, cmd.program.code)
    check_rules(cmd.program)
    if await uow.programs.get(cmd.program.code) is not None:
        raise Problem(
            409,
            CONFLICT,
            Localised(
                f"program {cmd.program.code} sudah ada",
                f"program {cmd.program.code} already exists",
            ),
        )
    return await _save(uow, cmd.program, cmd.by, revision=1)


async def replace_program(cmd: ReplaceProgram, uow: RegistryUnitOfWork) -> Saved:
    may_manage(cmd.by, cmd.code)
    if cmd.program.code != cmd.code:
        same = Localised(
            "harus sama dengan kode program di URL", "must equal the program code in the URL"
        )
        raise refused([{"field": "code", "reason": same}], CODE_MISMATCH)
    stored = await uow.programs.get(cmd.code, lock=True)
    if stored is None:
        raise not_found(f"program {cmd.code}")
    if cmd.if_match is None:
        raise Problem(
            428,
            Localised("If-Match wajib dikirim", "Precondition required"),
            Localised(
                "kirim If-Match dengan ETag program", "send If-Match with the program's ETag"
            ),
        )
    if cmd.if_match != stored.revision:
        raise Problem(
            412,
            PRECONDITION_FAILED,
            Localised(
                f"program sudah berubah (revisi {stored.revision}); muat ulang dan coba lagi",
                f"the program changed (revision {stored.revision}); reload and retry",
            ),
        )
    check_rules(cmd.program)
    check_append_only(stored.program, cmd.program)
    return await _save(uow, cmd.program, cmd.by, revision=stored.revision + 1)


async def add_version(cmd: AddVersion, uow: RegistryUnitOfWork) -> Saved:
    may_manage(cmd.by, cmd.code)  # before anything about the program is told
    stored = await uow.programs.get(cmd.code, lock=True)
    if stored is None:
        raise not_found(f"program {cmd.code}")
    current = stored.program
    last = current.versions[-1]
    if cmd.version.version != last.version + 1:
        expected = last.version + 1
        must = Localised(f"harus {expected}", f"must be {expected}")
        raise refused([{"field": "version", "reason": must}], WRONG_NUMBER)
    if cmd.version.effective_from <= last.effective_from:
        reason = Localised(
            f"harus sesudah {last.effective_from} (versi {last.version})",
            f"must be after {last.effective_from} (version {last.version})",
        )
        raise refused([{"field": "effective_from", "reason": reason}], NOT_LATER)
    updated = SeedProgram.model_validate(
        {
            **current.model_dump(mode="json"),
            "versions": [
                *[v.model_dump(mode="json") for v in current.versions],
                cmd.version.model_dump(mode="json"),
            ],
        }
    )
    if_match = cmd.if_match if cmd.if_match is not None else stored.revision
    return await replace_program(ReplaceProgram(cmd.code, updated, cmd.by, if_match), uow)


async def publish_due_versions(cmd: PublishDueVersions, uow: RegistryUnitOfWork) -> list[str]:
    """Publish programs whose version in effect changed with the date (a version's
    ``effective_from`` arrived). Run periodically; harmless to run often."""
    switched: list[str] = []
    for stored in await uow.programs.all_unlocked():
        event = published_event(stored.program, today=cmd.today)
        if event.version != stored.published_version:
            await uow.programs.set_published_version(stored.program.code, event.version)
            uow.publish(PROGRAMS_CATALOG, event)
            switched.append(stored.program.code)
    return switched


async def forget_old_intakes(cmd: ForgetOldIntakes, uow: RegistryUnitOfWork) -> int:
    return await uow.intake_facts.forget_before(cmd.now - INTAKE_RETENTION)


async def seed_catalogue(cmd: SeedCatalogue, uow: RegistryUnitOfWork) -> dict[str, str]:
    system = Principal(subject="seed", role="admin")
    results: dict[str, str] = {}
    for program in load_seed_programs(cmd.seed_dir):
        stored = await uow.programs.get(program.code, lock=True)
        if stored is None:
            await create_program(CreateProgram(program, system), uow)
            results[program.code] = "created"
        elif stored.program.model_dump(mode="json") != program.model_dump(mode="json"):
            await replace_program(
                ReplaceProgram(program.code, program, system, stored.revision), uow
            )
            results[program.code] = "updated"
        else:
            results[program.code] = "unchanged"
    return results


async def remember_intake(event: IntakeSubmittedV1, uow: RegistryUnitOfWork) -> None:
    """An intake's facts, kept for explain-by-intake and dry runs."""
    await uow.intake_facts.remember([event])


async def remember_intakes(
    received: Sequence[Received[IntakeSubmittedV1]], uow: RegistryUnitOfWork
) -> None:
    """A consumer batch's intakes, in one statement rather than one each."""
    await uow.intake_facts.remember([r.message for r in received])


HANDLERS = (
    Handlers[RegistryUnitOfWork]()
    .on(CreateProgram, create_program)
    .on(ReplaceProgram, replace_program)
    .on(AddVersion, add_version)
    .on(PublishDueVersions, publish_due_versions)
    .on(ForgetOldIntakes, forget_old_intakes)
    .on(SeedCatalogue, seed_catalogue)
    .on(IntakeSubmittedV1, remember_intake, many=remember_intakes)
)

"""Replay and what-if: re-evaluate each household's latest intake after a rule or the registry
changed — as a resumable job, so that the whole registry can be re-evaluated.

A job is created as a dry run or to apply, for every program or some, optionally with a draft
rule for one program (a what-if: dry run only) and with refreshed registry facts for some
households. A worker holding the job's lease goes through the households in order, a chunk per
transaction; the same transaction moves the job's cursor and report, so a crash resumes after
the last chunk that committed and another process takes over a lease that stopped beating.

The report counts who gains and who loses eligibility, per program, against what the program's
rule last said for the intake in its stored decisions (``eligibility_before``: a skip before any
rule ran says nothing, a program full at the time was eligible). Applying stores the new
evaluation of every intake that changed (cause 'replay') and refers the households that gained,
where the program serves a need the intake stated (or is proactive), no referral is open,
consent allows and there is capacity: only the differences are emitted. Losses are reported,
never acted on — an open referral is withdrawn by a person, not by a replay.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import orjson

from rujukan_contracts.events import IntakeSubmittedV1, RegistryFacts
from rujukan_contracts.text import Localised
from rujukan_eligibility.rules import compile_rule
from rujukan_platform.failures import is_transient
from rujukan_platform.ids import new_id
from rujukan_platform.logging import get_logger
from rujukan_router.adapters.replays import FINISHED, Household, ReplayJob
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.commands import CreateReplay
from rujukan_router.domain.decide import NOT_EVALUATED, Decided, ProgramDecision, decide
from rujukan_router.service_layer.referrals import referring
from rujukan_router.service_layer.unit_of_work import RouterUnitOfWork

log = get_logger(__name__)

CHUNK = 2000
LEASE = timedelta(seconds=60)
SAMPLE = 50


class ReplayNotFound(LookupError):
    pass


class ReplayStateError(ValueError):
    """The operation does not fit the job's status (e.g. registry updates after the start);
    ``reason`` says so in both languages."""

    def __init__(self, reason: Localised) -> None:
        super().__init__(reason.en)
        self.reason = reason


class LeaseLost(RuntimeError):
    """Another worker took the job over (this one's lease had expired): roll back the chunk."""


@dataclass
class ReplayReport:
    intakes_evaluated: int = 0
    gains: dict[str, int] = field(default_factory=dict)
    losses: dict[str, int] = field(default_factory=dict)
    sample_gains: list[dict[str, str]] = field(default_factory=list)
    sample_losses: list[dict[str, str]] = field(default_factory=list)
    referrals_created: int = 0
    applied: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "intakes_evaluated": self.intakes_evaluated,
            "gains": self.gains,
            "losses": self.losses,
            "sample_gains": self.sample_gains,
            "sample_losses": self.sample_losses,
            "referrals_created": self.referrals_created,
            "applied": self.applied,
        }

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> ReplayReport:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def count(self, intake_id: UUID, code: str, *, gained: bool) -> None:
        tally, samples = (
            (self.gains, self.sample_gains) if gained else (self.losses, self.sample_losses)
        )
        tally[code] = tally.get(code, 0) + 1
        if len(samples) < SAMPLE:
            samples.append({"intake_id": str(intake_id), "program": code})


# -- the job's life ---------------------------------------------------------------------------


async def create_replay(uow: RouterUnitOfWork, command: CreateReplay, now: datetime) -> UUID:
    job = ReplayJob(
        id=new_id(),
        status="pending" if command.start else "draft",
        apply=command.apply,
        programs=list(command.programs) if command.programs else None,
        rule=dict(command.rule) if command.rule is not None else None,
        since=command.since,
    )
    report = ReplayReport(applied=command.apply).as_dict()
    await uow.replays.add(job, requested_by=command.requested_by, at=now, report=report)
    await uow.replays.add_registry_updates(job.id, command.registry_updates)
    return job.id


async def add_registry_updates(
    uow: RouterUnitOfWork, replay_id: UUID, updates: Mapping[UUID, RegistryFacts]
) -> int:
    """More refreshed facts for a draft job (national refreshes arrive in many requests)."""
    await _draft(uow, replay_id)
    await uow.replays.add_registry_updates(replay_id, updates)
    return len(updates)


async def start_replay(uow: RouterUnitOfWork, replay_id: UUID) -> None:
    await _draft(uow, replay_id)
    await uow.replays.set_status(replay_id, "pending")


async def cancel_replay(uow: RouterUnitOfWork, replay_id: UUID, now: datetime) -> None:
    """Stop a job after the chunk in progress; what its committed chunks applied stays."""
    job = await _locked(uow, replay_id)
    if job.status in FINISHED:
        raise ReplayStateError(
            Localised(
                f"replay {replay_id} sudah berstatus {job.status}",
                f"replay {replay_id} is already {job.status}",
            )
        )
    await uow.replays.set_status(replay_id, "cancelled", finished_at=now)


async def _locked(uow: RouterUnitOfWork, replay_id: UUID) -> ReplayJob:
    job = await uow.replays.get(replay_id, lock=True)
    if job is None:
        raise ReplayNotFound(str(replay_id))
    return job


async def _draft(uow: RouterUnitOfWork, replay_id: UUID) -> None:
    """Lock a job that must still be a draft (registry updates and the start go to drafts)."""
    job = await _locked(uow, replay_id)
    if job.status != "draft":
        raise ReplayStateError(
            Localised(
                f"replay {replay_id} berstatus {job.status}, bukan draf",
                f"replay {replay_id} is {job.status}, not a draft",
            )
        )


async def claim(
    uow: RouterUnitOfWork, owner: str, now: datetime, *, replay_id: UUID | None = None
) -> ReplayJob | None:
    """Take the lease of the oldest active job nobody holds (or whose holder went quiet);
    ``replay_id``: only that job."""
    return await uow.replays.claim(owner, now, stale=now - LEASE, replay_id=replay_id)


# -- a chunk ----------------------------------------------------------------------------------


def eligibility_before(
    evaluations: Sequence[Sequence[Mapping[str, Any]]],
) -> tuple[set[str], dict[str, bool]]:
    """From an intake's stored decisions, oldest first: the programs they name, and what each
    program's rule said the last time it was evaluated. A skip before evaluation (no consent,
    enrolled, an open referral) says nothing of eligibility and leaves the earlier answer; a
    program full at the time was eligible all the same."""
    seen: set[str] = set()
    before: dict[str, bool] = {}
    for programs in evaluations:
        for p in programs:
            seen.add(p["program_code"])
            if p.get("skipped") in NOT_EVALUATED:
                continue
            before[p["program_code"]] = bool(p["eligible"]) or p.get("skipped") == "capacity_full"
    return seen, before


class CatalogueCache:
    """The catalogue a job decides with: the live one, or a what-if copy with its draft rule
    (compiled once per job)."""

    def __init__(self) -> None:
        self._what_ifs: dict[UUID, tuple[int, Catalogue]] = {}

    def of(self, job: ReplayJob, live: Catalogue) -> Catalogue:
        if job.rule is None:
            return live
        cached = self._what_ifs.get(job.id)
        if cached is not None and cached[0] == id(live):
            return cached[1]
        assert job.programs  # a what-if names its one program
        catalogue = live.with_rule(job.programs[0], compile_rule(job.rule))
        self._what_ifs = {job.id: (id(live), catalogue)}
        return catalogue


@dataclass(frozen=True, slots=True)
class _Changed:
    """A household whose eligibility changed: its intake (with refreshed facts), the new
    evaluation and the programs that changed."""

    intake: IntakeSubmittedV1
    decided: Decided
    differences: list[ProgramDecision]
    refreshed: bool


async def run_chunk(
    uow: RouterUnitOfWork,
    job: ReplayJob,
    catalogue: Catalogue,
    *,
    owner: str,
    now: datetime,
    size: int = CHUNK,
) -> bool:
    """Evaluate the next ``size`` households of ``job`` and, if it applies, act on what
    changed; advance the job in the same unit of work. Returns whether households remain."""
    progress = await uow.replays.progress(job.id)
    if progress is None or progress.status != "running" or progress.lease_owner != owner:
        raise LeaseLost(f"replay {job.id}: {progress.status if progress else 'deleted'}")
    report = ReplayReport.of(progress.report)
    households = await uow.replays.households(
        job.id, after=progress.cursor, since=job.since, size=size
    )
    programs = set(job.programs) if job.programs else None
    changed = [
        c for h in households if (c := _compare(h, catalogue, programs, report, now)) is not None
    ]
    report.intakes_evaluated += len(households)
    if job.apply and changed:
        report.referrals_created += await _apply(uow, changed, catalogue, now)
    more = len(households) == size
    await uow.replays.advance(
        job.id,
        cursor=households[-1].household_id if households else progress.cursor,
        evaluated=len(households),
        report=report.as_dict(),
        now=now,
        done=not more,
    )
    return more


def _compare(
    household: Household,
    catalogue: Catalogue,
    programs: set[str] | None,
    report: ReplayReport,
    now: datetime,
) -> _Changed | None:
    """Evaluate one household again and count what changed in ``report``."""
    intake = IntakeSubmittedV1.model_validate_json(household.event)
    refreshed = household.registry is not None
    if household.registry is not None:
        facts = RegistryFacts.model_validate_json(household.registry)
        intake = intake.model_copy(update={"registry": facts})
    seen, before = eligibility_before(orjson.loads(household.decided_before or "[]"))
    decided = decide(intake, catalogue, open_programs=set(), as_of=now.date())
    differences = []
    for d in decided.programs:
        code = d.program.code
        if d.skipped is not None or (programs is not None and code not in programs):
            continue
        if code in seen and code not in before:
            continue  # only ever skipped before any rule ran: nothing to compare with
        if d.eligible != before.get(code, False):
            differences.append(d)
            report.count(household.intake_id, code, gained=d.eligible)
    return _Changed(intake, decided, differences, refreshed) if differences else None


async def _apply(
    uow: RouterUnitOfWork, changed: Sequence[_Changed], catalogue: Catalogue, now: datetime
) -> int:
    """Refer the gains of one chunk and store the new evaluations; returns referrals made."""
    await uow.intakes.replace([c.intake for c in changed if c.refreshed])
    gained = [d.program for c in changed for d in c.differences if d.chosen]
    async with referring(
        uow,
        programs=gained,
        households=(c.intake.household_id for c in changed),
        today=now.date(),
    ) as new:
        for c in changed:
            decision_id = new_id()
            open_programs = new.open_programs(c.intake.household_id)
            for d in c.differences:
                if d.chosen and d.program.code not in open_programs:
                    new.refer(c.intake, d, c.decided.facts, decision_id, now)
            new.decision(c.intake, c.decided, cause="replay", at=now, decision_id=decision_id)
    return new.created


# -- working through a job ----------------------------------------------------------------------


async def work(
    units: Callable[[], RouterUnitOfWork],
    catalogue: Catalogue,
    cache: CatalogueCache,
    *,
    owner: str,
    now: Callable[[], datetime],
    replay_id: UUID | None = None,
    until: float | None = None,
    stop: asyncio.Event | None = None,
) -> bool:
    """Claim a job (``replay_id``, or the oldest claimable) and work through it, a chunk per
    unit of work, until it is finished, ``stop`` is set or the monotonic time ``until`` passes
    (then the lease is given back to the background workers). A failure that is not transient
    fails the job, with its message. Returns whether there was a job to claim."""
    async with units() as uow:
        job = await claim(uow, owner, now(), replay_id=replay_id)
        await uow.commit()
    if job is None:
        return False
    try:
        while True:
            async with units() as uow:
                more = await run_chunk(uow, job, cache.of(job, catalogue), owner=owner, now=now())
                await uow.commit()
            if not more:
                break
            if (until is not None and time.monotonic() >= until) or (stop and stop.is_set()):
                async with units() as uow:
                    await uow.replays.release(job.id, owner)
                    await uow.commit()
                break
    except LeaseLost:
        pass
    except Exception as exc:
        if is_transient(exc):
            raise  # weather: the lease lapses or this worker claims the job again later
        log.exception("replay failed", replay_id=str(job.id))
        async with units() as uow:
            await uow.replays.fail(job.id, f"{type(exc).__name__}: {exc}", now())
            await uow.commit()
    return True

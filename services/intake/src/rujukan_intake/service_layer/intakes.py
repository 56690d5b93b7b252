"""Submitting intakes: validate, deduplicate, check the registry, store and announce.

A batch is handled as a set (the bulk import sends hundreds per call): every repository call
covers the whole batch. Refused items get a ``problem`` and write nothing; the others commit
together. Duplicates (the same Idempotency-Key, or a household's visit said again word for word
within the window, also within this batch) are answered with the intake they repeat; a visit
within the window that brings anything new is stored as a follow-up of the household's first
(``domain.visits``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID

from rujukan_contracts.events import (
    Consent,
    HouseholdFacts,
    IntakeContactV1,
    IntakeSubmittedV1,
    MemberFacts,
)
from rujukan_contracts.topics import INTAKE_CONTACTS, INTAKE_SUBMITTED
from rujukan_intake.adapters.repository import (
    DuplicateKey,
    GivenIdentity,
    MemberToSave,
    NewIntake,
)
from rujukan_intake.domain.commands import SubmitIntakes, Submitted
from rujukan_intake.domain.identity import keyed_hash
from rujukan_intake.domain.intake import IntakeCreate, MemberIn, intake_errors
from rujukan_intake.domain.lanes import derive_lanes
from rujukan_intake.domain.visits import Visit, household_matches, repeat_of, visit_content
from rujukan_intake.service_layer.state import IntakeState
from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork
from rujukan_platform.access import forbidden
from rujukan_platform.idempotency import fingerprint, key_mismatch
from rujukan_platform.ids import new_id
from rujukan_platform.language import Localised
from rujukan_platform.problems import refused
from rujukan_regions import normalise_region_code


@dataclass(slots=True)
class _Candidate:
    """An item that passed validation and scope, on its way to being stored."""

    index: int
    req: IntakeCreate
    #: who submits it (the principal's subject): its key is theirs, and it is recorded
    principal: str
    key: str | None
    digest: str
    content: str
    village: str
    kk_hash: str
    #: the members' NIKs as keyed hashes, in the request's order
    nik_hashes: list[str]
    household_id: UUID | None = None
    #: the household was added by this submission (nothing of it stored before)
    new_household: bool = False
    #: the household's first visit, when this is a follow-up
    visit_of: UUID | None = None


def fingerprints(req: IntakeCreate) -> tuple[str, str]:
    """The request's fingerprint, which an Idempotency-Key is held to (the whole validated
    intake: household, members, needs, consent, contact, taken_by...; the key is scoped to the
    principal), and the fingerprint of what the visit says (``visit_content``: the same from a
    repeat). Both are stored: they must not change for the same intake."""
    intake = req.model_dump(mode="json")
    return fingerprint(intake), fingerprint(visit_content(intake))


#: the title of an intake refused for what it says
UNPROCESSABLE_INTAKE = Localised("Intake tidak dapat diproses", "Unprocessable intake")


async def submit_intakes(
    cmd: SubmitIntakes, uow: IntakeUnitOfWork, state: IntakeState
) -> list[Submitted]:
    """Each item's fate, in the order given; the new intakes' events are raised in ``uow``."""
    now = cmd.now or datetime.now(UTC)
    results = [Submitted() for _ in cmd.items]
    candidates: list[_Candidate] = []
    for index, item in enumerate(cmd.items):
        req = item.intake
        errors = intake_errors(req, now.date())
        if errors:
            results[index].problem = refused(errors, UNPROCESSABLE_INTAKE)
            continue
        village = normalise_region_code(req.household.village_code)  # stored and sent dotted
        if not item.by.covers_region(village):
            results[index].problem = forbidden(
                Localised(
                    "desa ini di luar wilayah tugas Anda",
                    "the village is outside the regions you are scoped to",
                )
            )
            continue
        kk_hash = keyed_hash(state.pii_key, req.household.kk_number)
        digest, content = fingerprints(req)
        candidates.append(
            _Candidate(
                index,
                req,
                item.by.subject,
                item.idempotency_key,
                digest,
                content,
                village,
                kk_hash,
                [keyed_hash(state.pii_key, m.nik) for m in req.members],
            )
        )

    candidates, aliases = await _drop_idempotent_repeats(uow, candidates, results)
    if candidates:
        await _submit_new(uow, state, candidates, results, now)
    for repeat, first in aliases:
        results[repeat] = replace(results[first], duplicate=True)
    return results


async def _drop_idempotent_repeats(
    uow: IntakeUnitOfWork,
    candidates: list[_Candidate],
    results: list[Submitted],
) -> tuple[list[_Candidate], list[tuple[int, int]]]:
    """Items whose Idempotency-Key was used before return that intake (a key reused for a
    different request is refused). A key repeated within the batch aliases its first use:
    returns the items to submit and the (repeat, first) index pairs."""
    prior = await uow.idempotency_keys.uses([(c.principal, c.key) for c in candidates if c.key])
    kept: list[_Candidate] = []
    aliases: list[tuple[int, int]] = []
    first_use: dict[tuple[str, str], _Candidate] = {}
    for c in candidates:
        used = (c.principal, c.key) if c.key else None
        earlier = prior.get(used) if used else None
        if earlier is not None:
            if earlier.request_hash != c.digest:
                results[c.index].problem = key_mismatch()
            else:
                results[c.index] = Submitted(
                    earlier.intake_id,
                    earlier.household_id,
                    duplicate=True,
                    follow_up_of=earlier.visit_of,
                    possible_duplicate_of=await uow.households.shared_members(
                        earlier.household_id, earlier.possible_duplicates
                    ),
                )
        elif used and used in first_use:
            if first_use[used].digest != c.digest:
                results[c.index].problem = key_mismatch()
            else:
                aliases.append((c.index, first_use[used].index))
        else:
            if used:
                first_use[used] = c
            kept.append(c)
    return kept, aliases


async def _submit_new(
    uow: IntakeUnitOfWork,
    state: IntakeState,
    candidates: list[_Candidate],
    results: list[Submitted],
    now: datetime,
) -> None:
    locked = await uow.households.add_or_lock({c.kk_hash: c.village for c in candidates})
    for c in candidates:
        c.household_id = locked.ids[c.kk_hash]
        c.new_household = c.household_id in locked.added
    stored_before = [h for h in locked.ids.values() if h not in locked.added]
    visits = await uow.intakes.visits_since(stored_before, now - state.duplicate_window)
    fresh: list[_Candidate] = []
    repeats: list[DuplicateKey] = []
    in_batch: dict[UUID, int] = {}  # a new intake's id -> its item, for repeats in this batch
    aliases: list[tuple[int, int]] = []
    for c in candidates:
        assert c.household_id is not None
        seen = visits.setdefault(c.household_id, [])
        same = repeat_of(seen, c.content)
        if same is not None:
            if same.intake_id in in_batch:
                aliases.append((c.index, in_batch[same.intake_id]))
            else:
                results[c.index] = await _answered_by(uow, same, c.household_id)
            if c.key:
                repeats.append(DuplicateKey(c.principal, c.key, same.intake_id, c.digest))
            continue
        intake_id = new_id()
        c.visit_of = seen[0].first if seen else None
        seen.append(Visit(intake_id, c.visit_of, c.content))  # a later item may follow it up
        in_batch[intake_id] = c.index
        results[c.index] = Submitted(intake_id, c.household_id, follow_up_of=c.visit_of)
        fresh.append(c)
    if fresh:
        await _store(uow, state, fresh, results, now)
    for repeat, first in aliases:
        results[repeat] = replace(results[first], duplicate=True)
    await uow.idempotency_keys.remember_duplicates(repeats, now)


async def _answered_by(uow: IntakeUnitOfWork, visit: Visit, household_id: UUID) -> Submitted:
    return Submitted(
        visit.intake_id,
        household_id,
        duplicate=True,
        follow_up_of=visit.visit_of,
        possible_duplicate_of=await uow.households.shared_members(
            household_id, visit.possible_duplicates
        ),
    )


async def _store(
    uow: IntakeUnitOfWork,
    state: IntakeState,
    fresh: list[_Candidate],
    results: list[Submitted],
    now: datetime,
) -> None:
    """Store the new intakes and their members; raise ``intake.submitted`` and
    ``intake.contacts`` for each. Members already in another household (another KK) flag the
    intake as its probable duplicate; the registry finds the household by KK or by NIK."""
    # read before this batch's members are saved: an item is compared with the households
    # stored before it and the earlier items of the batch, as if each were sent alone
    holding = await uow.households.holding_members([h for c in fresh for h in c.nik_hashes])
    await uow.households.remember_identity(_given_identities(fresh), state.sealer)
    member_ids = await uow.households.save_members(
        [
            MemberToSave(c.household_id, nik_hash, m)
            for c in fresh
            if c.household_id is not None
            for nik_hash, m in zip(c.nik_hashes, c.req.members, strict=True)
        ],
        state.sealer,
        added={c.household_id for c in fresh if c.new_household and c.household_id},
    )
    facts = await state.registry.lookup_many(
        uow.registry,
        list({c.req.household.kk_number for c in fresh}),
        niks=_niks_by_kk(fresh),
    )
    stored: list[NewIntake] = []
    for c in fresh:
        intake_id, household_id = results[c.index].intake_id, c.household_id
        assert intake_id is not None and household_id is not None
        members = [
            _member_facts(member_ids[(household_id, nik_hash)], m)
            for nik_hash, m in zip(c.nik_hashes, c.req.members, strict=True)
        ]
        matches = household_matches(household_id, c.nik_hashes, holding)
        for nik_hash in c.nik_hashes:  # a later item of the batch finds this one's members
            holding.setdefault(nik_hash, set()).add(household_id)
        results[c.index].possible_duplicate_of = matches
        registry = facts[c.req.household.kk_number]
        assert c.req.consent is not None  # intake_errors refuses a missing consent
        consent = Consent(**c.req.consent.model_dump())
        lanes = derive_lanes(members, c.req.priority_lanes, now.date())
        uow.publish(
            INTAKE_SUBMITTED,
            IntakeSubmittedV1(
                intake_id=intake_id,
                household_id=household_id,
                village_code=c.village,
                submitted_at=now,
                members=members,
                household=HouseholdFacts(
                    owns_land=c.req.household.owns_land,
                    house_below_standard=c.req.household.house_below_standard,
                    missing_documents=c.req.household.missing_documents,
                ),
                registry=registry,
                needs=c.req.needs,
                other_need=c.req.other_need,
                complaint=c.req.complaint,
                priority_lanes=lanes,
                consent=consent,
                follow_up_of=c.visit_of,
            ),
        )
        uow.publish(  # to notifications alone; without a consented contact it withdraws one
            INTAKE_CONTACTS,
            IntakeContactV1(
                intake_id=intake_id,
                household_id=household_id,
                submitted_at=now,
                contact=c.req.contact if "notification" in consent.purposes else None,
                consented="notification" in consent.purposes,
            ),
        )
        stored.append(
            NewIntake(
                id=intake_id,
                household_id=household_id,
                idempotency_key=c.key,
                principal=c.principal,
                village_code=c.village,
                needs=c.req.needs,
                priority_lanes=lanes,
                registry=registry,
                consent=consent,
                taken_by=c.req.taken_by,
                contact=c.req.contact,
                missing_documents=c.req.household.missing_documents,
                request_hash=c.digest,
                submitted_at=now,
                visit_of=c.visit_of,
                content_hash=c.content,
                possible_duplicates=matches,
                complaint=c.req.complaint,
            )
        )
    await uow.intakes.add(stored, state.sealer)


def _given_identities(fresh: list[_Candidate]) -> list[GivenIdentity]:
    """Each household's KK number and its latest address (a visit without one keeps the one
    given before, in this batch or earlier)."""
    given: dict[UUID, GivenIdentity] = {}
    for c in fresh:
        assert c.household_id is not None
        before = given.get(c.household_id)
        address = c.req.household.address or (before.address if before else None)
        given[c.household_id] = GivenIdentity(c.household_id, c.req.household.kk_number, address)
    return list(given.values())


def _niks_by_kk(fresh: Sequence[_Candidate]) -> dict[str, list[str]]:
    """Each KK's members' NIKs (every visit of a batch under that KK), for the registry."""
    niks: dict[str, list[str]] = {}
    for c in fresh:
        niks.setdefault(c.req.household.kk_number, []).extend(m.nik for m in c.req.members)
    return niks


def _member_facts(member_id: UUID, m: MemberIn) -> MemberFacts:
    return MemberFacts(
        member_id=member_id,
        relationship=m.relationship,
        birth_date=m.birth_date,
        sex=m.sex,
        pregnant=m.pregnant,
        breastfeeding=m.breastfeeding,
        disability=m.disability,
        schooling=m.schooling,
        working=m.working,
    )

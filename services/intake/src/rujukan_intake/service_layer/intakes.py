"""Submitting intakes: validate, deduplicate, check the registry, store and announce.

A batch is handled as a set (the bulk import sends hundreds per call): every repository call
covers the whole batch. Refused items get a ``problem`` and write nothing; the others commit
together. Duplicates (the same Idempotency-Key, or the same household within the window, also
within this batch) are answered with the first intake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from rujukan_contracts.events import (
    Consent,
    HouseholdFacts,
    IntakeContactV1,
    IntakeSubmittedV1,
    MemberFacts,
)
from rujukan_contracts.topics import INTAKE_CONTACTS, INTAKE_SUBMITTED
from rujukan_intake.adapters.repository import DuplicateKey, MemberToSave, NewIntake
from rujukan_intake.domain.commands import SubmitIntakes, Submitted
from rujukan_intake.domain.identity import keyed_hash
from rujukan_intake.domain.intake import IntakeCreate, MemberIn, intake_errors
from rujukan_intake.domain.lanes import derive_lanes
from rujukan_intake.service_layer.state import IntakeState
from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork
from rujukan_platform.auth import Principal
from rujukan_platform.idempotency import fingerprint, key_mismatch
from rujukan_platform.problems import Problem
from rujukan_regions import normalise_region_code


@dataclass(slots=True)
class _Candidate:
    """An item that passed validation and scope, on its way to being stored."""

    index: int
    req: IntakeCreate
    key: str | None
    digest: str
    village: str
    kk_hash: str
    household_id: UUID | None = None


def request_hash(req: IntakeCreate) -> str:
    """The fingerprint an Idempotency-Key is held to: the whole validated intake (household,
    members, needs, consent, contact, taken_by...). The key is scoped to the principal."""
    return fingerprint(req.model_dump(mode="json"))


def _refusal(errors: list[dict[str, str]]) -> Problem:
    return Problem(
        422,
        "Unprocessable intake",
        "; ".join(f"{e['field']}: {e['reason']}" for e in errors),
        type_="https://rujukan.example/problems/validation",
        errors=errors,
    )


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
            results[index].problem = _refusal(errors)
            continue
        village = normalise_region_code(req.household.village_code)  # stored and sent dotted
        if not cmd.by.covers_region(village):
            results[index].problem = Problem(
                403, "Forbidden", "the village is outside the regions you are scoped to"
            )
            continue
        kk_hash = keyed_hash(state.pii_key, req.household.kk_number)
        candidates.append(
            _Candidate(index, req, item.idempotency_key, request_hash(req), village, kk_hash)
        )

    candidates, aliases = await _drop_idempotent_repeats(uow, candidates, results, cmd.by)
    if candidates:
        await _submit_new(uow, state, candidates, results, cmd.by, now)
    for repeat, first in aliases:
        decided = results[first]
        results[repeat] = Submitted(
            decided.intake_id, decided.household_id, duplicate=True, problem=decided.problem
        )
    return results


async def _drop_idempotent_repeats(
    uow: IntakeUnitOfWork,
    candidates: list[_Candidate],
    results: list[Submitted],
    principal: Principal,
) -> tuple[list[_Candidate], list[tuple[int, int]]]:
    """Items whose Idempotency-Key was used before return that intake (a key reused for a
    different request is refused). A key repeated within the batch aliases its first use:
    returns the items to submit and the (repeat, first) index pairs."""
    prior = await uow.idempotency_keys.uses(principal.subject, [c.key for c in candidates if c.key])
    kept: list[_Candidate] = []
    aliases: list[tuple[int, int]] = []
    first_use: dict[str, _Candidate] = {}
    for c in candidates:
        earlier = prior.get(c.key) if c.key else None
        if earlier is not None:
            if earlier.request_hash != c.digest:
                results[c.index].problem = key_mismatch()
            else:
                results[c.index] = Submitted(
                    earlier.intake_id, earlier.household_id, duplicate=True
                )
        elif c.key and c.key in first_use:
            if first_use[c.key].digest != c.digest:
                results[c.index].problem = key_mismatch()
            else:
                aliases.append((c.index, first_use[c.key].index))
        else:
            if c.key:
                first_use[c.key] = c
            kept.append(c)
    return kept, aliases


async def _submit_new(
    uow: IntakeUnitOfWork,
    state: IntakeState,
    candidates: list[_Candidate],
    results: list[Submitted],
    principal: Principal,
    now: datetime,
) -> None:
    household_ids = await uow.households.add_or_lock({c.kk_hash: c.village for c in candidates})
    for c in candidates:
        c.household_id = household_ids[c.kk_hash]
    earlier = await uow.intakes.first_since(
        list(household_ids.values()), now - state.duplicate_window
    )
    fresh: list[_Candidate] = []
    repeats: list[DuplicateKey] = []
    for c in candidates:
        assert c.household_id is not None
        first = earlier.get(c.household_id)
        if first is not None:
            results[c.index] = Submitted(first, c.household_id, duplicate=True)
            if c.key:
                repeats.append(DuplicateKey(c.key, first, c.digest))
            continue
        intake_id = uuid4()
        earlier[c.household_id] = intake_id  # a later item of this batch is its duplicate
        results[c.index] = Submitted(intake_id, c.household_id)
        fresh.append(c)
    if fresh:
        await _store(uow, state, fresh, results, principal, now)
    await uow.idempotency_keys.remember_duplicates(principal.subject, repeats, now)


async def _store(
    uow: IntakeUnitOfWork,
    state: IntakeState,
    fresh: list[_Candidate],
    results: list[Submitted],
    principal: Principal,
    now: datetime,
) -> None:
    """Store the new intakes and their members; raise ``intake.submitted`` and
    ``intake.contacts`` for each."""
    member_ids = await uow.households.save_members(
        [
            MemberToSave(c.household_id, keyed_hash(state.pii_key, m.nik), m)
            for c in fresh
            if c.household_id is not None
            for m in c.req.members
        ],
        state.sealer,
    )
    facts = await state.registry.lookup_many(
        uow.registry, list({c.req.household.kk_number for c in fresh})
    )
    stored: list[NewIntake] = []
    for c in fresh:
        intake_id, household_id = results[c.index].intake_id, c.household_id
        assert intake_id is not None and household_id is not None
        members = [
            _member_facts(member_ids[(household_id, keyed_hash(state.pii_key, m.nik))], m)
            for m in c.req.members
        ]
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
                principal=principal.subject,
                village_code=c.village,
                needs=c.req.needs,
                priority_lanes=lanes,
                registry=registry,
                consent=consent,
                taken_by=c.req.taken_by,
                request_hash=c.digest,
                submitted_at=now,
            )
        )
    await uow.intakes.add(stored)


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

"""Use cases: submit an intake, read one back, follow its referrals' status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_contracts.events import (
    Consent,
    Event,
    HouseholdFacts,
    IntakeContactV1,
    IntakeSubmittedV1,
    MemberFacts,
    ReferralStatusChangedV1,
)
from rujukan_contracts.topics import INTAKE_CONTACTS, INTAKE_SUBMITTED
from rujukan_intake.adapters.names import name_context
from rujukan_intake.adapters.registry import SocialRegistry
from rujukan_intake.adapters.tables import (
    duplicate_keys,
    households,
    intake_referrals,
    intakes,
    members,
    outbox,
)
from rujukan_intake.domain.identity import keyed_hash
from rujukan_intake.domain.intake import IntakeCreate, MemberIn, intake_errors
from rujukan_intake.domain.lanes import derive_lanes
from rujukan_platform.auth import Principal
from rujukan_platform.idempotency import fingerprint, key_mismatch
from rujukan_platform.outbox import stage
from rujukan_platform.problems import Problem
from rujukan_platform.sealing import Sealer
from rujukan_regions import normalise_region_code


@dataclass(slots=True)
class Submitted:
    """What became of one submitted intake: new, a duplicate of an earlier one, or refused."""

    intake_id: UUID | None = None
    household_id: UUID | None = None
    duplicate: bool = False
    problem: Problem | None = None


@dataclass(slots=True)
class _New:
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


async def submit_intake(
    session: AsyncSession,
    *,
    req: IntakeCreate,
    idempotency_key: str | None,
    **kwargs: Any,
) -> Submitted:
    """One intake: the batch path with a batch of one (a refusal is raised, not returned)."""
    (result,) = await submit_intakes(session, [(req, idempotency_key)], **kwargs)
    if result.problem is not None:
        raise result.problem
    return result


async def submit_intakes(
    session: AsyncSession,
    items: Sequence[tuple[IntakeCreate, str | None]],
    *,
    principal: Principal,
    pii_key: str,
    sealer: Sealer,
    registry: SocialRegistry,
    duplicate_window: timedelta,
    traceparent: str | None = None,
    now: datetime | None = None,
) -> list[Submitted]:
    """Validate, deduplicate, check the registry and stage ``intake.submitted`` for a batch,
    in set-based statements (the bulk import sends hundreds per call).

    Refused items get a ``problem`` and write nothing; the others commit with the caller's
    transaction. Duplicates (same Idempotency-Key, or the same household within the window,
    also within this batch) return the first intake."""
    now = now or datetime.now(UTC)
    results = [Submitted() for _ in items]
    candidates: list[_New] = []
    for index, (req, key) in enumerate(items):
        errors = intake_errors(req, now.date())
        if errors:
            results[index].problem = _refusal(errors)
            continue
        village = normalise_region_code(req.household.village_code)  # stored and sent dotted
        if not principal.covers_region(village):
            results[index].problem = Problem(
                403, "Forbidden", "the village is outside the regions you are scoped to"
            )
            continue
        kk_hash = keyed_hash(pii_key, req.household.kk_number)
        candidates.append(_New(index, req, key, request_hash(req), village, kk_hash))

    candidates, aliases = await _drop_idempotent_repeats(session, candidates, results, principal)
    await _submit_new(
        session,
        candidates,
        results,
        principal=principal,
        pii_key=pii_key,
        sealer=sealer,
        registry=registry,
        duplicate_window=duplicate_window,
        traceparent=traceparent,
        now=now,
    )
    for repeat, first in aliases:
        decided = results[first]
        results[repeat] = Submitted(
            decided.intake_id, decided.household_id, duplicate=True, problem=decided.problem
        )
    return results


async def _submit_new(
    session: AsyncSession,
    candidates: list[_New],
    results: list[Submitted],
    *,
    principal: Principal,
    pii_key: str,
    sealer: Sealer,
    registry: SocialRegistry,
    duplicate_window: timedelta,
    traceparent: str | None,
    now: datetime,
) -> None:
    if not candidates:
        return

    # One upsert for every household; it locks the rows until commit, so concurrent
    # submissions of one household serialise and the duplicate check below sees the first.
    villages = {c.kk_hash: c.village for c in candidates}
    household_ids: dict[str, UUID] = {
        row.kk_hash: row.id
        for row in (
            await session.execute(
                _upsert_households(villages).returning(households.c.id, households.c.kk_hash)
            )
        ).all()
    }
    for c in candidates:
        c.household_id = household_ids[c.kk_hash]

    earlier: dict[UUID, UUID] = {}
    recent = await session.execute(
        select(intakes.c.household_id, intakes.c.id)
        .where(
            intakes.c.household_id.in_(list(household_ids.values())),
            intakes.c.submitted_at > now - duplicate_window,
        )
        .order_by(intakes.c.submitted_at)
    )
    for row in recent.all():
        earlier.setdefault(row.household_id, row.id)  # the first intake within the window
    fresh: list[_New] = []
    repeats: list[_New] = []
    for c in candidates:
        assert c.household_id is not None
        first = earlier.get(c.household_id)
        if first is not None:
            results[c.index] = Submitted(first, c.household_id, duplicate=True)
            repeats.append(c)
            continue
        intake_id = uuid4()
        earlier[c.household_id] = intake_id  # a later item of this batch is its duplicate
        results[c.index] = Submitted(intake_id, c.household_id)
        fresh.append(c)
    if fresh:
        await _insert_intakes(
            session,
            fresh,
            results,
            principal=principal,
            pii_key=pii_key,
            sealer=sealer,
            registry=registry,
            traceparent=traceparent,
            now=now,
        )
    await _remember_duplicate_keys(session, repeats, results, principal, now)


async def _insert_intakes(
    session: AsyncSession,
    fresh: list[_New],
    results: list[Submitted],
    *,
    principal: Principal,
    pii_key: str,
    sealer: Sealer,
    registry: SocialRegistry,
    traceparent: str | None,
    now: datetime,
) -> None:
    """Store the new intakes, their members and their ``intake.submitted`` events."""
    member_ids = await _upsert_members(session, fresh, pii_key, sealer)
    facts = await registry.lookup_many(session, list({c.req.household.kk_number for c in fresh}))
    intake_rows: list[dict[str, Any]] = []
    events: list[tuple[str, Event]] = []
    for c in fresh:
        result = results[c.index]
        assert result.intake_id is not None and c.household_id is not None
        members_facts = [
            _member_facts(member_ids[(c.household_id, keyed_hash(pii_key, m.nik))], m)
            for m in c.req.members
        ]
        registry_facts = facts[c.req.household.kk_number]
        assert c.req.consent is not None  # intake_errors refuses a missing consent
        consent = Consent(**c.req.consent.model_dump())
        lanes = derive_lanes(members_facts, c.req.priority_lanes, now.date())
        events.append(
            (
                INTAKE_SUBMITTED,
                IntakeSubmittedV1(
                    intake_id=result.intake_id,
                    household_id=c.household_id,
                    village_code=c.village,
                    submitted_at=now,
                    members=members_facts,
                    household=HouseholdFacts(
                        owns_land=c.req.household.owns_land,
                        house_below_standard=c.req.household.house_below_standard,
                        missing_documents=c.req.household.missing_documents,
                    ),
                    registry=registry_facts,
                    needs=c.req.needs,
                    other_need=c.req.other_need,
                    complaint=c.req.complaint,
                    priority_lanes=lanes,
                    consent=consent,
                ),
            )
        )
        events.append(  # to notifications alone; without a consented contact it withdraws one
            (
                INTAKE_CONTACTS,
                IntakeContactV1(
                    intake_id=result.intake_id,
                    household_id=c.household_id,
                    submitted_at=now,
                    contact=c.req.contact if "notification" in consent.purposes else None,
                ),
            )
        )
        intake_rows.append(
            {
                "id": result.intake_id,
                "household_id": c.household_id,
                "idempotency_key": c.key,
                "principal": principal.subject,
                "village_code": c.village,
                "needs": [n.value for n in c.req.needs],
                "priority_lanes": [lane.value for lane in lanes],
                "registry": registry_facts.model_dump(mode="json"),
                "consent": consent.model_dump(mode="json"),
                "taken_by": c.req.taken_by.model_dump(mode="json"),
                "request_hash": c.digest,
                "submitted_at": now,
            }
        )
    await session.execute(intakes.insert(), intake_rows)
    await stage(session, outbox, events, traceparent=traceparent)


async def _remember_duplicate_keys(
    session: AsyncSession,
    repeats: list[_New],
    results: list[Submitted],
    principal: Principal,
    now: datetime,
) -> None:
    """A duplicate's key still names its request: a later use of it with another body is
    refused, and a retry gets this intake even after the window has passed."""
    rows = [
        {
            "principal": principal.subject,
            "idempotency_key": c.key,
            "intake_id": results[c.index].intake_id,
            "request_hash": c.digest,
            "submitted_at": now,
        }
        for c in repeats
        if c.key
    ]
    if rows:
        await session.execute(insert(duplicate_keys).on_conflict_do_nothing(), rows)


async def _drop_idempotent_repeats(
    session: AsyncSession, candidates: list[_New], results: list[Submitted], principal: Principal
) -> tuple[list[_New], list[tuple[int, int]]]:
    """Items whose Idempotency-Key was used before return that intake (a key reused for a
    different request is refused). A key repeated within the batch aliases its first use:
    returns the items to submit and the (repeat, first) index pairs."""
    keys = [c.key for c in candidates if c.key]
    prior: dict[str, Any] = {}
    if keys:
        prior = {
            row.idempotency_key: row
            for row in (await session.execute(_uses_of(principal, keys))).all()
        }
    kept: list[_New] = []
    aliases: list[tuple[int, int]] = []
    first_use: dict[str, _New] = {}
    for c in candidates:
        earlier = prior.get(c.key) if c.key else None
        if earlier is not None:
            if earlier.request_hash != c.digest:
                results[c.index].problem = key_mismatch()
            else:
                results[c.index] = Submitted(earlier.id, earlier.household_id, duplicate=True)
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


def _uses_of(principal: Principal, keys: list[str]) -> Any:
    """Where these keys of this principal were used: on a new intake, or on a duplicate."""
    new = select(
        intakes.c.idempotency_key, intakes.c.id, intakes.c.household_id, intakes.c.request_hash
    ).where(intakes.c.principal == principal.subject, intakes.c.idempotency_key.in_(keys))
    repeated = (
        select(
            duplicate_keys.c.idempotency_key,
            intakes.c.id,
            intakes.c.household_id,
            duplicate_keys.c.request_hash,
        )
        .join(intakes, intakes.c.id == duplicate_keys.c.intake_id)
        .where(
            duplicate_keys.c.principal == principal.subject,
            duplicate_keys.c.idempotency_key.in_(keys),
        )
    )
    return union_all(new, repeated)


def _upsert_households(villages: dict[str, str]) -> Any:
    stmt = insert(households).values(
        [{"id": uuid4(), "kk_hash": kk, "village_code": v} for kk, v in sorted(villages.items())]
    )
    return stmt.on_conflict_do_update(
        index_elements=["kk_hash"], set_={"village_code": stmt.excluded.village_code}
    )


async def _upsert_members(
    session: AsyncSession, fresh: list[_New], pii_key: str, sealer: Sealer
) -> dict[tuple[UUID, str], UUID]:
    """Insert or update the members; each name sealed in its row (``members.name:<id>``).

    A member already stored keeps its id, read first so the name is sealed for that row: the
    households' upsert has locked their rows, so no one adds their members meanwhile."""
    household_ids = list({c.household_id for c in fresh if c.household_id is not None})
    known: dict[tuple[UUID, str], UUID] = {
        (r.household_id, r.nik_hash): r.id
        for r in await session.execute(
            select(members.c.id, members.c.household_id, members.c.nik_hash).where(
                members.c.household_id.in_(household_ids)
            )
        )
    }
    rows: dict[tuple[UUID, str], dict[str, Any]] = {}
    for c in fresh:
        assert c.household_id is not None
        for m in c.req.members:
            nik_hash = keyed_hash(pii_key, m.nik)
            member_id = known.get((c.household_id, nik_hash)) or uuid4()
            rows[(c.household_id, nik_hash)] = {
                "id": member_id,
                "household_id": c.household_id,
                "nik_hash": nik_hash,
                "name": sealer.seal(m.name, context=name_context(member_id)),
                "birth_date": m.birth_date,
                "sex": m.sex.value,
                "relationship": m.relationship.value,
                "attributes": m.model_dump(
                    mode="json", exclude={"nik", "name", "birth_date", "sex", "relationship"}
                ),
            }
    stmt = insert(members).values([rows[k] for k in sorted(rows, key=str)])
    stmt = stmt.on_conflict_do_update(
        index_elements=["household_id", "nik_hash"],
        set_={
            "name": stmt.excluded.name,
            "relationship": stmt.excluded.relationship,
            "attributes": stmt.excluded.attributes,
        },
    )
    returned = await session.execute(
        stmt.returning(members.c.id, members.c.household_id, members.c.nik_hash)
    )
    return {(r.household_id, r.nik_hash): r.id for r in returned.all()}


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


async def get_intake(
    session: AsyncSession, intake_id: UUID, principal: Principal
) -> dict[str, Any]:
    row = (await session.execute(select(intakes).where(intakes.c.id == intake_id))).first()
    if row is None or not principal.covers_region(row.village_code):
        raise Problem(404, "Not found", f"no intake {intake_id}")
    referrals = (
        await session.execute(
            select(intake_referrals)
            .where(intake_referrals.c.intake_id == intake_id)
            .order_by(intake_referrals.c.program_code)
        )
    ).all()
    return {
        "intake_id": row.id,
        "household_id": row.household_id,
        "village_code": row.village_code,
        "needs": row.needs,
        "priority_lanes": row.priority_lanes,
        "registry": row.registry,
        "consent": row.consent,
        "taken_by": row.taken_by,
        "submitted_at": row.submitted_at,
        "referrals": [
            {
                "referral_id": r.referral_id,
                "program_code": r.program_code,
                "status": r.status,
                "reason_code": r.reason_code,
                "changed_at": r.changed_at,
            }
            for r in referrals
        ],
    }


async def record_referral_status(session: AsyncSession, event: ReferralStatusChangedV1) -> None:
    """Keep the intake's view of its referrals current; an older change never overwrites a newer."""
    stmt = insert(intake_referrals).values(
        referral_id=event.referral_id,
        intake_id=event.intake_id,
        program_code=event.program_code,
        status=event.to_status.value,
        reason_code=event.reason_code.value if event.reason_code else None,
        changed_at=event.changed_at,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["referral_id"],
        set_={
            "status": stmt.excluded.status,
            "reason_code": stmt.excluded.reason_code,
            "changed_at": stmt.excluded.changed_at,
        },
        where=intake_referrals.c.changed_at <= stmt.excluded.changed_at,
    )
    await session.execute(stmt)

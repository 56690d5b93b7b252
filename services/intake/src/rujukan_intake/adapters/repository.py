"""Intake's repositories: the SQL of every change intake makes, on the unit of work's session.

Submissions come hundreds at a time from the bulk import, so each method covers the whole batch
in set-based statements; rows come back as named types, never bare tuples.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import Text, bindparam, cast, column, select, text, union_all
from sqlalchemy.dialects.postgresql import JSONB, insert

from rujukan_contracts.events import (
    Complaint,
    Consent,
    ContactPoint,
    Need,
    PriorityLane,
    ProgramPublishedV1,
    ReferralStatusChangedV1,
    RegistryFacts,
)
from rujukan_contracts.references import referral_reference
from rujukan_intake.adapters.names import (
    ADDRESS,
    CONTACT,
    KK_NUMBER,
    NIK,
    name_context,
    sealed_context,
)
from rujukan_intake.adapters.tables import (
    duplicate_keys,
    households,
    identity_reads,
    intake_programs,
    intake_referrals,
    intakes,
    members,
)
from rujukan_intake.domain.intake import MemberIn, TakenBy
from rujukan_intake.domain.visits import HouseholdMatch, Visit, household_matches
from rujukan_platform.db import any_of, rows_parameters, rows_table
from rujukan_platform.ids import new_id
from rujukan_platform.latest import LatestKept, keep_latest
from rujukan_platform.sealing import Sealer
from rujukan_platform.uow import Repository

MemberKey = tuple[UUID, str]
"""A member as its household knows it: (household id, keyed hash of the NIK)."""

#: a member's fields not in ``attributes``: they have columns of their own, or (the NIK) are
#: never stored
_ATTRIBUTES_LEFT_OUT = {"nik", "name", "birth_date", "sex", "relationship"}


class Member(NamedTuple):
    """A member as the officers who serve the family see them: the name opened."""

    name: str
    birth_date: date
    sex: str
    relationship: str
    #: None for members stored before revision 0008 (only the NIK's hash was kept)
    nik: str | None = None


@dataclass(frozen=True, slots=True)
class MemberToSave:
    household_id: UUID
    nik_hash: str
    member: MemberIn


@dataclass(frozen=True, slots=True)
class GivenIdentity:
    """What an intake says of its household beyond the KK's hash: the number, an address."""

    household_id: UUID
    kk_number: str
    address: str | None


@dataclass(frozen=True, slots=True)
class Family:
    """How an agency finds and serves a household (opened; None where nothing was stored)."""

    kk_number: str | None
    address: str | None
    contact: ContactPoint | None
    missing_documents: list[str]


# The submission path's statements, built once: SQLAlchemy keys its cache of compiled statements
# on a statement's structure, generated again for every object, so one built per call paid that
# (and the upserts' ``excluded``) on every intake. Values are bound at execution, a column an
# array (``unnest``, ``= ANY``): an IN list or a VALUES list of n items is another statement for
# every n, compiled by SQLAlchemy and prepared by PostgreSQL again, a bulk batch's each time.

_HOUSEHOLD_COLUMNS = ("id", "kk_hash", "village_code")
_GIVEN_HOUSEHOLDS = rows_table(
    *(column(c, households.c[c].type) for c in _HOUSEHOLD_COLUMNS), name="given", rows=[]
)
_MEMBER_COLUMNS = (
    "id",
    "household_id",
    "nik_hash",
    "name",
    "nik",
    "birth_date",
    "sex",
    "relationship",
    "attributes",
)
_GIVEN_MEMBERS = rows_table(  # attributes as JSON text, cast: an array of jsonb is not bound
    *(column(c, Text() if c == "attributes" else members.c[c].type) for c in _MEMBER_COLUMNS),
    name="given",
    rows=[],
)


def _upsert_households() -> Any:
    stmt = insert(households).from_select(list(_HOUSEHOLD_COLUMNS), select(_GIVEN_HOUSEHOLDS))
    return stmt.on_conflict_do_update(
        index_elements=["kk_hash"], set_={"village_code": stmt.excluded.village_code}
    ).returning(households.c.id, households.c.kk_hash)


def _upsert_members() -> Any:
    given = _GIVEN_MEMBERS.c
    stmt = insert(members).from_select(
        list(_MEMBER_COLUMNS),
        select(*(given[c] for c in _MEMBER_COLUMNS[:-1]), cast(given.attributes, JSONB)),
    )
    return stmt.on_conflict_do_update(
        index_elements=["household_id", "nik_hash"],
        set_={
            "name": stmt.excluded.name,
            "nik": stmt.excluded.nik,
            "relationship": stmt.excluded.relationship,
            "attributes": stmt.excluded.attributes,
        },
    ).returning(members.c.id, members.c.household_id, members.c.nik_hash)


_ADD_OR_LOCK = _upsert_households()
_SAVE_MEMBERS = _upsert_members()
_MEMBER_IDS = select(members.c.id, members.c.household_id, members.c.nik_hash).where(
    members.c.household_id == any_of("households", members.c.household_id.type)
)
_HOLDING = select(members.c.nik_hash, members.c.household_id).where(
    members.c.nik_hash == any_of("niks", Text())
)
_REMEMBER_IDENTITY = text(
    "UPDATE households SET kk_number = u.kk_number,"
    " address = coalesce(u.address, households.address)"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:kks AS text[]),"
    " CAST(:addresses AS text[])) AS u(id, kk_number, address)"
    " WHERE households.id = u.id"
)
_VISITS_SINCE = (
    select(
        intakes.c.household_id,
        intakes.c.id,
        intakes.c.visit_of,
        intakes.c.content_hash,
        intakes.c.possible_duplicates,
    )
    .where(
        intakes.c.household_id == any_of("households", intakes.c.household_id.type),
        intakes.c.submitted_at > bindparam("since"),
    )
    .order_by(intakes.c.submitted_at, intakes.c.id)
)
_ADD_INTAKES = intakes.insert()
_KEY_COLUMNS = ("principal", "idempotency_key")
_GIVEN_KEYS = rows_table(*(column(c, Text()) for c in _KEY_COLUMNS), name="given", rows=[])


def _key_uses() -> Any:
    """Each given (principal, key)'s use: by an intake, or by a duplicate answered with one."""
    answered = (intakes.c.visit_of, intakes.c.possible_duplicates)
    given = _GIVEN_KEYS.c
    on_intake = select(
        intakes.c.principal,
        intakes.c.idempotency_key,
        intakes.c.id,
        intakes.c.household_id,
        intakes.c.request_hash,
        *answered,
    ).join(
        _GIVEN_KEYS,
        (intakes.c.principal == given.principal)
        & (intakes.c.idempotency_key == given.idempotency_key),
    )
    on_duplicate = (
        select(
            duplicate_keys.c.principal,
            duplicate_keys.c.idempotency_key,
            intakes.c.id,
            intakes.c.household_id,
            duplicate_keys.c.request_hash,
            *answered,
        )
        .join(intakes, intakes.c.id == duplicate_keys.c.intake_id)
        .join(
            _GIVEN_KEYS,
            (duplicate_keys.c.principal == given.principal)
            & (duplicate_keys.c.idempotency_key == given.idempotency_key),
        )
    )
    return union_all(on_intake, on_duplicate)


_KEY_USES = _key_uses()


class LockedHouseholds(NamedTuple):
    """The households of a submission, locked until commit."""

    #: each household's id by the KK's keyed hash
    ids: dict[str, UUID]
    #: those added by this transaction: nothing of theirs (intakes, members) is stored yet
    added: set[UUID]


class HouseholdRepository(Repository):
    """Households (by the KK's keyed hash) and their members, names sealed at rest."""

    async def add_or_lock(self, villages: Mapping[str, str]) -> LockedHouseholds:
        """Each household's id by KK hash, stored with its village (added if new). The upsert
        locks the rows until commit, so concurrent submissions of one household serialise and
        the later sees the earlier's intake."""
        offered = {kk: new_id() for kk in sorted(villages)}  # in order: locks taken in order
        rows = await self._session.execute(
            _ADD_OR_LOCK,
            rows_parameters(_GIVEN_HOUSEHOLDS, [(offered[kk], kk, villages[kk]) for kk in offered]),
        )
        ids = {row.kk_hash: row.id for row in rows}
        # a household that kept the id offered was added now: one already stored keeps its own
        return LockedHouseholds(ids, {i for kk, i in ids.items() if offered[kk] == i})

    async def save_members(
        self, to_save: Sequence[MemberToSave], sealer: Sealer, *, added: Collection[UUID] = ()
    ) -> dict[MemberKey, UUID]:
        """Insert or update members, each name sealed for its row (``members.name:<id>``).

        A member already stored keeps its id, read first so the name is sealed for that row: the
        households' upsert has locked their rows, so no one adds their members meanwhile.
        Households ``added`` in this transaction have none stored, so theirs are not read."""
        household_ids = list({m.household_id for m in to_save} - set(added))
        known: dict[MemberKey, UUID] = {}
        if household_ids:
            known = {
                (r.household_id, r.nik_hash): r.id
                for r in await self._session.execute(_MEMBER_IDS, {"households": household_ids})
            }
        rows: dict[MemberKey, tuple[Any, ...]] = {}
        for m in to_save:  # a member listed twice is saved once (ON CONFLICT: once a row)
            key = (m.household_id, m.nik_hash)
            member_id = known.get(key) or new_id()
            rows[key] = (  # in _MEMBER_COLUMNS' order
                member_id,
                m.household_id,
                m.nik_hash,
                sealer.seal(m.member.name, context=name_context(member_id)),
                sealer.seal(m.member.nik, context=sealed_context(NIK, member_id)),
                m.member.birth_date,
                m.member.sex.value,
                m.member.relationship.value,
                m.member.model_dump_json(exclude=_ATTRIBUTES_LEFT_OUT),
            )
        returned = await self._session.execute(
            _SAVE_MEMBERS,
            rows_parameters(_GIVEN_MEMBERS, [rows[k] for k in sorted(rows)]),
        )
        return {(r.household_id, r.nik_hash): r.id for r in returned}

    async def holding_members(self, nik_hashes: Sequence[str]) -> dict[str, set[UUID]]:
        """The households each of these NIK hashes belongs to (one, or several when a member
        is listed under two KKs)."""
        rows = await self._session.execute(_HOLDING, {"niks": list(set(nik_hashes))})
        holding: dict[str, set[UUID]] = {}
        for row in rows:
            holding.setdefault(row.nik_hash, set()).add(row.household_id)
        return holding

    async def remember_identity(self, given: Sequence[GivenIdentity], sealer: Sealer) -> None:
        """Each household's KK number and (when given) address, sealed for its row, in one
        statement: an intake without an address keeps the one given before."""
        if not given:
            return
        await self._session.execute(
            _REMEMBER_IDENTITY,
            {
                "ids": [g.household_id for g in given],
                "kks": [
                    sealer.seal(g.kk_number, context=sealed_context(KK_NUMBER, g.household_id))
                    for g in given
                ],
                "addresses": [
                    None
                    if g.address is None
                    else sealer.seal(g.address, context=sealed_context(ADDRESS, g.household_id))
                    for g in given
                ],
            },
        )

    async def identity(self, household_id: UUID, intake_id: UUID, sealer: Sealer) -> Family:
        """The household's KK number and address, and what one of its intakes said: the
        contact given and the documents it lacks (sealed values opened)."""
        row = (
            await self._session.execute(
                select(
                    households.c.kk_number,
                    households.c.address,
                    intakes.c.contact,
                    intakes.c.missing_documents,
                )
                .join(intakes, intakes.c.household_id == households.c.id)
                .where(households.c.id == household_id, intakes.c.id == intake_id)
            )
        ).one()

        def opened(value: str | None, column: tuple[str, str, str], row_id: UUID) -> str | None:
            if value is None:
                return None
            return sealer.open(value, context=sealed_context(column, row_id))

        contact = opened(row.contact, CONTACT, intake_id)
        return Family(
            kk_number=opened(row.kk_number, KK_NUMBER, household_id),
            address=opened(row.address, ADDRESS, household_id),
            contact=None if contact is None else ContactPoint.model_validate_json(contact),
            missing_documents=list(row.missing_documents or ()),
        )

    async def shared_members(
        self, household_id: UUID, others: Sequence[UUID]
    ) -> tuple[HouseholdMatch, ...]:
        """How many of the household's members each of ``others`` holds now, by NIK hash."""
        if not others:
            return ()
        mine = select(members.c.nik_hash).where(members.c.household_id == household_id)
        rows = await self._session.execute(
            select(members.c.nik_hash, members.c.household_id).where(
                members.c.household_id.in_(others), members.c.nik_hash.in_(mine)
            )
        )
        holding: dict[str, set[UUID]] = {}
        for row in rows:
            holding.setdefault(row.nik_hash, set()).add(row.household_id)
        return household_matches(household_id, list(holding), holding)

    async def members_of(self, household_id: UUID, sealer: Sealer) -> list[Member]:
        """The household's members, the head first, then by age (eldest first)."""
        rows = await self._session.execute(
            select(
                members.c.id,
                members.c.name,
                members.c.birth_date,
                members.c.sex,
                members.c.relationship,
                members.c.nik,
            )
            .where(members.c.household_id == household_id)
            .order_by(members.c.relationship != "head", members.c.birth_date)
        )
        return [
            Member(
                sealer.open(r.name, context=name_context(r.id)),
                r.birth_date,
                r.sex,
                r.relationship,
                None if r.nik is None else sealer.open(r.nik, context=sealed_context(NIK, r.id)),
            )
            for r in rows
        ]


@dataclass(frozen=True, slots=True)
class NewIntake:
    """An intake as it is stored: what eligibility and the front office read back."""

    id: UUID
    household_id: UUID
    idempotency_key: str | None
    principal: str
    village_code: str
    needs: Sequence[Need]
    priority_lanes: Sequence[PriorityLane]
    registry: RegistryFacts
    consent: Consent
    taken_by: TakenBy
    #: the contact the resident gave (sealed by ``add``), and the documents they lack
    contact: ContactPoint | None
    missing_documents: Sequence[str]
    request_hash: str
    submitted_at: datetime
    visit_of: UUID | None
    content_hash: str
    possible_duplicates: Sequence[HouseholdMatch]
    complaint: Complaint | None = None


def stored_duplicates(stored: list[str] | None) -> tuple[UUID, ...]:
    """The households an intake was flagged against, as ``intakes.possible_duplicates`` holds
    them: ids only, no count (a small number beside a member could be a NIK's serial)."""
    return tuple(UUID(household_id) for household_id in stored or ())


class IntakeRepository(Repository):
    """Intakes as submitted (the household, never its NIKs or KK in the clear)."""

    async def visits_since(
        self, household_ids: Sequence[UUID], since: datetime
    ) -> dict[UUID, list[Visit]]:
        """Each household's intakes submitted after ``since`` (the duplicate window), the
        first first."""
        if not household_ids:
            return {}
        rows = await self._session.execute(
            _VISITS_SINCE, {"households": list(household_ids), "since": since}
        )
        visits: dict[UUID, list[Visit]] = {}
        for r in rows:
            visits.setdefault(r.household_id, []).append(
                Visit(r.id, r.visit_of, r.content_hash, stored_duplicates(r.possible_duplicates))
            )
        return visits

    async def add(self, new: Sequence[NewIntake], sealer: Sealer) -> None:
        """Store intakes, each contact sealed for its row (``intakes.contact:<id>``)."""
        await self._session.execute(
            _ADD_INTAKES,
            [
                {
                    "id": i.id,
                    "household_id": i.household_id,
                    "idempotency_key": i.idempotency_key,
                    "principal": i.principal,
                    "village_code": i.village_code,
                    "needs": [n.value for n in i.needs],
                    "priority_lanes": [lane.value for lane in i.priority_lanes],
                    "registry": i.registry.model_dump(mode="json"),
                    "consent": i.consent.model_dump(mode="json"),
                    "taken_by": i.taken_by.model_dump(mode="json"),
                    "contact": None
                    if i.contact is None
                    else sealer.seal(
                        i.contact.model_dump_json(), context=sealed_context(CONTACT, i.id)
                    ),
                    "missing_documents": list(i.missing_documents),
                    "request_hash": i.request_hash,
                    "submitted_at": i.submitted_at,
                    "visit_of": i.visit_of,
                    "content_hash": i.content_hash,
                    "complaint": None
                    if i.complaint is None
                    else i.complaint.model_dump(mode="json"),
                    "possible_duplicates": [str(m.household_id) for m in i.possible_duplicates],
                }
                for i in new
            ],
        )


class KeyUse(NamedTuple):
    """Where an Idempotency-Key was used: the intake it answered and the request it named."""

    intake_id: UUID
    household_id: UUID
    request_hash: str
    visit_of: UUID | None
    possible_duplicates: tuple[UUID, ...]


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    """The key of a submission answered with an earlier intake of its household."""

    principal: str
    idempotency_key: str
    intake_id: UUID
    request_hash: str


class IdempotencyKeys(Repository):
    """A principal's Idempotency-Keys: on the intakes they created, or on duplicates."""

    async def uses(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], KeyUse]:
        """The earlier use of each (principal, key), if any (another officer's same key is
        another request)."""
        if not keys:
            return {}
        rows = await self._session.execute(_KEY_USES, rows_parameters(_GIVEN_KEYS, list(keys)))
        return {
            (r.principal, r.idempotency_key): KeyUse(
                r.id,
                r.household_id,
                r.request_hash,
                r.visit_of,
                stored_duplicates(r.possible_duplicates),
            )
            for r in rows.all()
        }

    async def remember_duplicates(self, keys: Sequence[DuplicateKey], at: datetime) -> None:
        """A duplicate's key still names its request: a later use with another body is
        refused, and a retry gets the intake even after the window has passed."""
        if not keys:
            return
        await self._session.execute(
            insert(duplicate_keys).on_conflict_do_nothing(),
            [
                {
                    "principal": k.principal,
                    "idempotency_key": k.idempotency_key,
                    "intake_id": k.intake_id,
                    "request_hash": k.request_hash,
                    "submitted_at": at,
                }
                for k in keys
            ],
        )


class ReferredHousehold(NamedTuple):
    """The household a referral is about, the program it was referred to, where the referral
    stands and the consent its intake carried."""

    program_code: str
    intake_id: UUID
    household_id: UUID
    village_code: str
    referral_id: UUID
    reference: str | None
    status: str
    consent: dict[str, Any]


#: a consumer batch of referrals.status (3.4 events a household) upserted by one statement,
#: built once
_STATUSES = LatestKept(
    intake_referrals,
    (
        "referral_id",
        "intake_id",
        "program_code",
        "status",
        "reason_code",
        "changed_at",
        "kind",
        "reference",
    ),
    key=["referral_id"],
    stamp="changed_at",
)


class ReferralStatuses(Repository):
    """The intake's view of its referrals, as the router reports them on referrals.status."""

    async def record(self, changes: Sequence[ReferralStatusChangedV1]) -> None:
        """Keep each referral's latest status, a consumer batch's in one statement; an older
        change never overwrites a newer."""
        rows = [
            {
                "referral_id": change.referral_id,
                "intake_id": change.intake_id,
                "program_code": change.program_code,
                "status": change.to_status.value,
                "reason_code": change.reason_code.value if change.reason_code else None,
                "changed_at": change.changed_at,
                "kind": change.kind,
                "reference": change.reference
                or referral_reference(change.referral_id, change.village_code),
            }
            for change in changes
        ]
        if rows:  # one array a column: any number of rows in one statement
            await self._session.execute(_STATUSES.statement, _STATUSES.parameters(rows))

    async def household_of(
        self, *, referral_id: UUID | None = None, reference: str | None = None
    ) -> ReferredHousehold | None:
        """The referral with this id or reference (canonical), as intake last heard of it."""
        if reference is not None:
            which = intake_referrals.c.reference == reference
        else:
            which = intake_referrals.c.referral_id == referral_id
        row = (
            await self._session.execute(
                select(
                    intake_referrals.c.program_code,
                    intakes.c.id.label("intake_id"),
                    intakes.c.household_id,
                    intakes.c.village_code,
                    intake_referrals.c.referral_id,
                    intake_referrals.c.reference,
                    intake_referrals.c.status,
                    intakes.c.consent,
                )
                .join(intakes, intakes.c.id == intake_referrals.c.intake_id)
                .where(which)
            )
        ).first()
        return None if row is None else ReferredHousehold(*row)


@dataclass(frozen=True, slots=True)
class KnownProgram:
    """A program as intake knows it from programs.catalog."""

    code: str
    name: dict[str, str]
    required_documents: list[str]


class KnownPrograms(Repository):
    """The programs' names and required documents, as programs.catalog last published them."""

    async def remember(self, event: ProgramPublishedV1) -> None:
        """Keep the program's latest publication (an older one never overwrites a newer)."""
        row = {
            "code": event.code,
            "name": event.name.model_dump(),
            "required_documents": list(event.required_documents),
            "published_at": event.published_at,
        }
        await self._session.execute(
            keep_latest(intake_programs, row, key=["code"], stamp="published_at")
        )

    async def get(self, code: str) -> KnownProgram | None:
        row = (
            await self._session.execute(
                select(
                    intake_programs.c.code,
                    intake_programs.c.name,
                    intake_programs.c.required_documents,
                ).where(intake_programs.c.code == code)
            )
        ).first()
        if row is None:
            return None
        return KnownProgram(row.code, row.name, list(row.required_documents))


class IdentityReadLog(Repository):
    """Who read which household's identity, when and why (UU PDP: a controller must be able
    to say who processed a resident's data)."""

    async def add(
        self,
        *,
        subject: str,
        role: str,
        household: ReferredHousehold,
        referral_id: UUID,
        purpose: str,
    ) -> None:
        await self._session.execute(
            identity_reads.insert().values(
                subject=subject,
                role=role,
                household_id=household.household_id,
                village_code=household.village_code,
                referral_id=referral_id,
                program_code=household.program_code,
                purpose=purpose,
            )
        )

"""Event data models, one class per CloudEvents type.

Rules of the road: within a version, changes are additive only and consumers ignore unknown
fields (``extra="ignore"``); a breaking change is a new ``v<N+1>`` class published side by side.
No event carries a NIK, a KK number, a name or an address line: households travel as opaque ids.
Every string is a ``rujukan_contracts.text`` type (no control characters, usable contacts,
plausible dates), so a record written straight to Kafka that breaks them goes to the DLQ.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from rujukan_contracts.text import (
    BirthDate,
    ConsentTime,
    Email,
    JsonObject,
    Line,
    Localised,
    Phone,
    Text,
    refusal,
)


class Event(BaseModel):
    """Base of every event: knows its CloudEvents type, aggregate and the key it is sent under."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    ce_type: ClassVar[str]
    aggregate: ClassVar[str]
    #: the field that holds the aggregate's id, which ``key()`` sends the event under
    key_field: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.key_field not in cls.model_fields:
            raise TypeError(f"{cls.__name__}.key_field {cls.key_field!r} is not one of its fields")

    def key(self) -> str:
        """The Kafka key: the aggregate id, so all events of one aggregate stay in order."""
        return str(getattr(self, self.key_field))

    def subject(self) -> str:
        return self.key()


class Need(StrEnum):
    health_insurance = "health_insurance"
    schooling = "schooling"
    food = "food"
    cash = "cash"
    housing = "housing"
    disability_care = "disability_care"
    elderly_care = "elderly_care"
    civil_documents = "civil_documents"
    other = "other"


class PriorityLane(StrEnum):
    pregnant_or_breastfeeding = "pregnant_or_breastfeeding"
    elderly = "elderly"
    disability = "disability"
    violence_victim = "violence_victim"


class Sex(StrEnum):
    female = "female"
    male = "male"


class Relationship(StrEnum):
    head = "head"
    spouse = "spouse"
    child = "child"
    parent = "parent"
    other = "other"


class Disability(StrEnum):
    none = "none"
    mild = "mild"
    moderate = "moderate"
    severe = "severe"


class Schooling(StrEnum):
    not_yet = "not_yet"
    in_school = "in_school"
    not_in_school = "not_in_school"
    completed_12y = "completed_12y"


class ReferralStatus(StrEnum):
    """Our lifecycle (SLRT publishes none); transitions live in the router's domain. A
    complaint case has its own: received → in_progress → answered → closed."""

    created = "created"
    delivered = "delivered"
    received = "received"
    accepted = "accepted"
    rejected = "rejected"
    in_service = "in_service"
    completed = "completed"
    expired = "expired"
    withdrawn = "withdrawn"
    in_progress = "in_progress"
    answered = "answered"
    closed = "closed"


class OutcomeKind(StrEnum):
    """What an agency may report about a referral it holds (the last three: on a complaint)."""

    received = "received"
    accepted = "accepted"
    rejected = "rejected"
    in_service = "in_service"
    completed = "completed"
    in_progress = "in_progress"
    answered = "answered"
    closed = "closed"


class ReasonCode(StrEnum):
    """Primero's outcome reasons, extended where SLRT needs more."""

    client_refused_services = "client_refused_services"
    lack_of_capacity = "lack_of_capacity"
    services_no_longer_needed = "services_no_longer_needed"
    unable_to_contact_client = "unable_to_contact_client"
    unable_to_contact_referred_to_organization = "unable_to_contact_referred_to_organization"
    not_eligible = "not_eligible"
    other = "other"


class Consent(BaseModel):
    """What the resident agreed to: purposes, recipients and when. Travels with every intake."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    purposes: list[Line] = Field(description="e.g. 'referral', 'notification'")
    recipients: list[Line] = Field(description="program codes or '*' for every eligible program")
    given_at: ConsentTime

    def allows(self, purpose: str, recipient: str) -> bool:
        return purpose in self.purposes and ("*" in self.recipients or recipient in self.recipients)


class MemberFacts(BaseModel):
    """What eligibility needs to know of a member; no NIK, no name."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    member_id: UUID
    relationship: Relationship
    birth_date: BirthDate
    sex: Sex
    pregnant: bool = False
    breastfeeding: bool = False
    disability: Disability = Disability.none
    schooling: Schooling = Schooling.not_yet
    working: bool = False


class RegistryFacts(BaseModel):
    """The social-registry (DTKS/DTSEN) check made at intake."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    found: bool
    decile: int | None = Field(default=None, ge=1, le=10)
    enrolments: list[Line] = Field(default_factory=list)
    has_kks: bool = False
    source: Line = "local"
    checked_at: datetime
    #: how the household was found: by its KK, or (a KK mistyped or since replaced) by a
    #: member's NIK; None when it was not found
    matched_by: Literal["kk", "nik"] | None = None


class HouseholdFacts(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    owns_land: bool = False
    house_below_standard: bool = False
    missing_documents: list[Line] = Field(default_factory=list)


class ContactPoint(BaseModel):
    """How the resident agreed to be told of progress (only channels consented to)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    language: Literal["id", "en"] = "id"
    email: Email | None = None
    phone: Phone | None = None


class ComplaintCategory(StrEnum):
    """What SLRT complaint desks log a complaint as."""

    aid_not_received = "aid_not_received"  # bantuan tidak diterima
    wrong_amount = "wrong_amount"  # jumlah bantuan tidak sesuai
    data_error = "data_error"  # data salah, tidak terdata (exclusion or inclusion error)
    officer_service = "officer_service"  # pelayanan petugas
    illegal_levy = "illegal_levy"  # pungutan liar (pungli)
    other = "other"


class Complaint(BaseModel):
    """A resident's complaint, question or suggestion (pengaduan), in their own words; on a
    referral, ``about_referral`` also links the household's open referral to the program."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Literal["complaint", "question", "suggestion"]
    about_program: Line | None = None
    about_referral: UUID | None = None
    text: Text
    category: ComplaintCategory = ComplaintCategory.other


class IntakeSubmittedV1(Event):
    ce_type: ClassVar[str] = "rujukan.intake.submitted.v1"
    aggregate: ClassVar[str] = "household"
    key_field: ClassVar[str] = "household_id"

    intake_id: UUID
    household_id: UUID
    village_code: Line = Field(description="Kemendagri code, dotted: 33.04.01.2001")
    submitted_at: datetime
    members: list[MemberFacts]
    household: HouseholdFacts = HouseholdFacts()
    registry: RegistryFacts
    needs: list[Need] = Field(default_factory=list)
    other_need: Text | None = None
    complaint: Complaint | None = None
    priority_lanes: list[PriorityLane] = Field(default_factory=list)
    consent: Consent
    #: a follow-up visit: the household's first intake within the duplicate window, which this
    #: one adds new needs, a complaint, lanes or members' facts to
    follow_up_of: UUID | None = None
    # No contact: it travels on ``intake.contacts``, which only notifications may read (a
    # ``contact`` in a record written before is ignored).


class IntakeContactV1(Event):
    """How a household agreed to be told of progress, on ``intake.contacts`` (compacted, read
    by notifications alone). Sent with every intake: ``contact`` is ``None`` when the resident
    gave none or did not consent to the 'notification' purpose, which withdraws the one kept."""

    ce_type: ClassVar[str] = "rujukan.intake.contact.v1"
    aggregate: ClassVar[str] = "household"
    key_field: ClassVar[str] = "household_id"

    intake_id: UUID
    household_id: UUID
    submitted_at: datetime
    contact: ContactPoint | None = None
    consented: bool | None = Field(
        default=None,
        description="the resident agreed to be told ('notification'), with or without a contact;"
        " None: not said (sent before this field)",
    )


class ConsentWithdrawnV1(Event):
    """A resident withdrew consent for some purposes, as a Puskesos officer recorded it. On
    ``intake.submitted`` (the router withdraws the household's open referrals when 'referral'
    is among them) and, when 'notification' is, on ``intake.contacts`` (notifications forget the
    contact and cancel what was waiting; compaction then drops the contact from the log). A
    later intake asks for consent afresh."""

    ce_type: ClassVar[str] = "rujukan.consent.withdrawn.v1"
    aggregate: ClassVar[str] = "household"
    key_field: ClassVar[str] = "household_id"

    withdrawal_id: UUID
    household_id: UUID
    purposes: list[Literal["referral", "notification"]] = Field(
        min_length=1, description="the purposes withdrawn; the others stay as they were"
    )
    withdrawn_at: datetime
    recorded_by: Line = Field(description="the officer's account (its subject), not a name")


class LocalizedText(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: Line
    en: Line


SlaStep = Literal["receive", "decide", "serve"]


class LaneSla(BaseModel):
    """A priority lane's faster steps; a step left out keeps the program's default."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    receive: int | None = Field(default=None, ge=1)
    decide: int | None = Field(default=None, ge=1)
    serve: int | None = Field(default=None, ge=1)


class SlaDays(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    receive: int = Field(ge=1, description="days from delivery to 'received'")
    decide: int = Field(ge=1, description="days from 'received' to accepted/rejected")
    serve: int = Field(ge=1, description="days from 'accepted' to 'completed'")
    lanes: dict[PriorityLane, LaneSla] = Field(
        default_factory=dict,
        description="faster steps for households in a priority lane (the fastest lane wins)",
    )
    working_days: bool = Field(
        default=True,
        description="count working days (no weekends, Indonesian public holidays and cuti "
        "bersama, nor the program's closed dates) rather than calendar days",
    )
    closed_dates: list[date] = Field(
        default_factory=list, description="the program's own days off beyond the national ones"
    )

    def days(self, step: SlaStep, lanes: Iterable[str] = ()) -> int:
        """How many days ``step`` may take for a household in ``lanes``: the fastest of its
        lanes that sets the step, else the program's default."""
        default: int = getattr(self, step)
        household = set(lanes)
        faster: list[int] = [
            days
            for lane, sla in self.lanes.items()
            if lane in household and (days := getattr(sla, step)) is not None
        ]
        return min([default, *faster])


EscalationRole = Literal["agency_officer", "agency_supervisor", "program_manager", "head_of_office"]
#: who answers for a late step, level by level: the agency's officer owns the normal deadline
ESCALATION_CHAIN: tuple[EscalationRole, ...] = (
    "agency_officer",
    "agency_supervisor",
    "program_manager",
    "head_of_office",
)
#: the roles of the first chain (Puskesos facilitator → supervisor → manager), as events and
#: notes written before 2026-12 name them
OLD_ESCALATION_ROLES: dict[str, EscalationRole] = {
    "facilitator": "agency_officer",
    "supervisor": "agency_supervisor",
    "manager": "program_manager",
}


def escalation_role(stored: str) -> EscalationRole | None:
    """A stored role by its level's current name (``supervisor``: ``agency_supervisor``);
    None for a name no chain ever had."""
    role = OLD_ESCALATION_ROLES.get(stored, stored)
    return next((r for r in ESCALATION_CHAIN if r == role), None)


#: ``kind:part[:part…]``; a part may be ``{regency}`` or ``{province}``: the referral's, filled
#: in when the level fires (one chain serves a nationwide program in every regency)
INBOX_PATTERN = r"^[a-z][a-z0-9_-]*(:([A-Za-z0-9._-]+|\{regency\}|\{province\}))+$"
WEBHOOK_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class EscalationAudience(BaseModel):
    """Who hears of a late referral at one level of its chain, and how: an inbox in Rujukan
    (``agency:PKH:33.04``), a webhook by the name the notifications deployment configures
    (its URL and secret never travel), or an official's work e-mail."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    role: EscalationRole
    channel: Literal["inbox", "webhook", "email"]
    address: Line = Field(
        description="an inbox name, a configured webhook's name, or a work e-mail address"
    )
    office: Line | None = Field(default=None, description="the office, as people name it")

    @model_validator(mode="after")
    def _address_fits_channel(self) -> EscalationAudience:
        check_escalation_address(self.channel, self.address)
        return self


_EMAIL: TypeAdapter[str] = TypeAdapter(Email)


def check_escalation_address(channel: str, address: str) -> None:
    """Refuse an address its channel cannot use: a webhook is a name, never a URL (so no
    credential rides on the catalogue topic); an inbox is ``kind:part[:part]``."""
    if channel == "email":
        _EMAIL.validate_python(address)
    elif not re.fullmatch(INBOX_PATTERN if channel == "inbox" else WEBHOOK_NAME_PATTERN, address):
        kind = "kotak masuk" if channel == "inbox" else "webhook"
        raise refusal(
            "escalation_address",
            Localised(
                f"{{address}} bukan nama {kind} yang sah", "{address} is not a {channel} name"
            ),
            {"address": repr(address), "channel": channel},
        )


class ProgramPublishedV1(Event):
    """The full current state of one program; compacted topic, so the latest per code wins."""

    ce_type: ClassVar[str] = "rujukan.program.published.v1"
    aggregate: ClassVar[str] = "program"
    key_field: ClassVar[str] = "code"

    code: str = Field(pattern=r"^[A-Z][A-Z0-9-]{1,31}$")
    version: int = Field(ge=1)
    effective_from: date
    status: Literal["active", "paused", "retired"]
    name: LocalizedText
    owner_agency: Line
    level: Literal["national", "province", "district", "village", "non_government"]
    service_area: list[Line] = Field(
        default_factory=list, description="region-code prefixes; empty means nationwide"
    )
    needs_served: list[Need] = Field(default_factory=list)
    proactive: bool = Field(
        default=False,
        description="referred when eligible even if no stated need names it (never on a "
        "visit without needs)",
    )
    handles: list[Literal["needs", "complaints"]] = Field(
        default=["needs"],
        description="'needs': referred for stated needs; 'complaints': a complaint desk, for "
        "complaints that name no program serving the village",
    )
    sla_days: SlaDays
    capacity: int | None = None
    capacity_period: Literal["month", "quarter", "year"] = "month"
    when_full: Literal["queue", "refer_onward", "stop"] = "queue"
    priority_lanes: list[Line] = Field(default_factory=list)
    required_documents: list[Line] = Field(
        default_factory=list,
        description="what the resident brings to the agency (KTP, KK, ...), as listed",
    )
    rule: JsonObject = Field(description="eligibility rule tree (rujukan_eligibility.Rule)")
    escalation: list[EscalationAudience] = Field(
        default_factory=list,
        description="who hears of a late referral at each level (agency_officer: the agency "
        "itself); a level left out falls back to the regency's Dinas Sosial inbox",
    )
    published_at: datetime


class CriterionOutcome(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Line
    label: Line = Field(description="in Bahasa Indonesia (English in rules saved before 2026-12)")
    label_en: Line | None = Field(default=None, description="the label in English")
    kind: Line = "criterion"
    cel: Text | None = None
    passed: bool
    values: JsonObject = Field(default_factory=dict)
    error: Text | None = None


class Decision(BaseModel):
    """Why a referral was made: the program version and every criterion's value and result."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    program_code: Line
    program_version: int
    eligible: bool
    criteria: list[CriterionOutcome]
    evaluated_at: datetime


class ReferralEvent(Event):
    """An event in one referral's life, sent under its id; its fields come first: which
    referral, of which intake, household and program."""

    aggregate: ClassVar[str] = "referral"
    key_field: ClassVar[str] = "referral_id"

    referral_id: UUID
    reference: Line | None = Field(
        default=None,
        description="the short reference people read, say and type (RJK-3304-7F3K2Q; "
        "rujukan_contracts.references); absent on events from before it existed",
    )
    intake_id: UUID
    household_id: UUID
    program_code: Line


class ReferralCreatedV1(ReferralEvent):
    """A referral handed to one program's owner agency, on ``referrals.<program_code>``."""

    ce_type: ClassVar[str] = "rujukan.referral.created.v1"

    program_version: int
    kind: Literal["need", "complaint"] = "need"
    village_code: Line
    needs: list[Need]
    priority_lanes: list[PriorityLane] = Field(default_factory=list)
    decision: Decision
    consent: Consent
    due_at: datetime = Field(description="when the agency must have reported 'received'")
    created_at: datetime
    queued: bool = Field(
        default=False, description="the program was at capacity and queues its referrals"
    )
    rerouted_from: UUID | None = Field(
        default=None, description="the rejected referral this one replaces"
    )
    complaint: Complaint | None = Field(
        default=None, description="on a complaint case: the resident's words and what about"
    )


class ReferralOutcomeV1(Event):
    """An agency's report on a referral it holds, on its program's ``referrals.<CODE>.outcomes``
    (``program_code`` must be that program: the topic says who wrote it)."""

    ce_type: ClassVar[str] = "rujukan.referral.outcome.v1"
    aggregate: ClassVar[str] = "referral"
    key_field: ClassVar[str] = "referral_id"

    referral_id: UUID
    program_code: Line
    outcome: OutcomeKind
    reason_code: ReasonCode | None = None
    note: Text | None = Field(default=None, max_length=2000)
    public_note: Text | None = Field(
        default=None,
        max_length=500,
        description="what the agency lets the resident read; 'note' stays internal",
    )
    reported_at: datetime
    reported_by: Line | None = None


class ReferralStatusChangedV1(ReferralEvent):
    """Every lifecycle change of a referral, on ``referrals.status`` keyed by its intake.

    The intake's id as key puts all of one visit's referrals on one partition, so the one
    consumer that reads it gathers the visit's news into one message (a referral belongs to one
    intake, so its own changes stay in order). The copy of a withdrawal on the agency's
    ``referrals.<CODE>`` is keyed by the referral, as that topic is."""

    ce_type: ClassVar[str] = "rujukan.referral.status_changed.v1"
    key_field: ClassVar[str] = "intake_id"

    village_code: Line
    kind: Literal["need", "complaint"] = "need"
    from_status: ReferralStatus | None
    to_status: ReferralStatus
    reason_code: ReasonCode | None = None
    note: Text | None = Field(default=None, description="internal: staff and agencies only")
    public_note: Text | None = Field(
        default=None, description="the agency's words for the resident (the only note they read)"
    )
    changed_at: datetime
    due_at: datetime | None = Field(default=None, description="the current step's deadline")
    escalation_level: int = Field(
        default=0,
        ge=0,
        description="0 agency officer, 1 agency supervisor, 2 program manager, 3 head of the "
        "social affairs office (ESCALATION_CHAIN)",
    )
    escalated_to: Line | None = Field(
        default=None,
        description="set on an escalation event (from_status == to_status): the role who must "
        "act now (before 2026-12: supervisor, manager, head_of_office)",
    )
    escalated: bool = Field(
        default=False, description="a missed deadline moved this referral one level up its chain"
    )
    audience: EscalationAudience | None = Field(
        default=None,
        description="on an escalation: the level who must act now; on an expiry: the last "
        "level, told it expired (from the catalogue when it fired)",
    )
    agency_audience: EscalationAudience | None = Field(
        default=None,
        description="on an escalation or expiry: the owning agency's own audience, told of its "
        "late referral",
    )


class NotificationDispatchedV1(Event):
    ce_type: ClassVar[str] = "rujukan.notification.dispatched.v1"
    aggregate: ClassVar[str] = "referral"
    key_field: ClassVar[str] = "referral_id"

    notification_id: UUID
    referral_id: UUID
    channel: Literal["email", "sms", "whatsapp", "webhook", "inbox"]
    recipient: Line = Field(description="masked contact, never the full address")
    template: Line
    result: Literal["sent", "failed", "skipped"]
    attempts: int
    detail: Text | None = None
    dispatched_at: datetime


EVENT_MODELS: dict[str, type[Event]] = {
    m.ce_type: m
    for m in (
        IntakeSubmittedV1,
        IntakeContactV1,
        ConsentWithdrawnV1,
        ProgramPublishedV1,
        ReferralCreatedV1,
        ReferralOutcomeV1,
        ReferralStatusChangedV1,
        NotificationDispatchedV1,
    )
}


def event_model(ce_type: str) -> type[Event] | None:
    return EVENT_MODELS.get(ce_type)

"""What the router's routes take and answer: the OpenAPI schemas.

Answers are validated from the views' named rows as they are (``from_attributes``): a field
here is a field of a row in ``adapters/views.py``. Output fields are plain types: what was
stored is shown, never refused on its way out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from rujukan_contracts.events import (
    ComplaintCategory,
    Need,
    OutcomeKind,
    PriorityLane,
    ReasonCode,
    ReferralStatus,
    RegistryFacts,
)
from rujukan_contracts.text import Line, Text, Timestamp
from rujukan_eligibility.rules import Rule

# -- asked ---------------------------------------------------------------------------------------


class OutcomeIn(BaseModel):
    """An agency's report on a referral (the whole body is the Idempotency-Key's fingerprint)."""

    outcome: OutcomeKind
    reason_code: ReasonCode | None = Field(default=None, description="required when rejected")
    note: Text | None = Field(
        default=None, max_length=2000, description="internal: the resident never reads it"
    )
    public_note: Text | None = Field(
        default=None,
        max_length=500,
        description="what the resident may read, in Bahasa Indonesia (e.g. what to bring)",
    )


class WithdrawIn(BaseModel):
    """An operator withdraws a referral: why, in their own words (the same body again is
    answered as the referral is now)."""

    reason: Text = Field(
        min_length=3,
        max_length=1000,
        description="why, in Bahasa Indonesia (e.g. 'Warga pindah ke luar kabupaten'); staff "
        "and the agency read it, the resident does not",
    )
    reason_code: ReasonCode | None = Field(
        default=None, description="a Primero reason code, when one fits"
    )


WITHDRAW_EXAMPLES = {
    "moved": {
        "summary": "The household moved away",
        "value": {
            "reason": "Keluarga pindah ke luar kabupaten",
            "reason_code": "services_no_longer_needed",
        },
    },
}


OUTCOME_EXAMPLES = {
    "accepted": {
        "summary": "The agency accepts the referral",
        "value": {
            "outcome": "accepted",
            "note": "Kartu KIS sedang diproses",
            "public_note": "Kartu KIS dapat diambil di kantor desa mulai bulan depan",
        },
    },
    "rejected": {
        "summary": "The agency rejects it, with a reason",
        "value": {
            "outcome": "rejected",
            "reason_code": "lack_of_capacity",
            "note": "Kuota bulan ini penuh",
        },
    },
}


class RegistryUpdate(BaseModel):
    """Refreshed registry facts for one household (e.g. after a DTSEN decile update)."""

    household_id: UUID
    found: StrictBool = True
    decile: StrictInt | None = Field(default=None, ge=1, le=10)
    enrolments: list[Line] = Field(default_factory=list)
    has_kks: StrictBool = False

    def facts(self, at: datetime) -> RegistryFacts:
        return RegistryFacts(
            found=self.found,
            decile=self.decile,
            enrolments=self.enrolments,
            has_kks=self.has_kks,
            source="replay",
            checked_at=at,
        )


def registry_facts(updates: list[RegistryUpdate], at: datetime) -> dict[UUID, RegistryFacts]:
    """The facts of each household, as a replay evaluates it (the last update of one wins)."""
    return {u.household_id: u.facts(at) for u in updates}


class ReplayRequest(BaseModel):
    programs: list[Line] | None = Field(default=None, description="default: every program")
    rule: Rule | None = Field(
        default=None, description="what-if: a draft rule for the one program named (dry run)"
    )
    registry_updates: list[RegistryUpdate] = Field(default_factory=list, max_length=10_000)
    since: Timestamp | None = Field(default=None, description="intakes submitted since")
    apply: StrictBool = Field(
        default=False, description="false: report only; true: refer the gains"
    )
    start: StrictBool = Field(
        default=True, description="false: a draft, to add registry updates to before starting"
    )


# -- answered ------------------------------------------------------------------------------------


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CriterionView(_Read):
    """One criterion of a rule with its result and the household's values it read."""

    model_config = ConfigDict(from_attributes=True, extra="allow")

    kind: Literal["criterion"]
    name: str
    label: str = Field(description="in the caller's language (Accept-Language; Indonesian first)")
    label_en: str | None = Field(
        default=None, description="the English label, when the rule has one"
    )
    cel: str
    passed: bool
    values: dict[str, Any] = Field(description="the values the criterion read")
    error: str | None


class ReferralDecisionView(_Read):
    """The decision a referral was made on, as the agency received it."""

    program_code: str
    program_version: int
    eligible: bool
    criteria: list[CriterionView]
    evaluated_at: datetime


class ComplaintView(_Read):
    """What a complaint case (pengaduan) is about, as the resident said it."""

    kind: Literal["complaint", "question", "suggestion"]
    category: ComplaintCategory
    text: str
    about_program: str | None = Field(description="the program the resident named")
    about_referral: UUID | None = Field(
        description="the referral it is about: the one named, or the household's open need "
        "referral to the same program"
    )


class ReferralView(_Read):
    referral_id: UUID
    reference: str = Field(
        description="what residents and officers read, say and type: RJK-<regency>-<6 characters>"
    )
    intake_id: UUID
    household_id: UUID
    program_code: str
    program_version: int
    kind: Literal["need", "complaint"]
    status: ReferralStatus
    reason_code: ReasonCode | None
    village_code: str
    needs: list[Need]
    priority_lanes: list[PriorityLane]
    rank: int
    decision: ReferralDecisionView | None
    due_at: datetime | None = Field(description="the current step's deadline")
    escalation_level: int
    queued: bool
    rerouted_from: UUID | None
    created_at: datetime
    updated_at: datetime
    complaint: ComplaintView | None = Field(
        default=None, description="on a complaint case: the resident's words and what about"
    )


class ReferralPage(BaseModel):
    items: list[ReferralView]
    next_cursor: str | None = Field(description="the next page's cursor; null on the last page")


class StatusChangeView(_Read):
    from_status: ReferralStatus | None
    to_status: ReferralStatus
    reason_code: ReasonCode | None
    note: str | None
    actor: str
    at: datetime


class TraceView(BaseModel):
    referral_id: UUID
    events: list[StatusChangeView]


class ProgramVerdictView(_Read):
    program_code: str
    program_version: int
    eligible: bool
    outcome: Literal["referred", "suggested", "not_eligible", "skipped"] = Field(
        description="referred (eligible, serving a stated need or proactive); suggested "
        "(eligible for a need not stated: for the officer to propose); not eligible; skipped "
        "(see skipped)"
    )
    skipped: str | None = Field(description="why the program was not evaluated or not referred")
    rank: int
    criteria: list[CriterionView]
    explanation: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,  # shown only when there is one
        description="why there are no criteria: the program version's rule is not known here",
    )


class DecisionView(_Read):
    decision_id: UUID
    intake_id: UUID
    cause: str = Field(description="routing, reroute, replay (or referral: from before 0003)")
    evaluated_at: datetime
    facts: dict[str, Any] = Field(description="the facts every rule read")
    programs: list[ProgramVerdictView]


class IntakeDecisions(BaseModel):
    intake_id: UUID
    suggested: list[str] = Field(
        description="programs the household is eligible for, for needs it did not state (the "
        "latest routing), best first: for the officer to propose, not referred"
    )
    decisions: list[DecisionView]


class ReplayReportView(BaseModel):
    intakes_evaluated: int
    gains: dict[str, int] = Field(description="households that became eligible, per program")
    losses: dict[str, int] = Field(description="households no longer eligible, per program")
    sample_gains: list[dict[str, str]]
    sample_losses: list[dict[str, str]]
    referrals_created: int
    applied: bool


class ReplayView(_Read):
    replay_id: UUID
    status: Literal["draft", "pending", "running", "done", "failed", "cancelled"]
    apply: bool
    programs: list[str] | None
    what_if: bool
    since: datetime | None
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    households_evaluated: int
    households_per_second: int | None
    report: ReplayReportView
    error: str | None


class ReplayList(BaseModel):
    items: list[ReplayView]


class RegistryUpdatesAdded(BaseModel):
    replay_id: UUID
    added: int

"""What a resident hears, and when: one message per visit, then only the changes that matter.

A referral's changes are *news* for its resident when they are a new referral (``created``) or
one of the kinds the deployment names (``RUJUKAN_NOTIFICATIONS_RESIDENT_NEWS``, by default
accepted, rejected, completed, expired, escalated past its deadline, and a complaint answered);
``delivered``, ``received`` and ``in_service`` are the agencies' business. News is gathered per
intake (one visit) for a short window and then summed up in one message
(``service_layer/digests.py``): a visit with five referrals is one message, and a rejection
whose re-route arrives in the same window says where the household was referred instead.

What a message shows is built here, per language (``view``): the program's name, the short
reference (``rujukan_contracts.references``), the status and reason in words
(``domain/wording.py``), the agency's *public* note only, and what happens next. Never a UUID,
a code or an internal note.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from rujukan_contracts.events import ReasonCode, ReferralStatus, ReferralStatusChangedV1
from rujukan_contracts.references import referral_reference
from rujukan_notifications.domain import wording

#: what a resident is told of unless the deployment says otherwise; ``created`` is always news
#: (``answered``: a complaint case answered, with the words the agency gives the resident)
DEFAULT_RESIDENT_NEWS = ("accepted", "rejected", "completed", "expired", "escalated", "answered")
#: every kind a deployment may name
NEWS_KINDS = frozenset({s.value for s in ReferralStatus} | {"escalated"})
#: rejections for the resident's own reasons: nobody searches for another program for them
_RESIDENT_SIDE = frozenset(
    {ReasonCode.client_refused_services.value, ReasonCode.services_no_longer_needed.value}
)
#: the router's note on a referral made after another was rejected (``reroute``)
_REROUTED = re.compile(r"^re-routed from ([0-9a-f-]{36})")


def news_kind(event: ReferralStatusChangedV1, told: Collection[str]) -> str | None:
    """The kind of news ``event`` is for its resident (``told``: the kinds the deployment
    names), or ``None`` when the resident is not told of it."""
    status = event.to_status.value
    if status == ReferralStatus.created.value:
        return status
    escalated = event.escalated or (  # the router's marker; before it, a role named or a note
        event.from_status == event.to_status
        and (event.escalated_to is not None or (event.note or "").lower().startswith("escalated"))
    )
    kind = "escalated" if escalated else status
    return kind if kind in told else None


def rerouted_from(event: ReferralStatusChangedV1) -> UUID | None:
    """The rejected referral a new one replaces (the router says so in the created note)."""
    found = _REROUTED.match(event.note or "")
    return UUID(found.group(1)) if found else None


@dataclass(frozen=True, slots=True)
class News:
    """One change a resident is told of, as kept until its visit's message is planned."""

    referral_id: UUID
    program_code: str
    #: language -> the program's name when the news arrived (``{}``: the code is shown)
    program_name: Mapping[str, str]
    kind: str
    changed_at: datetime
    reason_code: str | None = None
    public_note: str | None = None
    due_at: datetime | None = None
    rerouted_from: UUID | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "referral_id": str(self.referral_id),
            "program_code": self.program_code,
            "program_name": dict(self.program_name),
            "kind": self.kind,
            "changed_at": self.changed_at.isoformat(),
            "reason_code": self.reason_code,
            "public_note": self.public_note,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "rerouted_from": str(self.rerouted_from) if self.rerouted_from else None,
        }


def news_of(event: ReferralStatusChangedV1, kind: str, program_name: Mapping[str, str]) -> News:
    return News(
        referral_id=event.referral_id,
        program_code=event.program_code,
        program_name=dict(program_name),
        kind=kind,
        changed_at=event.changed_at,
        reason_code=event.reason_code.value if event.reason_code else None,
        public_note=event.public_note,
        due_at=event.due_at,
        rerouted_from=rerouted_from(event) if kind == "created" else None,
    )


def digest_context(village_code: str, news: Sequence[News]) -> dict[str, Any]:
    """What a planned message keeps to be rendered when sent, in the resident's language
    then (no personal data: the contact stays in ``contacts``)."""
    return {"village_code": village_code, "news": [n.as_json() for n in news]}


@dataclass(frozen=True, slots=True)
class Line:
    """One referral in a message, as the resident reads it."""

    program: str
    reference: str
    status: str
    reason: str | None
    public_note: str | None
    next: str
    #: by when the program must respond (a new referral's deadline to be taken up), in words
    due: str | None = None


def view(context: Mapping[str, Any], language: str) -> dict[str, Any]:
    """The template variables of a resident message in ``language``: ``referred`` (the new
    referrals) and ``changes`` (the rest), each a list of ``Line``; ``references``."""
    village = context["village_code"]
    news = context["news"]
    lines: dict[str, Line] = {}
    names = {n["referral_id"]: _name(n, language) for n in news}
    refs = {n["referral_id"]: referral_reference(UUID(n["referral_id"]), village) for n in news}
    replaced_by = {n["rerouted_from"]: n["referral_id"] for n in news if n["rerouted_from"]}
    for n in news:
        rid, kind = n["referral_id"], n["kind"]
        if kind == "created":
            step, values = _referred_step(n, village, language)
        else:
            step, values = _next_step(n, replaced_by.get(rid), names, refs, language)
        lines[rid] = Line(
            program=names[rid],
            reference=refs[rid],
            status=wording.status_words(kind, language),
            reason=wording.reason_words(n["reason_code"], language),
            public_note=n["public_note"],
            next=wording.next_words(step, language, **values),
            due=values.get("due"),
        )
    referred = [lines[n["referral_id"]] for n in news if n["kind"] == "created"]
    changes = [lines[n["referral_id"]] for n in news if n["kind"] != "created"]
    return {"referred": referred, "changes": changes, "references": list(refs.values())}


def _name(news: Mapping[str, Any], language: str) -> str:
    names = news["program_name"] or {}
    return str(names.get(language) or names.get("id") or news["program_code"])


def _referred_step(
    news: Mapping[str, Any], village: str, language: str
) -> tuple[str, dict[str, str]]:
    old = news["rerouted_from"]
    if old:  # the same household, so the same village and regency
        return "replaces", {"reference": referral_reference(UUID(old), village)}
    if news["due_at"]:
        due = wording.date_words(datetime.fromisoformat(news["due_at"]), language)
        return "await_answer", {"due": due}
    return "none", {}


def _next_step(
    news: Mapping[str, Any],
    replacement: str | None,
    names: Mapping[str, str],
    refs: Mapping[str, str],
    language: str,
) -> tuple[str, dict[str, str]]:
    kind, reason = news["kind"], news["reason_code"]
    if kind == "rejected":
        if replacement is not None:
            return "rerouted", {"program": names[replacement], "reference": refs[replacement]}
        if reason in _RESIDENT_SIDE:
            return "come_if_needed", {}
        if reason == ReasonCode.unable_to_contact_client.value:
            return "contact_puskesos", {}
        return "puskesos_will_call", {}
    steps = {
        "accepted": "program_will_contact",
        "completed": "done",
        "escalated": "escalated",
        "expired": "expired",
    }
    return steps.get(kind, "contact_puskesos" if kind == "withdrawn" else "none"), {}

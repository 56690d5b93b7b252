"""The household visit form: what the officer typed, kept to re-show, and the intake request it
makes; and where intake's refusals belong on the form.

Pure functions of the form's fields (``m0_nik``, ``needs``, ...), so they are tested without a
browser. Rows of members left wholly empty are dropped; everything else goes to intake as typed,
and intake's own checks (``intake_errors``) decide what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from starlette.datastructures import FormData

from rujukan_contracts.text import Localised
from rujukan_intake.domain.identity import nik_form_problem, nik_problem

MEMBER_FIELDS = ("nik", "name", "birth_date", "sex", "relationship", "disability", "schooling")
MEMBER_FLAGS = ("pregnant", "breastfeeding", "working")
MAX_MEMBERS = 30
#: intake's field paths -> the form's input names: members[2].nik -> m2_nik
_MEMBER_PATH = re.compile(r"^members\[(\d+)\]\.(\w+)")


def member_count(form: FormData) -> int:
    try:
        count = int(str(form.get("members", "1")))
    except ValueError:
        count = 1
    return max(1, min(count, MAX_MEMBERS))


def _text(form: FormData, name: str) -> str:
    return str(form.get(name, "")).strip()


def _listed(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def members_typed(form: FormData) -> list[dict[str, Any]]:
    """Each member row as typed (to show again), empty rows included."""
    rows = []
    for i in range(member_count(form)):
        row: dict[str, Any] = {f: _text(form, f"m{i}_{f}") for f in MEMBER_FIELDS}
        row.update({f: form.get(f"m{i}_{f}") == "on" for f in MEMBER_FLAGS})
        rows.append(row)
    return rows


def _member(row: dict[str, Any]) -> dict[str, Any]:
    member = {k: v for k, v in row.items() if k in MEMBER_FIELDS and v != ""}
    member.update({f: True for f in MEMBER_FLAGS if row[f]})
    return member


def intake_request(form: FormData, *, puskesos: str, now: datetime | None = None) -> dict[str, Any]:
    """The body of ``POST /v1/intakes`` that the form describes."""
    rows = [r for r in members_typed(form) if any(r[f] for f in MEMBER_FIELDS)]
    household: dict[str, Any] = {
        "kk_number": _text(form, "kk_number"),
        "village_code": _text(form, "village_code"),
        "owns_land": form.get("owns_land") == "on",
        "house_below_standard": form.get("house_below_standard") == "on",
        "missing_documents": [str(d) for d in form.getlist("missing_documents")],
    }
    if address := _text(form, "address"):
        household["address"] = address
    body: dict[str, Any] = {
        "household": household,
        "members": [_member(r) for r in rows],
        "needs": [str(n) for n in form.getlist("needs")],
        "priority_lanes": [str(lane) for lane in form.getlist("priority_lanes")],
        "taken_by": {"puskesos": puskesos, "channel": "front_office"},
    }
    if other := _text(form, "other_need"):
        body["other_need"] = other
    if text := _text(form, "complaint_text"):
        complaint = {
            "kind": _text(form, "complaint_kind") or "complaint",
            "category": _text(form, "complaint_category") or "other",
            "text": text,
        }
        if about := _text(form, "complaint_about_program"):
            complaint["about_program"] = about
        body["complaint"] = complaint
    purposes = [str(p) for p in form.getlist("consent_purposes")]
    if purposes:
        body["consent"] = {
            "purposes": purposes,
            "recipients": _listed(_text(form, "recipients")),
            "given_at": (now or datetime.now(UTC)).isoformat(),
        }
    email, phone = _text(form, "contact_email"), _text(form, "contact_phone")
    if email or phone:
        contact: dict[str, Any] = {"language": _text(form, "contact_language") or "id"}
        contact.update({k: v for k, v in (("email", email), ("phone", phone)) if v})
        body["contact"] = contact
    return body


def input_name(field: str) -> str:
    """The form input an intake field path belongs to (``members[0].nik`` -> ``m0_nik``;
    ``household.kk_number`` -> ``kk_number``; ``consent.purposes`` -> ``consent_purposes``)."""
    if match := _MEMBER_PATH.match(field):
        return f"m{match.group(1)}_{match.group(2)}"
    if field.startswith("household."):
        return field.removeprefix("household.").split(".")[0].split("[")[0]
    if field == "consent.recipients":
        return "recipients"
    if field.startswith("contact."):
        return "contact_" + field.removeprefix("contact.")
    return field.replace(".", "_").split("[")[0]


#: the catalogue key of each input's label, for the list of refused fields
LABELS = {
    "kk_number": "visit.kk",
    "village_code": "visit.village",
    "address": "visit.address",
    "missing_documents": "visit.missing_documents",
    "members": "visit.members",
    "needs": "visit.needs",
    "other_need": "visit.other_need",
    "priority_lanes": "visit.lanes",
    "consent": "visit.consent",
    "consent_purposes": "visit.consent",
    "recipients": "visit.recipients",
    "contact_email": "visit.email",
    "contact_phone": "visit.phone",
    "contact_language": "visit.contact_language",
    "complaint": "visit.complaint",
    "complaint_kind": "visit.complaint_kind",
    "complaint_category": "visit.complaint_category",
    "complaint_text": "visit.complaint_text",
    "complaint_about_program": "visit.complaint_about_program",
}
_MEMBER_INPUT = re.compile(r"^m(\d+)_(\w+)$")


def input_label(name: str, t: Callable[[str], str]) -> str:
    """What the officer reads an input as: its label (``m1_nik``: "Anggota 2: NIK ...")."""
    if match := _MEMBER_INPUT.match(name):
        return f"{t('visit.member')} {int(match.group(1)) + 1}: {t('visit.' + match.group(2))}"
    return t(LABELS[name]) if name in LABELS else name


def field_errors(problem: dict[str, Any]) -> dict[str, str]:
    """A refusal's errors (``field`` and ``reason``, as every service's 422 names them) by form
    input name, the first reason of each."""
    found: dict[str, str] = {}
    for error in problem.get("errors") or []:
        if not isinstance(error, dict):
            continue
        field, reason = str(error.get("field", "")), str(error.get("reason", ""))
        found.setdefault(input_name(field), reason)
    return found


def nik_check(nik: str, birth_date: str, sex: str) -> Localised | None:
    """Why this NIK cannot be this member's — intake's own check — or None when it can; with
    no birth date or sex yet, only the NIK's own form is checked."""
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        born = None
    if born is None or sex not in ("female", "male"):
        return nik_form_problem(nik)
    return nik_problem(nik, birth_date=born, sex=sex)

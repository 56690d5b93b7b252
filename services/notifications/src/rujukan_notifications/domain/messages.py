"""Messages, rendered from Jinja2 templates in Bahasa Indonesia and English.

Three kinds of template, ``<language>/<kind>_<name>.txt``:

* ``status_news`` — e-mail to residents (a ``Subject:`` line, a blank line, the body): the news
  of one visit or of later changes (``domain/news.py`` builds its variables);
* ``sms_news``    — the same news by SMS/WhatsApp: one short body (at most three GSM-7 parts);
* ``inbox_<event>`` — the Puskesos operator inbox (``rejected``, ``expired``, ``escalated``,
  and ``in_person``: tell a resident no channel reaches, with what to say).

A delivery planned before resident news existed names ``status_<status>`` or ``sms_<status>``:
it is rendered as the news of that one change (``_as_news``), so nothing in flight is lost.

Agencies get JSON, not a template (``webhook_payload``). Templates use ``StrictUndefined`` and
are all rendered against a sample context when loaded, so a template that names a missing
variable fails at start-up, not when someone should hear news.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from rujukan_contracts.events import ReferralStatus, ReferralStatusChangedV1
from rujukan_contracts.references import referral_reference
from rujukan_notifications.domain import news, wording

LANGUAGES = ("id", "en")
#: a resident's message: the news of a visit, or of later changes
NEWS = "news"
INBOX_EVENTS = ("rejected", "expired", "escalated")
#: a late referral, to the level of its chain and to its agency (``audience.late_plan``)
OVERDUE = ("overdue", "overdue_agency")
#: the Puskesos task to tell a resident in person
IN_PERSON = "in_person"
KINDS: dict[str, tuple[str, ...]] = {
    "status": (NEWS,),
    "sms": (NEWS,),
    "inbox": (*INBOX_EVENTS, IN_PERSON, *OVERDUE),
}
SUBJECTLESS = frozenset({"sms"})
_SAMPLE_ID = "7e57d004-2b97-4e7a-b45d-1234567890ab"
SAMPLE: dict[str, Any] = {
    "program_code": "PBI-JK",
    "escalation": {
        "escalated": True,
        "level": 1,
        "role": "agency_supervisor",
        "role_id": "atasan petugas agensi",
        "role_en": "the agency supervisor",
        "office": "Koordinator Kabupaten PKH",
        "due": "08-12-2026 09.00 WIB",
        "due_at": "2026-12-08T02:00:00+00:00",
        "reference": "RJK-3304-FD2SSD",
    },
    "program_name": {"id": "Penerima Bantuan Iuran Jaminan Kesehatan", "en": "Subsidised JKN"},
    "status": "rejected",
    "reason_code": "lack_of_capacity",
    "note": "Kuota penuh",
    "referral_id": _SAMPLE_ID,
    "village_code": "33.04.01.2001",
    "changed_at": "2026-12-04T02:00:00+00:00",
    "news": [
        {
            "referral_id": _SAMPLE_ID,
            "program_code": "PBI-JK",
            "program_name": {"id": "Penerima Bantuan Iuran JKN", "en": "Subsidised JKN"},
            "kind": "rejected",
            "changed_at": "2026-12-04T02:00:00+00:00",
            "reason_code": "lack_of_capacity",
            "public_note": "Silakan datang ke kantor desa",
            "due_at": None,
            "rerouted_from": None,
        },
        {
            "referral_id": "0c0ffee0-2b97-4e7a-b45d-1234567890ab",
            "program_code": "PKH",
            "program_name": {"id": "Program Keluarga Harapan", "en": "Family Hope Program"},
            "kind": "created",
            "changed_at": "2026-12-04T02:00:00+00:00",
            "reason_code": None,
            "public_note": None,
            "due_at": "2026-12-08T02:00:00+00:00",
            "rerouted_from": _SAMPLE_ID,
        },
    ],
    "unreachable_detail": "SMS belum tersedia di sistem ini.",
}


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    body: str
    #: the delivery this message belongs to: receivers use it to drop a second copy
    delivery_id: UUID | None = None


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("rujukan_notifications", "templates"),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",)),
        keep_trailing_newline=True,
        # the templates ship with the package: no stat of each template file a message
        auto_reload=False,
    )
    for language in LANGUAGES:
        for kind, names in KINDS.items():
            for name in names:
                _render(env, kind, name, language, SAMPLE)  # fails loudly on a bad template
    return env


def template_name(kind: str, status: str, language: str) -> str:
    return f"{language}/{kind}_{status}.txt"


def _render(
    env: Environment, kind: str, status: str, language: str, ctx: dict[str, Any]
) -> Message:
    if kind != "inbox" and status != NEWS:  # planned before resident news existed
        ctx, status = _as_news(ctx), NEWS
    words = _words(env, ctx, language, in_person=(kind, status) == ("inbox", IN_PERSON))
    text = env.get_template(template_name(kind, status, language)).render(**words)
    if kind in SUBJECTLESS:
        return Message("", text.strip())
    subject, _, body = text.partition("\n")
    return Message(subject.removeprefix("Subject:").strip(), body.lstrip("\n"))


def render(template: str, language: str, ctx: dict[str, Any]) -> Message:
    """Render a stored template id such as ``status_news`` or ``inbox_expired``."""
    kind, _, name = template.partition("_")
    lang = language if language in LANGUAGES else "id"
    return _render(_environment(), kind, name, lang, ctx)


def previewable(kind: str, name: str) -> bool:
    """A template ``GET /v1/templates/{name}/preview`` renders: one of ``KINDS``, or for a
    resident's kinds, a status (rendered as the news of that one change)."""
    if name in KINDS.get(kind, ()):
        return True
    return kind != "inbox" and name in {s.value for s in ReferralStatus}


def _words(
    env: Environment, ctx: dict[str, Any], language: str, *, in_person: bool
) -> dict[str, Any]:
    """The context with what people read in words: a referral's reference, its village, status
    and reason; a resident's news as lines (``news.view``), and for a task to tell them in person,
    the message to say (in the operator's language)."""
    words = dict(ctx)
    if "program_code" in ctx:  # the program's name in ``language`` (its code if unknown)
        names = ctx.get("program_name") or {}
        words["program_name"] = names.get(language) or names.get("id") or ctx["program_code"]
    if "village_code" in ctx:
        words["village"] = wording.village_words(ctx["village_code"])
    if "referral_id" in ctx:
        words["reference"] = referral_reference(UUID(ctx["referral_id"]), ctx["village_code"])
        words["status_words"] = wording.status_words(ctx["status"], language)
        words["reason"] = wording.reason_words(ctx.get("reason_code"), language)
    if "news" in ctx:
        words |= news.view(ctx, language)
    if in_person:
        words["why"] = ctx["unreachable_detail"]
        words["say"] = _render(env, "status", NEWS, language, ctx).body.strip()
    return words


def _as_news(ctx: dict[str, Any]) -> dict[str, Any]:
    """A per-status context (before resident news) as the news of its one change; its note
    was not marked public, so it is left out."""
    one = news.News(
        referral_id=UUID(ctx["referral_id"]),
        program_code=ctx["program_code"],
        program_name=ctx.get("program_name") or {},
        kind=ctx["status"],
        changed_at=datetime.fromisoformat(ctx["changed_at"]),
        reason_code=ctx.get("reason_code"),
    )
    return news.digest_context(ctx["village_code"], [one])


def delivery_context(
    event: ReferralStatusChangedV1, program_name: Mapping[str, str]
) -> dict[str, Any]:
    """What a delivery keeps to render its message when it is sent (no personal data: the
    resident's contact stays in ``contacts``); ``program_name`` by language."""
    return {
        "program_code": event.program_code,
        "program_name": dict(program_name),
        "status": event.to_status.value,
        "reason_code": event.reason_code.value if event.reason_code else None,
        "note": event.note,
        "referral_id": str(event.referral_id),
        "village_code": event.village_code,
        "changed_at": event.changed_at.isoformat(),
    }


def webhook_payload(ctx: dict[str, Any], *, event_id: UUID) -> str:
    """What an agency receives for a new referral, or for a late one (``referral.escalated``,
    ``referral.expired``, with the level now asked to act): ids and codes only, no personal data
    (the agency reads the referral itself from its topic or the router's API). ``event_id`` is
    the delivery's id: a copy sent again carries the same one, under the signature."""
    late = ctx.get("escalation") if ctx["status"] != "created" else None
    kind = "created" if not late else "escalated" if late["escalated"] else "expired"
    escalation = (
        {"escalation": {k: late[k] for k in ("level", "role", "due_at", "reference")}}
        if late
        else {}
    )
    return orjson.dumps(
        {
            **escalation,
            "event_id": str(event_id),
            "type": f"referral.{kind}",
            "referral_id": ctx["referral_id"],
            "program_code": ctx["program_code"],
            "village_code": ctx["village_code"],
            "status": ctx["status"],
            "changed_at": ctx["changed_at"],
        },
        option=orjson.OPT_SORT_KEYS,
    ).decode()


def load_templates() -> None:
    _environment()

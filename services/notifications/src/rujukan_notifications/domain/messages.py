"""Messages, rendered from Jinja2 templates in Bahasa Indonesia and English.

Three kinds of template, ``<language>/<kind>_<name>.txt``:

* ``status_<status>`` — e-mail to residents (a ``Subject:`` line, a blank line, the body);
* ``sms_<status>``    — SMS/WhatsApp to residents: one short body (≤ 160 GSM-7 characters);
* ``inbox_<event>``   — the Puskesos operator inbox (``rejected``, ``expired``, ``escalated``).

Agencies get JSON, not a template (``webhook_payload``). Templates use ``StrictUndefined`` and
are all rendered against a sample context when loaded, so a template that names a missing
variable fails at start-up, not when someone should hear news.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from rujukan_contracts.events import ReferralStatusChangedV1

LANGUAGES = ("id", "en")
STATUSES = (
    "created",
    "delivered",
    "received",
    "accepted",
    "rejected",
    "in_service",
    "completed",
    "expired",
    "withdrawn",
)
#: the changes a resident is told of (referral sent, accepted, rejected, completed)
RESIDENT_STATUSES = ("delivered", "accepted", "rejected", "completed")
INBOX_EVENTS = ("rejected", "expired", "escalated")
KINDS: dict[str, tuple[str, ...]] = {
    "status": STATUSES,
    "sms": RESIDENT_STATUSES,
    "inbox": INBOX_EVENTS,
}
SUBJECTLESS = frozenset({"sms"})
SAMPLE = {
    "program_code": "PBI-JK",
    "program_name": "Penerima Bantuan Iuran Jaminan Kesehatan",
    "status": "accepted",
    "reason_code": "lack_of_capacity",
    "note": "Kuota penuh",
    "referral_id": "7e57d004-2b97-4e7a-b45d-1234567890ab",
    "village_code": "33.04.01.2001",
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
    text = env.get_template(template_name(kind, status, language)).render(**ctx)
    if kind in SUBJECTLESS:
        return Message("", text.strip())
    subject, _, body = text.partition("\n")
    return Message(subject.removeprefix("Subject:").strip(), body.lstrip("\n"))


def render(template: str, language: str, ctx: dict[str, Any]) -> Message:
    """Render a stored template id such as ``sms_accepted`` or ``inbox_expired``."""
    kind, _, name = template.partition("_")
    lang = language if language in LANGUAGES else "id"
    return _render(_environment(), kind, name, lang, ctx)


def render_status(status: str, language: str, ctx: dict[str, Any]) -> Message:
    return render(f"status_{status}", language, ctx)


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
    """What an agency receives for a new referral: ids and codes only, no personal data (the
    agency reads the referral itself from its topic or the router's API). ``event_id`` is the
    delivery's id: a copy sent again carries the same one, under the signature."""
    return orjson.dumps(
        {
            "event_id": str(event_id),
            "type": "referral.created",
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

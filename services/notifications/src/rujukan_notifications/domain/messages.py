"""Messages to residents, rendered from Jinja2 templates in Bahasa Indonesia and English.

Templates use ``StrictUndefined`` and are all rendered against a sample context when loaded, so
a template that names a missing variable fails at start-up, not when a resident should hear news.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

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
SAMPLE = {
    "program_code": "PBI-JK",
    "program_name": "Penerima Bantuan Iuran Jaminan Kesehatan",
    "status": "accepted",
    "reason_code": "lack_of_capacity",
    "note": "Kuota penuh",
    "referral_id": "7e57d004-2b97-4e7a-b45d-1234567890ab",
}


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    body: str


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("rujukan_notifications", "templates"),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",)),
        keep_trailing_newline=True,
    )
    for language in LANGUAGES:
        for status in STATUSES:
            _render(env, "status", status, language, SAMPLE)  # fails loudly on a bad template
    return env


def template_name(kind: str, status: str, language: str) -> str:
    return f"{language}/{kind}_{status}.txt"


def _render(
    env: Environment, kind: str, status: str, language: str, ctx: dict[str, Any]
) -> Message:
    text = env.get_template(template_name(kind, status, language)).render(**ctx)
    subject, _, body = text.partition("\n")
    return Message(subject.removeprefix("Subject:").strip(), body.lstrip("\n"))


def render_status(status: str, language: str, ctx: dict[str, Any]) -> Message:
    lang = language if language in LANGUAGES else "id"
    return _render(_environment(), "status", status, lang, ctx)


def load_templates() -> None:
    _environment()

"""The language a person reads an answer in: Bahasa Indonesia unless the request prefers English.

Officers and residents read Indonesian first; an English reader says so with the standard
``Accept-Language`` header (RFC 9110: ranges with ``q`` weights, ``*``, regional variants such
as ``en-GB``). Only the two languages the platform writes are told apart; anything else, a
missing header or one that cannot be read, answers in Indonesian.

Words a person reads are given in both languages as ``Localised`` (Indonesian, English) wherever
a plain string is taken today, and chosen with ``say`` when the answer is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from fastapi import Depends, Request

from rujukan_contracts.text import Localised

__all__ = [
    "DEFAULT",
    "Language",
    "Localised",
    "PreferredLanguage",
    "Words",
    "in_both",
    "labelled_in",
    "parse_accept_language",
    "preferred_language",
    "say",
]

Language = Literal["id", "en"]
DEFAULT: Language = "id"
#: language ranges (their primary subtag) each language answers; "in" is Indonesian's old code
_RANGES: dict[str, Language] = {"id": "id", "in": "id", "en": "en"}


#: what a person reads: the same in both languages (a code, a number) or ``Localised``
Words = str | Localised


def say(words: Words, language: Language) -> str:
    """``words`` in ``language``."""
    if isinstance(words, Localised):
        return words.en if language == "en" else words.id
    return words


def in_both(build: Callable[[Language], str]) -> Localised:
    """Words built the same way in each language (a sentence joined from other words)."""
    return Localised(build("id"), build("en"))


def parse_accept_language(header: str | None) -> Language:
    """The language ``header`` weighs highest among those the platform writes (ties: the first
    named; ``*`` stands for Indonesian); Indonesian when none is named or the header is bad."""
    best: tuple[float, Language] | None = None
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        language = DEFAULT if primary == "*" else _RANGES.get(primary)
        if language is None:
            continue
        weight = _weight(params)
        if weight > 0 and (best is None or weight > best[0]):
            best = (weight, language)
    return best[1] if best is not None else DEFAULT


def _weight(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


async def preferred_language(request: Request) -> Language:
    """A route's dependency: the caller's language (``Accept-Language``, Indonesian by default)."""
    return parse_accept_language(request.headers.get("accept-language"))


#: what a route declares to answer in the caller's language
PreferredLanguage = Annotated[Language, Depends(preferred_language)]


def labelled_in(node: Mapping[str, Any], language: Language) -> dict[str, Any]:
    """An explained criterion or group (and its ``children``) with ``label`` in ``language``:
    the English twin ``label_en`` when English is asked for and there is one (a rule written
    before labels had two languages has only ``label``). ``label_en`` stays as carried."""
    out = dict(node)
    if language == "en" and out.get("label_en"):
        out["label"] = out["label_en"]
    if isinstance(out.get("children"), list):
        out["children"] = [labelled_in(child, language) for child in out["children"]]
    return out

"""The caller's language from Accept-Language: Indonesian unless English is preferred."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from rujukan_platform.language import (
    PreferredLanguage,
    labelled_in,
    parse_accept_language,
)
from rujukan_platform.testing import client_of


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "id"),
        ("", "id"),
        ("en", "en"),
        ("en-GB", "en"),
        ("EN-us", "en"),
        ("id-ID", "id"),
        ("in", "id"),
        ("fr, de", "id"),  # none the platform writes
        ("fr, en;q=0.5", "en"),
        ("en;q=0.4, id;q=0.9", "id"),
        ("id;q=0.4, en;q=0.9", "en"),
        ("en, id", "en"),  # a tie: the first named
        ("id, en", "id"),
        ("*", "id"),
        ("en;q=0", "id"),  # "not English"
        ("en;q=oops", "id"),
        ("en;q=2", "en"),  # clamped to 1
        (";;,,", "id"),
    ],
)
def test_parse_accept_language(header: str | None, expected: str) -> None:
    assert parse_accept_language(header) == expected


async def test_a_route_reads_the_callers_language() -> None:
    app = FastAPI()

    @app.get("/hello")
    async def hello(language: PreferredLanguage) -> dict[str, str]:
        return {"language": language}

    async with client_of(app) as client:
        plain = await client.get("/hello")
        english = await client.get("/hello", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert plain.json() == {"language": "id"}
    assert english.json() == {"language": "en"}


def test_labelled_in_picks_the_english_twin_when_asked_and_known() -> None:
    tree = {
        "label": "Semua syarat",
        "label_en": "Every condition",
        "children": [
            {"label": "Bukan penerima PKH", "label_en": "Not receiving PKH"},
            {"label": "Written in English before 2026-12"},  # an old rule: one label only
        ],
    }
    english = labelled_in(tree, "en")
    assert english["label"] == "Every condition"
    assert [c["label"] for c in english["children"]] == [
        "Not receiving PKH",
        "Written in English before 2026-12",
    ]
    assert english["label_en"] == "Every condition"
    assert labelled_in(tree, "id") == tree
    assert tree["label"] == "Semua syarat"  # the node given is left as it was

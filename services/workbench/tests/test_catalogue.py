"""Every word in both languages, and every word a page asks for in the catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from rujukan_contracts.topics import agency_principal
from rujukan_workbench.catalogue import (
    CODES,
    EN,
    ID,
    actor_words,
    code_words,
    language_of,
    translate,
)

TEMPLATES = Path(__file__).resolve().parents[1] / "src/rujukan_workbench/templates"
ASKED = re.compile(r"""\bt\(\s*["']([a-z_.]+)["']\s*\)""")


def test_every_key_has_both_languages() -> None:
    assert set(ID) == set(EN)
    assert all(ID[k].strip() and EN[k].strip() for k in ID)


def test_every_code_has_words_in_both_languages() -> None:
    for kind, words in CODES.items():
        for code, (indonesian, english) in words.items():
            assert indonesian.strip() and english.strip(), (kind, code)


def test_every_key_the_templates_ask_for_is_in_the_catalogue() -> None:
    asked = {key for page in TEMPLATES.glob("*.html") for key in ASKED.findall(page.read_text())}
    assert asked, "the pattern finds the templates' keys"
    assert asked - set(ID) == set()


def test_indonesian_unless_english_is_chosen() -> None:
    assert language_of(None) == "id" and language_of("fr") == "id" and language_of("en") == "en"
    assert translate("id", "visit.submit") == "Simpan dan rujuk"
    assert translate("en", "visit.submit") == "Save and refer"
    assert code_words("id", "status", "accepted") == "Disetujui"
    assert code_words("en", "status", "accepted") == "Accepted"
    assert code_words("id", "status", "unheard_of") == "unheard_of"


def test_who_changed_a_referral_is_named_in_the_readers_language() -> None:
    assert actor_words("id", agency_principal("BLT-DD-3304012001")) == (
        "Instansi program BLT-DD-3304012001"
    )
    assert actor_words("en", agency_principal("PKH")) == "Agency of program PKH"
    assert actor_words("id", "sla-timer") == "Pengingat tenggat (sistem)"
    assert actor_words("id", "petugas-pkh") == "petugas-pkh"  # a person, as they signed in

"""A program's escalation chain in the catalogue: each level an audience, in chain order, whose
address its channel can use; never a URL (no credential rides on the catalogue topic)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from rujukan_contracts.events import ESCALATION_CHAIN
from rujukan_eligibility.catalogue import EscalationLevel, SeedProgram


def test_every_seeded_chain_is_in_order_and_pkh_names_all_four_levels(
    seed_programs: dict[str, SeedProgram],
) -> None:
    chained = {code: p for code, p in seed_programs.items() if p.escalation}
    assert {"PKH", "SEMBAKO", "PBI-JK", "RTLH-3304", "BLT-DD-3304012001"} <= set(chained)
    for program in chained.values():
        roles = [level.role for level in program.escalation]
        assert roles == [r for r in ESCALATION_CHAIN if r in roles]
        assert all(level.office for level in program.escalation)  # as people name the office
    assert [(lv.role, lv.address) for lv in seed_programs["PKH"].escalation] == [
        ("agency_officer", "agency:PKH:{regency}"),
        ("agency_supervisor", "agency:PKH:{regency}:korkab"),
        ("program_manager", "agency:PKH:{province}:korwil"),
        ("head_of_office", "dinsos:{regency}"),
    ]
    emails = [lv.address for p in chained.values() for lv in p.escalation if lv.channel == "email"]
    assert emails and all(a.endswith(".example") for a in emails)  # a demo mails no real office


@pytest.mark.parametrize(
    ("channel", "address"),
    [
        ("webhook", "https://user:secret@agency.example/hook"),
        ("webhook", "agency.example/hook"),
        ("inbox", "dinsos"),
        ("inbox", "agency:PKH:{district}"),
        ("inbox", "https://agency.example"),
        ("email", "kadis-at-dinsos.example"),
    ],
)
def test_an_address_its_channel_cannot_use_is_refused(channel: str, address: str) -> None:
    with pytest.raises(ValidationError):
        EscalationLevel(role="agency_supervisor", channel=channel, address=address)  # type: ignore[arg-type]


def test_a_chain_lists_each_role_once_in_chain_order(
    seed_programs: dict[str, SeedProgram],
) -> None:
    data: dict[str, Any] = seed_programs["PKH"].model_dump(mode="json")
    data["escalation"] = list(reversed(data["escalation"]))
    with pytest.raises(ValidationError, match="in the order"):
        SeedProgram.model_validate(data)
    data["escalation"] = [data["escalation"][0]] * 2
    with pytest.raises(ValidationError, match="each role once"):
        SeedProgram.model_validate(data)
    data["escalation"] = []  # a program may name none: the Dinas Sosial inbox hears
    assert SeedProgram.model_validate(data).escalation == []

"""Deciding where an intake goes, with the seed catalogue (pure logic, no servers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rujukan_contracts.events import ProgramPublishedV1
from rujukan_eligibility.rules import CriterionResult
from rujukan_router.domain.catalogue import Catalogue
from rujukan_router.domain.decide import Decided, ProgramDecision, decide

from .conftest import MakeIntake

TODAY = datetime.now(UTC).date()


def by_code(decided: Decided) -> dict[str, ProgramDecision]:
    codes = [d.program.code for d in decided.programs]
    assert len(codes) == len(set(codes)), "one decision per program"
    return dict(zip(codes, decided.programs, strict=True))


def eligible_codes(decided: Decided) -> set[str]:
    return {d.program.code for d in decided.programs if d.eligible}


def criteria(decided: Decided, code: str) -> list[CriterionResult]:
    d = by_code(decided)[code]
    assert d.verdict is not None
    return d.criteria(decided.facts)


def criterion_values(decided: Decided, code: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for c in criteria(decided, code):
        merged.update(c.values)
    return merged


def test_the_example_household_is_eligible_for_pkh_v2_and_pbi_jk_not_dtks_in(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    decided = decide(make_intake(), catalogue, open_programs=set(), as_of=TODAY)
    decisions = by_code(decided)
    # every active program serving the village is a candidate (other villages' BLT-DD is not)
    village = "33.04.01.2001"
    assert set(decisions) == {p.code for p in catalogue.active() if p.serves(village)}
    assert "BLT-DD-3304012001" in decisions and "BLT-DD-3304202001" not in decisions
    assert all(d.skipped is None and d.verdict is not None for d in decisions.values())
    pkh, pbi, dtks = decisions["PKH"], decisions["PBI-JK"], decisions["DTKS-IN"]
    assert pkh.eligible and pkh.program.event.version == 2
    assert pbi.eligible
    assert not dtks.eligible and dtks.verdict is not None
    assert criterion_values(decided, "DTKS-IN") == {"registry.found": True}
    assert [c.passed for c in criteria(decided, "DTKS-IN")] == [False]


def test_every_eligible_decision_explains_itself_with_the_values_it_read(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    decided = decide(make_intake(), catalogue, open_programs=set(), as_of=TODAY)
    eligible = decided.eligible()
    assert eligible
    for d in eligible:
        explained = d.criteria(decided.facts)
        assert explained and all(c.values for c in explained), d.program.code
        assert any(c.passed for c in explained)
    pkh = criteria(decided, "PKH")
    decile = next(c for c in pkh if "registry.decile" in c.values)
    assert decile.values["registry.decile"] == 2 and decile.passed
    pregnant = next(c for c in pkh if c.name == "pregnant_woman")
    assert pregnant.values["members[].pregnant"] == [False, True, False, False]


def test_ranks_run_from_one_to_n_over_the_eligible_and_zero_elsewhere(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    decided = decide(make_intake(), catalogue, open_programs=set(), as_of=TODAY)
    eligible = decided.eligible()
    assert [d.rank for d in eligible] == list(range(1, len(eligible) + 1))
    assert all(d.rank == 0 for d in decided.programs if not d.eligible)
    # programs meeting more of the stated needs rank first
    needs = {"health_insurance", "schooling", "food"}
    ordered = sorted(eligible, key=lambda d: d.rank)
    overlaps = [len(needs & {n.value for n in d.program.event.needs_served}) for d in ordered]
    assert overlaps == sorted(overlaps, reverse=True)


def test_a_household_not_in_the_registry_is_proposed_for_dtks_in(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    intake = make_intake(registry={"found": False, "decile": None, "has_kks": False})
    decided = decide(intake, catalogue, open_programs=set(), as_of=TODAY)
    decisions = by_code(decided)
    assert decisions["DTKS-IN"].eligible
    assert criterion_values(decided, "DTKS-IN") == {"registry.found": False}
    assert not decisions["PBI-JK"].eligible  # needs a decile from the registry
    assert not decisions["PKH"].eligible


def test_a_program_the_household_is_enrolled_in_is_skipped(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    intake = make_intake(registry={"enrolments": ["PKH"]})
    decisions = by_code(decide(intake, catalogue, open_programs=set(), as_of=TODAY))
    pkh = decisions["PKH"]
    assert pkh.skipped == "already_enrolled" and pkh.verdict is None
    assert not pkh.eligible and pkh.rank == 0
    assert decisions["PBI-JK"].eligible and decisions["PBI-JK"].skipped is None


def test_a_program_with_an_open_referral_is_skipped(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    decisions = by_code(
        decide(make_intake(), catalogue, open_programs={"PBI-JK", "PKH"}, as_of=TODAY)
    )
    for code in ("PBI-JK", "PKH"):
        assert decisions[code].skipped == "open_referral"
        assert not decisions[code].eligible and decisions[code].verdict is None
    assert decisions["SEMBAKO"].eligible


def test_consent_limited_to_one_recipient_skips_every_other_program(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    intake = make_intake(consent={"recipients": ["PBI-JK"]})
    decided = decide(intake, catalogue, open_programs=set(), as_of=TODAY)
    assert eligible_codes(decided) == {"PBI-JK"}
    for d in decided.programs:
        if d.program.code != "PBI-JK":
            assert d.skipped == "no_consent" and d.verdict is None
    assert by_code(decided)["PBI-JK"].rank == 1


def test_consent_without_the_referral_purpose_refers_nowhere(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    intake = make_intake(consent={"purposes": ["notification"]})
    decided = decide(intake, catalogue, open_programs=set(), as_of=TODAY)
    assert decided.programs and all(d.skipped == "no_consent" for d in decided.programs)
    assert eligible_codes(decided) == set()


def test_a_program_outside_its_service_area_is_not_a_candidate(
    seed_events: list[ProgramPublishedV1], make_intake: MakeIntake
) -> None:
    catalogue = Catalogue()
    for event in seed_events:
        if event.code == "PBI-JK":
            event = event.model_copy(update={"service_area": ["31"]})  # DKI Jakarta only
        if event.code == "PKH":
            event = event.model_copy(update={"service_area": ["33.04"]})  # Banjarnegara
        catalogue.put(event)
    decisions = by_code(decide(make_intake(), catalogue, open_programs=set(), as_of=TODAY))
    assert "PBI-JK" not in decisions  # not even a skipped candidate
    assert decisions["PKH"].eligible
    jakarta = by_code(
        decide(
            make_intake(village_code="31.71.01.1001"), catalogue, open_programs=set(), as_of=TODAY
        )
    )
    assert jakarta["PBI-JK"].eligible and "PKH" not in jakarta


def test_paused_programs_are_not_candidates(
    seed_events: list[ProgramPublishedV1], make_intake: MakeIntake
) -> None:
    catalogue = Catalogue()
    for event in seed_events:
        catalogue.put(
            event.model_copy(update={"status": "paused"}) if event.code == "PKH" else event
        )
    decisions = by_code(decide(make_intake(), catalogue, open_programs=set(), as_of=TODAY))
    assert "PKH" not in decisions and decisions["PBI-JK"].eligible

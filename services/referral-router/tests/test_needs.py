"""Referrals follow needs: which eligible programs are referred, suggested to the officer or
left alone, and exclusions between programs read from the visit (pure logic, seed catalogue)."""

from __future__ import annotations

from datetime import UTC, datetime

from rujukan_contracts.events import IntakeSubmittedV1, ProgramPublishedV1
from rujukan_router.domain.catalogue import Catalogue, LiveProgram
from rujukan_router.domain.decide import Decided, Reroute, decide

from .conftest import MakeIntake

TODAY = datetime.now(UTC).date()
BERTA_BLT_DD = "BLT-DD-3304012001"  # the example household's village fund (33.04.01.2001)


def outcomes(decided: Decided) -> dict[str, str]:
    return {d.program.code: d.outcome for d in decided.programs}


def referred(decided: Decided) -> set[str]:
    return {d.program.code for d in decided.chosen()}


def skip_of(decided: Decided, code: str) -> str | None:
    found = decided.get(code)
    assert found is not None, code
    return found.skipped


def program(catalogue: Catalogue, code: str) -> LiveProgram:
    found = catalogue.get(code)
    assert found is not None, code
    return found


def needing(make_intake: MakeIntake, *needs: str, **changes: object) -> IntakeSubmittedV1:
    return make_intake(needs=list(needs), **changes)


# -- only programs serving a stated need are referred ---------------------------------------


def test_rtlh_is_referred_only_for_a_housing_need(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    house = {"owns_land": True, "house_below_standard": True}
    health = decide(
        needing(make_intake, "health_insurance", household=house),
        catalogue,
        open_programs=set(),
        as_of=TODAY,
    )
    assert outcomes(health)["RTLH-3304"] == "suggested"
    assert "RTLH-3304" not in referred(health) and "PBI-JK" in referred(health)
    housing = decide(
        needing(make_intake, "housing", household=house),
        catalogue,
        open_programs=set(),
        as_of=TODAY,
    )
    assert outcomes(housing)["RTLH-3304"] == "referred"


def test_pip_is_referred_only_for_a_schooling_need(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    food = decide(needing(make_intake, "food"), catalogue, open_programs=set(), as_of=TODAY)
    assert outcomes(food)["PIP"] == "suggested"
    assert referred(food) == {"SEMBAKO", "BAZNAS"}  # the food programs the household may get
    school = decide(needing(make_intake, "schooling"), catalogue, open_programs=set(), as_of=TODAY)
    assert outcomes(school)["PIP"] == "referred"
    assert outcomes(school)["SEMBAKO"] == "suggested"


def test_every_program_says_what_became_of_it(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    intake = needing(make_intake, "health_insurance", registry={"enrolments": ["SEMBAKO"]})
    decided = decide(intake, catalogue, open_programs={"PKH"}, as_of=TODAY)
    got = outcomes(decided)
    assert got["PBI-JK"] == "referred"
    assert got["PIP"] == "suggested"  # eligible, for a need nobody stated
    assert got["DTKS-IN"] == "not_eligible"  # registered: nothing to propose
    assert got["SEMBAKO"] == "skipped" and skip_of(decided, "SEMBAKO") == "already_enrolled"
    assert got["PKH"] == "skipped" and skip_of(decided, "PKH") == "open_referral"
    for d in decided.programs:
        assert (d.outcome in ("referred", "suggested")) == d.eligible
    # referred first, then the suggestions, each ranked
    ranks = [d.outcome for d in decided.eligible()]
    assert ranks == sorted(ranks, key=lambda o: o != "referred")


# -- proactive programs -----------------------------------------------------------------------


def test_an_unregistered_household_is_proposed_for_the_registry_whatever_its_need(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    unregistered = {"found": False, "decile": None, "has_kks": False}
    decided = decide(
        needing(make_intake, "civil_documents", registry=unregistered),
        catalogue,
        open_programs=set(),
        as_of=TODAY,
    )
    assert "civil_documents" not in program(catalogue, "DTKS-IN").needs_served
    assert referred(decided) == {"DTKS-IN", "ADMINDUK"}
    assert outcomes(decided)["BAZNAS"] == "suggested"  # eligible, not proactive, no such need


def test_a_program_not_marked_proactive_waits_for_a_need(
    seed_events: list[ProgramPublishedV1], make_intake: MakeIntake
) -> None:
    catalogue = Catalogue()
    for event in seed_events:
        catalogue.put(event.model_copy(update={"proactive": False}))
    decided = decide(
        needing(make_intake, "civil_documents", registry={"found": False, "decile": None}),
        catalogue,
        open_programs=set(),
        as_of=TODAY,
    )
    assert outcomes(decided)["DTKS-IN"] == "suggested"
    assert referred(decided) == {"ADMINDUK"}


def test_a_missing_document_is_referred_to_adminduk_beside_a_food_need(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    intake = needing(make_intake, "food", household={"missing_documents": ["birth_certificate"]})
    decided = decide(intake, catalogue, open_programs=set(), as_of=TODAY)
    assert "ADMINDUK" in referred(decided)
    assert "food" not in program(catalogue, "ADMINDUK").needs_served


def test_a_complaint_only_visit_refers_nowhere_not_even_proactively(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    intake = make_intake(
        needs=[],
        complaint={
            "kind": "complaint",
            "text": "Bantuan PKH tidak cair tiga bulan",
            "about_program": "PKH",
        },
        registry={"found": False, "decile": None, "has_kks": False},
        household={"missing_documents": ["ktp"]},
    )
    decided = decide(intake, catalogue, open_programs=set(), as_of=TODAY)
    assert referred(decided) == set()
    assert outcomes(decided)["DTKS-IN"] == "suggested"
    assert outcomes(decided)["ADMINDUK"] == "suggested"


# -- exclusions between programs: visit.referred ----------------------------------------------


def test_blt_dd_is_not_referred_beside_pkh_in_one_visit(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    decided = decide(needing(make_intake, "cash"), catalogue, open_programs=set(), as_of=TODAY)
    assert {"PKH", "BAZNAS"} <= referred(decided)
    blt_dd = decided.get(BERTA_BLT_DD)
    assert blt_dd is not None and blt_dd.outcome == "not_eligible"
    assert blt_dd.verdict is not None and blt_dd.program.reads_visit
    [excluded] = [c for c in blt_dd.criteria(decided.facts) if not c.passed]
    assert excluded.name == "not_referred_to_pkh_or_sembako"
    assert excluded.values == {"visit.referred": sorted(referred(decided) - {BERTA_BLT_DD})}
    assert decided.facts["visit"]["referred"] == excluded.values["visit.referred"]


def test_blt_dd_is_referred_for_cash_when_pkh_is_not(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    # a poor couple without children: no PKH component
    intake = needing(
        make_intake,
        "cash",
        members=[
            {"member_id": "a1f0c3e2-1111-4a4a-8b8b-000000000001", "relationship": "head",
             "birth_date": "1980-03-12", "sex": "male"},
            {"member_id": "a1f0c3e2-1111-4a4a-8b8b-000000000002", "relationship": "spouse",
             "birth_date": "1982-07-01", "sex": "female"},
        ],
        priority_lanes=[],
    )  # fmt: skip
    decided = decide(intake, catalogue, open_programs=set(), as_of=TODAY)
    assert outcomes(decided)["PKH"] == "not_eligible"
    assert BERTA_BLT_DD in referred(decided)


def test_an_open_sembako_referral_from_an_earlier_visit_excludes_blt_dd(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    decided = decide(
        needing(make_intake, "cash", priority_lanes=[], members=[]),
        catalogue,
        open_programs={"SEMBAKO"},
        as_of=TODAY,
    )
    assert outcomes(decided)[BERTA_BLT_DD] == "not_eligible"
    assert decided.facts["visit"]["referred"] == ["BAZNAS", "SEMBAKO"]


def test_the_order_of_the_catalogue_does_not_change_the_answer(
    seed_events: list[ProgramPublishedV1], make_intake: MakeIntake
) -> None:
    intake = needing(make_intake, "cash", "food")
    answers = []
    for events in (seed_events, list(reversed(seed_events))):
        catalogue = Catalogue()
        for event in events:
            catalogue.put(event)
        answers.append(outcomes(decide(intake, catalogue, open_programs=set(), as_of=TODAY)))
    assert answers[0] == answers[1]
    assert answers[0][BERTA_BLT_DD] == "not_eligible" and answers[0]["PKH"] == "referred"


def test_a_full_program_that_turns_referrals_away_is_not_among_the_visits_referrals(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    def pkh_full(program: LiveProgram) -> bool:
        return bool(program.code == "PKH")

    decided = decide(
        needing(make_intake, "cash"),
        catalogue,
        open_programs=set(),
        as_of=TODAY,
        turns_away=pkh_full,
    )
    pkh = decided.get("PKH")
    assert pkh is not None and pkh.outcome == "skipped" and pkh.skipped == "capacity_full"
    assert outcomes(decided)[BERTA_BLT_DD] == "referred"


# -- re-routing after a rejection -------------------------------------------------------------


def test_a_reroute_chooses_one_program_serving_the_rejected_need(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    intake = needing(make_intake, "cash", "food")
    # routed first: PKH, BAZNAS, SEMBAKO referred; BLT-DD excluded beside PKH and SEMBAKO
    first = decide(intake, catalogue, open_programs=set(), as_of=TODAY)
    assert referred(first) == {"PKH", "BAZNAS", "SEMBAKO"}
    # PKH rejected; SEMBAKO still open: BLT-DD stays excluded beside it
    again = decide(
        intake,
        catalogue,
        open_programs={"BAZNAS", "SEMBAKO"},
        as_of=TODAY,
        reroute=Reroute(frozenset({"cash"}), frozenset({"PKH", "BAZNAS", "SEMBAKO"})),
    )
    assert referred(again) == set()
    assert outcomes(again)["PKH"] == "skipped" and skip_of(again, "PKH") == "already_referred"
    # SEMBAKO closed too: the next program serving cash is BLT-DD
    after = decide(
        intake,
        catalogue,
        open_programs={"BAZNAS"},
        as_of=TODAY,
        reroute=Reroute(frozenset({"cash"}), frozenset({"PKH", "BAZNAS", "SEMBAKO"})),
    )
    assert referred(after) == {BERTA_BLT_DD}
    assert after.facts["visit"]["referred"] == ["BAZNAS"]


def test_a_reroute_refers_one_program_at_most_and_suggests_the_rest(
    catalogue: Catalogue, make_intake: MakeIntake
) -> None:
    intake = needing(make_intake, "cash", "health_insurance")
    decided = decide(
        intake,
        catalogue,
        open_programs=set(),
        as_of=TODAY,
        reroute=Reroute(frozenset({"health_insurance"}), frozenset({"PBI-JK"})),
    )
    assert len(referred(decided)) == 1
    assert referred(decided) <= {"PKH", "BAZNAS"}  # they serve health insurance too
    assert sum(o == "suggested" for o in outcomes(decided).values()) >= 1
    # no proactive referral in a re-route
    unregistered = needing(
        make_intake, "health_insurance", registry={"found": False, "decile": None}
    )
    rerouted = decide(
        unregistered,
        catalogue,
        open_programs=set(),
        as_of=TODAY,
        reroute=Reroute(frozenset({"health_insurance"}), frozenset({"PBI-JK", "BAZNAS"})),
    )
    assert outcomes(rerouted)["DTKS-IN"] == "referred"  # it serves health insurance itself
    civil = decide(
        needing(make_intake, "food", household={"missing_documents": ["ktp"]}),
        catalogue,
        open_programs=set(),
        as_of=TODAY,
        reroute=Reroute(frozenset({"food"}), frozenset({"SEMBAKO"})),
    )
    assert outcomes(civil)["ADMINDUK"] == "suggested"

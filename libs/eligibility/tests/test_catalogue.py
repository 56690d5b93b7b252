from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from rujukan_eligibility.catalogue import SeedProgram, load_seed_programs
from rujukan_eligibility.context import NEEDS, EvaluationContext, Member, Registry
from rujukan_eligibility.rules import RuleError, prepare

EXPECTED_CODES = {
    "PKH", "SEMBAKO", "PBI-JK", "PIP", "RTLH-3304", "ATENSI", "DTKS-IN", "ADMINDUK", "BAZNAS",
    # BLT-DD is a village's own program: one per seeded desa (services/intake/seed)
    "BLT-DD-3304012001", "BLT-DD-3304012003", "BLT-DD-3304012012", "BLT-DD-3304062002",
    "BLT-DD-3304062004", "BLT-DD-3304202001", "BLT-DD-3304202002", "BLT-DD-3304202007",
    # complaint desks: the regency's SLRT secretariat, and the ministry's for everywhere else
    "PENGADUAN-3304", "PENGADUAN",
}  # fmt: skip


def test_whole_seed_dir_loads_and_compiles(seed_programs: dict[str, SeedProgram]) -> None:
    assert set(seed_programs) == EXPECTED_CODES
    for p in seed_programs.values():
        assert p.status == "active"
        assert set(p.needs_served) <= set(NEEDS)
        assert p.sources
        compiled = p.compile_all()
        assert set(compiled) == {v.version for v in p.versions}


def test_complaint_desks_handle_complaints_only_and_every_other_program_needs(
    seed_programs: dict[str, SeedProgram],
) -> None:
    desks = {code for code, p in seed_programs.items() if "complaints" in p.handles}
    assert desks == {"PENGADUAN-3304", "PENGADUAN"}
    assert seed_programs["PENGADUAN-3304"].service_area == ["33.04"]
    assert seed_programs["PENGADUAN"].service_area == []
    for code, p in seed_programs.items():
        assert p.handles == (["complaints"] if code in desks else ["needs"])
        assert bool(p.needs_served) is (code not in desks)


def test_a_program_that_handles_needs_must_serve_one(
    seed_programs: dict[str, SeedProgram],
) -> None:
    data = seed_programs["PKH"].model_dump(mode="json")
    with pytest.raises(ValueError, match="serves at least one"):
        SeedProgram.model_validate({**data, "needs_served": []})
    desk = SeedProgram.model_validate({**data, "needs_served": [], "handles": ["complaints"]})
    assert desk.handles == ["complaints"]


def test_pkh_has_two_versions_with_elderly_change(seed_programs: dict[str, SeedProgram]) -> None:
    pkh = seed_programs["PKH"]
    assert [(v.version, v.effective_from) for v in pkh.versions] == [
        (1, date(2021, 1, 1)), (2, date(2022, 1, 1))]  # fmt: skip
    assert pkh.version_at(date(2021, 6, 1)).version == 1  # type: ignore[union-attr]
    assert pkh.version_at(date(2023, 6, 1)).version == 2  # type: ignore[union-attr]
    assert pkh.version_at(date(2020, 6, 1)) is None
    assert pkh.current_version().version == 2

    grandmother = Member(age=65, age_months=65 * 12, sex="female", relationship="parent")
    ctx = EvaluationContext.model_validate({
        "members": [grandmother.model_dump()],
        "registry": {"found": True, "decile": 1, "enrolments": [], "has_kks": False},
        "region": {"province": "33", "district": "33.04", "subdistrict": "33.04.01",
                   "village": "33.04.01.2001"},
        "household": {"size": 1},
    })  # fmt: skip
    prepared = prepare(ctx)
    assert pkh.compiled(1).evaluate(prepared).eligible is True
    ev2 = pkh.compiled(2).evaluate(prepared)
    assert ev2.eligible is False
    assert {c.name: c.passed for c in ev2.criteria}["elderly"] is False


def test_example_household(
    seed_programs: dict[str, SeedProgram], example_context: EvaluationContext
) -> None:
    prepared = prepare(example_context)
    verdicts = {code: p.compiled().evaluate(prepared) for code, p in seed_programs.items()}
    assert verdicts["PKH"].eligible
    assert verdicts["PBI-JK"].eligible
    assert not verdicts["DTKS-IN"].eligible
    pkh = {c.name: c.passed for c in verdicts["PKH"].criteria}
    assert pkh == {"registry_decile_1_to_4": True, "pregnant_woman": True, "early_childhood": True,
                   "school_child": True, "severe_disability": False, "elderly": False}  # fmt: skip
    assert verdicts["SEMBAKO"].eligible and verdicts["PIP"].eligible
    assert not verdicts["RTLH-3304"].eligible and not verdicts["ATENSI"].eligible
    # Berta is served by every program but the other villages' BLT-DD
    serving = {code for code, p in seed_programs.items() if p.serves_region("33.04.01.2001")}
    assert serving == {c for c in EXPECTED_CODES if not c.startswith("BLT-DD-")} | {
        "BLT-DD-3304012001"
    }
    assert not seed_programs["RTLH-3304"].serves_region("33.05.01.2001")  # Banjarnegara's own

    unregistered = example_context.model_copy(update={"registry": Registry(found=False)})
    up = prepare(unregistered)
    assert seed_programs["DTKS-IN"].compiled().evaluate(up).eligible
    assert not seed_programs["PKH"].compiled().evaluate(up).eligible


def test_service_area_prefixes() -> None:
    p = _minimal()
    assert p.serves_region("11.01.01.1001")  # empty list = nationwide
    p2 = SeedProgram.model_validate({**_minimal_data(), "service_area": ["33.04", "34"]})
    assert p2.serves_region("33.04.01.2001") and p2.serves_region("34.01.02.2003")
    assert not p2.serves_region("33.40.01.2001")
    with pytest.raises(ValidationError):
        SeedProgram.model_validate({**_minimal_data(), "service_area": ["*"]})


def test_loader_refuses_bad_rule(tmp_path: Path) -> None:
    data = _minimal_data()
    data["versions"][0]["rule"]["cel"] = "registry.decile"
    (tmp_path / "XX.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(RuleError) as info:
        load_seed_programs(tmp_path)
    assert info.value.criterion == "always"


def test_versions_must_be_ordered() -> None:
    data = _minimal_data()
    v = data["versions"][0]
    data["versions"] = [{**v, "version": 2}, {**v, "version": 1}]
    with pytest.raises(ValidationError):
        SeedProgram.model_validate(data)


def _minimal_data() -> dict[str, Any]:
    return {
        "code": "XX", "name": {"id": "x", "en": "x"}, "description": {"id": "x", "en": "x"},
        "owner_agency": "x", "level": "district", "service_area": [], "status": "active",
        "sla_days": {"receive": 2, "decide": 5, "serve": 14}, "capacity": None,
        "contact": {"office": "x"}, "needs_served": ["other"],
        "sources": [{"title": "t", "url_or_reference": "r"}],
        "versions": [{"version": 1, "effective_from": "2021-01-01",
                      "rule": {"kind": "criterion", "name": "always", "label": "a",
                               "cel": "true"}}],
    }  # fmt: skip


def _minimal() -> SeedProgram:
    return SeedProgram.model_validate(_minimal_data())


def test_projected_context_gives_identical_explanations(
    seed_programs: dict[str, SeedProgram], example_context: EvaluationContext
) -> None:
    from rujukan_eligibility.rules import PreparedContext, names_used

    rules = [p.compiled(v.version) for p in seed_programs.values() for v in p.versions]
    keep = names_used(rules)
    assert "region" not in keep  # no seed rule reads the region
    for ctx in (
        example_context,
        example_context.model_copy(update={"registry": Registry(found=False)}),
    ):
        data = ctx.to_cel()
        full, projected = PreparedContext(data), PreparedContext(data, keep)
        for r in rules:
            assert r.evaluate(full).to_dict() == r.evaluate(projected).to_dict()
            assert r.check(projected) == r.evaluate(full).eligible

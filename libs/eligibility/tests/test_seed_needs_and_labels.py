"""What the seed catalogue says about being referred without a stated need, its exclusions
between programs, and its labels in both languages."""

from __future__ import annotations

from typing import Any

from rujukan_eligibility.catalogue import SeedProgram


def test_proactive_defaults_to_false(seed_programs: dict[str, SeedProgram]) -> None:
    proactive = {code for code, p in seed_programs.items() if p.proactive}
    assert proactive == {"DTKS-IN", "ADMINDUK"}


def test_every_seed_label_has_its_english(seed_programs: dict[str, SeedProgram]) -> None:
    def nodes(rule: Any) -> Any:
        yield rule
        for child in getattr(rule, "of", []):
            yield from nodes(child)

    for code, program in seed_programs.items():
        for version in program.versions:
            for node in nodes(version.rule):
                assert node.label_en, f"{code} v{version.version} {node.name}"
                assert node.label != node.label_en, f"{code} v{version.version} {node.name}"


def test_every_current_blt_dd_rule_excludes_pkh_and_sembako_referred_in_the_visit(
    seed_programs: dict[str, SeedProgram],
) -> None:
    blt_dd = [p for code, p in seed_programs.items() if code.startswith("BLT-DD")]
    assert blt_dd
    poor: dict[str, Any] = {
        "members": [],
        "registry": {"found": True, "decile": 2, "enrolments": [], "has_kks": False},
        "region": {
            "province": "33",
            "district": "33.04",
            "subdistrict": "33.04.01",
            "village": "33.04.01.2001",
        },
        "needs": ["cash"],
        "household": {"size": 0},
    }
    for program in blt_dd:
        rule = program.compiled()
        assert "visit" in rule.roots, program.code
        assert rule.check({**poor, "visit": {"referred": ["PBI-JK"]}}), program.code
        for beside in ("PKH", "SEMBAKO"):
            assert not rule.check({**poor, "visit": {"referred": [beside]}}), program.code

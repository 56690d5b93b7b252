"""The seed registry (``seed/registry.csv``) is what its generator writes, and it is plausible:
real Banjarnegara villages, KKs of their sub-district, deciles skewed low, and no enrolment the
programs exclude (the village's BLT-DD never beside PKH or SEMBAKO)."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from types import ModuleType

import yaml

from rujukan_intake.adapters.registry import read_registry_csv
from rujukan_intake.domain.identity import nik_form_problem
from rujukan_regions import regions

SEED = Path(__file__).resolve().parents[1] / "seed"
PROGRAMS = Path(__file__).resolve().parents[2] / "program-registry" / "seed" / "programs"


def generator() -> ModuleType:
    path = SEED / "generate_registry.py"
    spec = importlib.util.spec_from_file_location("generate_registry", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


gen = generator()
HOUSEHOLDS = list(gen.households())


def test_the_committed_csv_is_what_the_generator_writes() -> None:
    assert (SEED / "registry.csv").read_text(encoding="utf-8") == gen.render()
    rows = list(read_registry_csv(SEED / "registry.csv", str))  # the loader takes every row
    assert len(rows) == len(HOUSEHOLDS) >= 10_000


def test_the_hand_written_households_stay_first_and_unchanged() -> None:
    lines = (SEED / "registry.csv").read_text(encoding="utf-8").splitlines()
    assert lines[:5] == [
        "kk,decile,enrolments,has_kks,niks",
        "3304010101200001,2,,true,",
        "3304010101200002,3,SEMBAKO,true,",
        "3304010101200003,7,,false,",
        "3304010101200004,1,PKH;SEMBAKO;PBI-JK,true,",
    ]


def test_households_live_in_real_banjarnegara_villages_with_their_sub_district_kk() -> None:
    for village in gen.VILLAGES:
        assert regions().is_village(village) and village.startswith("33.04.")
    assert len({v.rsplit(".", 1)[0] for v in gen.VILLAGES}) >= 3  # several sub-districts
    kks = [h.kk for h in HOUSEHOLDS]
    assert len(set(kks)) == len(kks)
    for h in HOUSEHOLDS:
        assert len(h.kk) == 16 and h.kk.isascii() and h.kk.isdigit()
        assert h.kk[:6] == h.village.replace(".", "")[:6]
        datetime.strptime(h.kk[6:12], "%d%m%y")  # the card's issue date is a real day


def test_deciles_skew_low_as_the_registry_does() -> None:
    per_decile = Counter(h.decile for h in HOUSEHOLDS)
    assert set(per_decile) == set(range(1, 11))
    assert sum(per_decile[d] for d in range(1, 5)) > 0.6 * len(HOUSEHOLDS)
    assert [per_decile[d] for d in range(1, 11)] == sorted(per_decile.values(), reverse=True)


def test_enrolments_respect_the_programs_exclusions_and_targets() -> None:
    enrolled = Counter(code for h in HOUSEHOLDS for code in h.enrolments)
    for code in ("PKH", "SEMBAKO", "PBI-JK", "PIP"):
        assert enrolled[code] > 100
    blt_dd = [h for h in HOUSEHOLDS if any(c.startswith("BLT-DD") for c in h.enrolments)]
    assert len(blt_dd) > 100
    for h in blt_dd:
        assert not {"PKH", "SEMBAKO"} & set(h.enrolments)  # BLT-DD only for the uncovered
        assert gen.is_desa(h.village)  # a kelurahan has no village fund
        assert [c for c in h.enrolments if c.startswith("BLT-DD")] == [gen.blt_dd_code(h.village)]
    for h in HOUSEHOLDS:
        if "PKH" in h.enrolments or "SEMBAKO" in h.enrolments:
            assert h.decile <= 5, "PKH and SEMBAKO target the low deciles"
    with_aid = [h.has_kks for h in HOUSEHOLDS if {"PKH", "SEMBAKO"} & set(h.enrolments)]
    assert sum(with_aid) > 0.9 * len(with_aid)  # the KKS card pays PKH and SEMBAKO


def test_every_desa_has_its_own_blt_dd_in_the_seed_catalogue() -> None:
    programs = {
        p["code"]: p for p in (yaml.safe_load(f.read_text()) for f in PROGRAMS.glob("BLT-DD*.yaml"))
    }
    desa = [v for v in gen.VILLAGES if gen.is_desa(v)]
    assert set(programs) == {gen.blt_dd_code(v) for v in desa}
    for village in desa:
        program = programs[gen.blt_dd_code(village)]
        assert program["level"] == "village" and program["service_area"] == [village]
        assert program["capacity_period"] == "month" and 10 <= program["capacity"] <= 30
    # one rule for every village: a change to BLT-DD's criteria is made in all of them
    assert len({yaml.safe_dump(p["versions"]) for p in programs.values()}) == 1


def test_generated_families_list_valid_unique_niks_of_their_sub_district() -> None:
    generated = HOUSEHOLDS[len(gen.HAND_WRITTEN) :]
    assert all(not h.niks for h in HOUSEHOLDS[: len(gen.HAND_WRITTEN)])  # tests' own members
    niks = [nik for h in generated for nik in h.niks]
    assert len(niks) == len(set(niks)) > 3 * len(generated)  # families of several
    assert all(h.niks for h in generated)
    for h in generated:
        for nik in h.niks:
            assert nik_form_problem(nik) is None
            assert nik[:6] == h.kk[:6]  # issued in the family's sub-district
    women = sum(int(nik[6:8]) > 40 for nik in niks)
    assert 0.4 < women / len(niks) < 0.6

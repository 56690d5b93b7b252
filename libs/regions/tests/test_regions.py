from __future__ import annotations

import gzip
import json
import time
from importlib import resources

import pytest

from rujukan_regions import (
    Region,
    RegionCode,
    RegionLevel,
    covers,
    covers_any,
    load_regions,
    normalise_region_code,
    parse_region_code,
    regions,
)

VILLAGE = "33.04.01.2001"  # Desa Berta, Kec. Susukan, Kab. Banjarnegara, Jawa Tengah
KELURAHAN = "31.71.01.1001"  # Kel. Gambir, Kec. Gambir, Kota Jakarta Pusat, DKI Jakarta


# -- real codes --------------------------------------------------------------


def test_real_village_and_its_ancestors() -> None:
    r = regions().get(VILLAGE)
    assert r == Region(VILLAGE, "Berta", RegionLevel.VILLAGE, "33.04.01")
    assert regions().is_village(VILLAGE)
    assert [(a.code, a.name, a.level) for a in regions().ancestors(VILLAGE)] == [
        ("33", "Jawa Tengah", RegionLevel.PROVINCE),
        ("33.04", "Kabupaten Banjarnegara", RegionLevel.REGENCY),
        ("33.04.01", "Susukan", RegionLevel.DISTRICT),
    ]
    assert regions().name("33.04") == "Kabupaten Banjarnegara"


def test_kelurahan_in_a_city() -> None:
    assert regions().name(KELURAHAN) == "Gambir"
    assert regions().name("31.71") == "Kota Administrasi Jakarta Pusat"
    assert regions().is_village("3171011001")
    assert [a.code for a in regions().ancestors(KELURAHAN)] == ["31", "31.71", "31.71.01"]


def test_ancestors_of_higher_levels() -> None:
    assert regions().ancestors("33") == ()
    assert [a.code for a in regions().ancestors("33.04.01")] == ["33", "33.04"]


def test_children() -> None:
    kids = regions().children("33.04.01")
    assert kids[0].code == VILLAGE
    assert all(k.parent == "33.04.01" and k.level is RegionLevel.VILLAGE for k in kids)
    assert regions().children(VILLAGE) == ()


def test_is_village_false_for_other_levels_and_unknown() -> None:
    assert not regions().is_village("33.04.01")
    assert not regions().is_village("33")
    assert not regions().is_village("33.04.01.9999")
    assert not regions().is_village("garbage")


# -- both code forms ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "dotted"),
    [
        ("33", "33"),
        ("3304", "33.04"),
        ("330401", "33.04.01"),
        ("3304012001", "33.04.01.2001"),
        ("33.04.01.2001", "33.04.01.2001"),
        ("  33.04 ", "33.04"),
    ],
)
def test_both_forms_normalise(raw: str, dotted: str) -> None:
    code = parse_region_code(raw)
    assert code.dotted == dotted == str(code)
    assert code.compact == dotted.replace(".", "")
    assert normalise_region_code(raw) == dotted
    assert regions().get(raw) == regions().get(dotted) is not None


def test_region_code_structure() -> None:
    code = parse_region_code("3304012001")
    assert code.level is RegionLevel.VILLAGE
    assert code.segments == ("33", "04", "01", "2001")
    assert code.parent == RegionCode("33.04.01")
    assert [c.dotted for c in code.lineage] == ["33", "33.04", "33.04.01"]
    assert RegionCode("33").parent is None


# -- refusals ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("3", "1 digits"),
        ("330", "3 digits"),
        ("33040120011", "11 digits"),
        ("33.0", "malformed"),
        ("33.4.01", "malformed"),
        ("33.04.01.201", "malformed"),
        ("33..04", "malformed"),
        ("33.04.", "malformed"),
        ("3304.01", "malformed"),
        ("33-04", "only digits"),
        ("٣٣", "only digits"),  # Arabic-Indic digits are not Kemendagri codes
    ],
)
def test_wrong_shape_refused(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_region_code(raw)
    with pytest.raises(ValueError):
        parse_region_code(raw, known=False)
    assert regions().get(raw) is None


@pytest.mark.parametrize("raw", ["99", "33.99", "33.04.99", "33.04.01.9999", "3304019999"])
def test_unknown_code_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="unknown region code"):
        parse_region_code(raw)
    assert parse_region_code(raw, known=False).compact == raw.replace(".", "")
    assert regions().get(raw) is None
    with pytest.raises(ValueError, match="unknown"):
        regions().name(raw)
    with pytest.raises(ValueError, match="unknown"):
        regions().ancestors(raw)


# -- covers ------------------------------------------------------------------


@pytest.mark.parametrize(
    "area", ["33", "33.04", "33.04.01", "33.04.01.2001", "3304", "330401", "3304012001"]
)
def test_covers_at_every_level(area: str) -> None:
    assert covers(area, VILLAGE)
    assert covers(area, "3304012001")


@pytest.mark.parametrize(
    "area",
    [
        "34",  # another province
        "33.05",  # sibling regency
        "33.04.02",  # sibling district
        "33.04.01.2002",  # sibling village
        "31.71",  # elsewhere entirely
    ],
)
def test_covers_negative(area: str) -> None:
    assert not covers(area, VILLAGE)


def test_covers_compares_segments_not_string_prefix() -> None:
    # raw string prefixes that must never match
    for bad in ("3", "33.0", "33.04.0", "33.04.01.200"):
        with pytest.raises(ValueError):
            covers(bad, VILLAGE)
    # a well-formed code that shares leading characters but not whole segments
    assert not covers("33.01", VILLAGE)  # "33.0" prefix of both, but 01 != 04
    assert covers("33.04.01", "33.04.01")  # an area covers itself
    assert not covers("33.04.01.2001", "33.04.01")  # a village does not cover its district
    assert not covers("33.04.01", "33.04")


def test_covers_any() -> None:
    assert covers_any([], VILLAGE)  # empty list = nationwide
    assert covers_any(["31", "33.04"], VILLAGE)
    assert not covers_any(["31", "33.05"], VILLAGE)
    with pytest.raises(ValueError):
        covers_any([], "33.0")


# -- the data as a whole -----------------------------------------------------


def test_counts_match_the_source() -> None:
    # idn-area-data 4.0.1 (Kepmendagri 300.2.2-2L38/2025): 38 provinces (incl. the
    # six Papua provinces after the 2022 splits), 514 regencies/cities, 7,285
    # districts, 83,762 villages. If the data is regenerated from a newer release
    # these numbers will move; update them together with data/SOURCE.md.
    r = regions()
    assert r.count("province") == 38
    assert r.count(RegionLevel.REGENCY) == 514
    assert r.count(RegionLevel.DISTRICT) == 7285
    assert r.count(RegionLevel.VILLAGE) == 83762
    assert 83_000 <= r.count(RegionLevel.VILLAGE) <= 84_500
    assert len(r) == 38 + 514 + 7285 + 83762
    assert r.source["counts"] == {
        "province": 38,
        "regency": 514,
        "district": 7285,
        "village": 83762,
    }


def test_every_row_is_consistent() -> None:
    r = regions()
    for region in r:
        code = RegionCode.parse(region.code)
        assert code.dotted == region.code
        assert code.level is region.level
        assert region.parent == (code.parent.dotted if code.parent else None)
        assert region.parent is None or region.parent in r
        assert region.name == region.name.strip() != ""


def test_source_metadata() -> None:
    meta = regions().source
    assert meta["source"] == "idn-area-data"
    assert meta["source_version"] == "4.0.1"
    assert "300.2.2-2L38 Tahun 2025" in meta["regulation"]
    data = resources.files("rujukan_regions").joinpath("data")
    text = data.joinpath("SOURCE.md").read_text()
    assert "idn-area-data" in text and "4.0.1" in text and "ODbL" in text
    assert json.loads(data.joinpath("meta.json").read_text()) == meta


def test_data_is_small() -> None:
    data = resources.files("rujukan_regions").joinpath("data")
    blob = data.joinpath("regions.csv.gz").read_bytes()
    assert len(blob) < 1_500_000
    assert gzip.decompress(blob).startswith(b"code,name,level,parent\n")


def test_load_is_fast_and_cached() -> None:
    start = time.perf_counter()
    fresh = load_regions()
    elapsed = time.perf_counter() - start
    assert len(fresh) == len(regions())
    assert elapsed < 1.5, f"loading took {elapsed:.2f}s"
    assert regions() is regions()


def test_a_region_keeps_its_provinces_time_zone() -> None:
    from rujukan_regions import WIB, WIT, WITA, time_zone

    assert time_zone("33.04.01.2001") is WIB  # Banjarnegara, Central Java
    assert time_zone("3304") is WIB and time_zone("62") is WIB  # Central Kalimantan
    assert time_zone("51.71") is WITA and time_zone("64") is WITA  # Denpasar, East Kalimantan
    assert time_zone("73.71.01.1001") is WITA  # Makassar
    assert time_zone("81") is WIT and time_zone("94.01") is WIT  # Maluku, Central Papua

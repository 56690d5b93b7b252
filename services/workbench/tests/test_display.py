"""Times are shown on the clock of the region they are about."""

from __future__ import annotations

from rujukan_workbench.app import local_time, region_name

STAMP = "2026-12-04T19:58:00+00:00"


def test_a_time_is_shown_in_the_regions_zone() -> None:
    assert local_time(STAMP, "33.04.01.2001") == "2026-12-05 02:58 WIB"
    assert local_time(STAMP, "51.71") == "2026-12-05 03:58 WITA"
    assert local_time(STAMP, "91.71") == "2026-12-05 04:58 WIT"
    assert local_time(STAMP) == "2026-12-05 02:58 WIB"
    assert local_time(None, "33.04") == "—"


def test_a_region_is_named_beside_its_code() -> None:
    assert region_name("33.04.01.2001") == "Berta (33.04.01.2001)"
    assert region_name("99.99.99.9999") == "99.99.99.9999"

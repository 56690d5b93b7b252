"""Kemendagri administrative regions: codes, names and hierarchy.

Data: npm ``idn-area-data`` 4.0.1 (Kepmendagri No. 300.2.2-2L38 Tahun 2025),
shipped in ``rujukan_regions/data/``; see ``data/SOURCE.md``.
"""

from rujukan_regions.codes import (
    RegionCode,
    RegionLevel,
    covers,
    covers_any,
    normalise_region_code,
)
from rujukan_regions.data import Region, Regions, load_regions, parse_region_code, regions
from rujukan_regions.zones import WIB, WIT, WITA, time_zone

__all__ = [
    "WIB",
    "WIT",
    "WITA",
    "Region",
    "RegionCode",
    "RegionLevel",
    "Regions",
    "covers",
    "covers_any",
    "load_regions",
    "normalise_region_code",
    "parse_region_code",
    "regions",
    "time_zone",
]

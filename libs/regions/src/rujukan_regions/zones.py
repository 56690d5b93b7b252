"""Which of Indonesia's three time zones a region keeps, by its province.

WIB (UTC+7) is Sumatra, Java, West and Central Kalimantan; WITA (UTC+8) is Bali, Nusa Tenggara,
South, East and North Kalimantan and Sulawesi; WIT (UTC+9) is Maluku and Papua. A deadline
counted in days ends at the same local hour in the region that must meet it.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo

from rujukan_regions.codes import RegionCode

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")

#: Bali, NTB, NTT; South, East and North Kalimantan; the six Sulawesi provinces
_WITA_PROVINCES = frozenset(
    {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
)
#: Maluku, North Maluku and the six Papua provinces
_WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})


def time_zone(code: str | RegionCode) -> ZoneInfo:
    """The time zone of the province ``code`` lies in (any level, dotted or compact)."""
    if isinstance(code, RegionCode):
        return _zone_of_province(code.dotted[:2])
    return _zone_of_code(code)


@lru_cache(maxsize=8192)
def _zone_of_code(code: str) -> ZoneInfo:
    """Parsed once per code: the router asks for each referral's village."""
    return _zone_of_province(RegionCode.parse(code).dotted[:2])


def _zone_of_province(province: str) -> ZoneInfo:
    if province in _WIT_PROVINCES:
        return WIT
    if province in _WITA_PROVINCES:
        return WITA
    return WIB

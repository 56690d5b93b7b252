"""Kemendagri region codes: shape parsing, normalisation and prefix coverage.

Everything here is structural and needs no data file; use
:func:`rujukan_regions.parse_region_code` to also check that a code exists.
"""

from __future__ import annotations

import enum
import itertools
import re
from dataclasses import dataclass


class RegionLevel(enum.StrEnum):
    PROVINCE = "province"  # provinsi, 2 digits
    REGENCY = "regency"  # kabupaten/kota, +2 digits
    DISTRICT = "district"  # kecamatan, +2 digits
    VILLAGE = "village"  # desa/kelurahan, +4 digits


LEVELS: tuple[RegionLevel, ...] = tuple(RegionLevel)
SEGMENT_WIDTHS: tuple[int, ...] = (2, 2, 2, 4)
_COMPACT_LENGTHS = {2: 1, 4: 2, 6: 3, 10: 4}  # digit count -> number of segments
_DOTTED = re.compile(r"[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{4})?)?)?")
_COMPACT = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True, order=True)
class RegionCode:
    """A well-formed region code, held in dotted form (``33.04.01.2001``).

    Shape only: a ``RegionCode`` need not name a region that exists.
    """

    dotted: str

    @classmethod
    def parse(cls, raw: str) -> RegionCode:
        """Parse ``33.04.01.2001`` or ``3304012001`` (any level); shape only.

        Raises ``ValueError`` saying what is wrong with the shape.
        """
        return cls(_normalise(raw))

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.dotted.split("."))

    @property
    def compact(self) -> str:
        """Digits only, e.g. ``3304012001`` (the form used by BPS/Dukcapil exports)."""
        return self.dotted.replace(".", "")

    @property
    def level(self) -> RegionLevel:
        return LEVELS[self.dotted.count(".")]

    @property
    def parent(self) -> RegionCode | None:
        head, sep, _ = self.dotted.rpartition(".")
        return RegionCode(head) if sep else None

    @property
    def lineage(self) -> tuple[RegionCode, ...]:
        """This code's ancestors, outermost first (province, regency, district)."""
        segs = self.dotted.split(".")
        return tuple(RegionCode(".".join(segs[:i])) for i in range(1, len(segs)))

    def covers(self, other: RegionCode) -> bool:
        """True if ``other`` is this region or lies inside it."""
        return other.dotted == self.dotted or other.dotted.startswith(self.dotted + ".")

    def __str__(self) -> str:
        return self.dotted


def _normalise(raw: str) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"region code must be a string, got {type(raw).__name__}")
    s = raw.strip()
    if not s:
        raise ValueError("region code is empty")
    if "." in s:
        if _DOTTED.fullmatch(s):
            return s
        widths = "/".join(str(w) for w in SEGMENT_WIDTHS)
        raise ValueError(
            f"malformed region code {raw!r}: dotted codes have 1-4 digit segments of "
            f"widths {widths} (e.g. 33, 33.04, 33.04.01, 33.04.01.2001)"
        )
    if not _COMPACT.fullmatch(s) or not s.isascii():
        raise ValueError(f"malformed region code {raw!r}: only digits and dots are allowed")
    n = _COMPACT_LENGTHS.get(len(s))
    if n is None:
        raise ValueError(
            f"malformed region code {raw!r}: {len(s)} digits; undotted codes have "
            "2 (province), 4 (regency), 6 (district) or 10 (village) digits"
        )
    cuts = (0, 2, 4, 6, 10)[: n + 1]
    return ".".join(s[a:b] for a, b in itertools.pairwise(cuts))


def normalise_region_code(raw: str) -> str:
    """Return the dotted form of ``raw``; shape only. Raises ``ValueError``."""
    return _normalise(raw)


def covers(area_prefix: str | RegionCode, code: str | RegionCode) -> bool:
    """Does a service area given at any level cover ``code``?

    ``area_prefix`` is a province, regency, district or village code; it covers
    itself and every region below it. The comparison is on whole dotted
    segments, so ``33`` covers ``33.04.01.2001`` and ``33.04`` does, but
    ``33.05`` does not, and ``3`` or ``33.0`` are rejected as malformed rather
    than matched as string prefixes. Both arguments may be dotted or undotted.

    Structural only: existence is not checked (validate codes on input with
    ``parse_region_code``). Raises ``ValueError`` if either code is malformed.
    """
    area = area_prefix if isinstance(area_prefix, RegionCode) else RegionCode.parse(area_prefix)
    target = code if isinstance(code, RegionCode) else RegionCode.parse(code)
    return area.covers(target)


def covers_any(area_prefixes: list[str] | tuple[str, ...], code: str | RegionCode) -> bool:
    """``covers`` over a list of prefixes; an empty list means nationwide (covers all)."""
    target = code if isinstance(code, RegionCode) else RegionCode.parse(code)
    if not area_prefixes:
        return True
    return any(covers(p, target) for p in area_prefixes)

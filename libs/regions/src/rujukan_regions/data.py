"""The packaged Kemendagri region table, loaded once on first use."""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from rujukan_regions.codes import LEVELS, RegionCode, RegionLevel

_LEVEL_BY_NAME = {lvl.value: lvl for lvl in LEVELS}


@dataclass(frozen=True, slots=True)
class Region:
    code: str  # dotted, e.g. "33.04.01.2001"
    name: str  # as in the source, e.g. "Berta"
    level: RegionLevel
    parent: str | None  # dotted parent code; None for provinces

    @property
    def region_code(self) -> RegionCode:
        return RegionCode(self.code)


CodeLike = str | RegionCode


def _key(code: CodeLike) -> str | None:
    """Dotted form of ``code``, or None if it is malformed."""
    if isinstance(code, RegionCode):
        return code.dotted
    try:
        return RegionCode.parse(code).dotted
    except ValueError:
        return None


class Regions:
    """Read-only lookup over every province, regency, district and village."""

    __slots__ = ("_by_code", "_children", "source")

    def __init__(self, rows: Iterator[Region] | list[Region], source: dict[str, Any]) -> None:
        self._by_code: dict[str, Region] = {r.code: r for r in rows}
        self._children: dict[str, list[str]] | None = None
        self.source: dict[str, Any] = source
        """Provenance from ``data/meta.json`` (package, version, regulation, date, counts)."""

    # -- lookup -------------------------------------------------------------

    def get(self, code: CodeLike) -> Region | None:
        """The region for ``code`` (dotted or undotted), or None if unknown or malformed."""
        key = _key(code)
        return None if key is None else self._by_code.get(key)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str | RegionCode) and self.get(code) is not None

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def require(self, code: CodeLike) -> Region:
        """Like ``get`` but raises ``ValueError`` (malformed or unknown)."""
        parsed = code if isinstance(code, RegionCode) else RegionCode.parse(code)
        region = self._by_code.get(parsed.dotted)
        if region is None:
            raise ValueError(
                f"unknown region code {parsed.dotted!r}: not in the Kemendagri reference "
                f"({self.source.get('source')} {self.source.get('source_version')})"
            )
        return region

    def name(self, code: CodeLike) -> str:
        """Name of the region; raises ``ValueError`` if malformed or unknown."""
        return self.require(code).name

    def is_village(self, code: CodeLike) -> bool:
        """True only for a known desa/kelurahan code (never raises)."""
        region = self.get(code)
        return region is not None and region.level is RegionLevel.VILLAGE

    def ancestors(self, code: CodeLike) -> tuple[Region, ...]:
        """Enclosing regions, outermost first: (province, regency, district) for a village.

        Raises ``ValueError`` if ``code`` is malformed or unknown.
        """
        region = self.require(code)
        return tuple(self._by_code[c.dotted] for c in RegionCode(region.code).lineage)

    def children(self, code: CodeLike) -> tuple[Region, ...]:
        """Direct sub-regions, sorted by code; raises ``ValueError`` if unknown."""
        region = self.require(code)
        if self._children is None:
            index: dict[str, list[str]] = {}
            for r in self._by_code.values():
                if r.parent is not None:
                    index.setdefault(r.parent, []).append(r.code)
            self._children = index
        return tuple(self._by_code[c] for c in sorted(self._children.get(region.code, ())))

    def by_level(self, level: RegionLevel | str) -> Iterator[Region]:
        lvl = RegionLevel(level)
        return (r for r in self._by_code.values() if r.level is lvl)

    def count(self, level: RegionLevel | str) -> int:
        return sum(1 for _ in self.by_level(level))


def _read_bytes(name: str) -> bytes:
    return resources.files("rujukan_regions").joinpath("data", name).read_bytes()


def load_regions() -> Regions:
    """Parse the packaged data (uncached; prefer :func:`regions`)."""
    raw = gzip.decompress(_read_bytes("regions.csv.gz")).decode("utf-8")
    reader = csv.reader(io.StringIO(raw))
    header = next(reader)
    if header != ["code", "name", "level", "parent"]:
        raise RuntimeError(f"unexpected regions.csv.gz header {header}")
    levels = _LEVEL_BY_NAME
    rows = [
        Region(code, name, levels[level], parent or None) for code, name, level, parent in reader
    ]
    source = json.loads(_read_bytes("meta.json"))
    return Regions(rows, source)


@functools.cache
def regions() -> Regions:
    """The shared region table, loaded on first call."""
    return load_regions()


def parse_region_code(raw: str, *, known: bool = True) -> RegionCode:
    """Normalise ``33.04.01.2001`` / ``3304012001`` to a :class:`RegionCode`.

    Raises ``ValueError`` with the reason: wrong shape, or (if ``known``, the
    default) no such region in the packaged Kemendagri reference data.
    """
    code = RegionCode.parse(raw)
    if known:
        regions().require(code)
    return code

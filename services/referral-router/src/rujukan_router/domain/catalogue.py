"""The router's in-memory catalogue: every program's current version with its rule compiled once.

Rebuilt from the compacted ``programs.catalog`` topic at every start and kept current by tailing
it; ``decide`` reads it without touching the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rujukan_contracts.events import ProgramPublishedV1
from rujukan_eligibility.rules import CompiledRule, compile_rule, names_used
from rujukan_regions import covers_any


@dataclass(frozen=True, slots=True)
class LiveProgram:
    """A program as the router decides with it; what ``decide`` asks of it per intake is
    computed once per version."""

    event: ProgramPublishedV1
    rule: CompiledRule
    code: str
    needs_served: frozenset[str] = frozenset()
    priority_lanes: frozenset[str] = frozenset()
    #: its rule reads ``visit``: decided after the programs whose rules do not
    reads_visit: bool = False
    _served: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, event: ProgramPublishedV1, rule: CompiledRule) -> LiveProgram:
        return cls(
            event,
            rule,
            event.code,
            frozenset(n.value for n in event.needs_served),
            frozenset(event.priority_lanes),
            "visit" in rule.roots,
        )

    def serves(self, village_code: str) -> bool:
        if not self.event.service_area:
            return True  # nationwide
        found = self._served.get(village_code)
        if found is None:
            if len(self._served) > 100_000:  # villages: 83,762
                self._served.clear()
            found = self._served[village_code] = covers_any(self.event.service_area, village_code)
        return found


class Catalogue:
    def __init__(self) -> None:
        self._programs: dict[str, LiveProgram] = {}
        self._active: tuple[LiveProgram, ...] = ()
        self.keep: frozenset[str] = frozenset()

    def put(self, event: ProgramPublishedV1) -> LiveProgram:
        program = LiveProgram.of(event, compile_rule(event.rule))
        self._programs[event.code] = program
        self._refresh()
        return program

    def remove(self, code: str) -> None:
        self._programs.pop(code, None)
        self._refresh()

    def _refresh(self) -> None:
        self.keep = names_used(p.rule for p in self._programs.values())
        self._active = tuple(
            sorted(
                (p for p in self._programs.values() if p.event.status == "active"),
                key=lambda p: p.code,
            )
        )

    def with_rule(self, code: str, rule: CompiledRule) -> Catalogue:
        """A what-if copy in which one program decides with another rule."""
        copy = Catalogue()
        copy._programs = dict(self._programs)
        current = self._programs[code]
        copy._programs[code] = LiveProgram.of(current.event, rule)
        copy._refresh()
        return copy

    def active(self) -> tuple[LiveProgram, ...]:
        """Active programs by code (computed when the catalogue changes, read per intake)."""
        return self._active

    def get(self, code: str) -> LiveProgram | None:
        return self._programs.get(code)

    def __len__(self) -> int:
        return len(self._programs)

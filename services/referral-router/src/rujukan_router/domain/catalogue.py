"""The router's in-memory catalogue: every program's current version with its rule compiled once.

Rebuilt from the compacted ``programs.catalog`` topic at every start and kept current by tailing
it; ``decide`` reads it without touching the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rujukan_contracts.events import ProgramPublishedV1
from rujukan_eligibility.rules import CompiledRule, compile_rule, names_used
from rujukan_regions import covers, covers_any


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
        self._desks: tuple[LiveProgram, ...] = ()
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
        live = sorted(
            (p for p in self._programs.values() if p.event.status == "active"),
            key=lambda p: p.code,
        )
        self._active = tuple(p for p in live if "needs" in p.event.handles)
        self._desks = tuple(p for p in live if "complaints" in p.event.handles)

    def with_rule(self, code: str, rule: CompiledRule) -> Catalogue:
        """A what-if copy in which one program decides with another rule."""
        copy = Catalogue()
        copy._programs = dict(self._programs)
        current = self._programs[code]
        copy._programs[code] = LiveProgram.of(current.event, rule)
        copy._refresh()
        return copy

    def active(self) -> tuple[LiveProgram, ...]:
        """Active programs that take needs, by code (computed when the catalogue changes, read
        per intake); complaint desks are not among them."""
        return self._active

    def desk_for(self, village_code: str) -> LiveProgram | None:
        """The complaint desk of a village: the most specific active desk serving it (a
        regency's before the national one; by code when two are as specific)."""
        serving = [d for d in self._desks if d.serves(village_code)]
        return min(serving, key=lambda d: (-_reach(d, village_code), d.code), default=None)

    def get(self, code: str) -> LiveProgram | None:
        return self._programs.get(code)

    def __len__(self) -> int:
        return len(self._programs)


def _reach(desk: LiveProgram, village_code: str) -> int:
    """How narrowly the desk's area around the village is drawn: the length of its longest
    prefix covering it (0: nationwide)."""
    return max((len(p) for p in desk.event.service_area if covers(p, village_code)), default=0)

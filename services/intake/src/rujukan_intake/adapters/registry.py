"""The social-registry (DTKS/DTSEN) check, behind one small interface.

``LocalRegistry`` reads a table loaded from CSV (``python -m rujukan_intake load-registry``);
the table holds KK keyed hashes, never KK numbers, and its members' NIKs as keyed hashes too, so
a household whose KK was mistyped (or replaced by a new card) is still found by a member's NIK.
Other adapters (a DCI-style HTTP search) implement the same ``lookup_many``.

A national registry has ~26 M families, so the CSV is streamed: every row is validated as it is
read, COPYed in chunks into a temporary table, and applied with one set-based upsert, all in the
unit of work's transaction (``RegistryTable.load``). The first bad row aborts the load with its
line number; nothing is applied.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

import asyncpg
from sqlalchemy import Text, select

from rujukan_contracts.events import RegistryFacts
from rujukan_intake.adapters.tables import registry_households, registry_members
from rujukan_intake.domain.identity import kk_problem, nik_form_problem
from rujukan_platform.db import any_of, copy_records, driver_connection
from rujukan_platform.language import Words, say
from rujukan_platform.uow import Repository


class RegistryUnavailable(RuntimeError):
    """The registry could not answer now; the intake is refused with 503, nothing lost."""


class SocialRegistry(Protocol):
    async def lookup_many(
        self,
        table: RegistryTable,
        kk_numbers: list[str],
        niks: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, RegistryFacts]:
        """Registry facts for each KK number (found or not); raises ``RegistryUnavailable``.
        ``table`` is the local copy, for adapters that read it; ``niks`` the members' NIKs of
        each KK, to find by NIK a household the registry does not know by that KK."""
        ...


MatchedBy = Literal["kk", "nik"]


class LocalRegistry:
    """A registry table loaded from CSV, keyed by the KK's keyed hash, and its members by the
    NIK's."""

    source = "local"

    def __init__(self, hash_id: HashFn) -> None:
        self._hash = hash_id

    async def lookup_many(
        self,
        table: RegistryTable,
        kk_numbers: list[str],
        niks: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, RegistryFacts]:
        hashes = {self._hash(kk): kk for kk in kk_numbers}
        found: dict[str, tuple[RegistryEntry, MatchedBy]] = {
            hashes[kk_hash]: (entry, "kk")
            for kk_hash, entry in (await table.entries(list(hashes))).items()
        }
        unknown = [kk for kk in kk_numbers if kk not in found]
        if niks and unknown:
            for kk, entry in (await self._by_members(table, unknown, niks)).items():
                found[kk] = (entry, "nik")
        now = datetime.now(UTC)
        facts = {
            kk: RegistryFacts(
                found=True,
                decile=entry.decile,
                enrolments=list(entry.enrolments),
                has_kks=entry.has_kks,
                source=self.source,
                checked_at=now,
                matched_by=matched_by,
            )
            for kk, (entry, matched_by) in found.items()
        }
        missing = RegistryFacts(found=False, source=self.source, checked_at=now)
        return {kk: facts.get(kk, missing) for kk in kk_numbers}

    async def _by_members(
        self, table: RegistryTable, kk_numbers: list[str], niks: Mapping[str, Sequence[str]]
    ) -> dict[str, RegistryEntry]:
        """The registry household most of each KK's members belong to (by NIK), if any; a tie
        goes to the smaller hash, so the same intake always finds the same household."""
        asked = {self._hash(nik): kk for kk in kk_numbers for nik in niks.get(kk, ())}
        listed = await table.households_of_members(list(asked))
        votes: dict[str, Counter[str]] = {}
        for nik_hash, (kk_hash, _) in listed.items():
            votes.setdefault(asked[nik_hash], Counter())[kk_hash] += 1
        entries = {kk_hash: entry for kk_hash, entry in listed.values()}
        return {
            kk: entries[min(counted, key=lambda h: (-counted[h], h))]
            for kk, counted in votes.items()
        }


class HashFn(Protocol):
    def __call__(self, value: str) -> str: ...


# --- loading a registry file -----------------------------------------------------------------

REQUIRED_COLUMNS = ("kk", "decile")
OPTIONAL_COLUMNS = ("enrolments", "has_kks", "niks")
PROGRAM_CODE = re.compile(r"[A-Z][A-Z0-9-]{1,31}")  # ProgramPublishedV1.code
DECILES = {str(n): n for n in range(1, 11)}
FLAGS = {"": False, "true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
MAX_ENROLMENT_LISTS = 10_000  # distinct lists remembered (programs x combinations)
CHUNK_ROWS = 20_000  # rows per COPY: a few MB in memory, whatever the file's size


class BadRegistryRow(ValueError):
    """A row the registry table cannot take; the whole load stops before anything is applied.

    The message names the line and field, never the value of a KK (personal data)."""

    def __init__(self, line: int, field: str, reason: Words) -> None:
        super().__init__(f"line {line}: {field}: {say(reason, 'en')}")
        self.line = line
        self.field = field


class RegistryRow(NamedTuple):
    """One validated family, in the staging table's column order (COPY takes it as is)."""

    line: int
    kk_hash: str
    decile: int
    enrolments: tuple[str, ...]
    has_kks: bool
    #: the members' NIKs as keyed hashes; None when the file has no ``niks`` column (the
    #: members already loaded are then kept)
    nik_hashes: tuple[str, ...] | None = None


class RegistryCsv:
    """Rows ``kk,decile,enrolments(;-separated),has_kks,niks(;-separated)`` of a UTF-8 CSV,
    validated one by one.

    ``kk`` is 16 ASCII digits (hashed here, never kept), ``decile`` 1-10, ``enrolments`` program
    codes (the registry may list programs Rujukan does not run, so only their form is checked),
    ``has_kks`` true/false/1/0/yes/no or empty (false), ``niks`` the members' NIKs (each a valid
    NIK, hashed like the KK); every column but ``kk`` and ``decile`` may be left out.
    ``bytes_read`` follows the reading, for a progress bar over the file's size."""

    def __init__(self, path: Path, hash_id: HashFn) -> None:
        self.path = path
        self.bytes_read = 0
        self._hash = hash_id
        # a national file repeats a few enrolment lists millions of times: parse each once
        self._enrolments: dict[str, tuple[str, ...]] = {"": ()}

    def __iter__(self) -> Iterator[RegistryRow]:
        with self.path.open("rb") as f:
            reader = csv.reader(self._text_lines(f))
            header = next(reader, None)
            if header is None:
                raise BadRegistryRow(1, "header", "the file is empty")
            columns = self._columns([h.strip().lower() for h in header])
            kk_at, decile_at = columns["kk"], columns["decile"]
            enrolments_at, has_kks_at = columns.get("enrolments"), columns.get("has_kks")
            niks_at = columns.get("niks")
            width = len(header)
            for fields in reader:
                line = reader.line_num
                if len(fields) != width:
                    if not any(fields):
                        continue  # a blank line
                    raise BadRegistryRow(line, "row", f"{len(fields)} fields, expected {width}")
                kk = fields[kk_at].strip()
                if problem := kk_problem(kk):
                    raise BadRegistryRow(line, "kk", problem)
                decile = DECILES.get(fields[decile_at].strip())
                if decile is None:
                    raise BadRegistryRow(line, "decile", "must be a whole number from 1 to 10")
                has_kks = False
                if has_kks_at is not None:
                    flag = FLAGS.get(fields[has_kks_at].strip().lower())
                    if flag is None:
                        raise BadRegistryRow(
                            line, "has_kks", "must be true/false, 1/0, yes/no or empty"
                        )
                    has_kks = flag
                enrolments = (
                    () if enrolments_at is None else self._codes(fields[enrolments_at], line)
                )
                niks = None if niks_at is None else self._nik_hashes(fields[niks_at], line)
                yield RegistryRow(line, self._hash(kk), decile, enrolments, has_kks, niks)

    def _text_lines(self, f: Iterable[bytes]) -> Iterator[str]:
        for number, raw in enumerate(f, 1):
            self.bytes_read += len(raw)
            try:
                yield raw.removeprefix(codecs.BOM_UTF8).decode() if number == 1 else raw.decode()
            except UnicodeDecodeError:
                raise BadRegistryRow(number, "encoding", "not UTF-8") from None

    @staticmethod
    def _columns(header: list[str]) -> dict[str, int]:
        unknown = [h for h in header if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        if unknown:
            raise BadRegistryRow(1, "header", f"unknown column(s) {', '.join(map(repr, unknown))}")
        if missing := [c for c in REQUIRED_COLUMNS if c not in header]:
            raise BadRegistryRow(1, "header", f"missing column(s) {', '.join(missing)}")
        if len(set(header)) != len(header):
            raise BadRegistryRow(1, "header", "a column appears twice")
        return {name: i for i, name in enumerate(header)}

    def _codes(self, raw: str, line: int) -> tuple[str, ...]:
        """``PKH;SEMBAKO`` as program codes, each once, in order."""
        if (known := self._enrolments.get(raw)) is not None:
            return known
        codes = tuple(dict.fromkeys(code.strip() for code in raw.split(";") if code.strip()))
        for code in codes:
            if not PROGRAM_CODE.fullmatch(code):
                raise BadRegistryRow(line, "enrolments", f"{code[:40]!r} is not a program code")
        if len(self._enrolments) < MAX_ENROLMENT_LISTS:
            self._enrolments[raw] = codes
        return codes

    def _nik_hashes(self, raw: str, line: int) -> tuple[str, ...]:
        """``3304014107880002;3304010901160004`` as keyed hashes, each once, in order."""
        niks = dict.fromkeys(nik.strip() for nik in raw.split(";") if nik.strip())
        for nik in niks:
            if problem := nik_form_problem(nik):
                raise BadRegistryRow(line, "niks", problem)
        return tuple(self._hash(nik) for nik in niks)


def read_registry_csv(path: Path, hash_id: HashFn) -> RegistryCsv:
    """The validated rows of a registry CSV, read as they are consumed."""
    return RegistryCsv(path, hash_id)


@dataclass(frozen=True)
class LoadResult:
    rows: int
    inserted: int
    updated: int
    #: members' NIKs the file listed (0 without a ``niks`` column)
    members: int = 0

    @property
    def unchanged(self) -> int:
        return self.rows - self.inserted - self.updated


STAGING = "registry_load"
CREATE_STAGING = f"""
CREATE TEMPORARY TABLE {STAGING} (
    line bigint NOT NULL,
    kk_hash text NOT NULL,
    decile integer NOT NULL,
    enrolments text[] NOT NULL,
    has_kks boolean NOT NULL,
    nik_hashes text[]
) ON COMMIT DROP
"""
# Unchanged families are not rewritten: a monthly refresh changes few of 26 M rows, and each
# rewrite would leave a dead tuple and WAL behind. ``loaded_at`` says when a family's facts last
# changed. The new/changed counts read ``xmax`` (0 on a row this statement inserted, set on one
# it updated): a common reading of that system column, not a documented contract, so they are
# for the operator's summary only.
UPSERT = f"""
WITH applied AS (
    INSERT INTO registry_households AS r (kk_hash, decile, enrolments, has_kks)
    SELECT kk_hash, decile, enrolments, has_kks FROM {STAGING}
    ON CONFLICT (kk_hash) DO UPDATE
        SET decile = excluded.decile,
            enrolments = excluded.enrolments,
            has_kks = excluded.has_kks,
            loaded_at = now()
        WHERE (r.decile, r.enrolments, r.has_kks)
            IS DISTINCT FROM (excluded.decile, excluded.enrolments, excluded.has_kks)
    RETURNING xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated
FROM applied
"""
FIRST_DUPLICATE = f"""
SELECT min(line) AS first, max(line) AS again FROM {STAGING}
GROUP BY kk_hash HAVING count(*) > 1 ORDER BY 1 LIMIT 1
"""
# A household listed with its members is exactly those members: NIKs no longer listed leave it,
# and a NIK listed under another KK moves there (a member who married into another family). A
# file without the column changes no one's household.
DROP_UNLISTED_MEMBERS = f"""
DELETE FROM registry_members m USING {STAGING} s
WHERE m.kk_hash = s.kk_hash AND s.nik_hashes IS NOT NULL AND m.nik_hash <> ALL (s.nik_hashes)
"""
UPSERT_MEMBERS = f"""
INSERT INTO registry_members AS m (nik_hash, kk_hash)
SELECT unnest(nik_hashes), kk_hash FROM {STAGING} WHERE nik_hashes IS NOT NULL
ON CONFLICT (nik_hash) DO UPDATE SET kk_hash = excluded.kk_hash
    WHERE m.kk_hash IS DISTINCT FROM excluded.kk_hash
"""
MEMBERS_LISTED = f"SELECT coalesce(sum(cardinality(nik_hashes)), 0) FROM {STAGING}"
FIRST_REPEATED_NIK = f"""
SELECT min(line) AS first, max(line) AS again
FROM (SELECT line, unnest(nik_hashes) AS nik_hash FROM {STAGING}) listed
GROUP BY nik_hash HAVING count(*) > 1 ORDER BY 1 LIMIT 1
"""


class RegistryEntry(NamedTuple):
    """A family as the local registry table holds it."""

    decile: int
    enrolments: list[str]
    has_kks: bool


#: built once, values bound at execution (as intake's repositories' submission statements)
_ENTRIES = select(
    registry_households.c.kk_hash,
    registry_households.c.decile,
    registry_households.c.enrolments,
    registry_households.c.has_kks,
).where(registry_households.c.kk_hash == any_of("kk_hashes", Text()))


_OF_MEMBERS = (
    select(
        registry_members.c.nik_hash,
        registry_households.c.kk_hash,
        registry_households.c.decile,
        registry_households.c.enrolments,
        registry_households.c.has_kks,
    )
    .join(registry_households, registry_households.c.kk_hash == registry_members.c.kk_hash)
    .where(registry_members.c.nik_hash == any_of("niks", Text()))
)


class RegistryTable(Repository):
    """The local copy of the social registry (``registry_households``), keyed by KK hash."""

    async def entries(self, kk_hashes: list[str]) -> dict[str, RegistryEntry]:
        rows = await self._session.execute(_ENTRIES, {"kk_hashes": kk_hashes})
        return {r.kk_hash: RegistryEntry(r.decile, list(r.enrolments), r.has_kks) for r in rows}

    async def households_of_members(
        self, nik_hashes: list[str]
    ) -> dict[str, tuple[str, RegistryEntry]]:
        """The registry household (its KK hash and entry) of each listed NIK hash."""
        rows = await self._session.execute(_OF_MEMBERS, {"niks": nik_hashes})
        return {
            r.nik_hash: (r.kk_hash, RegistryEntry(r.decile, list(r.enrolments), r.has_kks))
            for r in rows
        }

    async def load(
        self, rows: Iterable[RegistryRow], *, on_chunk: Callable[[int], None] | None = None
    ) -> LoadResult:
        """Upsert ``rows`` into ``registry_households`` (and their members' NIK hashes into
        ``registry_members``) in the unit's transaction.

        Rows are COPYed ``CHUNK_ROWS`` at a time into a temporary table (``on_chunk`` gets the
        count so far), then applied in one statement per table. A bad row (``BadRegistryRow``),
        a KK that appears twice or a NIK listed in two households stops the load; the unit's
        rollback then leaves the tables as they were."""
        session = self._session
        conn = await driver_connection(session)
        await conn.execute(CREATE_STAGING)
        staged = 0
        rows = iter(rows)
        while chunk := list(islice(rows, CHUNK_ROWS)):
            await copy_records(session, STAGING, RegistryRow._fields, chunk)
            staged += len(chunk)
            if on_chunk is not None:
                on_chunk(staged)
        try:
            async with conn.transaction():  # a savepoint, to ask which lines repeat a KK
                applied = await conn.fetchrow(UPSERT)
        except asyncpg.CardinalityViolationError:
            first, again = await conn.fetchrow(FIRST_DUPLICATE)
            raise BadRegistryRow(again, "kk", f"the same KK as line {first}") from None
        try:
            async with conn.transaction():
                await conn.execute(DROP_UNLISTED_MEMBERS)
                await conn.execute(UPSERT_MEMBERS)
        except asyncpg.CardinalityViolationError:
            first, again = await conn.fetchrow(FIRST_REPEATED_NIK)
            raise BadRegistryRow(again, "niks", f"a NIK also listed on line {first}") from None
        members = await conn.fetchval(MEMBERS_LISTED)
        await conn.execute(f"DROP TABLE {STAGING}")
        assert applied is not None
        return LoadResult(
            rows=staged,
            inserted=applied["inserted"],
            updated=applied["updated"],
            members=members,
        )

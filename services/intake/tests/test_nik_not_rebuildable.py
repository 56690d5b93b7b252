"""Nothing intake stores lets a NIK be rebuilt.

A NIK is ``PPRRSS DDMMYY XXXX``: the kecamatan of the village, the birth date (women: day + 40)
and a 4-digit serial. Intake keeps birth date, sex and village for eligibility, so any stored
number that could be the serial (last digits "to tell members apart", a masked NIK) completes
it. This test reads every column of every table, whatever it is named, and tries to rebuild each
member's NIK from what is stored around that member, checking each candidate against the stored
keyed hashes as someone holding the database and the PII key would (but not the data key that
opens the sealed NIKs, KK numbers and names: that key is the service's alone).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

import pytest

from rujukan_intake.domain.commands import IntakeItem, SubmitIntakes
from rujukan_intake.domain.identity import keyed_hash
from rujukan_intake.domain.intake import IntakeCreate
from rujukan_intake.synthetic import households
from rujukan_platform.auth import Principal

if TYPE_CHECKING:
    from conftest import IntakeService

pytestmark = pytest.mark.integration

HOUSEHOLDS = 300
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
HASH_RE = re.compile(r"\b[0-9a-f]{64}\b")
TRACEPARENT_RE = re.compile(r"\b[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}\b")  # W3C
SEALED_RE = re.compile(r"\bv1\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]+")  # rujukan_platform.sealing
SIXTEEN_DIGITS = re.compile(r"(?<![0-9])[0-9]{16}(?![0-9])")
REGION_RE = re.compile(r"(?<![0-9.])([0-9]{2})\.?([0-9]{2})\.?([0-9]{2})(?:\.?[0-9]{4})?(?![0-9])")
#: a Kemendagri code as stored (dotted): reference data, the NIK's prefix, never its serial
DOTTED_REGION_RE = re.compile(
    r"(?<![0-9.])[0-9]{2}\.[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{4})?)?(?![0-9.])"
)
DATE_RE = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})")
TIME_RE = re.compile(
    r"[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
NUMBER_RE = re.compile(r"(?<![0-9a-z])[0-9]+(?![0-9a-z])", re.I)


async def store(intake: IntakeService, count: int) -> list[str]:
    """Submit ``count`` synthetic households through the handler table; return their NIKs."""
    records = list(households(count, seed=12))
    principal = Principal(subject="op", role="operator", regions=["33.04"])
    for start in range(0, count, 100):
        items = [
            IntakeItem(IntakeCreate.model_validate(r), principal)
            for r in records[start : start + 100]
        ]
        results = await intake.runtime.handle(SubmitIntakes(items))
        assert [r.problem for r in results] == [None] * len(items)
    return [m["nik"] for r in records for m in r["members"]]


async def every_row(intake: IntakeService) -> list[str]:
    """Every row of every table in the intake database, as one text per row (all columns)."""
    columns: dict[str, list[str]] = defaultdict(list)
    for r in await intake.rows(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
    ):
        columns[r.table_name].append(r.column_name)
    assert {"households", "members", "intakes", "outbox"} <= set(columns)
    texts = []
    for table, names in columns.items():
        cols = ", ".join(f'"{n}"::text' for n in names)
        for row in await intake.rows(f'SELECT {cols} FROM "{table}"'):
            texts.append(" | ".join(v for v in row if v is not None))
    return texts


def serial_candidates(text: str) -> set[str]:
    """Stored numbers that could be a NIK's serial: short numbers zero-padded, and the last
    four digits of longer ones. Identifiers, hashes, trace contexts and timestamps are left out:
    their random digits are not data about the member (``text`` comes without them, see
    ``without_ids``); nor are region codes, the NIK's prefix and the same for every neighbour."""
    text = DOTTED_REGION_RE.sub(" ", TIME_RE.sub(" ", DATE_RE.sub(" ", text)))
    numbers = NUMBER_RE.findall(text)
    return {n.zfill(4) if len(n) <= 4 else n[-4:] for n in numbers}


def without_ids(text: str) -> str:
    """The text without ids, hashes, trace contexts and sealed values: their digits are random
    or fixed, not data about the member (a sealed value opens only with the data key, which
    this reader does not hold)."""
    text = TRACEPARENT_RE.sub(" ", SEALED_RE.sub(" ", text))
    return HASH_RE.sub(" ", UUID_RE.sub(" ", text))


def date_parts(text: str) -> set[str]:
    """DDMMYY for a man and a woman (day + 40) born on any date stored near the member."""
    parts = set()
    for y, m, d in DATE_RE.findall(text):
        try:
            born = date(int(y), int(m), int(d))
        except ValueError:
            continue
        for extra in (0, 40):
            parts.add(f"{born.day + extra:02d}{born.month:02d}{born.year % 100:02d}")
    return parts


def rebuild(rows: list[str], members: Iterable[tuple[str, str]], key: str) -> set[str]:
    """NIKs whose keyed hash is stored and that can be assembled from stored values."""
    stored_hashes = {h for text in rows for h in HASH_RE.findall(text)}
    by_id: dict[str, list[str]] = defaultdict(list)
    for text in rows:
        for found in {u.lower() for u in UUID_RE.findall(text)}:
            by_id[found].append(text)
    candidates = {n for text in rows for n in SIXTEEN_DIGITS.findall(text)}
    for member_id, household_id in members:
        near = without_ids(" || ".join({*by_id[member_id], *by_id[household_id]}))
        regions = {"".join(m) for m in REGION_RE.findall(near)}
        dates, serials = date_parts(near), serial_candidates(near)
        candidates |= {p + d + s for p in regions for d in dates for s in serials}
    return {n for n in candidates if keyed_hash(key, n) in stored_hashes}


async def test_no_stored_nik_can_be_rebuilt_from_what_is_stored(intake: IntakeService) -> None:
    niks = await store(intake, HOUSEHOLDS)
    key = intake.settings.pii_key.get_secret_value()
    members = [(str(r.id), str(r.household_id)) for r in await intake.rows("SELECT * FROM members")]
    assert len(members) == len(set(niks)) > 2 * HOUSEHOLDS

    rebuilt = rebuild(await every_row(intake), members, key)
    assert not rebuilt, f"{len(rebuilt)} of {len(niks)} stored NIKs rebuilt from stored columns"


def test_the_rebuild_finds_a_nik_when_its_serial_is_stored() -> None:
    """Guards the method itself: planted last digits beside a birth date and village are found."""
    key = "k"
    member, household = (
        "a1f0c3e2-1111-4a4a-8b8b-000000000002",
        "5d2c1b7e-8a4f-4c3d-b6e1-9f0a2b3c4d5e",
    )
    nik = "3304015107889123"  # woman born 1988-07-11 in kecamatan 33.04.01, serial 9123
    stored = [
        f"{household} | {keyed_hash(key, '3304010000000001')} | 33.04.01.2001",
        f"{member} | {household} | {keyed_hash(key, nik)} | 1988-07-11 | female | 9123",
    ]
    assert rebuild(stored, [(member, household)], key) == {nik}
    stored[1] = stored[1].removesuffix(" | 9123")
    assert rebuild(stored, [(member, household)], key) == set()

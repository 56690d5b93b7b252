"""``load-registry`` against the real database: past the old 8,191-row limit, updates on a second
load, and a bad row or a repeated KK stopping the load with its line number, nothing applied."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from rujukan_intake.adapters.registry import (
    CHUNK_ROWS,
    BadRegistryRow,
    RegistryRow,
    read_registry_csv,
)
from rujukan_intake.bootstrap import definition
from rujukan_intake.domain.identity import keyed_hash
from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork
from rujukan_intake.settings import IntakeSettings
from rujukan_platform.db import make_engine, make_sessions
from rujukan_platform.runtime import migrate
from rujukan_platform.testing import Servers

KEY = "load-registry-test-key"
HEADER = "kk,decile,enrolments,has_kks\n"
FULLWIDTH = "".join(chr(ord(d) + 0xFEE0) for d in "3304000000000001")  # digits, not ASCII


def kk(i: int) -> str:
    return f"3304{i:012d}"


def family(i: int, *, shift: int = 0) -> str:
    """A family's CSV line; ``shift`` changes its decile (a refresh)."""
    enrolments = ["", "PKH", "PKH;SEMBAKO", "PBI-JK"][i % 4]
    return f"{kk(i)},{(i + shift) % 10 + 1},{enrolments},{'true' if i % 3 == 0 else 'false'}\n"


def write(path: Path, lines: Iterator[str] | list[str]) -> Path:
    with path.open("w") as f:
        f.write(HEADER)
        f.writelines(lines)
    return path


@dataclass
class Registry:
    servers: Servers
    database: str

    def load(self, path: Path) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "RUJUKAN_PG_URL": self.servers.pg_url,
            "RUJUKAN_INTAKE_DATABASE": self.database,
            "RUJUKAN_INTAKE_PII_KEY": KEY,
            "RUJUKAN_LOG_JSON": "false",
        }
        return subprocess.run(
            [sys.executable, "-m", "rujukan_intake", "load-registry", str(path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    async def rows(self) -> dict[str, tuple[int, list[str], bool]]:
        conn = await asyncpg.connect(f"{self.servers.pg_dsn}/{self.database}")
        try:
            found = await conn.fetch(
                "SELECT kk_hash, decile, enrolments, has_kks FROM registry_households"
            )
        finally:
            await conn.close()
        return {r["kk_hash"]: (r["decile"], list(r["enrolments"]), r["has_kks"]) for r in found}


@pytest.fixture
async def registry(servers: Servers, fresh_database: str) -> Registry:
    settings = IntakeSettings(pg_url=servers.pg_url, database=fresh_database)
    await asyncio.to_thread(migrate, definition, settings.dsn)
    return Registry(servers, fresh_database)


def expected(i: int, *, shift: int = 0) -> tuple[int, list[str], bool]:
    enrolments = [[], ["PKH"], ["PKH", "SEMBAKO"], ["PBI-JK"]][i % 4]
    return (i + shift) % 10 + 1, enrolments, i % 3 == 0


pytestmark = pytest.mark.integration


async def test_twenty_thousand_rows_load_then_a_refresh_updates(
    registry: Registry, tmp_path: Path
) -> None:
    first = write(tmp_path / "dtks.csv", (family(i) for i in range(20_000)))
    done = await asyncio.to_thread(registry.load, first)
    assert done.returncode == 0, done.stderr
    assert "20,000 households loaded from dtks.csv: 20,000 new, 0 changed" in done.stdout
    rows = await registry.rows()
    assert len(rows) == 20_000
    assert rows == {keyed_hash(KEY, kk(i)): expected(i) for i in range(20_000)}
    assert not any(kk(0) in h for h in rows)  # only keyed hashes are stored

    # a month later: 100 families change decile, 50 are new, the rest are as they were
    refresh = [family(i, shift=1 if i < 100 else 0) for i in range(20_050)]
    done = await asyncio.to_thread(registry.load, write(tmp_path / "refresh.csv", refresh))
    assert done.returncode == 0, done.stderr
    assert "20,050 households loaded" in done.stdout
    assert "50 new, 100 changed, 19,900 unchanged" in done.stdout
    rows = await registry.rows()
    assert len(rows) == 20_050
    assert rows[keyed_hash(KEY, kk(7))] == expected(7, shift=1)
    assert rows[keyed_hash(KEY, kk(500))] == expected(500)
    assert rows[keyed_hash(KEY, kk(20_049))] == expected(20_049)


async def test_a_bad_row_stops_the_load_with_its_line_and_applies_nothing(
    registry: Registry, tmp_path: Path
) -> None:
    assert (
        await asyncio.to_thread(registry.load, write(tmp_path / "a.csv", [family(1)]))
    ).returncode == 0
    before = await registry.rows()
    # the first row changes a loaded family; a whole chunk is staged before the bad line
    lines = [family(i, shift=1) for i in range(1, CHUNK_ROWS + 1_001)]
    bad_line = CHUNK_ROWS + 502  # the header, then 500 rows after the first chunk
    lines[bad_line - 2] = f"{kk(bad_line - 1)},11,,false\n"
    failed = await asyncio.to_thread(registry.load, write(tmp_path / "bad.csv", lines))
    assert failed.returncode == 1
    assert f"line {bad_line}: decile: must be a whole number from 1 to 10" in failed.stderr
    assert "nothing loaded" in failed.stderr and "Traceback" not in failed.stderr
    assert await registry.rows() == before


async def test_a_kk_twice_names_both_lines_and_applies_nothing(
    registry: Registry, tmp_path: Path
) -> None:
    lines = [family(i) for i in range(100)] + [family(5, shift=3)]
    path = write(tmp_path / "twice.csv", lines)
    engine = make_engine(f"{registry.servers.pg_url}/{registry.database}")
    try:
        with pytest.raises(BadRegistryRow) as caught:
            async with IntakeUnitOfWork(make_sessions(engine)) as uow:
                await uow.registry.load(read_registry_csv(path, lambda v: keyed_hash(KEY, v)))
                await uow.commit()
    finally:
        await engine.dispose()
    assert str(caught.value) == "line 102: kk: the same KK as line 7"  # never the KK itself
    assert await registry.rows() == {}


# --- reading and validating (no database) ----------------------------------------------------


def read(path: Path) -> list[RegistryRow]:
    return list(read_registry_csv(path, lambda value: f"h({value})"))


def refused(tmp_path: Path, text: str) -> str:
    path = tmp_path / "r.csv"
    path.write_text(text)
    with pytest.raises(BadRegistryRow) as caught:
        read(path)
    return str(caught.value)


def test_rows_are_read_with_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_bytes(
        b"\xef\xbb\xbfKK, Decile ,has_kks\n"  # a BOM and spaced, capitalised names
        b"3304000000000001,1,YES\n"
        b"\n"
        b'"3304000000000002",10,\n'
    )
    assert read(path) == [
        RegistryRow(2, "h(3304000000000001)", 1, (), True),
        RegistryRow(4, "h(3304000000000002)", 10, (), False),
    ]
    reader = read_registry_csv(path, str)
    list(reader)
    assert reader.bytes_read == path.stat().st_size


def test_enrolments_are_program_codes(tmp_path: Path) -> None:
    path = write(tmp_path / "e.csv", ["3304000000000001,2, PKH ;SEMBAKO;;PKH,true\n"])
    assert read(path)[0].enrolments == ("PKH", "SEMBAKO")
    assert "line 2: enrolments: 'pkh' is not a program code" in refused(
        tmp_path, HEADER + "3304000000000001,2,pkh,true\n"
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("330400000000001,2,,true", "line 3: kk: must be 16 digits"),
        (FULLWIDTH + ",2,,true", "line 3: kk: must be 16 digits"),
        ("3304000000000001,0,,true", "line 3: decile: must be a whole number from 1 to 10"),
        ("3304000000000001,2.5,,true", "line 3: decile"),
        ("3304000000000001,2,,maybe", "line 3: has_kks: must be true/false"),
        ("3304000000000001,2,true", "line 3: row: 3 fields, expected 4"),
    ],
)
def test_a_bad_row_is_named_by_line_and_field(tmp_path: Path, row: str, message: str) -> None:
    text = HEADER + "3304000000000009,1,,false\n" + row + "\n"
    assert message in refused(tmp_path, text)
    assert "3304000000000001" not in refused(tmp_path, text)


def test_a_bad_header_or_encoding_is_refused(tmp_path: Path) -> None:
    assert "line 1: header: the file is empty" in refused(tmp_path, "")
    assert "missing column(s) decile" in refused(tmp_path, "kk,enrolments\n")
    assert "unknown column(s) 'has_kk'" in refused(tmp_path, "kk,decile,has_kk\n")
    assert "a column appears twice" in refused(tmp_path, "kk,decile,kk\n")
    path = tmp_path / "latin1.csv"
    path.write_bytes(HEADER.encode() + b"3304000000000001,2,\xe9,true\n")
    with pytest.raises(BadRegistryRow, match="line 2: encoding: not UTF-8"):
        read(path)

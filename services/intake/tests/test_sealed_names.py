"""Members' names are sealed at rest: no name in any row nor in a dump of the database; the
service reads them back; a name moved to another row does not open; keys rotate (``reseal``);
the migration seals the names stored before."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import os
import sys
import uuid
from datetime import date
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from rujukan_intake.adapters.names import name_reader
from rujukan_intake.bootstrap import definition
from rujukan_intake.domain.intake import EXAMPLE_INTAKE
from rujukan_intake.settings import IntakeSettings
from rujukan_intake.synthetic import households
from rujukan_platform.db import make_engine
from rujukan_platform.sealing import Sealer, SealError, is_sealed
from rujukan_platform.testing import Servers, pg_dump

from .conftest import running_intake

if TYPE_CHECKING:
    from conftest import IntakeService

pytestmark = pytest.mark.integration

MARK = "Rahasiawati"  # in every test name: no row and no dump may hold it


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def marked(count: int, seed: int) -> list[dict[str, Any]]:
    """Synthetic households whose members' names all carry ``MARK``."""
    records = list(households(count, seed=seed))
    for r in records:
        for m in r["members"]:
            m["name"] = f"{m['name']} {MARK}"
    return records


def names_of(records: list[dict[str, Any]]) -> set[str]:
    return {m["name"] for r in records for m in r["members"]}


async def submit(intake: IntakeService, records: list[dict[str, Any]]) -> None:
    r = await intake.http.post(
        "/v1/intakes/batch",
        json={"items": [{"intake": rec} for rec in records]},
        headers=intake.token(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == len(records), r.text


async def stored_names(intake: IntakeService, sealer: Sealer | None = None) -> dict[str, str]:
    """Each member's id → its name, read as the service reads it."""
    read = name_reader(sealer or intake.settings.sealer)
    return {str(r.id): read(r) for r in await intake.rows("SELECT id, name FROM members")}


async def every_row(intake: IntakeService) -> str:
    """Every row of every table, as text."""
    public = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    tables = [r[0] for r in await intake.rows(public)]
    assert {"members", "households", "intakes"} <= set(tables)
    texts = []
    for t in tables:
        texts += [r[0] for r in await intake.rows(f'SELECT t::text FROM "{t}" t')]
    return "\n".join(texts)


async def test_no_name_is_stored_in_the_clear_yet_every_name_reads_back(
    intake: IntakeService,
) -> None:
    records = marked(40, seed=5)
    await submit(intake, records)
    await intake.relay_all()  # the outbox keeps nothing either

    rows = await intake.rows("SELECT id, name FROM members")
    assert len(rows) == len(names_of(records)) > 40
    current = intake.settings.sealer.current
    assert all(is_sealed(r.name) and intake.settings.sealer.key_id(r.name) == current for r in rows)
    assert set((await stored_names(intake)).values()) == names_of(records)

    assert MARK not in await every_row(intake)
    dump = (await asyncio.to_thread(pg_dump, intake.settings.dsn)).decode()
    assert rows[0].name in dump  # the dump holds the members' rows: sealed
    assert MARK not in dump
    for name in names_of(records):
        assert name not in dump


async def test_a_name_moved_to_another_row_does_not_open(intake: IntakeService) -> None:
    await submit(intake, marked(2, seed=6))
    first, second = await intake.rows("SELECT id, name FROM members ORDER BY id LIMIT 2")
    async with intake.runtime.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE members SET name = :name WHERE id = :id"),
            {"name": first.name, "id": second.id},
        )
    read = name_reader(intake.settings.sealer)
    [moved] = await intake.rows("SELECT id, name FROM members WHERE id = :id", id=second.id)
    with pytest.raises(SealError, match="moved"):
        read(moved)
    [kept] = await intake.rows("SELECT id, name FROM members WHERE id = :id", id=first.id)
    assert MARK in read(kept)


async def test_a_member_submitted_again_keeps_its_row_and_its_new_name_opens(
    servers: Servers, fresh_database: str, catalogue_topics: None
) -> None:
    body = copy.deepcopy(EXAMPLE_INTAKE)
    async with running_intake(servers, fresh_database, duplicate_window_hours=0) as intake:
        r = await intake.http.post("/v1/intakes", json=body, headers=intake.token())
        assert r.status_code == 202, r.text
        before = await stored_names(intake)
        body["members"][0]["name"] = f"Nama Baru {MARK}"
        r = await intake.http.post("/v1/intakes", json=body, headers=intake.token())
        assert r.status_code == 202 and r.json()["duplicate"] is False, r.text
        after = await stored_names(intake)
    assert after.keys() == before.keys()  # the same members, in their rows
    assert sorted(after.values()) == sorted(
        [f"Nama Baru {MARK}", *(m["name"] for m in EXAMPLE_INTAKE["members"][1:])]
    )


async def reseal(dsn: str, keys: dict[str, str], current: str) -> tuple[int, str]:
    """``python -m rujukan_intake reseal`` with these keys: its exit code and what it printed."""
    env = {
        **os.environ,
        "RUJUKAN_INTAKE_DATABASE_URL": dsn,
        "RUJUKAN_INTAKE_DATA_KEYS": json.dumps(keys),
        "RUJUKAN_INTAKE_DATA_KEY_ID": current,
        "RUJUKAN_LOG_JSON": "false",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rujukan_intake",
        "reseal",
        "--batch",
        "7",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_reseal_moves_every_name_to_the_new_key(
    servers: Servers, fresh_database: str, catalogue_topics: None
) -> None:
    old, new = new_key(), new_key()
    records = marked(12, seed=8)
    async with running_intake(
        servers, fresh_database, data_keys={"keya": old}, data_key_id="keya"
    ) as intake:
        await submit(intake, records)
        count = len(names_of(records))
        dsn = intake.settings.dsn

        code, out = await reseal(dsn, {"keya": old, "keyb": new}, "keyb")
        assert code == 0, out
        assert f"members.name: {count} resealed under key keyb, 0 already were, 0 do not" in out

        only_new = Sealer.from_base64({"keyb": new}, "keyb")  # the old key can go now
        rows = await intake.rows("SELECT id, name FROM members")
        assert {only_new.key_id(r.name) for r in rows} == {"keyb"}
        assert set((await stored_names(intake, only_new)).values()) == names_of(records)

        code, out = await reseal(dsn, {"keyb": new}, "keyb")  # again: nothing to do
        assert code == 0, out
        assert f"members.name: 0 resealed under key keyb, {count} already were, 0 do not" in out

        # a value that does not open (moved here from another row) is counted and left
        first, second = rows[0], rows[1]
        async with intake.runtime.sessions() as session, session.begin():
            await session.execute(
                text("UPDATE members SET name = :name WHERE id = :id"),
                {"name": first.name, "id": second.id},
            )
        code, out = await reseal(dsn, {"keyb": new, "keyc": new_key()}, "keyc")
        assert code == 1, out
        assert f"members.name: {count - 1} resealed under key keyc, 0 already were, 1 do" in out
        [left] = await intake.rows("SELECT name FROM members WHERE id = :id", id=second.id)
        assert left.name == first.name


def alembic(dsn: str, action: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(definition.migrations))
    cfg.set_main_option("sqlalchemy.url", dsn)
    getattr(command, action)(cfg, revision)


async def test_the_migration_seals_the_names_stored_before(
    servers: Servers, fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The migration reads intake's keys from the environment, as the service does."""
    key = new_key()
    monkeypatch.setenv("RUJUKAN_INTAKE_DATA_KEYS", json.dumps({"keym": key}))
    monkeypatch.setenv("RUJUKAN_INTAKE_DATA_KEY_ID", "keym")
    sealer = IntakeSettings().sealer
    dsn = f"{servers.pg_url}/{fresh_database}"
    await asyncio.to_thread(alembic, dsn, "upgrade", "0005")

    plain = {uuid.uuid4(): f"Warga {n} {MARK}" for n in range(25)}
    household = uuid.uuid4()
    engine = make_engine(dsn, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO households (id, kk_hash, village_code) VALUES (:h, 'kk', 'v')"),
                {"h": household},
            )
            await conn.execute(
                text(
                    "INSERT INTO members (id, household_id, nik_hash, name, birth_date, sex,"
                    " relationship, attributes) VALUES (:id, :h, :nik, :name, :born, 'female',"
                    " 'head', '{}')"
                ),
                [
                    {"id": i, "h": household, "nik": str(i), "name": n, "born": date(1980, 1, 1)}
                    for i, n in plain.items()
                ],
            )

        async def names() -> dict[uuid.UUID, str]:
            async with engine.connect() as conn:
                return dict((await conn.execute(text("SELECT id, name FROM members"))).all())

        await asyncio.to_thread(alembic, dsn, "upgrade", "head")
        sealed = await names()
        assert all(is_sealed(v) and MARK not in v for v in sealed.values())
        read = name_reader(sealer)
        assert {i: read(SimpleNamespace(id=i, name=v)) for i, v in sealed.items()} == plain

        await asyncio.to_thread(alembic, dsn, "downgrade", "0005")
        assert await names() == plain
    finally:
        await engine.dispose()

"""Rewriting a sealed column against the real database (``resealing``): the migration that seals
names stored in the clear, the reseal pass after a key rotation beside a running service, and
the ``reseal`` command an operator runs."""

from __future__ import annotations

import asyncio
import base64
import os
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
import typer
from sqlalchemy import Column, MetaData, Table, Text, select
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from rujukan_platform.db import make_engine
from rujukan_platform.resealing import (
    Rewritten,
    add_reseal_command,
    reseal,
    rewrite,
    rewrite_in_batches,
)
from rujukan_platform.sealing import Sealer, SealError, context, is_sealed
from rujukan_platform.testing import Servers, pg_dump

pytestmark = pytest.mark.integration

OLD = base64.b64encode(os.urandom(32)).decode()
NEW = base64.b64encode(os.urandom(32)).decode()
NAMES = ["Siti Aminah", "Budi Santoso", "Dewi Lestari", "Agus Salim", "Rina Wati"]

metadata = MetaData()
members = Table(
    "members",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=True),
)


@dataclass
class Database:
    dsn: str
    engine: AsyncEngine
    ids: list[uuid.UUID]

    async def names(self) -> dict[uuid.UUID, str | None]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(members.c.id, members.c.name))).all()
        return {row_id: name for row_id, name in rows}


@pytest.fixture
async def database(servers: Servers, fresh_database: str) -> AsyncIterator[Database]:
    """Five members with names in the clear, as before sealing, and one without a name."""
    dsn = f"{servers.pg_url}/{fresh_database}"
    engine = make_engine(dsn, pool_size=2)
    ids = sorted(uuid.uuid4() for _ in NAMES)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(
            members.insert(),
            [{"id": i, "name": n} for i, n in zip(ids, NAMES, strict=True)]
            + [{"id": uuid.uuid4(), "name": None}],
        )
    yield Database(dsn, engine, ids)
    await engine.dispose()


def sealer(current: str = "old", **keys: str) -> Sealer:
    return Sealer.from_base64(keys or {"old": OLD}, current)


async def migrate(db: Database, change: object, batch: int = 2) -> Rewritten:
    def run(connection: Connection) -> Rewritten:
        return rewrite(connection, "members", "id", "name", change, batch=batch)  # type: ignore[arg-type]

    async with db.engine.begin() as conn:
        return await conn.run_sync(run)


async def test_the_migration_seals_every_name_in_its_own_row_and_its_downgrade_opens_them(
    database: Database,
) -> None:
    s = sealer()
    done = await migrate(database, s.seal_plain)
    assert (done.column, done.seen, done.changed, done.failed) == ("members.name", 5, 5, 0)
    stored = await database.names()
    for row_id, name in zip(database.ids, NAMES, strict=True):
        value = stored[row_id]
        assert value is not None and is_sealed(value)
        assert s.open(value, context=context("members", "name", row_id)) == name
    assert list(stored.values()).count(None) == 1  # no name: nothing to seal
    dump = pg_dump(database.dsn)
    assert not any(name.encode() in dump for name in NAMES)  # a backup shows no name

    again = await migrate(database, s.seal_plain)
    assert (again.seen, again.changed) == (5, 0)  # already sealed: left as they are

    back = await migrate(database, s.unseal)
    assert back.changed == 5
    assert [(await database.names())[i] for i in database.ids] == NAMES


async def test_a_value_that_does_not_open_stops_the_migration_and_changes_nothing(
    database: Database,
) -> None:
    s = sealer()
    await migrate(database, s.seal_plain)
    before = await database.names()
    first, second = database.ids[0], database.ids[1]
    async with database.engine.begin() as conn:  # a sealed name copied into another row
        await conn.execute(
            members.update().where(members.c.id == second).values(name=before[first])
        )
    rotated = sealer("new", old=OLD, new=NEW)
    with pytest.raises(SealError, match=r"1 values of members\.name do not open"):
        await migrate(database, rotated.reseal, batch=10)
    after = await database.names()
    assert after == {**before, second: before[first]}  # rolled back: still under the old key
    assert all(rotated.key_id(v) == "old" for v in after.values() if v)


async def test_a_reseal_moves_every_value_to_the_current_key_and_leaves_what_does_not_open(
    database: Database,
) -> None:
    await migrate(database, sealer().seal_plain)
    first, second = database.ids[0], database.ids[1]
    stored = await database.names()
    async with database.engine.begin() as conn:
        await conn.execute(
            members.update().where(members.c.id == second).values(name=stored[first])
        )
    rotated = sealer("new", old=OLD, new=NEW)
    (done,) = await reseal(database.dsn, rotated, [("members", "id", "name")], batch=2)
    assert (done.seen, done.changed, done.failed) == (5, 4, 1)
    after = await database.names()
    assert after[second] == stored[first]  # left as it was, for an operator to look at
    for row_id, name in zip(database.ids, NAMES, strict=True):
        if row_id != second:
            value = after[row_id]
            assert value is not None and rotated.key_id(value) == "new"
            new_only = sealer("new", new=NEW)  # the old key can go now
            assert new_only.open(value, context=context("members", "name", row_id)) == name
    (again,) = await reseal(database.dsn, rotated, [("members", "id", "name")], batch=2)
    assert (again.changed, again.failed) == (0, 1)


async def test_a_value_the_service_writes_during_a_reseal_is_not_overwritten(
    database: Database,
) -> None:
    await migrate(database, sealer().seal_plain)
    rotated = sealer("new", old=OLD, new=NEW)
    target = database.ids[2]
    written = rotated.seal("Dewi Lestari-Putri", context=context("members", "name", target))
    dsn = database.dsn.replace("postgresql+asyncpg://", "postgresql://")

    def service_writes() -> None:
        """The service renames the member between the reseal's read and its write."""

        async def update() -> None:
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute("UPDATE members SET name = $1 WHERE id = $2", written, target)
            finally:
                await conn.close()

        asyncio.run(update())

    def change(value: str, where: str) -> str | None:
        if where == context("members", "name", target):
            thread = threading.Thread(target=service_writes)
            thread.start()
            thread.join()
        return rotated.reseal(value, where)

    engine = make_engine(database.dsn, pool_size=1)
    try:
        done = await rewrite_in_batches(engine, "members", "id", "name", change, batch=10)
    finally:
        await engine.dispose()
    assert (done.seen, done.changed) == (5, 5)  # five rewrites asked for...
    after = await database.names()
    assert after[target] == written  # ...but the service's own write wins
    assert rotated.open(written, context=context("members", "name", target)) == (
        "Dewi Lestari-Putri"
    )


@dataclass
class Settings:
    dsn: str
    sealer: Sealer


async def test_the_reseal_command_says_what_it_did_and_fails_when_a_value_does_not_open(
    database: Database,
) -> None:
    await migrate(database, sealer().seal_plain)
    rotated = sealer("new", old=OLD, new=NEW)
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A service's command line."""

    add_reseal_command(app, lambda: Settings(database.dsn, rotated), [("members", "id", "name")])
    runner = CliRunner()
    done = await asyncio.to_thread(runner.invoke, app, ["reseal", "--batch", "2"])
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == (
        "members.name: 5 resealed under key new, 0 already were, 0 do not open"
    )

    async with database.engine.begin() as conn:  # a value under a key nobody has any more
        lost = Sealer.from_base64({"lost": NEW}, "lost")
        row = database.ids[0]
        value = lost.seal("Siti Aminah", context=context("members", "name", row))
        await conn.execute(members.update().where(members.c.id == row).values(name=value))
    done = await asyncio.to_thread(runner.invoke, app, ["reseal"])
    assert done.exit_code == 1
    assert done.stdout.splitlines() == [
        "members.name: 0 resealed under key new, 4 already were, 1 do not open",
        "values that do not open are left as they are: is an old key missing?",
    ]
    refused = await asyncio.to_thread(runner.invoke, app, ["reseal", "--batch", "0"])
    assert refused.exit_code == 2  # at least one row per transaction

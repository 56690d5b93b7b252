"""The migration helpers against a real database, through Alembic and ``run_env`` as a service's
migrations run them: the outbox as the relay reads it before and after ``outbox_for_throughput``
and back, processed events, tables declared with the shared words (named keys and indexes,
required columns), and sealing what was stored in plain text (with no key needed while there is
no row). The services' own revisions are held to their recorded schemas in
``tests/test_migrations.py``."""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from alembic.config import Config

from rujukan_platform import migrations
from rujukan_platform.sealing import Sealer, context
from rujukan_platform.testing import Servers

pytestmark = pytest.mark.integration

ENV = """\
from sqlalchemy import MetaData

from rujukan_platform.migrations import run_env

run_env(MetaData())
"""
REVISIONS = {
    "0001_outbox.py": """\
from rujukan_platform import migrations

revision = "0001"
down_revision = None


def upgrade() -> None:
    migrations.create_outbox()
    migrations.create_processed_events()


def downgrade() -> None:
    migrations.drop_processed_events()
    migrations.drop_outbox()
""",
    "0002_throughput.py": """\
from rujukan_platform.migrations import outbox_for_throughput as upgrade
from rujukan_platform.migrations import outbox_for_throughput_undone as downgrade

revision = "0002"
down_revision = "0001"
""",
    "0003_people.py": """\
import sqlalchemy as sa
from alembic import op

from rujukan_platform import migrations

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    migrations.create_table(
        "people", migrations.uuid("id"), migrations.text("name", nullable=True), primary_key=["id"]
    )
    migrations.create_table(
        "visits",
        migrations.bigint("id", sa.Identity(always=True)),
        migrations.uuid("person_id"),
        migrations.text("village_code"),
        migrations.text_array("needs", server_default="{}"),
        migrations.timestamp_now("at"),
        primary_key=["id"],
        references={"person_id": "people.id"},
        on_delete="CASCADE",
    )
    migrations.create_index("visits", ["person_id"])
    migrations.create_index(
        "visits",
        ["village_code", "at"],
        name="ix_visits_village_at",
        where="village_code <> ''",
        ops={"village_code": "text_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_table("visits")
    op.drop_table("people")
""",
    "0004_sealed.py": """\
from alembic import context

from rujukan_platform import migrations

revision = "0004"
down_revision = "0003"
COLUMNS = [("people", "id", "name")]


def upgrade() -> None:
    migrations.seal_stored(context.config.attributes["settings"], COLUMNS)


def downgrade() -> None:
    migrations.unseal_stored(context.config.attributes["settings"], COLUMNS)
""",
}
SEALER = Sealer.from_base64({"k1": base64.b64encode(os.urandom(32)).decode()}, "k1")


@dataclass(frozen=True)
class Settings:
    dsn: str
    sealer: Sealer


def no_key() -> Settings:
    raise AssertionError("a database with no row yet needs no key")


@pytest.fixture
async def db(servers: Servers, fresh_database: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(f"{servers.pg_dsn}/{fresh_database}")
    yield connection
    await connection.close()


def alembic_config(tmp_path: Path, dsn: str) -> Config:
    (tmp_path / "versions").mkdir()
    (tmp_path / "env.py").write_text(ENV)
    for name, text in REVISIONS.items():
        (tmp_path / "versions" / name).write_text(text)
    cfg = Config()
    cfg.set_main_option("script_location", str(tmp_path))
    cfg.set_main_option("sqlalchemy.url", dsn)
    cfg.attributes["settings"] = no_key
    return cfg


async def migrate(cfg: Config, verb: str, revision: str) -> None:
    step = command.upgrade if verb == "upgrade" else command.downgrade
    await asyncio.to_thread(step, cfg, revision)


async def outbox(db: asyncpg.Connection) -> tuple[str, list[str]]:
    """The payload's type and the outbox's constraints, as the relay depends on them."""
    payload = await db.fetchval(
        "SELECT data_type FROM information_schema.columns"
        " WHERE table_name = 'outbox' AND column_name = 'payload'"
    )
    constraints = await db.fetch(
        "SELECT conname || ' ' || pg_get_constraintdef(oid) AS c FROM pg_constraint"
        " WHERE conrelid = 'outbox'::regclass ORDER BY conname"
    )
    return payload, [r["c"] for r in constraints]


async def tables(db: asyncpg.Connection) -> set[str]:
    rows = await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r["tablename"] for r in rows} - {"alembic_version"}


async def test_the_outbox_moves_to_throughput_and_back(
    servers: Servers, fresh_database: str, db: asyncpg.Connection, tmp_path: Path
) -> None:
    cfg = alembic_config(tmp_path, f"{servers.pg_url}/{fresh_database}")
    await migrate(cfg, "upgrade", "0001")
    first = ("jsonb", ["pk_outbox PRIMARY KEY (id)", "uq_outbox_seq UNIQUE (seq)"])
    assert await outbox(db) == first
    assert await tables(db) == {"outbox", "processed_events"}

    await migrate(cfg, "upgrade", "0002")
    assert await outbox(db) == ("json", ["pk_outbox PRIMARY KEY (seq)"])
    seqs = [
        await db.fetchval(
            "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, topic)"
            " VALUES ($1, 'intake', 'a', 'intake.submitted', '{\"a\": 1}', 't') RETURNING seq",
            uuid.uuid4(),
        )
        for _ in range(2)
    ]
    assert seqs[1] > seqs[0]  # the relay reads in this order

    await migrate(cfg, "downgrade", "0001")
    assert await outbox(db) == first
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE payload = '{\"a\": 1}'") == 2

    await migrate(cfg, "downgrade", "base")
    assert await tables(db) == set()


async def test_tables_get_named_keys_and_indexes_and_required_columns(
    servers: Servers, fresh_database: str, db: asyncpg.Connection, tmp_path: Path
) -> None:
    """The names are spelled out by the helpers: ``run_env`` here has no naming convention."""
    cfg = alembic_config(tmp_path, f"{servers.pg_url}/{fresh_database}")
    await migrate(cfg, "upgrade", "0003")
    constraints = await db.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS d FROM pg_constraint"
        " WHERE conrelid IN ('people'::regclass, 'visits'::regclass) ORDER BY conname"
    )
    assert {r["conname"]: r["d"] for r in constraints} == {
        "fk_visits_person_id_people": (
            "FOREIGN KEY (person_id) REFERENCES people(id) ON DELETE CASCADE"
        ),
        "pk_people": "PRIMARY KEY (id)",
        "pk_visits": "PRIMARY KEY (id)",
    }
    indexes = await db.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'visits' ORDER BY indexname"
    )
    assert {r["indexname"]: r["indexdef"].partition(" USING ")[2] for r in indexes} == {
        "ix_visits_person_id": "btree (person_id)",
        "ix_visits_village_at": (
            "btree (village_code text_pattern_ops, at) WHERE (village_code <> ''::text)"
        ),
        "pk_visits": "btree (id)",
    }
    columns = await db.fetch(
        "SELECT column_name, data_type, is_nullable, column_default, is_identity"
        " FROM information_schema.columns WHERE table_name IN ('people', 'visits')"
        " ORDER BY table_name, ordinal_position"
    )
    assert [tuple(r.values()) for r in columns] == [
        ("id", "uuid", "NO", None, "NO"),
        ("name", "text", "YES", None, "NO"),
        ("id", "bigint", "NO", None, "YES"),
        ("person_id", "uuid", "NO", None, "NO"),
        ("village_code", "text", "NO", None, "NO"),
        ("needs", "ARRAY", "NO", "'{}'::text[]", "NO"),
        ("at", "timestamp with time zone", "NO", "now()", "NO"),
    ]

    await migrate(cfg, "downgrade", "0002")
    assert await tables(db) == {"outbox", "processed_events"}


def test_an_index_on_several_columns_is_named_by_its_revision() -> None:
    with pytest.raises(ValueError, match="needs a name"):
        migrations.create_index("visits", ["village_code", "at"])


async def test_values_stored_in_plain_text_are_sealed_and_opened_again(
    servers: Servers, fresh_database: str, db: asyncpg.Connection, tmp_path: Path
) -> None:
    cfg = alembic_config(tmp_path, f"{servers.pg_url}/{fresh_database}")
    await migrate(cfg, "upgrade", "head")  # no row: ``no_key`` is never called
    await migrate(cfg, "downgrade", "0003")

    names = {uuid.uuid4(): "Siti Aminah", uuid.uuid4(): "Budi Santoso"}
    await db.executemany("INSERT INTO people VALUES ($1, $2)", list(names.items()))
    cfg.attributes["settings"] = lambda: Settings("unused", SEALER)
    await migrate(cfg, "upgrade", "0004")
    stored = {r["id"]: r["name"] for r in await db.fetch("SELECT id, name FROM people")}
    assert not set(stored.values()) & set(names.values())
    assert {k: SEALER.open(v, context=context("people", "name", k)) for k, v in stored.items()} == (
        names
    )

    await migrate(cfg, "downgrade", "0003")
    assert dict(await db.fetch("SELECT id, name FROM people")) == names

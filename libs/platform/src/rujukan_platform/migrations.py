"""What the services' Alembic migrations share: ``run_env`` (each ``migrations/env.py`` runs
Alembic online over asyncpg with it), the words their revisions declare tables in (columns by
type, ``create_table`` with its named primary key, ``create_index`` with its derived name) and
the DDL every service's revisions emit alike (the outbox, processed events, sealing what was
stored in plain text)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy import MetaData, pool
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config
from sqlalchemy.schema import SchemaItem
from sqlalchemy.types import TypeEngine

from rujukan_platform.resealing import Change, SealedColumn, SealedSettings, rewrite
from rujukan_platform.sealing import Sealer


def run_env(metadata: MetaData) -> None:
    config = context.config
    target = config.attributes.get("metadata", metadata)
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section, {})
            or {"sqlalchemy.url": config.get_main_option("sqlalchemy.url")},
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())


# What the services' migrations share. Each helper emits the DDL the services' revisions wrote
# out by hand before, to the letter: databases are already at these revisions, so a helper
# changes only where a statement is written, never what it does (tests/schemas records it).


@dataclass(frozen=True)
class ColumnType:
    """Columns of one SQL type, ``NOT NULL`` unless a revision says ``nullable=True``: most
    columns are required, so only the optional ones say so (other arguments, an identity or
    a server default, go to ``sa.Column`` as they are)."""

    make: Callable[[], TypeEngine[Any]]

    def __call__(
        self, name: str, *args: SchemaItem, nullable: bool = False, **kwargs: Any
    ) -> sa.Column[Any]:
        return sa.Column(name, self.make(), *args, nullable=nullable, **kwargs)


uuid = ColumnType(sa.UUID)
text = ColumnType(sa.Text)
integer = ColumnType(sa.Integer)
bigint = ColumnType(sa.BigInteger)
boolean = ColumnType(sa.Boolean)
date = ColumnType(sa.Date)
timestamp = ColumnType(lambda: sa.DateTime(timezone=True))
jsonb = ColumnType(lambda: postgresql.JSONB(astext_type=sa.Text()))
text_array = ColumnType(lambda: postgresql.ARRAY(sa.Text()))


def timestamp_now(name: str) -> sa.Column[Any]:
    """A ``timestamptz NOT NULL DEFAULT now()`` column: when a row was made, the database's
    clock (the one shape of every created, updated and processed time)."""
    return timestamp(name, server_default=sa.text("now()"))


def create_table(
    name: str,
    *items: sa.Column[Any] | sa.Constraint,
    primary_key: Sequence[str],
    references: Mapping[str, str] | None = None,
    on_delete: str | None = None,
) -> None:
    """``op.create_table`` with the primary key every table has and its foreign keys (column
    to ``table.column``, each ``ON DELETE on_delete`` when given), named as the services'
    naming convention names them: ``pk_<table>``, ``fk_<table>_<column>_<referred table>``
    (spelled out, so that a revision never changes with the convention)."""
    foreign_keys = [
        sa.ForeignKeyConstraint(
            [column],
            [target],
            name=op.f(f"fk_{name}_{column}_{target.partition('.')[0]}"),
            ondelete=on_delete,
        )
        for column, target in (references or {}).items()
    ]
    primary = sa.PrimaryKeyConstraint(*primary_key, name=op.f(f"pk_{name}"))
    op.create_table(name, *items, *foreign_keys, primary)


def create_index(
    table: str,
    columns: Sequence[str],
    *,
    name: str | None = None,
    unique: bool = False,
    where: str | None = None,
    ops: Mapping[str, str] | None = None,
) -> None:
    """An index named ``ix_<table>_<column>`` unless ``name`` says otherwise (an index on
    several columns is always named by its revision); ``where`` makes it partial, ``ops``
    gives columns their operator class (``text_pattern_ops`` for prefix searches)."""
    if name is None:
        if len(columns) != 1:
            raise ValueError(f"an index on {table} over {list(columns)} needs a name")
        name = op.f(f"ix_{table}_{columns[0]}")
    op.create_index(
        name,
        table,
        list(columns),
        unique=unique,
        postgresql_where=None if where is None else sa.text(where),
        postgresql_ops=dict(ops or {}),
    )


def create_outbox() -> None:
    """The transactional outbox as each service's first revision made it: the relay publishes
    its rows in ``seq`` order. Its payload was ``jsonb`` and its key the event id, until
    ``outbox_for_throughput``."""
    create_table(
        "outbox",
        uuid("id"),
        bigint("seq", sa.Identity(always=True)),
        text("aggregatetype"),
        text("aggregateid"),
        text("type"),
        jsonb("payload"),
        text("topic"),
        text("traceparent", nullable=True),
        timestamp_now("created_at"),
        sa.UniqueConstraint("seq", name=op.f("uq_outbox_seq")),
        primary_key=["id"],
    )


def drop_outbox() -> None:
    op.drop_table("outbox")


def create_processed_events() -> None:
    """The events each consumer has handled, by consumer and event id: a redelivered event is
    recognised and skipped (idempotent consumers); an index on ``processed_at`` finds old rows."""
    create_table(
        "processed_events",
        text("consumer"),
        uuid("event_id"),
        timestamp_now("processed_at"),
        primary_key=["consumer", "event_id"],
    )
    create_index("processed_events", ["processed_at"])


def drop_processed_events() -> None:
    op.drop_table("processed_events")  # and its index


def outbox_payload_as_json() -> None:
    """The payload as ``json``: written once and read once as text by the relay, never queried,
    so PostgreSQL need not parse it into ``jsonb``."""
    op.execute("ALTER TABLE outbox ALTER COLUMN payload TYPE json USING payload::json")


def outbox_payload_as_jsonb() -> None:
    op.execute("ALTER TABLE outbox ALTER COLUMN payload TYPE jsonb USING payload::jsonb")


def outbox_keyed_by_seq() -> None:
    """One index, on ``seq``, appended to in order: the relay selects and deletes by ``seq``,
    so the primary key moves there from the event id and the unique index on ``seq`` goes."""
    op.drop_constraint("uq_outbox_seq", "outbox", type_="unique")
    op.drop_constraint("pk_outbox", "outbox", type_="primary")
    op.create_primary_key("pk_outbox", "outbox", ["seq"])


def outbox_keyed_by_id() -> None:
    op.drop_constraint("pk_outbox", "outbox", type_="primary")
    op.create_primary_key("pk_outbox", "outbox", ["id"])
    op.create_unique_constraint("uq_outbox_seq", "outbox", ["seq"])


def outbox_for_throughput() -> None:
    """The follow-up revision of intake, notifications and program-registry (the router's is
    split over its revisions 0003 and 0004): a ``json`` payload and ``seq`` as primary key."""
    outbox_payload_as_json()
    outbox_keyed_by_seq()


def outbox_for_throughput_undone() -> None:
    outbox_keyed_by_id()
    outbox_payload_as_jsonb()


#: an outbox is a queue: vacuumed at 5,000 dead rows whatever its size, without cost delay
OUTBOX_VACUUM = {
    "autovacuum_vacuum_scale_factor": "0",
    "autovacuum_vacuum_threshold": "5000",
    "autovacuum_vacuum_cost_delay": "0",
}


def outbox_vacuumed_often() -> None:
    """The outbox's dead rows (every event is inserted and deleted) vacuumed at 5,000 rather
    than at a fifth of the table: the relay's ``ORDER BY seq`` scan walks every dead row
    autovacuum has not reached yet (docs/decisions.md, "The outbox is a queue")."""
    settings = ", ".join(f"{k} = {v}" for k, v in OUTBOX_VACUUM.items())
    op.execute(f"ALTER TABLE outbox SET ({settings})")


def outbox_vacuumed_as_any_table() -> None:
    op.execute(f"ALTER TABLE outbox RESET ({', '.join(OUTBOX_VACUUM)})")


def seal_stored(settings: Callable[[], SealedSettings], columns: Sequence[SealedColumn]) -> None:
    """Seal the personal values stored before a service sealed them at rest, under the data
    key of its settings (``settings()`` reads the service's environment, as the service does).
    A database with no row yet needs no key: the settings are read only when a row exists."""
    _rewrite(settings, columns, lambda sealer: sealer.seal_plain)


def unseal_stored(settings: Callable[[], SealedSettings], columns: Sequence[SealedColumn]) -> None:
    """The downgrade of ``seal_stored``: the values opened again (with the same keys)."""
    _rewrite(settings, columns, lambda sealer: sealer.unseal)


def _rewrite(
    settings: Callable[[], SealedSettings],
    columns: Sequence[SealedColumn],
    change: Callable[[Sealer], Change],
) -> None:
    connection = op.get_bind()
    tables = dict.fromkeys(table for table, _, _ in columns)
    if any(connection.scalar(sa.text(f"SELECT EXISTS (SELECT 1 FROM {t})")) for t in tables):
        sealer = settings().sealer
        for table, key, column in columns:
            rewrite(connection, table, key, column, change(sealer))


def fill_column(
    table: str,
    column: str,
    source: str,
    value: Callable[[Any], str],
    *,
    key: str = "id",
    chunk: int = 10_000,
) -> None:
    """Set the text ``table.column`` of existing rows to values only Python computes (a
    backfill), a chunk of rows at a time by their uuid ``key``: ``source`` selects each row's
    key as ``id`` and what ``value`` reads, from rows whose key is after ``:after``, ordered by
    it and limited to ``:chunk``."""
    connection = op.get_bind()
    after = UUID(int=0)
    while True:
        rows = connection.execute(sa.text(source), {"after": after, "chunk": chunk}).all()
        if not rows:
            return
        connection.execute(
            sa.text(
                f"UPDATE {table} SET {column} = u.value FROM unnest(CAST(:ids AS uuid[]),"
                f" CAST(:values AS text[])) AS u(id, value) WHERE {table}.{key} = u.id"
            ),
            {"ids": [r.id for r in rows], "values": [value(r) for r in rows]},
        )
        after = rows[-1].id

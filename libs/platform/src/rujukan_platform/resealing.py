"""Rewriting a sealed column row by row: the migration that seals values stored before sealing,
the reseal pass after a key rotation, and the ``reseal`` command each service offers.

A page of rows is read by primary key; each value a *change* rewrites (``Sealer.seal_plain``,
``Sealer.reseal``, ``Sealer.unseal``) is written back only if the row still holds the value
read, so a reseal can run beside the service: a value the service writes meanwhile is already
sealed under the current key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import typer
from sqlalchemy import bindparam, column, select, table, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from rujukan_platform.db import make_engine
from rujukan_platform.sealing import Sealer, SealError, context

Change = Callable[[str, str], str | None]


@dataclass
class Rewritten:
    """One pass over a column: values read, rewritten, and that did not open (left as they are)."""

    column: str
    seen: int = 0
    changed: int = 0
    failed: int = 0

    def add(self, other: Rewritten) -> None:
        self.seen += other.seen
        self.changed += other.changed
        self.failed += other.failed


def rewrite_page(
    connection: Connection,
    table_name: str,
    key: str,
    column_name: str,
    change: Change,
    *,
    after: Any,
    limit: int,
) -> tuple[Any, Rewritten]:
    """The next ``limit`` rows by ``key`` after ``after`` whose ``column_name`` is set: each
    value ``change`` rewrites is updated if no one changed it meanwhile. Returns the last key
    read and the counts."""
    t = table(table_name, column(key), column(column_name))
    query = select(t.c[key], t.c[column_name]).where(t.c[column_name].is_not(None))
    if after is not None:
        query = query.where(t.c[key] > after)
    rows = connection.execute(query.order_by(t.c[key]).limit(limit)).all()
    done = Rewritten(f"{table_name}.{column_name}", seen=len(rows))
    updates = []
    for row_key, value in rows:
        try:
            new = change(value, context(table_name, column_name, row_key))
        except SealError:
            done.failed += 1
            continue
        if new is not None:
            updates.append({"_key": row_key, "_old": value, "_new": new})
    if updates:
        connection.execute(
            update(t)
            .where(t.c[key] == bindparam("_key"), t.c[column_name] == bindparam("_old"))
            .values({column_name: bindparam("_new")}),
            updates,
        )
    done.changed = len(updates)
    return (rows[-1][0] if rows else after), done


def rewrite(
    connection: Connection,
    table_name: str,
    key: str,
    column_name: str,
    change: Change,
    *,
    batch: int = 1000,
) -> Rewritten:
    """Every row, in the caller's transaction (a migration's); a value that does not open
    stops it."""
    total, after = Rewritten(f"{table_name}.{column_name}"), None
    while True:
        after, page = rewrite_page(
            connection, table_name, key, column_name, change, after=after, limit=batch
        )
        total.add(page)
        if page.failed:
            raise SealError(f"{page.failed} values of {total.column} do not open")
        if page.seen < batch:
            return total


async def rewrite_in_batches(
    engine: AsyncEngine,
    table_name: str,
    key: str,
    column_name: str,
    change: Change,
    *,
    batch: int = 500,
) -> Rewritten:
    """Every row, one short transaction per ``batch`` (a reseal while the service runs); a
    value that does not open is counted and left."""
    total, after = Rewritten(f"{table_name}.{column_name}"), None
    while True:
        async with engine.begin() as connection:
            after, page = await connection.run_sync(
                rewrite_page, table_name, key, column_name, change, after=after, limit=batch
            )
        total.add(page)
        if page.seen < batch:
            return total


class SealedSettings(Protocol):
    @property
    def dsn(self) -> str: ...

    @property
    def sealer(self) -> Sealer: ...


#: a sealed column: (table, primary key column, column)
SealedColumn = tuple[str, str, str]


async def reseal(
    dsn: str, sealer: Sealer, columns: Sequence[SealedColumn], *, batch: int
) -> list[Rewritten]:
    """Every value of ``columns`` sealed again under the current key, a batch per transaction."""
    engine = make_engine(dsn, pool_size=1)
    try:
        return [
            await rewrite_in_batches(engine, t, key, c, sealer.reseal, batch=batch)
            for t, key, c in columns
        ]
    finally:
        await engine.dispose()


def add_reseal_command(
    app: typer.Typer, settings: Callable[[], SealedSettings], columns: Sequence[SealedColumn]
) -> None:
    """``python -m <service> reseal``: after a new ``data_key_id``, before an old key goes."""

    @app.command("reseal")
    def reseal_command(
        batch: int = typer.Option(500, min=1, max=10_000, help="rows per transaction"),
    ) -> None:
        """Seal every stored personal value again under the current data key (idempotent)."""
        s = settings()
        done = asyncio.run(reseal(s.dsn, s.sealer, columns, batch=batch))
        for r in done:
            print(
                f"{r.column}: {r.changed:,} resealed under key {s.sealer.current}, "
                f"{r.seen - r.changed - r.failed:,} already were, {r.failed:,} do not open"
            )
        if any(r.failed for r in done):
            print("values that do not open are left as they are: is an old key missing?")
            raise typer.Exit(1)

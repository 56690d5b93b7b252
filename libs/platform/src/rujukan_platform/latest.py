"""Keeping the latest of what events say: an upsert that an older event never wins.

Consumers mirror what other services announce (a referral's status, a program's publication)
and events arrive late or twice: the row keeps whichever says the newest ``stamp``, and an
event that says the same again writes the same again. A consumer batch's events go in one
statement: of several for one key, the newest (the last of equals) is the one written, as if
they had been applied one by one in order. Rows of plain columns are bound as one array a
column, so the statement's text is the same for any number of rows.

``keep_latest`` builds the statement for the rows it is given; on a consumer's hot path,
``LatestKept`` builds it once (a module-level constant) and binds each batch's rows: building
and keying the upsert cost some 200 us a batch (``tests`` of the platform hold both to the same
SQL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ARRAY, JSON, Table, column, select
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.sql.selectable import TableValuedAlias

from rujukan_platform.db import rows_parameters, rows_table


def keep_latest(
    table: Table,
    values: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    stamp: str,
) -> Insert:
    """Insert ``values`` (a row, or rows with the same columns); where a row of the same
    ``key`` exists, overwrite it with them only when its ``stamp`` is no newer than theirs."""
    rows = newest_per_key([values] if isinstance(values, Mapping) else values, key, stamp)
    if not rows:
        raise ValueError("keep_latest needs a row")
    columns = list(rows[0])
    if not _plain(table, columns):
        return _upsert(insert(table).values(rows), table, columns, key, stamp)
    given = _given(table, columns, [tuple(row[c] for c in columns) for row in rows])
    return _upsert(insert(table).from_select(columns, select(given)), table, columns, key, stamp)


class LatestKept:
    """``keep_latest`` into ``table`` for rows of ``columns``, its statement built once:
    ``session.execute(kept.statement, kept.parameters(rows))``. Plain columns only (no array
    nor JSON, no Python default left out), as ``keep_latest``'s one-array-a-column form."""

    def __init__(
        self, table: Table, columns: Sequence[str], *, key: Sequence[str], stamp: str
    ) -> None:
        if not _plain(table, columns):
            raise ValueError(f"{table.name}: LatestKept takes plain columns only")
        self._columns, self._key, self._stamp = tuple(columns), tuple(key), stamp
        self._given = _given(table, columns, [])
        self.statement = _upsert(
            insert(table).from_select(list(columns), select(self._given)),
            table,
            columns,
            key,
            stamp,
        )

    def parameters(self, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
        """``rows`` (each with every column), the newest of each key, bound to the statement."""
        kept = newest_per_key(rows, self._key, self._stamp)
        return rows_parameters(self._given, [tuple(r[c] for c in self._columns) for r in kept])


def _given(table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> TableValuedAlias:
    """The rows as table ``given`` of ``columns`` (one array a column: one statement for any
    number of rows), bound now or, ``rows`` empty, at execution (``rows_parameters``)."""
    return rows_table(*(column(c, table.c[c].type) for c in columns), name="given", rows=rows)


def _plain(table: Table, columns: Sequence[str]) -> bool:
    """Whether rows of ``columns`` go in as one array a column: no array of arrays or of JSON,
    and no Python default left out (it would be one value for every row)."""
    return not any(isinstance(table.c[c].type, ARRAY | JSON) for c in columns) and not any(
        c.default is not None for c in table.c if c.name not in columns
    )


def _upsert(
    stmt: Insert, table: Table, columns: Sequence[str], key: Sequence[str], stamp: str
) -> Insert:
    return stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={c: stmt.excluded[c] for c in columns if c not in key},
        where=table.c[stamp] <= stmt.excluded[stamp],
    )


def newest_per_key(
    rows: Sequence[Mapping[str, Any]], key: Sequence[str], stamp: str
) -> list[Mapping[str, Any]]:
    """One row per key, the one with the newest ``stamp`` (the last of equals): an upsert may
    touch a row only once per statement."""
    kept: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for row in rows:
        at = tuple(row[column] for column in key)
        if at not in kept or kept[at][stamp] <= row[stamp]:
            kept[at] = row
    return list(kept.values())

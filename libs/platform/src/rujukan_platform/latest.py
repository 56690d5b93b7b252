"""Keeping the latest of what events say: an upsert that an older event never wins.

Consumers mirror what other services announce (a referral's status, a program's publication)
and events arrive late or twice: the row keeps whichever says the newest ``stamp``, and an
event that says the same again writes the same again. A consumer batch's events go in one
statement: of several for one key, the newest (the last of equals) is the one written, as if
they had been applied one by one in order. Rows of plain columns are bound as one array a
column, so the statement's text is the same for any number of rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ARRAY, JSON, Table, column, select
from sqlalchemy.dialects.postgresql import Insert, insert

from rujukan_platform.db import rows_table


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
    if any(isinstance(table.c[c].type, ARRAY | JSON) for c in columns) or any(
        c.default is not None for c in table.c if c.name not in columns
    ):  # no array of arrays or of JSON; a Python default would be one value for every row
        stmt = insert(table).values(rows)
    else:  # one array a column: one statement for any number of rows (``rows_table``)
        given = rows_table(
            *(column(c, table.c[c].type) for c in columns),
            name="given",
            rows=[tuple(row[c] for c in columns) for row in rows],
        )
        stmt = insert(table).from_select(columns, select(given))
    return stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={column: stmt.excluded[column] for column in rows[0] if column not in key},
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

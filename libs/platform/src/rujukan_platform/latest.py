"""Keeping the latest of what events say: an upsert that an older event never wins.

Consumers mirror what other services announce (a referral's status, a program's publication)
and events arrive late or twice: the row keeps whichever says the newest ``stamp``, and an
event that says the same again writes the same again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import Insert, insert


def keep_latest(
    table: Table, values: Mapping[str, Any], *, key: Sequence[str], stamp: str
) -> Insert:
    """Insert ``values``; where a row of the same ``key`` exists, overwrite it with them only
    when its ``stamp`` is no newer than theirs."""
    stmt = insert(table).values(**values)
    return stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={column: stmt.excluded[column] for column in values if column not in key},
        where=table.c[stamp] <= stmt.excluded[stamp],
    )

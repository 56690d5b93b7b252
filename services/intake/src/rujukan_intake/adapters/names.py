"""Members' names are sealed at rest, each bound to its row (``rujukan_platform.sealing``): only
a process holding intake's data keys reads them, and a name copied into another row does not
open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from rujukan_platform.sealing import Sealer, context

TABLE, KEY, COLUMN = "members", "id", "name"


def name_context(member_id: UUID) -> str:
    """What a member's sealed name is bound to: ``members.name:<member id>``."""
    return context(TABLE, COLUMN, member_id)


def name_reader(sealer: Sealer) -> Callable[[Any], str]:
    """Reads a ``members`` row's name (its ``id`` and ``name``) back in the clear."""

    def read(row: Any) -> str:
        return sealer.open(row.name, context=name_context(row.id))

    return read

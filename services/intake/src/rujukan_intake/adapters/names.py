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


# What an agency needs to find the family behind a referral (``service_layer.identity``), sealed
# the same way, each bound to its row: the NIK beside the member's name, the KK number and the
# address on the household, the contact the resident gave on the intake.
NIK = ("members", "id", "nik")
KK_NUMBER = ("households", "id", "kk_number")
ADDRESS = ("households", "id", "address")
CONTACT = ("intakes", "id", "contact")
#: every sealed column of intake, as ``rujukan_platform.resealing`` rewrites them
SEALED_COLUMNS = [(TABLE, KEY, COLUMN), NIK, KK_NUMBER, ADDRESS, CONTACT]


def sealed_context(column: tuple[str, str, str], row_id: UUID) -> str:
    """What a value of one of the columns above is bound to: ``<table>.<column>:<row id>``."""
    table, _key, name = column
    return context(table, name, row_id)

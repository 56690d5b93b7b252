"""Residents' e-mail addresses and phone numbers are sealed at rest, each bound to its column of
its household's ``contacts`` row (``rujukan_platform.sealing``): the dispatcher opens one just
before a send, so a contact is in the clear only in its memory, and a value copied into another
household's row does not open."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from rujukan_notifications.adapters.repository import SealedContact
from rujukan_platform.resealing import SealedColumn
from rujukan_platform.sealing import Sealer, context

TABLE, KEY = "contacts", "household_id"
ContactField = Literal["email", "phone"]
#: what ``python -m rujukan_notifications reseal`` and the migration rewrite
SEALED: list[SealedColumn] = [(TABLE, KEY, "email"), (TABLE, KEY, "phone")]


def contact_context(field: ContactField, household_id: UUID) -> str:
    """``contacts.email:<household id>``, ``contacts.phone:<household id>``."""
    return context(TABLE, field, household_id)


def seal_contact(
    sealer: Sealer, field: ContactField, household_id: UUID, value: str | None
) -> str | None:
    if value is None:
        return None
    return sealer.seal(value, context=contact_context(field, household_id))


def open_contact(sealer: Sealer, field: ContactField, contact: SealedContact) -> str | None:
    """A stored contact's e-mail or phone in the clear (``None`` if it has none)."""
    value = contact.email if field == "email" else contact.phone
    if value is None:
        return None
    return sealer.open(value, context=contact_context(field, contact.household_id))

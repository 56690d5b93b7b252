"""Opaque cursors for list endpoints: every service pages the same way.

A cursor is the url-safe base64 of the last item's sort key parts; a client never builds one,
and one that was not produced here is refused with a 422 naming the ``cursor`` parameter.
"""

from __future__ import annotations

import base64
import binascii

from rujukan_contracts.text import control_character
from rujukan_platform.language import Localised
from rujukan_platform.problems import Problem, refused

NOT_A_CURSOR = Localised("bukan cursor dari API ini", "not a cursor from this API")

SEPARATOR = "\x1f"


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode(SEPARATOR.join(parts).encode()).decode()


def decode_cursor(cursor: str, parts: int) -> list[str]:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise invalid_cursor() from exc
    values = raw.split(SEPARATOR)
    if len(values) != parts or not all(values):
        raise invalid_cursor()
    if any(control_character(v) for v in values):  # never ours, and PostgreSQL refuses NUL
        raise invalid_cursor()
    return values


def invalid_cursor() -> Problem:
    """422: the cursor was not made by this API (or not for this list)."""
    title = Localised("Cursor tidak sah", "Invalid cursor")
    return refused([{"field": "cursor", "reason": NOT_A_CURSOR}], title)

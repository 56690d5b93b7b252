"""Short human references for referrals: ``RJK-3304-7F3K2Q``.

A resident, a Puskesos facilitator and an agency officer read a referral's reference aloud on the
phone or copy it from an SMS; a 36-character UUID is neither. The reference is the regency of the
household's village (four digits, so a district office sees its own at a glance) and six
Crockford base-32 characters derived from the referral id — so every service computes the same
reference from what it already holds, with nothing to coordinate. Six characters give about
a billion values per regency; the router stores references under a unique index, so a collision
(one in tens of thousands at a million referrals in one regency) is caught, never silently shared.
"""

from __future__ import annotations

import hashlib
import re
from uuid import UUID

from rujukan_contracts.text import Localised

PREFIX = "RJK"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to misread
_LENGTH = 6
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SHAPE = re.compile(rf"^{PREFIX}-(\d{{4}})-([{CROCKFORD}]{{{_LENGTH}}})$")


def referral_reference(referral_id: UUID, village_code: str) -> str:
    """The referral's reference: its regency and six characters of a hash of its id."""
    regency = "".join(ch for ch in village_code if ch.isdigit())[:4]
    if len(regency) != 4:
        raise ValueError(f"{village_code!r} names no regency")
    value = int.from_bytes(hashlib.blake2b(referral_id.bytes, digest_size=8).digest(), "big")
    chars = []
    for _ in range(_LENGTH):
        value, index = divmod(value, len(CROCKFORD))
        chars.append(CROCKFORD[index])
    return f"{PREFIX}-{regency}-{''.join(chars)}"


#: why a typed reference was refused (intake and the router answer it the same way)
NOT_A_REFERENCE = Localised(
    "bukan nomor rujukan, contohnya RJK-3304-7F3K2Q", "not a referral reference"
)


def normalise_reference(raw: str) -> str | None:
    """A reference as typed by a person (any case, spaces or dashes anywhere, O for 0, I or L
    for 1) in its canonical form; None when it cannot be one."""
    compact = re.sub(r"[\s-]", "", raw.upper())
    if not compact.startswith(PREFIX):
        return None
    body = compact[len(PREFIX) :].translate(_READ_AS)
    regency, code = body[:4], body[4:]
    candidate = f"{PREFIX}-{regency}-{code}"
    return candidate if _SHAPE.match(candidate) else None

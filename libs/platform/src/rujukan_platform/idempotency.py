"""An Idempotency-Key names one request (IETF httpapi Idempotency-Key draft).

Each service stores, with the key, a fingerprint of the request it was first used for. The same
key again with the same fingerprint is a retry and gets the first answer; with another
fingerprint it is refused with ``key_mismatch`` (422), and nothing is stored or published.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from rujukan_platform.language import Localised
from rujukan_platform.problems import Problem

KEY_MISMATCH_TYPE = "https://rujukan.example/problems/idempotency-key-mismatch"


def fingerprint(request: Any) -> str:
    """SHA-256 of the validated request in one canonical form: JSON with sorted keys (pass
    ``model.model_dump(mode="json")``), so field order and spacing in the body never matter."""
    return hashlib.sha256(orjson.dumps(request, option=orjson.OPT_SORT_KEYS)).hexdigest()


def key_mismatch(field: str = "Idempotency-Key") -> Problem:
    """422: the key was used before for a request with another body."""
    return Problem(
        422,
        Localised("Idempotency-Key dipakai untuk permintaan lain", "Idempotency-Key reused"),
        Localised(
            f"{field} ini sudah dipakai untuk permintaan dengan isi berbeda; tidak ada yang "
            "disimpan. Ulangi permintaan semula dengan kunci yang sama, atau pakai kunci baru "
            "untuk permintaan baru",
            f"this {field} was used for a request with a different body; nothing was stored. "
            "Repeat the original request with the same key, or use a new key for a new request",
        ),
        type_=KEY_MISMATCH_TYPE,
        errors=[
            {
                "field": field,
                "reason": Localised(
                    "sudah dipakai untuk permintaan lain", "used for a different request"
                ),
            }
        ],
    )

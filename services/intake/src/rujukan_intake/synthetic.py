"""Synthetic households with valid NIKs and KK numbers, for load tests and benchmarks.

Deterministic for a seed; never real people (serials start at 9000 and KKs at 33049...).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

VILLAGE = "33.04.01.2001"
NIK_REGION = "330401"


def nik(birth: date, sex: str, serial: int) -> str:
    day = birth.day + (40 if sex == "female" else 0)
    return f"{NIK_REGION}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def household(index: int, rng: random.Random) -> dict[str, Any]:
    members = []
    for m in range(rng.randint(1, 4)):
        sex = rng.choice(["female", "male"])
        birth = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 70))
        members.append(
            {
                "nik": nik(birth, sex, 9000 + (index * 4 + m) % 1000),
                "name": f"Warga {index}-{m}",
                "birth_date": birth.isoformat(),
                "sex": sex,
                "relationship": "head" if m == 0 else "child",
                "schooling": "in_school" if date.today().year - birth.year < 18 else "not_yet",
            }
        )
    return {
        "household": {"kk_number": f"33049{index:011d}", "village_code": VILLAGE},
        "members": members,
        "needs": rng.sample(["health_insurance", "schooling", "food", "cash"], k=2),
        "consent": {
            "purposes": ["referral"],
            "recipients": ["*"],
            "given_at": "2026-11-01T08:00:00+07:00",
        },
        "taken_by": {"puskesos": "Puskesos Desa Berta", "channel": "facilitator_app"},
    }


def households(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for index in range(count):
        yield household(index, rng)

"""Program documents for tests, here and end to end: the smallest the registry accepts."""

from __future__ import annotations

import uuid
from typing import Any


def new_code() -> str:
    """A program code no other test uses."""
    return "T-" + uuid.uuid4().hex[:8].upper()


def program_document(
    code: str, *, cel: str = "'housing' in needs", name: str = "needs_housing"
) -> dict[str, Any]:
    """A program document the registry accepts: one version whose one criterion is ``cel``."""
    return {
        "code": code,
        "name": {"id": "Program uji", "en": "Test program"},
        "description": {"id": "Program untuk pengujian", "en": "A program for tests"},
        "owner_agency": "Dinas Sosial Kabupaten Banjarnegara",
        "level": "district",
        "service_area": ["33.04"],
        "sla_days": {"receive": 1, "decide": 2, "serve": 3},
        "contact": {"office": "Dinsos Banjarnegara"},
        "needs_served": ["housing"],
        "sources": [{"title": "tests", "url_or_reference": "program-registry tests"}],
        "versions": [
            {
                "version": 1,
                "effective_from": "2020-01-01",
                "rule": {"kind": "criterion", "name": name, "label": "Needs housing", "cel": cel},
            }
        ],
    }

"""Notifications' API refuses control characters in its parameters with a 422, never a 500."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import ApiHarness

pytestmark = pytest.mark.integration


async def test_a_nul_in_a_parameter_is_a_422_naming_it(notifications_api: ApiHarness) -> None:
    admin = notifications_api.token("admin")
    for url, params, field in [
        ("/v1/inbox", {"recipient": "puskesos:33.04.01.2001\x00"}, "recipient"),
        ("/v1/inbox", {"recipient": "puskesos:33.04.01.2001", "cursor": "\x00"}, "cursor"),
        ("/v1/templates/accepted/preview", {"language": "i\x00d"}, "language"),
    ]:
        r = await notifications_api.client.get(url, params=params, headers=admin)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in r.json()["errors"]] == [field]

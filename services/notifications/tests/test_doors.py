"""Notifications' API refuses control characters in its parameters with a 422, never a 500, and
describes every answer it gives."""

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


async def test_every_answer_has_a_named_schema_in_the_openapi(
    notifications_api: ApiHarness,
) -> None:
    """Clients generated from the OpenAPI get a type for every 2xx body, not a free object."""
    spec = (await notifications_api.client.get("/openapi.json")).json()
    answers = {
        (method.upper(), path): response["content"]["application/json"]["schema"]
        for path, operations in spec["paths"].items()
        if path.startswith("/v1/")
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status.startswith("2")
    }
    assert set(answers) == {
        ("GET", "/v1/notifications"),
        ("GET", "/v1/inbox"),
        ("GET", "/v1/templates/{status}/preview"),
        ("POST", "/v1/alerts/alertmanager"),
    }
    schemas = spec["components"]["schemas"]
    for operation, schema in answers.items():
        name = schema.get("$ref", "").removeprefix("#/components/schemas/")
        assert schemas.get(name, {}).get("properties"), (operation, schema)

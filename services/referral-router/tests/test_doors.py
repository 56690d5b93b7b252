"""The router's API refuses control characters and malformed rules with a 422 naming the field."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import uuid4

import pytest

if TYPE_CHECKING:
    from conftest import ApiHarness

pytestmark = pytest.mark.integration

CONTROL = "mengandung karakter kontrol (U+0000)"


def fields(response: object) -> dict[str, str]:
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    return {e["field"]: e["reason"] for e in body["errors"]}


async def test_a_nul_in_a_query_or_a_note_is_refused(api: ApiHarness) -> None:
    admin = api.token("admin")
    for params, field in [({"program": "PKH\x00"}, "program"), ({"region": "33\x00"}, "region")]:
        r = await api.client.get("/v1/referrals", params=params, headers=admin)
        assert fields(r)[field] == CONTROL
    r = await api.client.post(
        f"/v1/referrals/{uuid4()}/outcome",
        json={"outcome": "accepted", "note": "diterima\x00"},
        headers=admin,
    )
    assert fields(r)["note"] == CONTROL


async def test_a_replay_with_a_malformed_rule_is_refused_not_a_500(api: ApiHarness) -> None:
    r = await api.client.post(
        "/v1/replays", json={"programs": ["PKH"], "rule": {}}, headers=api.token("admin")
    )
    assert "rule" in fields(r)


async def test_a_replay_of_an_unknown_program_names_it_in_the_reason(api: ApiHarness) -> None:
    r = await api.client.post(
        "/v1/replays", json={"programs": ["PKH", "TIDAK-ADA"]}, headers=api.token("admin")
    )
    assert fields(r) == {"programs": "TIDAK-ADA tidak dikenal"}
    assert r.json()["detail"] == "programs: TIDAK-ADA tidak dikenal"


async def test_a_replay_applying_a_draft_rule_is_refused_as_a_what_if_only(
    api: ApiHarness,
) -> None:
    rule = {"kind": "criterion", "name": "x", "label": "X", "cel": "true"}
    r = await api.client.post(
        "/v1/replays",
        json={"programs": ["PKH"], "rule": rule, "apply": True},
        headers=api.token("admin"),
    )
    assert fields(r) == {
        "rule": "aturan draf memerlukan tepat satu program dan apply=false; terbitkan aturannya "
        "di registri untuk menerapkannya"
    }
    body = r.json()
    assert body["title"] == "Hanya simulasi"
    assert body["type"] == "https://rujukan.example/problems/validation"
    assert body["detail"].startswith("rule: aturan draf memerlukan tepat satu program")

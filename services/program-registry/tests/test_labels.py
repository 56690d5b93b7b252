"""Criterion labels in Bahasa Indonesia and English: explained in the caller's language, and
correctable in a published version (its criteria never change)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from .conftest import RegistryService
from .test_evaluation import context

pytestmark = pytest.mark.integration


async def _explain_pkh(registry: RegistryService, **headers: str) -> dict[str, Any]:
    r = await registry.http.post(
        "/v1/programs/PKH/explain",
        json={"context": context(decile=2, elderly_age=75)},
        headers={**registry.token(), **headers},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_explain_speaks_indonesian_unless_english_is_asked_for(
    registry: RegistryService,
) -> None:
    await registry.seed()
    plain = await _explain_pkh(registry)
    decile = next(c for c in plain["criteria"] if c["name"] == "registry_decile_1_to_4")
    assert decile["label"] == "Terdaftar di DTKS dengan desil ≤ 4 (desil 1-4, sasaran bantuan)"
    assert decile["label_en"].startswith("In the social registry with decile ≤ 4")
    assert plain["tree"]["label"] == "PKH: desil DTKS ≤ 4 dan minimal satu komponen"
    assert plain == await _explain_pkh(registry, **{"Accept-Language": "id-ID,id;q=0.9"})

    english = await _explain_pkh(registry, **{"Accept-Language": "en-GB,en;q=0.9,id;q=0.5"})
    assert [c["label"] for c in english["criteria"]] == [c["label_en"] for c in plain["criteria"]]
    assert english["tree"]["label"] == "PKH: registry decile ≤ 4 and at least one component"
    component = english["tree"]["children"][1]
    assert component["label"] == "At least one PKH component in the household"
    assert [c["passed"] for c in english["criteria"]] == [c["passed"] for c in plain["criteria"]]


async def test_a_published_versions_labels_may_be_corrected_but_not_its_criteria(
    registry: RegistryService,
) -> None:
    await registry.seed()
    r = await registry.http.get("/v1/programs/PKH", headers=registry.token())
    doc = {k: v for k, v in r.json().items() if k not in ("revision", "current_version")}
    before = await registry.count("outbox")

    # a registry seeded before labels had two languages: English in `label`, no `label_en`
    english_only = copy.deepcopy(doc)
    for version in english_only["versions"]:
        _english_only(version["rule"])
    saved = await registry.http.put(
        "/v1/programs/PKH",
        json=english_only,
        headers={**registry.token(), "If-Match": r.headers["etag"]},
    )
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] == '"2"'
    assert await registry.count("outbox") == before + 1  # republished with its new wording

    # seeding the translated catalogue over it is a correction too, not a refusal
    assert (await registry.seed())["PKH"] == "updated"
    [row] = await registry.rows("SELECT document FROM programs WHERE code = 'PKH'")
    assert row.document["versions"] == doc["versions"]

    changed = copy.deepcopy(doc)
    changed["versions"][0]["rule"]["of"][0]["cel"] = "registry.found && registry.decile <= 5"
    changed["versions"][0]["rule"]["of"][0]["label"] = "Desil ≤ 5"
    current = await registry.http.get("/v1/programs/PKH", headers=registry.token())
    refused = await registry.http.put(
        "/v1/programs/PKH",
        json=changed,
        headers={
            **registry.token(),
            "If-Match": current.headers["etag"],
            "Accept-Language": "en",
        },
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "versions[0]", "reason": "published versions never change"}
    ]


def _english_only(node: dict[str, Any]) -> None:
    node["label"] = node.pop("label_en")
    for child in node.get("of", []):
        _english_only(child)

"""HTTP request metrics keep bounded label sets: a client that invents methods adds no series."""

from __future__ import annotations

from fastapi import APIRouter
from prometheus_client import REGISTRY

from rujukan_platform.testing import client_of, open_app

ROUTE = "/v1/metric-labels-probe"


def http_series() -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every exported sample of the HTTP metrics for this test's route (name and labels)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items())))
        for family in REGISTRY.collect()
        if family.name.startswith("rujukan_http_")
        for sample in family.samples
        if sample.labels.get("route") == ROUTE
    }


async def test_a_made_up_method_adds_no_series() -> None:
    api = APIRouter()

    @api.get(ROUTE)
    async def probe() -> str:
        return "ok"

    async with client_of(open_app(api)) as c:
        assert (await c.request("BREW", ROUTE)).status_code == 405  # the first: 'other' appears
        before = http_series()
        for method in ("PROPFIND", "X-INVENTED", "brew"):
            assert (await c.request(method, ROUTE)).status_code == 405
        after = http_series()
    assert after == before
    methods = {dict(labels).get("method") for _, labels in after}
    assert methods == {"other"}
    assert not any(name.endswith("_created") for name, _ in after)

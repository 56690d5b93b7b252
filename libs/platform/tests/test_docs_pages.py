"""/docs and /redoc load Swagger UI and ReDoc from the service itself, never from a CDN."""

from __future__ import annotations

import re

import httpx
from fastapi import APIRouter
from prometheus_client import REGISTRY

from rujukan_platform.testing import client_of, open_app

#: an address with a host: http(s)://host or protocol-relative //host
ELSEWHERE = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+")
#: what the pages load: <script src>, <link href>, Swagger UI's ``url: '...'``
LOADED = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|\burl:\s*'([^']+)'""")
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".json": ("application/json",),
}


def docs_app(api: APIRouter, root_path: str = "") -> httpx.AsyncClient:
    return client_of(open_app(api, title="Catatan"), root_path=root_path)


async def test_docs_pages_load_only_what_the_service_serves(notes_api: APIRouter) -> None:
    async with docs_app(notes_api) as client:
        for page, expected in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone")):
            response = await client.get(page)
            assert response.status_code == 200 and "text/html" in response.headers["content-type"]
            html = response.text
            assert not ELSEWHERE.findall(html), (page, ELSEWHERE.findall(html))
            loaded = [a or b for a, b in LOADED.findall(html)]
            assert any(expected in url for url in loaded), (page, loaded)
            for url in loaded:
                assert url.startswith("/"), (page, url)
                asset = await client.get(url)
                assert asset.status_code == 200, (page, url, asset.status_code)
                suffix = url[url.rfind(".") :]
                kind = asset.headers["content-type"].split(";")[0]
                assert kind in CONTENT_TYPES[suffix], (url, kind)
                assert len(asset.content) > 500, (url, "empty asset")


async def test_licences_are_served_beside_the_assets_and_unknown_assets_are_404(
    notes_api: APIRouter,
) -> None:
    async with docs_app(notes_api) as client:
        for url in ("/docs/assets/swagger-ui/LICENSE", "/docs/assets/redoc/LICENSE"):
            response = await client.get(url)
            assert response.status_code == 200 and "License" in response.text, url
        assert (await client.get("/docs/assets/swagger-ui/nothing.js")).status_code == 404
        assert (await client.get("/docs/assets/redoc/%2e%2e/%2e%2e/docs.py")).status_code == 404
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert not [p for p in paths if p.startswith(("/docs", "/redoc"))]
    # counted under the mount's path, as a route template, whatever the file
    found = REGISTRY.get_sample_value(
        "rujukan_http_requests_total", {"route": "/docs/assets", "method": "GET", "status": "404"}
    )
    assert found and found >= 2  # nothing.js and the way out of the folder


async def test_behind_a_proxy_the_pages_load_from_under_its_root_path(notes_api: APIRouter) -> None:
    async with docs_app(notes_api, root_path="/intake") as client:
        for page, expected in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone")):
            html = (await client.get(page)).text
            loaded = [a or b for a, b in LOADED.findall(html)]
            assert any(expected in url for url in loaded), (page, loaded)
            assert all(url.startswith("/intake/") for url in loaded), (page, loaded)
            assert "/intake/openapi.json" in html, page

"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) with their assets served by the service itself.

FastAPI's pages load Swagger UI and ReDoc from a CDN, which a Puskesos network or an air-gapped
deployment may not reach (and which learns who reads the docs). The files are pinned in
``libs/platform/docs-assets/package-lock.json`` and copied, licences beside them, into
``static/`` at install time (``docs-assets/install.sh``, run by deploy/local/install-python.sh and
the image build); the pages point at ``/docs/assets/...`` and load nothing from elsewhere (no
Google Fonts either).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Mount
from starlette.types import Receive, Scope, Send

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = "/docs/assets"
SWAGGER_JS = f"{ASSETS}/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = f"{ASSETS}/swagger-ui/swagger-ui.css"
REDOC_JS = f"{ASSETS}/redoc/redoc.standalone.js"
FAVICON = f"{ASSETS}/swagger-ui/favicon-32x32.png"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"


class Assets(StaticFiles):
    """The asset files, which name their mount as the request's route: the HTTP metrics count
    them under ``/docs/assets`` (one series, as a route template would), not as unmatched."""

    def __init__(self) -> None:
        super().__init__(directory=STATIC, check_dir=False)
        self.mount = Mount(ASSETS, app=self, name="docs-assets")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.mount
        await super().__call__(scope, receive, send)


def install_docs(app: FastAPI) -> None:
    """Add ``/docs``, its OAuth2 redirect, ``/redoc`` and the assets they load to ``app``
    (created with ``docs_url=None, redoc_url=None``); none of them is in the OpenAPI."""
    app.router.routes.append(Assets().mount)
    for path, page in (("/docs", _swagger_ui), ("/redoc", _redoc)):
        app.add_api_route(path, _serving(app, page), include_in_schema=False)

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


Page = Callable[[FastAPI, str], HTMLResponse]


def _serving(app: FastAPI, page: Page) -> Callable[[Request], Awaitable[HTMLResponse]]:
    """The route of ``page``, whose URLs start at the request's root path (behind a proxy)."""

    async def serve(request: Request) -> HTMLResponse:
        return page(app, request.scope.get("root_path", ""))

    return serve


def _swagger_ui(app: FastAPI, root: str) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=root + (app.openapi_url or "/openapi.json"),
        title=f"{app.title} - Swagger UI",
        swagger_js_url=root + SWAGGER_JS,
        swagger_css_url=root + SWAGGER_CSS,
        swagger_favicon_url=root + FAVICON,
        oauth2_redirect_url=root + OAUTH2_REDIRECT,
        init_oauth=app.swagger_ui_init_oauth,
        swagger_ui_parameters=app.swagger_ui_parameters,
    )


def _redoc(app: FastAPI, root: str) -> HTMLResponse:
    return get_redoc_html(
        openapi_url=root + (app.openapi_url or "/openapi.json"),
        title=f"{app.title} - ReDoc",
        redoc_js_url=root + REDOC_JS,
        redoc_favicon_url=root + FAVICON,
        with_google_fonts=False,
    )

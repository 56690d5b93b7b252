"""The OpenAPI of every route behind the access check says it may answer 401, as a problem,
without each route declaring it; what a route declares itself stays."""

from __future__ import annotations

from fastapi import APIRouter

from rujukan_platform.http import create_app
from rujukan_platform.problems import PROBLEM, PROBLEM_JSON
from rujukan_platform.settings import ServiceSettings
from rujukan_platform.testing import open_to_everyone


def test_every_route_documents_the_access_check_s_401_beside_its_own_problems() -> None:
    api = APIRouter(prefix="/v1")

    @api.get("/notes")
    async def list_notes() -> list[str]:
        return []

    @api.get("/notes/{code}", responses={404: PROBLEM})
    async def read_note(code: str) -> str:
        return code

    settings = ServiceSettings(environment="test")
    app = create_app(
        settings=settings,
        title="t",
        description="t",
        routers=[api],
        policy=open_to_everyone(settings.service, api),
    )
    paths = app.openapi()["paths"]
    for path in ("/v1/notes", "/v1/notes/{code}"):
        unauthorized = paths[path]["get"]["responses"]["401"]
        assert "No valid token" in unauthorized["description"]
        assert PROBLEM_JSON in unauthorized["content"]
    assert PROBLEM_JSON in paths["/v1/notes/{code}"]["get"]["responses"]["404"]["content"]
    assert "/healthz" not in paths or "401" not in paths["/healthz"]["get"]["responses"]

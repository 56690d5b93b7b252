"""The OpenAPI of every route behind the access check says it may answer 401, as a problem,
without each route declaring it; what a route declares itself stays."""

from __future__ import annotations

from fastapi import APIRouter

from rujukan_platform.problems import PROBLEM, PROBLEM_JSON
from rujukan_platform.testing import open_app


def test_every_route_documents_the_access_check_s_401_beside_its_own_problems(
    notes_api: APIRouter,
) -> None:
    @notes_api.get("/notes/{code}", responses={404: PROBLEM})
    async def read_note(code: str) -> str:
        return code

    paths = open_app(notes_api).openapi()["paths"]
    for path in ("/v1/notes", "/v1/notes/{code}"):
        unauthorized = paths[path]["get"]["responses"]["401"]
        assert "No valid token" in unauthorized["description"]
        assert PROBLEM_JSON in unauthorized["content"]
    assert PROBLEM_JSON in paths["/v1/notes/{code}"]["get"]["responses"]["404"]["content"]
    assert "/healthz" not in paths or "401" not in paths["/healthz"]["get"]["responses"]

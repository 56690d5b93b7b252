"""Fixtures of the platform's own tests."""

from __future__ import annotations

import pytest
from fastapi import APIRouter


@pytest.fixture
def notes_api() -> APIRouter:
    """A test service's API of one route, ``GET /v1/notes`` (a test may add its own)."""
    api = APIRouter(prefix="/v1")

    @api.get("/notes")
    async def list_notes() -> list[str]:
        return []

    return api

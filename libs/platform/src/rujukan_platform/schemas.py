"""``/schemas``: the JSON Schema of every event type, served by every service.

A record names its data's schema in ``ce_dataschema`` (``urn:rujukan:schema:<ce_type>``). No
schema registry runs beside Kafka here (docs/decisions.md says why), so each service serves the
schemas of the contracts it was built with: ``GET /schemas`` lists them, ``GET
/schemas/<ce_type>`` (or the URN itself) answers one as ``application/schema+json``. An event
type names its major version (``….v1``); a change that must break is a new type, and
``make test`` holds every schema backward compatible with the last release. Public, like the
OpenAPI document: a schema says what an event looks like, never what one holds.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from rujukan_contracts.envelope import SCHEMA_URN_PREFIX, dataschema
from rujukan_contracts.events import EVENT_MODELS
from rujukan_contracts.generate import event_schema
from rujukan_platform.language import Localised
from rujukan_platform.problems import Problem

SCHEMA_JSON = "application/schema+json"


@cache
def _schema(ce_type: str) -> dict[str, Any]:
    return event_schema(ce_type)


def install_schemas(app: FastAPI) -> None:
    """Add ``GET /schemas`` and ``GET /schemas/{ce_type}`` to ``app`` (not in its OpenAPI)."""

    @app.get("/schemas", include_in_schema=False)
    async def schema_index() -> dict[str, Any]:
        return {
            "schemas": [
                {"type": t, "id": dataschema(t), "url": f"/schemas/{t}"}
                for t in sorted(EVENT_MODELS)
            ]
        }

    @app.get("/schemas/{ce_type}", include_in_schema=False)
    async def schema_of(ce_type: str) -> JSONResponse:
        ce_type = ce_type.removeprefix(SCHEMA_URN_PREFIX)
        if ce_type not in EVENT_MODELS:
            raise Problem(
                404,
                Localised("Skema tidak ditemukan", "Schema not found"),
                Localised(
                    f"tidak ada jenis peristiwa {ce_type!r}; daftarnya di /schemas",
                    f"no event type {ce_type!r}; /schemas lists them",
                ),
            )
        return JSONResponse(_schema(ce_type), media_type=SCHEMA_JSON)

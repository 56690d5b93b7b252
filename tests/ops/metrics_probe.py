"""Print one service's ``/metrics`` text after a few requests, its app built in this process.

    uv run python tests/ops/metrics_probe.py rujukan_intake

No servers: the app is built without its lifespan (no database, no broker), so what it prints is
the exposition every service serves, with the HTTP series a few requests leave (a made-up method
and an unknown path among them). tests/ops/test_metrics.py feeds it to ``promtool check metrics``.
"""

from __future__ import annotations

import asyncio
import importlib
import sys

import httpx

from rujukan_platform.runtime import Runtime, ServiceDefinition, build_app


async def exposition(definition: ServiceDefinition[object]) -> str:
    app = build_app(Runtime(definition, definition.settings_factory()))  # aiokafka wants a loop
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
        for method, path in [("GET", "/healthz"), ("MADEUP", "/healthz"), ("GET", "/nowhere")]:
            await client.request(method, path)
        return (await client.get("/metrics")).text


def main(package: str) -> None:
    definition = importlib.import_module(f"{package}.bootstrap").definition
    sys.stdout.write(asyncio.run(exposition(definition)))


if __name__ == "__main__":
    main(sys.argv[1])

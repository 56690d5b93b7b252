"""The whole platform as separate processes, for end-to-end tests.

Each service runs ``python -m <package> serve`` on a free port with its own fresh database;
Kafka and PostgreSQL are the session's real servers; a real SMTP server (aiosmtpd) catches mail.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

from rujukan_platform.auth import Principal, issue_token
from rujukan_platform.kafka import ensure_catalogue_topics
from rujukan_platform.testing import (
    Servers,
    create_database,
    drop_database,
    eventually,
    free_port,
)

REPO = Path(__file__).resolve().parents[2]
SECRET = "e2e-secret-that-is-long-enough-for-hs256-signing"
SERVICES = {
    "intake": "rujukan_intake",
    "program-registry": "rujukan_registry",
    "referral-router": "rujukan_router",
    "notifications": "rujukan_notifications",
}


class Mailbox:
    """aiosmtpd handler keeping every message received."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


@dataclass
class Platform:
    servers: Servers
    ports: dict[str, int]
    databases: dict[str, str]
    mailbox: Mailbox
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    #: settings every process gets besides the platform's own (``RUJUKAN_OIDC_ISSUERS``, ...)
    settings: dict[str, str] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def token(self, role: str, **scope: list[str]) -> dict[str, str]:
        principal = Principal(subject=f"e2e-{role}", role=role, **scope)  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {issue_token(SECRET, principal)}"}

    async def referral_to(
        self, http: httpx.AsyncClient, intake_id: str, program: str
    ) -> dict[str, Any]:
        """The intake's referral to ``program``, once the router has made it (within a minute)."""
        admin = self.token("admin")

        async def made() -> dict[str, Any] | None:
            r = await http.get(
                self.url("referral-router") + "/v1/referrals",
                params={"intake_id": intake_id},
                headers=admin,
            )
            return next((i for i in r.json()["items"] if i["program_code"] == program), None)

        found: dict[str, Any] = await eventually(made, timeout=60)
        return found

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "RUJUKAN_ENVIRONMENT": "test",
            "RUJUKAN_KAFKA_BOOTSTRAP": self.servers.kafka_bootstrap,
            "RUJUKAN_PG_URL": self.servers.pg_url,
            "RUJUKAN_AUTH_SECRET": SECRET,
            "RUJUKAN_NOTIFICATIONS_SMTP_PORT": str(self.ports["smtp"]),
            # a visit's news is gathered for a short window, then sent as one message
            "RUJUKAN_NOTIFICATIONS_VISIT_WINDOW_SECONDS": "2",
            **self.settings,
        }
        for name in SERVICES:
            prefix = "RUJUKAN_" + name.upper().replace("-", "_") + "_"
            env[prefix + "PORT"] = str(self.ports[name])
            env[prefix + "DATABASE"] = self.databases[name]
        return env

    def run(self, package: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", package, *args],
            env=self.env(),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"{package} {args} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def log_files(self) -> dict[str, Path]:
        """Each service's log (stdout and stderr), by service name."""
        return {name: self.logs / f"{name}.log" for name in SERVICES}

    def log_lines(self) -> list[str]:
        return [
            line for f in sorted(self.logs.glob("*.log")) for line in f.read_text().splitlines()
        ]


def _tail(log: Path) -> str:
    return log.read_text()[-3000:]


async def until_answering(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Wait until ``url`` answers 200 (a minute: a loaded machine starts a service slowly),
    failing at once with the process's log if it exits."""
    async with httpx.AsyncClient() as client:
        for _ in range(240):
            assert process.poll() is None, f"{log.stem} exited:\n" + _tail(log)
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.25)
    raise AssertionError(f"{log.stem} never answered {url}")


@asynccontextmanager
async def alone_on_the_broker(bootstrap: str) -> AsyncIterator[None]:
    """Hold the broker's e2e lock (a file lock, across the suite's worker processes).

    Every platform reads the catalogue's real topics in the services' own consumer groups: two
    at once on one broker split each other's partitions, and an intake one platform took in is
    routed into the other's database. The tests that run one share ``xdist_group("e2e")``; this
    keeps them apart even when grouping fails (pytest-dev/pytest-xdist#1386 silently did).
    """
    global _platform_running
    if _platform_running:
        raise RuntimeError("a second platform in this process would wait for the first: reuse it")
    name = "rujukan-e2e-" + re.sub(r"[^0-9A-Za-z]+", "_", bootstrap) + ".lock"
    with (Path(tempfile.gettempdir()) / name).open("w") as lock:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        _platform_running = True
        try:
            yield
        finally:
            _platform_running = False
            fcntl.flock(lock, fcntl.LOCK_UN)


_platform_running = False


@asynccontextmanager
async def running_platform(
    servers: Servers, logs: Path, settings: dict[str, str] | None = None
) -> AsyncIterator[Platform]:
    async with alone_on_the_broker(servers.kafka_bootstrap):
        async with _started_platform(servers, logs, settings) as platform:
            yield platform


@asynccontextmanager
async def _started_platform(
    servers: Servers, logs: Path, settings: dict[str, str] | None
) -> AsyncIterator[Platform]:
    await ensure_catalogue_topics(servers.kafka_bootstrap)
    databases = {name: await create_database(servers, prefix="e2e") for name in SERVICES}
    ports = {name: free_port() for name in SERVICES} | {"smtp": free_port()}
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=ports["smtp"])
    smtp.start()
    platform = Platform(servers, ports, databases, mailbox, logs, settings=settings or {})
    try:
        await asyncio.gather(
            *(asyncio.to_thread(platform.run, package, "migrate") for package in SERVICES.values())
        )
        platform.run("rujukan_registry", "seed")
        platform.run(
            "rujukan_intake", "load-registry", str(REPO / "services/intake/seed/registry.csv")
        )
        for name, package in SERVICES.items():
            log = (logs / f"{name}.log").open("wb")
            platform.processes[name] = subprocess.Popen(
                [sys.executable, "-m", package, "serve"],
                env=platform.env(),
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for name in SERVICES:
            await until_answering(
                platform.processes[name], platform.url(name) + "/readyz", logs / f"{name}.log"
            )
        yield platform
    finally:
        for proc in platform.processes.values():
            proc.terminate()
        for proc in platform.processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        smtp.stop()
        for db in databases.values():
            await drop_database(servers, db)

"""The workbench beside the platform, and a real browser on it: Playwright driving Debian's
Chromium (``/usr/bin/chromium``; no browser is downloaded), axe-core injected into each page
(``tools/axe``), screenshots at a phone's 360 px and a desktop's width as test artifacts
(``.local/test-artifacts/workbench/``)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, async_playwright

from rujukan_platform.testing import create_database, drop_database, free_port
from tests.e2e.platform import REPO, Platform, until_answering

CHROMIUM = "/usr/bin/chromium"
AXE = REPO / "tools/axe/node_modules/axe-core/axe.min.js"
ARTIFACTS = REPO / ".local/test-artifacts/workbench"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
#: referrals on a page of the workbench's lists: small, so that a household's history pages
PAGE_SIZE = 3
#: Playwright's waits: generous, for a loaded 2-core machine
TIMEOUT_MS = 60_000


@asynccontextmanager
async def running_workbench(
    platform: Platform, logs: Path, oidc_issuer: str | None = None
) -> AsyncIterator[str]:
    """``python -m rujukan_workbench serve`` on a free port, on the platform's services and a
    database of its own (``migrate``d), with the development sign-in on, or signing in at
    ``oidc_issuer``; yields its address."""
    port = free_port()
    database = await create_database(platform.servers, prefix="e2e")
    url = f"http://127.0.0.1:{port}"
    sign_in = {"RUJUKAN_WORKBENCH_DEV_SIGN_IN": "true"}
    if oidc_issuer:
        sign_in = {
            "RUJUKAN_WORKBENCH_OIDC_ISSUER": oidc_issuer,
            "RUJUKAN_WORKBENCH_OIDC_CLIENT_ID": "rujukan-workbench",
            "RUJUKAN_WORKBENCH_OIDC_CLIENT_SECRET": "e2e-client-secret",
            "RUJUKAN_WORKBENCH_OIDC_REDIRECT_URL": url + "/masuk/selesai",
        }
    env = (
        platform.env()
        | sign_in
        | {
            "RUJUKAN_WORKBENCH_PORT": str(port),
            "RUJUKAN_WORKBENCH_DATABASE": database,
            "RUJUKAN_WORKBENCH_PAGE_SIZE": str(PAGE_SIZE),
            # a loaded 2-core machine answers a page's call slowly, not never: a minute, not 15 s
            "RUJUKAN_WORKBENCH_UPSTREAM_TIMEOUT_SECONDS": str(TIMEOUT_MS // 1000),
            "RUJUKAN_WORKBENCH_INTAKE_URL": platform.url("intake"),
            "RUJUKAN_WORKBENCH_REGISTRY_URL": platform.url("program-registry"),
            "RUJUKAN_WORKBENCH_ROUTER_URL": platform.url("referral-router"),
            "RUJUKAN_WORKBENCH_NOTIFICATIONS_URL": platform.url("notifications"),
        }
    )
    log = logs / ("workbench-oidc.log" if oidc_issuer else "workbench.log")
    migrated = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "rujukan_workbench", "migrate"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "rujukan_workbench", "serve"],
        env=env,
        cwd=REPO,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        await until_answering(process, url + "/healthz", log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        await drop_database(platform.servers, database)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield browser
        finally:
            await browser.close()


async def new_page(browser: Browser) -> Page:
    # axe-core goes in as an inline script, which the pages' Content-Security-Policy refuses;
    # the pages' own need of it is held to their templates (services/workbench/tests)
    context = await browser.new_context(viewport=DESKTOP, bypass_csp=True)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    return await context.new_page()


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = await page.evaluate("axe.run()")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def inspect(page: Page, name: str) -> None:
    """Check the page with axe-core (0 serious or critical violations) and keep screenshots of it
    at 360 px and at a desktop's width."""
    violations = await serious_violations(page)
    assert not violations, f"{name} ({page.url}): {violations}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await page.screenshot(path=str(ARTIFACTS / f"{name}-360.png"), full_page=True)
    sideways = await page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"
    )
    assert not sideways, f"{name}: the page scrolls sideways at 360 px"
    await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    await page.screenshot(path=str(ARTIFACTS / f"{name}-desktop.png"), full_page=True)

"""schemathesis against every service's OpenAPI, with every check: no server error, and every
response as the schema says (status, content type, headers, body).

The four services run as real processes (``tests/e2e/platform.py``: their own databases with
migrations, the seeded catalogue and registry, the real broker); schemathesis's own CLI drives each
with an administrator's token, a fixed seed and a fixed number of examples per operation, so a
run is repeatable. Its JSON report gives the counts this test prints and asserts on.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rujukan_platform.testing import Servers
from tests.e2e.platform import SERVICES, Platform, running_platform

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("e2e")]

HERE = Path(__file__).resolve().parent
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SEED = 20261124
EXAMPLES = 25


def run_schemathesis(platform: Platform, service: str, reports: Path) -> dict[str, Any]:
    """One schemathesis run against one service; its JSON report (with its exit code)."""
    report = reports / f"{service}.json"
    token = platform.token("admin")["Authorization"]
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        f"{platform.url(service)}/openapi.json",
        "--checks=all",
        f"--seed={SEED}",
        f"--max-examples={EXAMPLES}",
        "--workers=1",
        f"--header=Authorization: {token}",
        "--suppress-health-check=all",
        "--report=json",
        f"--report-json-path={report}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, cwd=reports)
    (reports / f"{service}.log").write_text(done.stdout + done.stderr)
    assert report.exists(), f"schemathesis wrote no report:\n{done.stdout[-3000:]}{done.stderr}"
    data: dict[str, Any] = json.loads(report.read_text())
    data["output"] = done.stdout
    return data


def summary(service: str, report: dict[str, Any]) -> str:
    """The counts schemathesis printed, on one line, and each failure it found."""
    ops, cases, failures = report["operations"], report["test_cases"], report["failures"]
    lines = [
        f"{service}: {ops['tested']}/{ops['selected']} operations, {cases['generated']} test "
        f"cases, {cases['unique_failures']} unique failures, {len(report['errors'])} errors"
    ]
    lines += [f"  {f['code']} {f['title']} x{f['count']}: {f['operations']}" for f in failures]
    lines += [f"  error: {e['title']} x{e['count']}" for e in report["errors"]]
    return "\n".join(lines)


async def test_every_service_conforms_to_its_openapi(
    servers: Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No consumer and no relay: what schemathesis creates stays in this run's databases and
    # never reaches the shared topics (nor the consumer groups) other tests run on.
    monkeypatch.setenv("RUJUKAN_RUN_CONSUMERS", "none")
    monkeypatch.setenv("RUJUKAN_RUN_RELAY", "false")
    async with running_platform(servers, tmp_path) as platform:
        out = tmp_path / "schemathesis"  # beside the services' own logs, not over them
        out.mkdir()
        reports = await asyncio.gather(
            *(asyncio.to_thread(run_schemathesis, platform, s, out) for s in SERVICES)
        )
    text = "\n".join(summary(s, r) for s, r in zip(SERVICES, reports, strict=True))
    print(f"\nschemathesis (seed {SEED}, {EXAMPLES} examples per operation, every check):\n{text}")
    failed = [s for s, r in zip(SERVICES, reports, strict=True) if r["exit_code"] != 0]
    assert not failed, f"{text}\n\n" + "\n".join(
        r["output"][-4000:] for s, r in zip(SERVICES, reports, strict=True) if s in failed
    )

"""Each service's ``/metrics`` passes ``promtool check metrics`` and keeps its label sets bounded.

promtool is Debian's (package prometheus, installed by deploy/local/install-system.sh). Each
service runs in its own process (tests/ops/metrics_probe.py) so its exposition is its own.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("metrics_probe.py")
SERVICES = ["rujukan_intake", "rujukan_registry", "rujukan_router", "rujukan_notifications"]
STANDARD_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool missing: bash deploy/local/install-system.sh installs it"
    return found


@pytest.mark.parametrize("package", SERVICES)
def test_metrics_pass_promtool_with_bounded_methods_and_no_created_series(
    package: str, promtool: str
) -> None:
    probe = subprocess.run(
        [sys.executable, str(PROBE), package], capture_output=True, text=True, timeout=120
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    text = probe.stdout
    assert "rujukan_http_requests_total{" in text, "the probe's requests left no series"
    check = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert not re.findall(r"^\w+_created\b", text, re.M), "a _created series is exported"
    methods = set(re.findall(r'^rujukan_http_\w+\{[^}]*\bmethod="([^"]*)"', text, re.M))
    assert "other" in methods and methods <= STANDARD_METHODS | {"other"}, methods

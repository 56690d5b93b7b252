"""Each service's ``/metrics`` passes ``promtool check metrics`` and keeps its label sets bounded.

promtool is Debian's (package prometheus, installed by deploy/local/install-system.sh). Each
service runs in its own process (tests/ops/metrics_probe.py) so its exposition is its own.
"""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.metrics import MetricWrapperBase

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


#: every label a Rujukan metric may carry, and the closed set its values come from; a new label
#: is added here only with the reason its values stay few
BOUNDED_LABELS = {
    "route": "route templates of the app (rujukan_platform.http), never raw paths",
    "method": "the standard HTTP methods, 'other' for the rest",
    "status": "HTTP status codes, or the referral lifecycle's statuses",
    "consumer": "consumer names written in the services' code",
    "topic": "topics of the catalogue: fixed names and referrals.<program code>[.outcomes]",
    "partition": "the partitions of those topics",
    "result": "processed, duplicate, dlq / a delivery's result",
    "task": "background task names written in code",
    "program": "program codes of the catalogue",
    "province": "the 38 province codes",
    "kind": "single or batch intake",
    "channel": "notification channels",
    "outcome": "a delivery attempt's outcome",
    "provider": "configured notification providers",
    "reason": "reasons written in code",
    "escalated_to": "the escalation chain's roles",
}


def test_every_metric_label_comes_from_a_closed_set() -> None:
    """A label that could take a NIK, a raw path or any client's string grows without bound."""
    modules = ["rujukan_platform.metrics"] + [
        f"{package}.metrics" for package in SERVICES if package != "rujukan_registry"
    ]
    seen: dict[str, set[str]] = {}
    for name in modules:
        for value in vars(importlib.import_module(name)).values():
            if isinstance(value, MetricWrapperBase):
                seen[value._name] = set(value._labelnames)
    assert len(seen) > 20, seen
    for metric, labels in seen.items():
        assert labels <= BOUNDED_LABELS.keys(), (metric, labels - BOUNDED_LABELS.keys())

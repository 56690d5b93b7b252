"""Dashboards and alert rules: structure, metric names, runbooks (no servers needed).

The live half — every dashboard query and alert expression against a Prometheus scraping the
running platform — is tests/ops/live_check.py, run by deploy/ops-check.sh; set
RUJUKAN_OPS_PROMETHEUS_URL to run it from pytest against a Prometheus you started.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "deploy" / "grafana"
PROMETHEUS = REPO / "deploy" / "prometheus"
METRICS_PY = REPO / "libs" / "platform" / "src" / "rujukan_platform" / "metrics.py"
SLA_PLACEHOLDER = "rujukan_router_sla_breaches_total"


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = load(GRAFANA / "build_dashboards.py", "build_dashboards")


def platform_metrics() -> set[str]:
    """Names exported today by the platform's and the services' metrics modules, with the
    suffixes Prometheus adds."""
    modules = [METRICS_PY, *(REPO / "services").glob("*/src/*/metrics.py")]
    names = {n for m in modules for n in re.findall(r'"(rujukan_[a-z0-9_]+)"', m.read_text())}
    names |= {n.removesuffix("_total") for n in names}  # counters are declared with or without
    out = set()
    for n in names:
        out |= {n, f"{n}_total", f"{n}_bucket", f"{n}_count", f"{n}_sum"}
    return out


def expr_metrics(expr: str) -> set[str]:
    return set(re.findall(r"\b(rujukan_[a-z0-9_]+)", expr))


def dashboards() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))]


def alert_rules() -> list[dict]:
    rules = []
    for path in sorted((PROMETHEUS / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules += [r for r in group["rules"] if "alert" in r]
    return rules


def test_committed_dashboards_are_generated() -> None:
    for name, text in BUILD.render().items():
        assert (GRAFANA / "dashboards" / name).read_text() == text, f"{name}: re-run the builder"


def test_four_dashboards_with_unique_uids_and_panel_ids() -> None:
    boards = dashboards()
    assert {b["uid"] for b in boards} == {
        "rujukan-overview",
        "rujukan-programs",
        "rujukan-regions",
        "rujukan-internals",
    }
    for board in boards:
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), board["uid"]
        for panel in board["panels"]:
            pos = panel["gridPos"]
            assert 0 <= pos["x"] and pos["x"] + pos["w"] <= 24, (board["uid"], panel["title"])


def test_panels_read_the_datasource_variable_whose_default_is_provisioned() -> None:
    """No hard-coded uid: every panel, query and query variable reads ``$datasource``, a
    Prometheus datasource variable that starts on the provisioned one."""
    provisioned = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    uids = {d["uid"] for d in provisioned}
    variable = {"type": "prometheus", "uid": "${datasource}"}
    for board in dashboards():
        variables = board["templating"]["list"]
        (datasource,) = [v for v in variables if v["type"] == "datasource"]
        assert datasource["name"] == "datasource" and datasource["query"] == "prometheus"
        assert datasource["current"]["value"] in uids, board["uid"]
        for query in (v for v in variables if v["type"] == "query"):
            assert query["datasource"] == variable, (board["uid"], query["name"])
        for panel in board["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"] == variable, panel["title"]
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                assert target["datasource"] == variable and target["expr"].strip()
    assert "rujukan-prometheus" not in json.dumps([p for b in dashboards() for p in b["panels"]]), (
        "a panel names the datasource's uid"
    )


def test_dashboard_metrics_exist_or_are_declared_future() -> None:
    known = platform_metrics()
    for board in dashboards():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                unknown = expr_metrics(target["expr"]) - known - set(BUILD.FUTURE_METRICS)
                assert not unknown, (board["uid"], panel["title"], unknown)
                future = expr_metrics(target["expr"]) & set(BUILD.FUTURE_METRICS)
                if future:
                    assert "Needs future metric" in panel["description"], panel["title"]


def declared_labels() -> dict[str, set[str]]:
    """metric -> labels, from every metrics module (platform and services) and FUTURE_METRICS."""
    labels: dict[str, set[str]] = {}
    for name, text in BUILD.FUTURE_METRICS.items():
        found = re.search(r"\{([^}]*)\}", text)
        labels[name] = {x.strip() for x in found.group(1).split(",")} if found else set()
    modules = [METRICS_PY, *(REPO / "services").glob("*/src/*/metrics.py")]
    for module in modules:  # services' modules override the declared future labels
        for chunk in re.split(r"=\s*(?:Counter|Gauge|Histogram|Summary)\(", module.read_text())[1:]:
            name = re.search(r'"(rujukan_[a-z0-9_]+)"', chunk)
            if not name:
                continue
            body = chunk.split("\n)\n")[0] if "\n)\n" in chunk else chunk.split(")\n")[0]
            found = re.search(r"\[([^\]]*)\]", body)
            names = set(re.findall(r'"([a-z_]+)"', found.group(1))) if found else set()
            base = name.group(1).removesuffix("_total")
            for suffix in ("", "_total", "_bucket", "_count", "_sum"):
                labels[base + suffix] = names
    return labels


def used_labels(expr: str) -> tuple[set[str], set[str]]:
    """(metrics, labels in their selectors and in by/without clauses)."""
    metrics = set(re.findall(r"\b(rujukan_[a-z0-9_]+)", expr))
    labels = set()
    for selector in re.findall(r"rujukan_[a-z0-9_]+\{([^}]*)\}", expr):
        labels |= set(re.findall(r"([a-z_]+)\s*[=!]~?", selector))
    for clause in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
        labels |= {x.strip() for x in clause.split(",") if x.strip()}
    return metrics, labels


def test_queries_use_only_labels_the_metrics_have() -> None:
    """Catches a dashboard grouping by a label its metric does not carry (a silent empty panel)."""
    declared = declared_labels()
    added_by_prometheus = {"service", "instance", "job", "le"}
    exprs = [
        (b["uid"] + " / " + p["title"], t["expr"])
        for b in dashboards()
        for p in b["panels"]
        for t in p.get("targets", [])
    ]
    exprs += [(r["alert"], r["expr"]) for r in alert_rules()]
    for where, expr in exprs:
        metrics, labels = used_labels(expr)
        if not metrics or any(m not in declared for m in metrics):
            continue
        allowed = set().union(*(declared[m] for m in metrics)) | added_by_prometheus
        assert labels <= allowed, (where, labels - allowed)


def test_dashboard_provider_path_matches_compose_mount() -> None:
    provider = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "rujukan.yml").read_text()
    )["providers"][0]
    compose = (REPO / "deploy" / "compose" / "docker-compose.yml").read_text()
    assert f"../grafana/dashboards:{provider['options']['path']}:ro" in compose


def test_every_alert_has_severity_runbook_and_a_unit_test() -> None:
    runbook = (PROMETHEUS / "RUNBOOK.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", runbook, re.M)
    }
    tests = (PROMETHEUS / "rules.test.yml").read_text()
    rules = alert_rules()
    assert {r["alert"] for r in rules} >= {
        "RujukanServiceDown",
        "RujukanConsumerLagGrowing",
        "RujukanOutboxStuck",
        "RujukanDeadLetters",
        "RujukanHighHTTP5xxRate",
        "RujukanSLABreachesRising",
    }
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        link = re.search(r"RUNBOOK\.md#([a-z0-9-]+)", rule["annotations"]["runbook"])
        assert link and link.group(1) in anchors, rule["alert"]
        assert f"alertname: {rule['alert']}\n" in tests, f"no promtool test for {rule['alert']}"


def test_alert_metrics_exist_except_the_sla_placeholder() -> None:
    known = platform_metrics() | {SLA_PLACEHOLDER}
    for rule in alert_rules():
        assert not expr_metrics(rule["expr"]) - known, rule["alert"]


def test_local_targets_match_the_services_ports() -> None:
    targets = yaml.safe_load((PROMETHEUS / "targets" / "local.yml").read_text())
    by_service = {t["labels"]["service"]: t["targets"][0] for t in targets}
    services = sorted((REPO / "services").glob("*/src/*/settings.py"))
    for settings in services:
        text = settings.read_text()
        service = re.search(r'service: str = "([^"]+)"', text)
        port = re.search(r"port: int = (\d+)", text)
        if service and port:
            assert by_service[service.group(1)] == f"127.0.0.1:{port.group(1)}"
    assert len(by_service) == len(services) == 5  # the four services and the workbench


@pytest.mark.skipif(
    not os.environ.get("RUJUKAN_OPS_PROMETHEUS_URL"),
    reason="live: set RUJUKAN_OPS_PROMETHEUS_URL (deploy/ops-check.sh does it all)",
)
def test_live_dashboards_and_alerts() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("live_check.py")),
            "--prometheus",
            os.environ["RUJUKAN_OPS_PROMETHEUS_URL"],
            "--no-poison",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

"""Prove the dashboards and alerts against the REAL running platform.

Run by deploy/ops-check.sh (which starts Prometheus first); usable alone:

    uv run python tests/ops/live_check.py --prometheus http://127.0.0.1:19090 [--no-poison]

1. drives traffic through the running services (the README's "Try the loop"): the example
   intake, its referrals, one outcome through the router's HTTP API and one as an agency on
   referrals.<CODE>.outcomes (a CloudEvent), the resident's notifications; and, unless
   --no-poison, one unreadable record on intake.submitted so the consumers dead-letter it;
2. waits until Prometheus has scraped the four services after the traffic;
3. runs every target expression of every dashboard in deploy/grafana/dashboards/ (Grafana
   variables replaced: $__rate_interval, $__range, $service/$program/$province = all) and
   requires data, except for panels whose metric is listed in FUTURE_METRICS of
   build_dashboards.py ("needs future metric": they must evaluate, data optional);
4. evaluates every alert expression of deploy/prometheus/rules/*.yml (must not error) and
   checks the rule health Prometheus reports after evaluating them;
5. with the poison record, checks that RujukanDeadLetters is firing.

Exit 0 when everything holds; prints a report either way (and writes it as JSON with --report).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = REPO / "deploy" / "grafana" / "dashboards"
RULES = REPO / "deploy" / "prometheus" / "rules"
SERVICES = {
    "intake": 8001,
    "program-registry": 8002,
    "referral-router": 8003,
    "notifications": 8004,
}
SUBSTITUTIONS = {"$__rate_interval": "1m", "$__range": "15m", "$__interval": "15s"}


def future_metrics() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location(
        "build_dashboards", REPO / "deploy" / "grafana" / "build_dashboards.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.FUTURE_METRICS)


def grafana_to_promql(expr: str) -> str:
    for var, value in SUBSTITUTIONS.items():
        expr = expr.replace(var, value)
    return re.sub(r"\$\{?(service|program|province)\}?", ".*", expr)


def dashboard_queries() -> list[dict[str, str]]:
    queries = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                queries.append(
                    {
                        "dashboard": board["uid"],
                        "panel": panel["title"],
                        "ref": target["refId"],
                        "expr": target["expr"],
                    }
                )
    return queries


def alert_rules() -> list[dict[str, str]]:
    rules = []
    for path in sorted(RULES.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    rules.append(
                        {"group": group["name"], "alert": rule["alert"], "expr": rule["expr"]}
                    )
    return rules


# -- HTTP ---------------------------------------------------------------------------------------
def http(
    method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 30
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return status, raw.decode(errors="replace")


def prom_query(prom: str, expr: str) -> tuple[str | None, list[dict[str, Any]]]:
    url = f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    status, body = http("GET", url)
    if status != 200 or not isinstance(body, dict) or body.get("status") != "success":
        error = body.get("error") if isinstance(body, dict) else body
        return f"HTTP {status}: {error}", []
    return None, body["data"]["result"]


# -- traffic ------------------------------------------------------------------------------------
def admin_token() -> str:
    state = Path(os.environ.get("RUJUKAN_STATE_DIR", REPO / ".local"))
    token_file = state / "admin.token"
    if token_file.exists():
        return token_file.read_text().strip()
    import subprocess

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "rujukan_platform",
            "token",
            "issue",
            "--role",
            "admin",
            "--subject",
            "ops-check",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def post_intake(
    host: str, token: str, body: dict[str, Any], what: str, log: list[str]
) -> list[dict[str, Any]]:
    status, answer = http("POST", f"http://{host}:8001/v1/intakes", body, token)
    if status >= 300:
        raise SystemExit(f"traffic: POST /v1/intakes ({what}) answered {status}: {answer}")
    intake_id = answer["intake_id"]
    referrals: list[dict[str, Any]] = []
    for _ in range(60):
        status, found = http(
            "GET", f"http://{host}:8003/v1/referrals?intake_id={intake_id}", token=token
        )
        referrals = found.get("items", []) if status == 200 and isinstance(found, dict) else []
        if referrals:
            break
        time.sleep(0.5)
    log.append(
        f"traffic: {what} intake {intake_id} ({status}, duplicate="
        f"{answer.get('duplicate')}) -> {len(referrals)} referrals "
        f"({', '.join(r['program_code'] + ':' + r['status'] for r in referrals)})"
    )
    http("GET", f"http://{host}:8001/v1/intakes/{intake_id}", token=token)
    return referrals


def drive_traffic(host: str, log: list[str]) -> None:
    import random

    from rujukan_intake.domain.intake import EXAMPLE_INTAKE
    from rujukan_intake.synthetic import household

    token = admin_token()
    # The README's example household (a duplicate after the first run: same referrals), and a
    # fresh synthetic one (valid NIK/KK, never a real person) so every run has open referrals.
    referrals = post_intake(host, token, EXAMPLE_INTAKE, "example", log)
    index = int(time.time() * 1000) % 10**9
    fresh = household(index, random.Random(index))
    # told by e-mail, so notifications.dispatched and the delivery panels get data at once
    fresh["consent"]["purposes"] = ["referral", "notification"]
    fresh["contact"] = {"language": "id", "email": "warga.sintetis@example.org"}
    referrals = post_intake(host, token, fresh, "synthetic", log) + referrals
    open_ones = [r for r in referrals if r["status"] in ("created", "delivered")]
    if len(open_ones) > 1:
        agency_outcome(open_ones[1], log)
    if open_ones:
        ref = open_ones[0]
        status, body = http(
            "POST",
            f"http://{host}:8003/v1/referrals/{ref['referral_id']}/outcome",
            {"outcome": "accepted"},
            token,
        )
        log.append(
            f"traffic: outcome 'accepted' for {ref['program_code']} through the HTTP "
            f"API -> {status}"
        )
        # the resident's one message for the visit goes out after the visit window (make up's
        # default 60 s; ops-check --up sets 2 s): wait for it, so the delivery panels have data
        deadline, count, status = time.monotonic() + 90, 0, 0
        while time.monotonic() < deadline:
            status, body = http(
                "GET",
                f"http://{host}:8004/v1/notifications?referral_id={ref['referral_id']}",
                token=token,
            )
            count = len(body.get("items", [])) if isinstance(body, dict) else 0
            if count:
                break
            time.sleep(1.0)
        log.append(f"traffic: notifications for that referral -> {status}, {count} items")
    else:
        log.append("traffic: no open referral to answer (outcome panels may be empty)")
    for port in SERVICES.values():
        http("GET", f"http://{host}:{port}/healthz")
    http("GET", f"http://{host}:8002/v1/programs", token=token)


BOOTSTRAP = os.environ.get("RUJUKAN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


def as_principal(name: str) -> dict[str, Any]:
    """Client options as Kafka principal ``name``, with the credentials `make up` wrote for it
    (none with KAFKA_AUTH=none: PLAINTEXT)."""
    from rujukan_platform.kafka import principal_options

    folder = subprocess.run(
        ["bash", str(REPO / "deploy" / "local" / "kafka.sh"), "credentials"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    env_file = Path(folder) / f"{name}.env"
    return principal_options(env_file) if env_file.exists() else {}


def send(
    topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]], principal: str
) -> None:
    import asyncio

    from aiokafka import AIOKafkaProducer

    async def run() -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=BOOTSTRAP, acks="all", **as_principal(principal)
        )
        await producer.start()
        try:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
        finally:
            await producer.stop()

    asyncio.run(run())


def agency_outcome(referral: dict[str, Any], log: list[str]) -> None:
    """As an agency with a Kafka client would: a `received` outcome on its program's own
    outcome topic (no credential in the record: the broker knows who writes)."""
    from datetime import UTC, datetime

    from rujukan_contracts.envelope import EventMeta
    from rujukan_contracts.topics import agency_principal, outcomes_topic

    meta = EventMeta(
        type="rujukan.referral.outcome.v1",
        source="/agency/ops-check",
        subject=referral["referral_id"],
    )
    data = {
        "referral_id": referral["referral_id"],
        "program_code": referral["program_code"],
        "outcome": "received",
        "reason_code": None,
        "note": "ops-check",
        "reported_at": datetime.now(UTC).isoformat(),
        "reported_by": "agency:ops-check",
    }
    topic = outcomes_topic(referral["program_code"])
    key, value = referral["referral_id"].encode(), json.dumps(data).encode()
    send(topic, key, value, meta.to_headers(), agency_principal(referral["program_code"]))
    log.append(f"traffic: agency outcome 'received' for {referral['program_code']} sent to {topic}")


def poison(bootstrap: str, log: list[str]) -> None:
    """One record without CloudEvents headers on intake.submitted: every consumer DLQs it."""
    send("intake.submitted", b"ops-check", b"ops-check: not an event", [], "admin")
    log.append("traffic: one unreadable record sent to intake.submitted (expect DLQ)")


# -- waiting ------------------------------------------------------------------------------------
def wait_for_scrapes(prom: str, since: float, timeout: float, log: list[str]) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, body = http("GET", f"{prom}/api/v1/targets?state=active")
        targets = body["data"]["activeTargets"] if status == 200 else []
        fresh = [
            t
            for t in targets
            if t["labels"].get("job") == "rujukan"
            and t["health"] == "up"
            and _ts(t.get("lastScrape", "")) > since
        ]
        if len(fresh) >= len(SERVICES):
            log.append(f"prometheus: {len(fresh)} targets up and scraped after the traffic")
            return
        time.sleep(1)
    down = [(t["labels"].get("service"), t["health"], t.get("lastError")) for t in targets]
    raise SystemExit(f"prometheus: targets not all scraped in time: {down}")


def _ts(value: str) -> float:
    """Prometheus' RFC 3339 timestamps (nanoseconds) as epoch seconds."""
    from datetime import datetime

    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", value)
    if not m:
        return 0.0
    frac = (m.group(2) or ".0")[:7]
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(m.group(1) + frac + zone).timestamp()


# -- checks -------------------------------------------------------------------------------------
def describe(result: list[dict[str, Any]]) -> str:
    if not result:
        return "no data"
    values = []
    for series in result[:3]:
        raw = series.get("value", [0, "NaN"])[1]
        try:
            number = float(raw)
            values.append("NaN" if math.isnan(number) else f"{number:.4g}")
        except ValueError:
            values.append(raw)
    more = f" (+{len(result) - 3})" if len(result) > 3 else ""
    return f"{len(result)} series: {', '.join(values)}{more}"


def check_dashboards(prom: str, report: dict[str, Any]) -> list[str]:
    future = future_metrics()
    failures = []
    for q in dashboard_queries():
        expr = grafana_to_promql(q["expr"])
        error, result = prom_query(prom, expr)
        needs = sorted(m for m in future if m in q["expr"])
        row = {
            **q,
            "promql": expr,
            "error": error,
            "series": len(result),
            "needs_future_metric": needs,
            "sample": describe(result),
        }
        report["panels"].append(row)
        if error:
            failures.append(f"{q['dashboard']} / {q['panel']} [{q['ref']}]: {error}")
        elif not result and not needs:
            failures.append(f"{q['dashboard']} / {q['panel']} [{q['ref']}]: no data")
    return failures


def check_alerts(prom: str, report: dict[str, Any]) -> list[str]:
    failures = []
    for rule in alert_rules():
        error, result = prom_query(prom, rule["expr"])
        report["alerts"].append({**rule, "error": error, "series": len(result)})
        if error:
            failures.append(f"alert {rule['alert']}: {error}")
    _status, body = http("GET", f"{prom}/api/v1/rules")
    loaded = {r["name"]: r for g in body["data"]["groups"] for r in g["rules"]}
    for rule in alert_rules():
        got = loaded.get(rule["alert"])
        if got is None:
            failures.append(f"alert {rule['alert']}: not loaded by Prometheus")
        elif got.get("health") != "ok":
            failures.append(
                f"alert {rule['alert']}: health {got.get('health')} {got.get('lastError', '')}"
            )
    report["rule_health"] = {name: r.get("health") for name, r in loaded.items()}
    report["firing"] = sorted({r["name"] for r in loaded.values() if r.get("state") == "firing"})
    return failures


def wait_rules_evaluated(prom: str, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, body = http("GET", f"{prom}/api/v1/rules")
        rules = [r for g in body["data"]["groups"] for r in g["rules"]] if status == 200 else []
        if rules and all(r.get("health") in ("ok", "err") for r in rules):
            return
        time.sleep(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prometheus", default="http://127.0.0.1:19090")
    parser.add_argument("--host", default="127.0.0.1", help="where the services listen")
    parser.add_argument(
        "--bootstrap", default=os.environ.get("RUJUKAN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    )
    parser.add_argument("--no-poison", action="store_true", help="send no unreadable record")
    parser.add_argument("--report", type=Path, help="write the report as JSON here")
    args = parser.parse_args()
    prom = args.prometheus.rstrip("/")
    global BOOTSTRAP
    BOOTSTRAP = args.bootstrap

    log: list[str] = []
    started = time.time()
    drive_traffic(args.host, log)
    if not args.no_poison:
        poison(args.bootstrap, log)
        time.sleep(2)
    traffic_done = time.time()
    wait_for_scrapes(prom, traffic_done, 60, log)
    time.sleep(5)  # two more scrapes (2 s interval): rate() has samples after the traffic
    wait_rules_evaluated(prom, 30)

    report: dict[str, Any] = {"panels": [], "alerts": []}
    failures = check_dashboards(prom, report) + check_alerts(prom, report)
    if not args.no_poison and "RujukanDeadLetters" not in report["firing"]:
        failures.append("RujukanDeadLetters is not firing after the unreadable record")

    print("\n".join(log))
    with_data = [p for p in report["panels"] if p["series"]]
    future = [p for p in report["panels"] if not p["series"] and p["needs_future_metric"]]
    print(
        f"\npanel queries: {len(report['panels'])}; with data: {len(with_data)}; "
        f"no data, needs future metric: {len(future)}; errors/missing: "
        f"{sum(1 for f in failures if 'alert' not in f)}"
    )
    for p in report["panels"]:
        tag = "DATA  " if p["series"] else ("FUTURE" if p["needs_future_metric"] else "EMPTY ")
        extra = f" needs {', '.join(p['needs_future_metric'])}" if p["needs_future_metric"] else ""
        print(f"  {tag} {p['dashboard']:<18} {p['panel'][:52]:<52} {p['sample']}{extra}")
    print(
        f"\nalert expressions: {len(report['alerts'])} evaluated, "
        f"{sum(1 for a in report['alerts'] if a['error'])} errors; rule health: "
        f"{sorted(set(report['rule_health'].values()))}; firing now: {report['firing'] or 'none'}"
    )
    for a in report["alerts"]:
        print(
            f"  {a['alert']:<30} {'ERROR ' + str(a['error']) if a['error'] else 'ok'}"
            f" ({a['series']} series now)"
        )
    unmatched = prom_query(prom, 'sum(rujukan_http_requests_total{route="unmatched"})')[1]
    if unmatched and float(unmatched[0]["value"][1]) > 0:
        print(
            '\nwarning: HTTP requests labelled route="unmatched": '
            f"{unmatched[0]['value'][1]} (the per-route panels cannot split them)"
        )
    if args.report:
        report["log"] = log
        report["failures"] = failures
        args.report.write_text(json.dumps(report, indent=2))
    print(f"\nlive check: {'FAILED' if failures else 'passed'} in {time.time() - started:.0f}s")
    for f in failures:
        print(f"  FAIL {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

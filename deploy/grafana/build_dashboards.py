#!/usr/bin/env python3
"""Generate Rujukan's Grafana dashboards (deploy/grafana/dashboards/*.json) from one description.

    uv run python deploy/grafana/build_dashboards.py          # (re)write the JSON
    uv run python deploy/grafana/build_dashboards.py --check  # exit 1 if stale

Built with grafana-foundation-sdk, Grafana's own typed builders (a dev dependency), so the JSON is
the shape Grafana reads and this file says only what differs between panels. Every panel reads
the dashboard's ``datasource`` variable (any Prometheus: the provisioned one is the default), not
a hard-coded uid. Metric names are those of libs/platform/src/rujukan_platform/metrics.py plus
the `service` label that Prometheus adds per target (deploy/prometheus/targets/). Every metric a
panel reads is exported today; a panel added before its metric names it in FUTURE_METRICS (empty
now) and says so in its description ("Needs future metric: ..."), and deploy/ops-check.sh
accepts no data only from those.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import common, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as options
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

OUT = Path(__file__).resolve().parent / "dashboards"
#: the datasource Grafana is provisioned with (provisioning/datasources/prometheus.yml): the
#: default of every dashboard's ``datasource`` variable
PROVISIONED = ("Prometheus", "rujukan-prometheus")
DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")

#: Metrics a dashboard may use before a service exports them, with the labels it relies on;
#: panels using them may show no data and the live check accepts that. Empty: every metric the
#: dashboards use is exported by libs/platform or services/*/metrics.py.
FUTURE_METRICS: dict[str, str] = {}  # every metric the dashboards use is exported today

# Program topics are referrals.<CODE>, codes upper case (services/program-registry/seed/programs).
PROGRAM_TOPICS = 'topic=~"referrals\\\\.[A-Z][A-Z0-9_-]*"'
OUTCOME_TOPICS = 'topic=~"referrals\\\\.[A-Z][A-Z0-9_-]*\\\\.outcomes"'
RI = "$__rate_interval"
Targets = list[tuple[str, str]]


class Board:
    """One dashboard: rows and panels in reading order, laid out by the SDK (24 columns), each
    panel numbered and reading the ``datasource`` variable."""

    def __init__(self, uid: str, title: str, description: str, tags: list[str]) -> None:
        name, uid_ = PROVISIONED
        self.builder = (
            builders.Dashboard(title)
            .uid(uid)
            .description(description)
            .tags(["rujukan", *tags])
            .editable()
            .tooltip(model.DashboardCursorSync.CROSSHAIR)
            .version(1)
            .refresh("30s")
            .time("now-6h", "now")
            .timezone("browser")
            .link(
                builders.DashboardLink("Rujukan")
                .type(model.DashboardLinkType.DASHBOARDS)
                .tags(["rujukan"])
                .as_dropdown(True)
            )
            .with_variable(
                builders.DatasourceVariable("datasource")
                .label("Data source")
                .type("prometheus")
                .current(model.VariableOption(selected=True, text=name, value=uid_))
            )
        )
        self._id = 0

    def _next_id(self) -> int:
        self._id += 1
        return self._id

    def row(self, title: str) -> None:
        self.builder.with_row(builders.Row(title).id(self._next_id()))

    def panel(
        self,
        kind: str,
        title: str,
        targets: Targets,
        *,
        unit: str = "short",
        description: str = "",
        w: int = 8,
        h: int = 8,
        stack: bool = False,
        thresholds: list[tuple[str, float | None]] | None = None,
        instant: bool = False,
    ) -> None:
        future = sorted({m for m in FUTURE_METRICS for expr, _ in targets if m in expr})
        if future:
            note = "Needs future metric: " + ", ".join(f"{m} ({FUTURE_METRICS[m]})" for m in future)
            description = f"{description} {note}".strip()
        panel: Any = {"timeseries": timeseries.Panel, "stat": stat.Panel, "table": table.Panel}[
            kind
        ]()
        panel.id(self._next_id()).title(title).description(description).datasource(DATASOURCE)
        panel.span(w).height(h).unit(unit)
        steps = [
            model.Threshold(color=color, value=value)
            for color, value in (thresholds or [("green", None), ("red", 80)])
        ]
        panel.thresholds(
            builders.ThresholdsConfig().mode(model.ThresholdsMode.ABSOLUTE).steps(steps)
        )
        for i, (expr, legend) in enumerate(targets):
            query = (
                prometheus.Dataquery()
                .ref_id(chr(ord("A") + i))
                .datasource(DATASOURCE)
                .expr(expr)
                .legend_format(legend)
            )
            query = query.instant() if instant else query.range()
            if kind == "table":
                query.format(PromQueryFormat.TABLE)
            panel.with_target(query)
        if kind == "timeseries":
            (
                panel.draw_style(options.GraphDrawStyle.LINE)
                .line_width(1)
                .fill_opacity(10)
                .show_points(options.VisibilityMode.NEVER)
                .span_nulls(True)
                .stacking(
                    common.StackingConfig()
                    .mode(options.StackingMode.NORMAL if stack else options.StackingMode.NONE)
                    .group("A")
                )
                .legend(
                    common.VizLegendOptions()
                    .display_mode(options.LegendDisplayMode.LIST)
                    .placement(options.LegendPlacement.BOTTOM)
                    .show_legend(True)
                )
                .tooltip(
                    common.VizTooltipOptions()
                    .mode(options.TooltipDisplayMode.MULTI)
                    .sort(options.SortOrder.DESCENDING)
                )
            )
        elif kind == "stat":
            (
                panel.reduce_options(
                    common.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False)
                )
                .color_mode(options.BigValueColorMode.VALUE)
                .graph_mode(options.BigValueGraphMode.AREA)
                .text_mode(options.BigValueTextMode.AUTO)
            )
        elif kind == "table":
            panel.show_header(True).with_transformation(
                model.DataTransformerConfig(id_val="merge", options={})
            )
        self.builder.with_panel(panel)

    def ts(self, title: str, targets: Targets, **kw: Any) -> None:
        self.panel("timeseries", title, targets, **kw)

    def stat(self, title: str, targets: Targets, **kw: Any) -> None:
        kw.setdefault("w", 6)
        kw.setdefault("h", 5)
        self.panel("stat", title, targets, **kw)

    def query_var(self, name: str, label: str, query: str, regex: str = "") -> None:
        self.builder.with_variable(
            builders.QueryVariable(name)
            .label(label)
            .datasource(DATASOURCE)
            .query({"query": query, "refId": f"var-{name}"})
            .regex(regex)
            .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .include_all(True)
            .multi(True)
            .all_value(".*")
            .current(model.VariableOption(selected=True, text=["All"], value=["$__all"]))
            .sort(model.VariableSort.ALPHABETICAL_ASC)
        )

    def json(self) -> str:
        return json.dumps(self.builder.build(), cls=JSONEncoder, indent=2) + "\n"


def rate(metric: str, sel: str = "", by: str = "") -> str:
    group = f" by ({by})" if by else ""
    return f"sum{group} (rate({metric}{{{sel}}}[{RI}]))"


def zero_if_none(expr: str, like: str) -> str:
    """``expr``, or 0 for every series of ``like`` when ``expr`` has none (no errors is 0)."""
    return f"({expr}) or (0 * {like})"


# ---------------------------------------------------------------------------------------------
def overview() -> Board:
    b = Board(
        "rujukan-overview",
        "Rujukan / Platform overview",
        "The flow from intake to referral to outcome, errors and consumer lag.",
        ["overview"],
    )
    b.row("Services")
    b.stat(
        "Services up",
        [('sum(up{job="rujukan"})', "up")],
        unit="none",
        thresholds=[("red", None), ("orange", 3), ("green", 4)],
        description="Targets answering /metrics (4 expected).",
    )
    b.stat(
        "Intakes published (range)",
        [
            (
                'sum(increase(rujukan_events_published_total{topic="intake.submitted"}[$__range]))',
                "intakes",
            )
        ],
        unit="none",
    )
    b.stat(
        "Referrals delivered (range)",
        [
            (
                f"sum(increase(rujukan_events_published_total{{{PROGRAM_TOPICS}}}[$__range]))",
                "referrals",
            )
        ],
        unit="none",
    )
    b.stat(
        "Outcomes processed (range)",
        [
            (
                "sum(increase(rujukan_events_consumed_total{" + OUTCOME_TOPICS + ", "
                'result="processed"}[$__range]))',
                "outcomes",
            )
        ],
        unit="none",
        description="Agency outcomes the router applied (Kafka and HTTP outcome API).",
    )
    b.row("Flow")
    b.ts(
        "Intake → referral → outcome (events/s)",
        [
            (
                rate("rujukan_events_published_total", 'topic="intake.submitted"'),
                "intakes submitted",
            ),
            (rate("rujukan_events_published_total", PROGRAM_TOPICS), "referrals delivered"),
            (
                rate(
                    "rujukan_events_consumed_total",
                    OUTCOME_TOPICS + ', result="processed"',
                ),
                "outcomes applied",
            ),
            (rate("rujukan_events_published_total", 'topic="referrals.status"'), "status changes"),
            (
                rate("rujukan_events_published_total", 'topic="notifications.dispatched"'),
                "notifications dispatched",
            ),
        ],
        unit="ops",
        w=16,
    )
    b.ts(
        "Referrals delivered per program (events/s)",
        [(rate("rujukan_events_published_total", PROGRAM_TOPICS, "topic"), "{{topic}}")],
        unit="ops",
        stack=True,
    )
    b.ts(
        "Deliveries by channel and result (per minute)",
        [
            (
                "60 * " + rate("rujukan_notifications_deliveries_total", "", "channel, result"),
                "{{channel}} {{result}}",
            )
        ],
        unit="short",
        w=8,
    )
    b.ts(
        "Events published per topic (events/s)",
        [
            (
                rate("rujukan_events_published_total", 'service=~"$service"', "service, topic"),
                "{{service}} → {{topic}}",
            )
        ],
        unit="ops",
        w=8,
    )
    b.ts(
        "Events consumed per consumer and result (events/s)",
        [
            (
                rate("rujukan_events_consumed_total", 'service=~"$service"', "consumer, result"),
                "{{consumer}} {{result}}",
            )
        ],
        unit="ops",
        w=8,
    )
    b.row("Errors")
    b.ts(
        "HTTP 5xx ratio per service",
        [
            (
                zero_if_none(
                    rate("rujukan_http_requests_total", 'status=~"5.."', "service"),
                    rate("rujukan_http_requests_total", "", "service"),
                )
                + " / "
                + rate("rujukan_http_requests_total", "", "service"),
                "{{service}}",
            )
        ],
        unit="percentunit",
        thresholds=[("green", None), ("red", 0.05)],
    )
    b.ts(
        "Dead-lettered messages (per minute)",
        [
            (
                zero_if_none(
                    "60 * " + rate("rujukan_dlq_messages_total", "", "consumer, topic"),
                    "sum by (consumer, topic) (rujukan_events_consumed_total)",
                ),
                "{{consumer}} ← {{topic}}",
            )
        ],
        unit="short",
        description="Messages sent to <topic>.dlq. 0 for every consumer/topic pair that has "
        "none (the counter only appears with the first dead letter).",
    )
    b.ts(
        "Consumer retries and relay errors (per minute)",
        [
            (
                zero_if_none(
                    "60 * " + rate("rujukan_consumer_retries_total", "", "consumer"),
                    "sum by (consumer) (rujukan_events_consumed_total)",
                ),
                "retry {{consumer}}",
            ),
            (
                "60 * " + rate("rujukan_outbox_relay_errors_total", "", "service"),
                "relay errors {{service}}",
            ),
        ],
        unit="short",
    )
    b.row("Lag")
    b.ts(
        "Consumer lag (messages behind)",
        [("sum by (consumer, topic) (rujukan_consumer_lag)", "{{consumer}} ← {{topic}}")],
        unit="short",
        w=12,
    )
    b.ts(
        "Outbox oldest unpublished row (s)",
        [("max by (service) (rujukan_outbox_oldest_age_seconds)", "{{service}}")],
        unit="s",
        w=12,
        thresholds=[("green", None), ("orange", 60), ("red", 300)],
    )
    b.ts(
        "Messages due that no dispatcher has taken: the oldest (s)",
        [("max by (channel) (rujukan_notifications_oldest_due_seconds)", "{{channel}}")],
        unit="s",
        w=12,
        thresholds=[("green", None), ("orange", 300), ("red", 900)],
    )
    b.query_var("service", "service", 'label_values(up{job="rujukan"}, service)')
    return b


def programs() -> Board:
    b = Board(
        "rujukan-programs",
        "Rujukan / Pemilik program",
        "Rujukan yang diterima, dijawab dan terlambat, per program (Program owner).",
        ["program"],
    )
    b.query_var(
        "program",
        "program",
        f"label_values(rujukan_events_published_total{{{PROGRAM_TOPICS}}}, topic)",
        regex="/referrals\\.(.*)/",
    )
    psel = 'topic=~"referrals\\\\.($program)"'
    b.row("Terkirim ke topik program (metrik hari ini)")
    b.stat(
        "Rujukan terkirim (rentang waktu)",
        [(f"sum(increase(rujukan_events_published_total{{{psel}}}[$__range]))", "terkirim")],
        unit="none",
        w=8,
    )
    b.ts(
        "Rujukan terkirim per program (per jam)",
        [(f"sum by (topic) (increase(rujukan_events_published_total{{{psel}}}[1h]))", "{{topic}}")],
        unit="short",
        w=16,
        description="Peristiwa yang diterbitkan relay router ke referrals.<program>: kotak masuk "
        "lembaga.",
    )
    b.ts(
        "Hasil yang diterapkan router (per menit, semua program)",
        [
            (
                "60 * " + rate("rujukan_events_consumed_total", OUTCOME_TOPICS, "result"),
                "{{result}}",
            )
        ],
        unit="short",
        w=12,
        description="referrals.<KODE>.outcomes tiap program (Kafka); API hasil lewat HTTP "
        "dihitung di bawah.",
    )
    b.ts(
        "Permintaan ke API hasil (per menit)",
        [
            (
                "60 * "
                + rate(
                    "rujukan_http_requests_total",
                    'service="referral-router", method="POST"',
                    "route, status",
                ),
                "{{route}} {{status}}",
            )
        ],
        unit="short",
        w=12,
    )
    b.row("Perjalanan rujukan per program")
    b.ts(
        "Rujukan per status per program (per jam)",
        [
            (
                "sum by (program, status) (increase(rujukan_router_referrals_total"
                '{program=~"$program"}[1h]))',
                "{{program}} {{status}}",
            )
        ],
        unit="short",
        w=12,
    )
    b.ts(
        "Dijawab dalam rentang waktu",
        [
            (
                'sum by (program) (increase(rujukan_router_referrals_total{program=~"$program", '
                'status=~"accepted|rejected"}[$__range]))',
                "{{program}}",
            )
        ],
        unit="short",
        w=12,
    )
    b.ts(
        "Eskalasi per program (per jam)",
        [
            (
                "sum by (program, escalated_to) (increase(rujukan_router_escalations_total"
                '{program=~"$program"}[1h]))',
                "{{program}} → {{escalated_to}}",
            )
        ],
        unit="short",
        w=12,
    )
    b.ts(
        "Terlambat: batas waktu (SLA) terlewati per program (per jam)",
        [
            (
                "sum by (program) (increase(rujukan_router_sla_breaches_total"
                '{program=~"$program"}[1h]))',
                "{{program}}",
            )
        ],
        unit="short",
        w=12,
        description="Setiap eskalasi atau kedaluwarsa dihitung sekali.",
    )
    return b


def regions() -> Board:
    b = Board(
        "rujukan-regions",
        "Rujukan / Puskesos per wilayah",
        "Pendaftaran, rujukan dan hasilnya, per provinsi (Puskesos by region).",
        ["puskesos"],
    )
    b.query_var("province", "province", "label_values(rujukan_router_referrals_total, province)")
    prov = 'province=~"$province"'
    b.row("Semua wilayah (metrik hari ini)")
    b.ts(
        "Pendaftaran tercatat (per menit)",
        [
            (
                "60 * "
                + rate(
                    "rujukan_http_requests_total",
                    'service="intake", method="POST", status=~"2.."',
                    "route",
                ),
                "{{route}}",
            )
        ],
        unit="short",
        w=12,
        description="POST pendaftaran yang diterima (satu per satu dan berkelompok). Belum ada "
        "label provinsi.",
    )
    b.ts(
        "Warga yang diberi tahu (per menit)",
        [
            (
                "60 * "
                + rate("rujukan_events_published_total", 'topic="notifications.dispatched"'),
                "terkirim",
            )
        ],
        unit="short",
        w=12,
    )
    b.row("Per provinsi")
    b.ts(
        "Pendaftaran per provinsi (per jam)",
        [
            (
                f"sum by (province) (increase(rujukan_intake_intakes_total{{{prov}}}[1h]))",
                "{{province}}",
            )
        ],
        unit="short",
        w=12,
    )
    b.ts(
        "Rujukan per provinsi dan status (per jam)",
        [
            (
                "sum by (province, status) "
                f"(increase(rujukan_router_referrals_total{{{prov}}}[1h]))",
                "{{province}} {{status}}",
            )
        ],
        unit="short",
        w=12,
    )
    b.panel(
        "table",
        "Rujukan terkirim per provinsi dan program (rentang waktu)",
        [
            (
                f"sum by (province, program) (increase(rujukan_router_referrals_total"
                f'{{{prov}, status="delivered"}}[$__range]))',
                "",
            )
        ],
        w=12,
        instant=True,
    )
    b.ts(
        "Rujukan kedaluwarsa per provinsi (per jam)",
        [
            (
                f"sum by (province) (increase(rujukan_router_referrals_total"
                f'{{{prov}, status="expired"}}[1h])) or on() vector(0)',  # 0 when none expired
                "{{province}}",
            )
        ],
        unit="short",
        w=12,
        description="Rujukan yang melewati batas waktunya (SLA) tanpa jawaban.",
    )
    return b


def internals() -> Board:
    b = Board(
        "rujukan-internals",
        "Rujukan / Service internals",
        "HTTP per route, outbox, consumers and DLQ, per service.",
        ["internals"],
    )
    b.query_var("service", "service", 'label_values(up{job="rujukan"}, service)')
    s = 'service=~"$service"'
    b.row("HTTP")
    b.ts(
        "Requests per route (req/s)",
        [
            (
                rate("rujukan_http_requests_total", s, "service, route, method"),
                "{{service}} {{method}} {{route}}",
            )
        ],
        unit="reqps",
        w=12,
    )
    b.ts(
        "Responses per status class (req/s)",
        [
            (
                f"sum by (service, status) (label_replace(rate(rujukan_http_requests_total{{{s}}}"
                f'[{RI}]), "status", "${{1}}xx", "status", "(.).."))',
                "{{service}} {{status}}",
            )
        ],
        unit="reqps",
        w=12,
    )
    for q in ("0.5", "0.95", "0.99"):
        b.ts(
            f"Latency p{int(float(q) * 100)} per route",
            [
                (
                    f"histogram_quantile({q}, sum by (service, route, le) "
                    f"(rate(rujukan_http_request_duration_seconds_bucket{{{s}}}[{RI}])))",
                    "{{service}} {{route}}",
                )
            ],
            unit="s",
        )
    b.ts(
        "Single intakes per commit (intake's group commit)",
        [
            (
                f"sum(rate(rujukan_intake_submit_batch_size_sum[{RI}])) "
                f"/ sum(rate(rujukan_intake_submit_batch_size_count[{RI}]))",
                "intakes per unit of work",
            )
        ],
        unit="short",
    )
    b.row("Outbox")
    b.ts(
        "Outbox backlog (rows)",
        [(f"sum by (service) (rujukan_outbox_backlog{{{s}}})", "{{service}}")],
        unit="short",
    )
    b.ts(
        "Outbox oldest row age",
        [(f"max by (service) (rujukan_outbox_oldest_age_seconds{{{s}}})", "{{service}}")],
        unit="s",
        thresholds=[("green", None), ("orange", 60), ("red", 300)],
    )
    b.ts(
        "Events relayed per topic (events/s)",
        [(rate("rujukan_events_published_total", s, "service, topic"), "{{service}} → {{topic}}")],
        unit="ops",
    )
    b.row("Consumers")
    b.ts(
        "Batch processing time p95 (commit included)",
        [
            (
                f"histogram_quantile(0.95, sum by (consumer, le) "
                f"(rate(rujukan_event_batch_processing_seconds_bucket{{{s}}}[{RI}])))",
                "{{consumer}}",
            )
        ],
        unit="s",
    )
    b.ts(
        "End-to-end latency p95 (ce_time → processed)",
        [
            (
                f"histogram_quantile(0.95, sum by (consumer, le) "
                f"(rate(rujukan_event_end_to_end_seconds_bucket{{{s}}}[{RI}])))",
                "{{consumer}}",
            )
        ],
        unit="s",
    )
    b.ts(
        "Batches per second",
        [(rate("rujukan_event_batch_processing_seconds_count", s, "consumer"), "{{consumer}}")],
        unit="ops",
    )
    b.ts(
        "Consumer lag per partition",
        [
            (
                f"sum by (consumer, topic, partition) (rujukan_consumer_lag{{{s}}})",
                "{{consumer}} {{topic}}/{{partition}}",
            )
        ],
        unit="short",
        w=12,
    )
    b.ts(
        "Events consumed by result (events/s)",
        [
            (
                rate("rujukan_events_consumed_total", s, "consumer, topic, result"),
                "{{consumer}} {{topic}} {{result}}",
            )
        ],
        unit="ops",
        w=12,
    )
    b.row("Failures")
    b.ts(
        "DLQ messages (total since start)",
        [
            (
                zero_if_none(
                    f"sum by (consumer, topic) (rujukan_dlq_messages_total{{{s}}})",
                    f"sum by (consumer, topic) (rujukan_events_consumed_total{{{s}}})",
                ),
                "{{consumer}} ← {{topic}}",
            )
        ],
        unit="short",
    )
    b.ts(
        "Consumer retries (per minute)",
        [
            (
                zero_if_none(
                    "60 * " + rate("rujukan_consumer_retries_total", s, "consumer"),
                    f"sum by (consumer) (rujukan_events_consumed_total{{{s}}})",
                ),
                "{{consumer}}",
            )
        ],
        unit="short",
    )
    b.ts(
        "Relay errors (per minute)",
        [("60 * " + rate("rujukan_outbox_relay_errors_total", s, "service"), "{{service}}")],
        unit="short",
    )
    b.row("Process")
    b.ts(
        "Resident memory",
        [(f"sum by (service) (process_resident_memory_bytes{{{s}}})", "{{service}}")],
        unit="bytes",
        w=12,
    )
    b.ts(
        "CPU (cores)",
        [(f"sum by (service) (rate(process_cpu_seconds_total{{{s}}}[{RI}]))", "{{service}}")],
        unit="short",
        w=12,
    )
    return b


BOARDS = {"overview": overview, "programs": programs, "regions": regions, "internals": internals}


def render() -> dict[str, str]:
    return {f"rujukan-{name}.json": build().json() for name, build in BOARDS.items()}


def main() -> int:
    files = render()
    if "--check" in sys.argv[1:]:
        stale = [
            n
            for n, text in files.items()
            if not (OUT / n).exists() or (OUT / n).read_text() != text
        ]
        if stale:
            print(f"stale dashboards (run {Path(__file__).name}): {', '.join(stale)}")
            return 1
        print(f"dashboards: {len(files)} up to date")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (OUT / name).write_text(text)
    print(f"dashboards: wrote {', '.join(files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``rujukan``: run and inspect the platform from a terminal (``--json`` for scripts).

rujukan up | down | status
rujukan topics list | topics tail TOPIC
rujukan lag [--group G]
rujukan dlq inspect TOPIC.dlq | dlq replay TOPIC.dlq [--apply]
rujukan referral trace ID
rujukan catalogue export DIR | catalogue import DIR
rujukan intake import FILE
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import typer
import yaml
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from rujukan_cli import kafka_ops

app = typer.Typer(no_args_is_help=True, help=__doc__)
topics = typer.Typer(no_args_is_help=True, help="Topics of the catalogue and their records")
dlq = typer.Typer(no_args_is_help=True, help="Dead-letter topics: inspect and replay")
referral = typer.Typer(no_args_is_help=True, help="Referrals")
catalogue = typer.Typer(no_args_is_help=True, help="The program catalogue")
intake = typer.Typer(no_args_is_help=True, help="Intakes")
for sub, name in (
    (topics, "topics"),
    (dlq, "dlq"),
    (referral, "referral"),
    (catalogue, "catalogue"),
    (intake, "intake"),
):
    app.add_typer(sub, name=name)

REPO = Path(__file__).resolve().parents[4]
console = Console()
URLS = {
    "intake": os.environ.get("RUJUKAN_INTAKE_URL", "http://127.0.0.1:8001"),
    "program-registry": os.environ.get("RUJUKAN_REGISTRY_URL", "http://127.0.0.1:8002"),
    "referral-router": os.environ.get("RUJUKAN_ROUTER_URL", "http://127.0.0.1:8003"),
    "notifications": os.environ.get("RUJUKAN_NOTIFICATIONS_URL", "http://127.0.0.1:8004"),
}
JsonOption = typer.Option(False, "--json", help="machine-readable output")


def bootstrap() -> str:
    return os.environ.get("RUJUKAN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


def token() -> str:
    found = os.environ.get("RUJUKAN_TOKEN")
    if found:
        return found
    path = REPO / ".local" / "admin.token"
    if path.exists():
        return path.read_text().strip()
    raise typer.BadParameter(
        "set RUJUKAN_TOKEN (or run `make up`, which writes .local/admin.token)"
    )


def client(service: str) -> httpx.Client:
    return httpx.Client(
        base_url=URLS[service], timeout=30, headers={"Authorization": f"Bearer {token()}"}
    )


def emit(rows: list[dict[str, Any]], as_json: bool, columns: list[str], title: str) -> None:
    if as_json:
        print(json.dumps(rows, default=str, indent=2))
        return
    table = Table(title=title)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*(str(r.get(c, "")) for c in columns))
    console.print(table)


def fail(response: httpx.Response) -> None:
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail") or response.json().get("title")
        except ValueError:
            detail = response.text
        console.print(f"[red]{response.status_code}[/red] {detail}")
        raise typer.Exit(1)


@app.command()
def up() -> None:
    """Start Kafka, PostgreSQL and the four services (make up)."""
    raise typer.Exit(subprocess.call(["bash", str(REPO / "deploy/local/up.sh")]))


@app.command()
def down() -> None:
    """Stop everything `up` started (make down)."""
    raise typer.Exit(subprocess.call(["bash", str(REPO / "deploy/local/down.sh")]))


@app.command()
def status(as_json: bool = JsonOption) -> None:
    """Each service's readiness (database and broker checks)."""
    rows = []
    for service, url in URLS.items():
        try:
            r = httpx.get(f"{url}/readyz", timeout=5)
            body = r.json()
            rows.append(
                {
                    "service": service,
                    "url": url,
                    "status": body.get("status"),
                    "checks": body.get("checks"),
                }
            )
        except httpx.HTTPError as exc:
            rows.append(
                {"service": service, "url": url, "status": "down", "checks": type(exc).__name__}
            )
    emit(rows, as_json, ["service", "url", "status", "checks"], "Rujukan services")
    if any(r["status"] != "ready" for r in rows):
        raise typer.Exit(1)


@topics.command("list")
def topics_list(as_json: bool = JsonOption) -> None:
    """Every topic with its partitions and message count."""
    rows = asyncio.run(kafka_ops.list_topics(bootstrap()))
    emit(rows, as_json, ["topic", "partitions", "messages"], "Topics")


@topics.command("tail")
def topics_tail(
    topic: str,
    from_beginning: bool = typer.Option(False, "--from-beginning"),
    limit: int | None = typer.Option(None, help="stop after N records"),
    follow: bool = typer.Option(False, "--follow", "-f", help="keep waiting for new records"),
    as_json: bool = JsonOption,
) -> None:
    """Decoded records of a topic (CloudEvents envelope + JSON data)."""

    def show(record: dict[str, Any]) -> None:
        if as_json:
            print(json.dumps(record, default=str))
        else:
            console.print(
                f"[bold]{record['topic']}[/bold]:{record['partition']}@{record['offset']} "
                f"{record.get('type', record.get('envelope_error'))} key={record['key']}"
            )
            console.print_json(data=record.get("data"))

    try:
        asyncio.run(
            kafka_ops.read(
                bootstrap(),
                topic,
                from_beginning=from_beginning,
                limit=limit,
                on_record=show,
                follow=follow,
            )
        )
    except LookupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


@app.command()
def lag(group: str | None = typer.Option(None), as_json: bool = JsonOption) -> None:
    """Consumer lag per group and partition (committed offset vs end)."""
    rows = [
        {
            "group": g.group,
            "topic": g.topic,
            "partition": g.partition,
            "committed": g.committed,
            "end": g.end,
            "lag": g.lag,
        }
        for g in asyncio.run(kafka_ops.consumer_lag(bootstrap(), group))
    ]
    emit(rows, as_json, ["group", "topic", "partition", "committed", "end", "lag"], "Lag")


@dlq.command("inspect")
def dlq_inspect(
    topic: str, limit: int | None = typer.Option(None), as_json: bool = JsonOption
) -> None:
    """Dead letters with their reason, consumer and source position."""
    rows: list[dict[str, Any]] = []
    asyncio.run(
        kafka_ops.read(bootstrap(), topic, from_beginning=True, limit=limit, on_record=rows.append)
    )
    flat = [
        {
            "offset": r["offset"],
            "type": r.get("type", "-"),
            "key": r["key"],
            **(r.get("dead_letter") or {}),
        }
        for r in rows
    ]
    if as_json:
        print(json.dumps(rows, default=str, indent=2))
    else:
        emit(
            flat,
            False,
            ["offset", "type", "key", "reason", "consumer", "source_topic", "source_offset"],
            f"Dead letters in {topic}",
        )


@dlq.command("replay")
def dlq_replay(
    topic: str,
    apply: bool = typer.Option(False, "--apply", help="without it: a dry run that sends nothing"),
    limit: int | None = typer.Option(None),
    as_json: bool = JsonOption,
) -> None:
    """Send dead letters back to their source topic, once each (after fixing the cause)."""
    rows: list[dict[str, Any]] = []
    count = asyncio.run(
        kafka_ops.replay_dlq(bootstrap(), topic, apply=apply, limit=limit, on_record=rows.append)
    )
    if as_json:
        print(
            json.dumps(
                {"replayed" if apply else "would_replay": count, "records": rows}, default=str
            )
        )
    else:
        verb = "replayed" if apply else "would replay (dry run; --apply to send)"
        console.print(f"{count} dead letter(s) {verb}")


@referral.command("trace")
def referral_trace(referral_id: str, as_json: bool = JsonOption) -> None:
    """Every status change of a referral, in order."""
    with client("referral-router") as http:
        r = http.get(f"/v1/referrals/{referral_id}/trace")
    fail(r)
    events = r.json()["events"]
    emit(
        events,
        as_json,
        ["at", "from_status", "to_status", "reason_code", "actor", "note"],
        f"Referral {referral_id}",
    )


@catalogue.command("export")
def catalogue_export(directory: Path, as_json: bool = JsonOption) -> None:
    """Write every program as <CODE>.yaml (the seed-file shape)."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    cursor: str | None = None
    with client("program-registry") as http:
        while True:
            r = http.get(
                "/v1/programs", params={"limit": 200, **({"cursor": cursor} if cursor else {})}
            )
            fail(r)
            page = r.json()
            for program in page["items"]:
                doc = {k: v for k, v in program.items() if k not in ("revision", "current_version")}
                (directory / f"{doc['code']}.yaml").write_text(
                    yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
                )
                written.append(doc["code"])
            cursor = page["next_cursor"]
            if not cursor:
                break
    if as_json:
        print(json.dumps({"exported": written}))
    else:
        console.print(f"{len(written)} programs written to {directory}")


@catalogue.command("import")
def catalogue_import(directory: Path, as_json: bool = JsonOption) -> None:
    """Create or update programs from <CODE>.yaml files (ETag-checked updates)."""
    files = sorted(directory.glob("*.yaml"))
    results: dict[str, str] = {}
    with client("program-registry") as http, Progress(console=console, disable=as_json) as bar:
        task = bar.add_task("importing", total=len(files))
        for path in files:
            doc = yaml.safe_load(path.read_text())
            current = http.get(f"/v1/programs/{doc['code']}")
            if current.status_code == 404:
                r = http.post("/v1/programs", json=doc)
                results[doc["code"]] = (
                    "created" if r.status_code == 201 else f"error {r.status_code}"
                )
            else:
                fail(current)
                existing = {
                    k: v
                    for k, v in current.json().items()
                    if k not in ("revision", "current_version")
                }
                if existing == doc:
                    results[doc["code"]] = "unchanged"
                else:
                    r = http.put(
                        f"/v1/programs/{doc['code']}",
                        json=doc,
                        headers={"If-Match": current.headers["etag"]},
                    )
                    results[doc["code"]] = (
                        "updated"
                        if r.status_code == 200
                        else (f"error {r.status_code}: {r.json().get('detail')}")
                    )
            bar.advance(task)
    if as_json:
        print(json.dumps(results))
    else:
        emit(
            [{"code": c, "result": v} for c, v in results.items()],
            False,
            ["code", "result"],
            "Catalogue import",
        )
    if any(v.startswith("error") for v in results.values()):
        raise typer.Exit(1)


@intake.command("import")
def intake_import(
    path: Path,
    batch: int = typer.Option(200, min=1, max=500),
    rate: float = typer.Option(0.0, min=0.0),
    stop_after: int | None = typer.Option(None),
) -> None:
    """Bulk import households (CSV/JSONL) — `python -m rujukan_intake import`, with this CLI's
    service URL and token."""
    args = [
        "python",
        "-m",
        "rujukan_intake",
        "import",
        str(path),
        "--url",
        URLS["intake"],
        "--batch",
        str(batch),
        "--rate",
        str(rate),
    ]
    if stop_after is not None:
        args += ["--stop-after", str(stop_after)]
    raise typer.Exit(subprocess.call(args, env={**os.environ, "RUJUKAN_TOKEN": token()}))

"""``rujukan``: run and inspect the platform from a terminal (``--json`` for scripts).

rujukan up | down | status
rujukan topics list | topics tail TOPIC
rujukan lag [--group G]
rujukan dlq inspect TOPIC.dlq | dlq replay TOPIC.dlq [--apply] [--reason R] [--consumer C]
    [--from-offset N] [--to-offset N] [--limit N]
rujukan referral trace ID
rujukan catalogue export DIR | catalogue import DIR
rujukan intake import FILE
rujukan replay start [--apply] [--program CODE ...] [--since ISO] [--registry-updates FILE]
    [--wait S] [--follow] | replay status ID | replay list [--limit N] | replay cancel ID
rujukan kafka access apply [--credentials-dir DIR] [--programs DIR] | kafka access watch
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from rujukan_cli import dlq as dlq_ops
from rujukan_cli import kafka_access, kafka_ops
from rujukan_cli.failures import Failures, UnknownGroup, errors

app = typer.Typer(cls=Failures, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)
topics = typer.Typer(no_args_is_help=True, help="Topics of the catalogue and their records")
dlq = typer.Typer(no_args_is_help=True, help="Dead-letter topics: inspect and replay")
referral = typer.Typer(no_args_is_help=True, help="Referrals")
catalogue = typer.Typer(no_args_is_help=True, help="The program catalogue")
intake = typer.Typer(no_args_is_help=True, help="Intakes")
replay = typer.Typer(
    no_args_is_help=True, help="Replays: re-evaluate stored intakes after a rule or registry change"
)
kafka = typer.Typer(no_args_is_help=True, help="The Kafka cluster's principals")
access = typer.Typer(
    no_args_is_help=True, help="Principals, credentials and ACLs from the topic catalogue"
)
kafka.add_typer(access, name="access")
for sub, name in (
    (kafka, "kafka"),
    (topics, "topics"),
    (dlq, "dlq"),
    (referral, "referral"),
    (catalogue, "catalogue"),
    (intake, "intake"),
    (replay, "replay"),
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


def client(service: str, timeout: float = 30) -> httpx.Client:
    return httpx.Client(
        base_url=URLS[service], timeout=timeout, headers={"Authorization": f"Bearer {token()}"}
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


def answer(response: httpx.Response) -> Any:
    """A service's JSON answer; a refusal is shown and ends the command (exit 1)."""
    fail(response)
    return response.json()


def call(service: str, method: str, path: str, **request: Any) -> Any:
    """One request to a service, in a client of its own: its JSON answer (see ``answer``)."""
    with client(service) as http:
        return answer(http.request(method, path, **request))


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
    if waiting := [r["service"] for r in rows if r["status"] != "ready"]:
        errors.print(f"belum siap: {', '.join(waiting)} (not ready)")
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
    if group and not rows:
        raise UnknownGroup(group)
    emit(rows, as_json, ["group", "topic", "partition", "committed", "end", "lag"], "Lag")


ReasonOption = typer.Option(None, "--reason", help="only reasons containing this (any case)")
ConsumerOption = typer.Option(None, "--consumer", help="only those this consumer dead-lettered")
FromOption = typer.Option(None, "--from-offset", min=0, help="only from this DLQ offset on")
ToOption = typer.Option(None, "--to-offset", min=0, help="only up to this DLQ offset")


def _when(value: str | None) -> str:
    """An ISO 8601 instant from a header, as an operator reads it (UTC, to the second)."""
    if not value:
        return "-"
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (at.astimezone(UTC) if at.tzinfo else at).strftime("%Y-%m-%d %H:%M:%S UTC")


def show_dead_letter(record: dict[str, Any]) -> None:
    """One dead letter as a short block: why it failed, where from, when, how often."""
    dead = record.get("dead_letter") or {}
    state = "replayed" if record.get("replayed") else "not replayed"
    source = f"{dead.get('source_topic', '?')}:{dead.get('source_partition', '?')}"
    source += f"@{dead.get('source_offset', '?')}"
    console.print(
        f"[bold]{escape(record['topic'])}@{record['offset']}[/bold] ({state}) "
        f"{escape(str(record.get('type') or record.get('envelope_error')))} key={record['key']}"
    )
    for label, value in (
        ("alasan", dead.get("reason_id") or dead.get("reason", "-")),
        ("reason", dead.get("reason", "-")),
        ("exception", dead.get("exception", "-")),
        ("consumer", dead.get("consumer", "-")),
        ("source", source),
        ("first failed", _when(dead.get("first_failed_at"))),
        ("last failed", _when(dead.get("last_failed_at") or dead.get("failed_at"))),
        ("attempts", dead.get("attempts", "-")),
    ):
        console.print(f"  {label:<13}{escape(str(value))}")


@dlq.command("inspect")
def dlq_inspect(
    topic: str,
    reason: str | None = ReasonOption,
    consumer: str | None = ConsumerOption,
    from_offset: int | None = FromOption,
    to_offset: int | None = ToOption,
    limit: int | None = typer.Option(None, min=1),
    as_json: bool = JsonOption,
) -> None:
    """Dead letters: reason, exception, consumer, source, first and last failure, attempts,
    and whether they were replayed."""
    where = dlq_ops.DlqFilter(reason, consumer, from_offset, to_offset)
    rows: list[dict[str, Any]] = []
    asyncio.run(
        dlq_ops.inspect(bootstrap(), topic, where=where, limit=limit, on_record=rows.append)
    )
    if as_json:
        print(json.dumps(rows, default=str, indent=2))
        return
    for row in rows:
        show_dead_letter(row)
    waiting = sum(not r["replayed"] for r in rows)
    console.print(f"{len(rows)} dead letter(s) of {escape(topic)} shown, {waiting} not replayed")


@dlq.command("replay")
def dlq_replay(
    topic: str,
    apply: bool = typer.Option(False, "--apply", help="without it: a dry run that sends nothing"),
    reason: str | None = ReasonOption,
    consumer: str | None = ConsumerOption,
    from_offset: int | None = FromOption,
    to_offset: int | None = ToOption,
    limit: int | None = typer.Option(None, min=1, help="replay at most N"),
    as_json: bool = JsonOption,
) -> None:
    """Send dead letters back to their source topic (same key and headers, without dlq_* ones
    and credentials), once each: after fixing the cause. Others stay replayable."""
    where = dlq_ops.DlqFilter(reason, consumer, from_offset, to_offset)
    rows: list[dict[str, Any]] = []
    outcome = asyncio.run(
        dlq_ops.replay(
            bootstrap(), topic, apply=apply, where=where, limit=limit, on_record=rows.append
        )
    )
    if as_json:
        summary = {
            "replayed" if apply else "would_replay": outcome.replayed,
            "already_replayed": outcome.already_replayed,
            "not_matching": outcome.not_matching,
            "credentials_removed": outcome.credentials_removed,
            "limit_reached": outcome.limit_reached,
            "stopped": outcome.stopped,
            "records": rows,
        }
        print(json.dumps(summary, default=str))
    else:
        for row in rows:
            dead = row.get("dead_letter") or {}
            reason_text = dead.get("reason_id") or dead.get("reason", "-")
            console.print(
                f"{escape(row['topic'])}@{row['offset']} -> {escape(row['replay_to'])}: "
                f"{escape(reason_text)}"
            )
        verb = "replayed" if apply else "would be replayed (dry run; --apply to send)"
        console.print(
            f"{outcome.replayed} dead letter(s) {verb}; {outcome.already_replayed} replayed "
            f"before, {outcome.not_matching} not matching the filter"
            + (" (--limit reached)" if outcome.limit_reached else "")
        )
        if outcome.credentials_removed:
            console.print(
                f"[yellow]{outcome.credentials_removed} carried credentials, which are never "
                "re-published: a consumer that needs them will refuse the record again; "
                "ask its sender to send it again.[/yellow]"
            )
    if outcome.stopped:
        errors.print(f"[red]stopped: {escape(outcome.stopped)}[/red]")
        raise typer.Exit(1)


@referral.command("trace")
def referral_trace(referral_id: UUID, as_json: bool = JsonOption) -> None:
    """Every status change of a referral, in order."""
    events = call("referral-router", "GET", f"/v1/referrals/{referral_id}/trace")["events"]
    emit(
        events,
        as_json,
        ["at", "from_status", "to_status", "reason_code", "actor", "note"],
        f"Referral {referral_id}",
    )


@catalogue.command("export")
def catalogue_export(
    directory: Path = typer.Argument(..., file_okay=False), as_json: bool = JsonOption
) -> None:
    """Write every program as <CODE>.yaml (the seed-file shape)."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    cursor: str | None = None
    with client("program-registry") as http:
        while True:
            r = http.get(
                "/v1/programs", params={"limit": 200, **({"cursor": cursor} if cursor else {})}
            )
            page = answer(r)
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
def catalogue_import(
    directory: Path = typer.Argument(..., exists=True, file_okay=False), as_json: bool = JsonOption
) -> None:
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
    path: Path = typer.Argument(..., exists=True, dir_okay=False),
    batch: int = typer.Option(200, min=1, max=500),
    rate: float = typer.Option(0.0, min=0.0),
    stop_after: int | None = typer.Option(None),
) -> None:
    """Bulk import households (CSV/JSONL) — `python -m rujukan_intake import`, with this CLI's
    service URL and token."""
    args = [
        sys.executable,
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


# --- replays -------------------------------------------------------------------------------

UPDATES_PER_REQUEST = 10_000  # the router's limit for POST /v1/replays/{id}/registry-updates
FINISHED = ("done", "failed", "cancelled")
FLAGS = {"true": True, "1": True, "false": False, "0": False}
DECILES = {str(n): n for n in range(1, 11)}


class BadRow(ValueError):
    """A registry update the router would refuse, caught here so that nothing starts."""

    def __init__(self, line: int, field: str, reason: str) -> None:
        super().__init__(f"line {line}: {field}: {reason}")


def _flag(raw: dict[str, Any], field: str, default: bool, line: int) -> bool:
    value = raw.get(field)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if (flag := FLAGS.get(str(value).strip().lower())) is None:
        raise BadRow(line, field, f"true/false/1/0, not {value!r}")
    return flag


def registry_update(raw: dict[str, Any], line: int) -> dict[str, Any]:
    """A CSV row (all text) or JSONL object as the router's ``RegistryUpdate``."""
    try:
        household = str(UUID(str(raw.get("household_id") or "").strip()))
    except ValueError:
        raise BadRow(line, "household_id", f"not a uuid: {raw.get('household_id')!r}") from None
    decile = raw.get("decile")
    if decile in (None, ""):
        decile = None
    elif isinstance(decile, bool) or str(decile).strip() not in DECILES:
        raise BadRow(line, "decile", f"1..10 or empty, not {decile!r}")
    else:
        decile = DECILES[str(decile).strip()]
    enrolments = raw.get("enrolments") or []
    if isinstance(enrolments, str):
        enrolments = [e.strip() for e in enrolments.split(";") if e.strip()]
    elif not (isinstance(enrolments, list) and all(isinstance(e, str) for e in enrolments)):
        raise BadRow(line, "enrolments", "a list of program codes (';'-separated in CSV)")
    return {
        "household_id": household,
        "found": _flag(raw, "found", True, line),
        "decile": decile,
        "enrolments": enrolments,
        "has_kks": _flag(raw, "has_kks", False, line),
    }


def read_updates(path: Path) -> Iterator[dict[str, Any]]:
    """Validated updates, one at a time: a national refresh does not fit in memory."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        if path.suffix.lower() == ".csv":
            rows = csv.DictReader(f)
            for row in rows:
                yield registry_update(row, rows.line_num)
            return
        for line, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                raw = json.loads(text)
            except ValueError:
                raw = None
            if not isinstance(raw, dict):
                raise BadRow(line, "json", "not a JSON object")
            yield registry_update(raw, line)


def count_rows(path: Path) -> int:
    """Rows in the file, for the progress bar (a quick pass that keeps nothing)."""
    with path.open("rb") as f:
        lines = sum(1 for text in f if text.strip())
    return lines - 1 if path.suffix.lower() == ".csv" else lines


def upload(http: httpx.Client, replay_id: str, path: Path, as_json: bool) -> None:
    """Stream the file's updates to the draft, a request per chunk. A bad row stops the upload
    before the job starts: the draft keeps what was sent, for the operator to cancel."""
    hint = f"replay {replay_id} stays a draft; `rujukan replay cancel {replay_id}` drops it"
    columns = (*Progress.get_default_columns(), MofNCompleteColumn())
    with Progress(*columns, console=console, disable=as_json) as bar:
        task = bar.add_task("registry updates sent", total=None if as_json else count_rows(path))
        rows = read_updates(path)
        try:
            while chunk := list(islice(rows, UPDATES_PER_REQUEST)):
                r = http.post(f"/v1/replays/{replay_id}/registry-updates", json=chunk)
                if r.status_code >= 400:
                    console.print(hint)
                    fail(r)
                bar.advance(task, len(chunk))
        except BadRow as exc:
            console.print(f"[red]{escape(str(path))}: {escape(str(exc))}[/red]\n{hint}")
            raise typer.Exit(1) from exc


def progress_line(job: dict[str, Any]) -> str:
    rate = job.get("households_per_second")
    return f"{job['households_evaluated']} households evaluated" + (f", {rate}/s" if rate else "")


def follow_job(http: httpx.Client, job: dict[str, Any], as_json: bool) -> dict[str, Any]:
    """Poll once a second until the job finishes (background workers of the router run it)."""
    if job["status"] in FINISHED:
        return job
    columns = (SpinnerColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=console, disable=as_json) as bar:
        task = bar.add_task(f"{job['status']}: {progress_line(job)}")
        while job["status"] not in FINISHED:
            time.sleep(1)
            job = answer(http.get(f"/v1/replays/{job['replay_id']}"))
            bar.update(task, description=f"{job['status']}: {progress_line(job)}")
    return job


def show_job(job: dict[str, Any], as_json: bool) -> None:
    """The job as the router answers it (``--json``) or its report per program."""
    if as_json:
        print(json.dumps(job, indent=2))
        return
    colour = {"done": "green", "failed": "red", "cancelled": "yellow"}.get(job["status"], "cyan")
    mode = ("apply" if job["apply"] else "dry run") + (", what-if rule" if job["what_if"] else "")
    programs = ", ".join(job["programs"] or ["all programs"])
    console.print(
        f"Replay [bold]{job['replay_id']}[/bold]: [{colour}]{job['status']}[/{colour}] "
        f"({mode}; {escape(programs)})\n{progress_line(job)}"
    )
    report = job.get("report") or {}
    gains, losses = report.get("gains", {}), report.get("losses", {})
    if codes := sorted({*gains, *losses}):
        rows = [{"program": c, "gains": gains.get(c, 0), "losses": losses.get(c, 0)} for c in codes]
        emit(rows, False, ["program", "gains", "losses"], "Eligibility changes")
    else:
        console.print("no gains or losses")
    console.print(f"referrals created: {report.get('referrals_created', 0)}")
    if job.get("error"):
        console.print(f"[red]error:[/red] {escape(str(job['error']))}")


def _instant(value: str | None) -> str | None:
    """ISO 8601; without an offset it is the operator's local time."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not ISO 8601: {value!r}", param_hint="--since") from exc
    return (at if at.tzinfo else at.astimezone()).isoformat()


@replay.command("start")
def replay_start(
    apply: bool = typer.Option(False, "--apply", help="without it: a dry run (report only)"),
    programs: list[str] | None = typer.Option(None, "--program", help="only CODE (repeatable)"),
    since: str | None = typer.Option(None, help="only intakes submitted since (ISO 8601)"),
    registry_updates: Path | None = typer.Option(
        None,
        "--registry-updates",
        exists=True,
        dir_okay=False,
        help="refreshed registry facts: .csv (household_id,found,decile,enrolments,has_kks) "
        "or .jsonl",
    ),
    wait: int = typer.Option(0, min=0, max=60, help="let the router work on it for up to N s"),
    follow: bool = typer.Option(False, "--follow", "-f", help="poll until it finishes"),
    as_json: bool = JsonOption,
) -> None:
    """Re-evaluate every household's latest intake: who gains, who loses (--apply refers the
    gains). Registry updates go to a draft first, in chunks, then the job starts."""
    if registry_updates is not None and registry_updates.suffix.lower() not in (".csv", ".jsonl"):
        raise typer.BadParameter("a .csv or .jsonl file", param_hint="--registry-updates")
    body = {"apply": apply, "programs": programs or None, "since": _instant(since)}
    prefer = {"Prefer": f"wait={wait}"} if wait else {}
    with client("referral-router", timeout=wait + 30) as http:
        if registry_updates is None:
            r = http.post("/v1/replays", json=body, headers=prefer)
        else:
            draft = http.post("/v1/replays", json={**body, "start": False})
            replay_id = answer(draft)["replay_id"]
            if not as_json:
                console.print(f"draft replay {replay_id}: sending {registry_updates}")
            upload(http, replay_id, registry_updates, as_json)
            r = http.post(f"/v1/replays/{replay_id}/start", headers=prefer)
        job = answer(r)
        if follow:
            job = follow_job(http, job, as_json)
    show_job(job, as_json)
    if job["status"] == "failed":
        raise typer.Exit(1)


@replay.command("status")
def replay_status(replay_id: UUID, as_json: bool = JsonOption) -> None:
    """A replay's status, progress and report."""
    show_job(call("referral-router", "GET", f"/v1/replays/{replay_id}"), as_json)


@replay.command("list")
def replay_list(limit: int = typer.Option(20, min=1, max=100), as_json: bool = JsonOption) -> None:
    """Replays, newest first."""
    jobs = call("referral-router", "GET", "/v1/replays", params={"limit": limit})["items"]
    if as_json:
        print(json.dumps(jobs, indent=2))
        return
    rows = [
        {
            **job,
            "mode": "apply" if job["apply"] else "dry run",
            "programs": ",".join(job["programs"] or ["all"]),
            "households": job["households_evaluated"],
            "gains": sum((job.get("report") or {}).get("gains", {}).values()),
            "losses": sum((job.get("report") or {}).get("losses", {}).values()),
        }
        for job in jobs
    ]
    columns = ["replay_id", "status", "mode", "programs", "households", "gains", "losses"]
    emit(rows, False, [*columns, "created_at"], "Replays")


@replay.command("cancel")
def replay_cancel(replay_id: UUID, as_json: bool = JsonOption) -> None:
    """Stop a replay after the chunk in progress (what it applied stays); drops a draft."""
    show_job(call("referral-router", "POST", f"/v1/replays/{replay_id}/cancel"), as_json)


CredentialsOption = typer.Option(
    None,
    "--credentials-dir",
    envvar="RUJUKAN_KAFKA_CREDENTIALS_DIR",
    help="where every principal's <name>.env and <name>.properties go (make up: the broker's "
    "credentials directory, deploy/local/kafka.sh credentials)",
)
ProgramsOption = typer.Option(
    REPO / "services" / "program-registry" / "seed" / "programs",
    "--programs",
    help="the seed catalogue: each program's agency gets a principal",
)


def credentials_dir(given: Path | None) -> Path:
    if given is None:
        raise typer.BadParameter("give --credentials-dir or set RUJUKAN_KAFKA_CREDENTIALS_DIR")
    return given


@access.command("apply")
def kafka_access_apply(
    credentials: Path | None = CredentialsOption,
    programs: Path = ProgramsOption,
    as_json: bool = JsonOption,
) -> None:
    """As the cluster's admin: the catalogue's topics, then a principal for every service and
    every program's agency with its SCRAM credentials and exactly its ACLs (idempotent)."""
    applied = asyncio.run(
        kafka_access.apply(bootstrap(), credentials_dir(credentials), programs=programs)
    )
    if as_json:
        print(json.dumps(asdict(applied), indent=2))
        return
    print(applied.summary())


@access.command("watch")
def kafka_access_watch(
    credentials: Path | None = CredentialsOption, programs: Path = ProgramsOption
) -> None:
    """Apply, then again whenever programs.catalog names a new program (until SIGTERM)."""
    folder = credentials_dir(credentials)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await kafka_access.watch(bootstrap(), folder, programs=programs, stop=stop)

    asyncio.run(run())

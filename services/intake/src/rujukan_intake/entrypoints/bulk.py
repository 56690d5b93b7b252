"""Bulk import: stream a CSV or JSONL file of households into intakes through the HTTP API.

Goes through the same API as the front office (validation, consent, region scope, registry
check), in batches (``POST /v1/intakes/batch``), so nothing bypasses the rules. Memory stays
bounded: records are read lazily, one batch at a time. Every record carries an Idempotency-Key
derived from the file and its position, so a retried batch or a resumed run never creates a
second intake; the checkpoint records how many records are done. Refused records go to a
JSONL report with their reasons, each once: a resumed run first drops the refusals of the
records it is about to send again.

JSONL: one intake per line, in the shape of ``IntakeCreate``. CSV: one member per row;
consecutive rows with the same ``kk_number`` form one household (see ``CSV_COLUMNS``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from rujukan_intake.domain.intake import IntakeCreate

CSV_COLUMNS = (
    "kk_number",
    "village_code",
    "needs",
    "consent_purposes",
    "consent_recipients",
    "consent_given_at",
    "puskesos",
    "channel",
    "language",
    "email",
    "nik",
    "name",
    "birth_date",
    "sex",
    "relationship",
    "pregnant",
    "breastfeeding",
    "disability",
    "schooling",
    "working",
)
TRUE = {"1", "true", "yes", "y", "ya"}


@dataclass
class Record:
    number: int  # 0-based position of the household in the file
    data: dict[str, Any] | None
    error: str | None = None


@dataclass
class Checkpoint:
    source: str
    records_done: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0

    @classmethod
    def load(cls, path: Path, source: str) -> Checkpoint:
        if path.exists():
            data = json.loads(path.read_text())
            if data.get("source") != source:
                raise ValueError(f"{path} belongs to another file ({data.get('source')})")
            return cls(**data)
        return cls(source=source)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(asdict(self)))
        os.replace(tmp, path)  # atomic: a crash leaves the old or the new checkpoint


def source_id(path: Path) -> str:
    """Stable identity of the import file: its name and a hash of its first 64 KiB."""
    with path.open("rb") as f:
        head = f.read(65536)
    return f"{path.name}:{hashlib.sha256(head).hexdigest()[:16]}"


def read_records(path: Path) -> Iterator[Record]:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        yield from _jsonl(path)
    elif path.suffix.lower() == ".csv":
        yield from _csv(path)
    else:
        raise ValueError(f"{path.name}: expected a .jsonl or .csv file")


def count_records(path: Path) -> int:
    return sum(1 for _ in read_records(path))


def _jsonl(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8") as f:
        number = 0
        for line in f:
            if not line.strip():
                continue
            try:
                yield Record(number, json.loads(line))
            except json.JSONDecodeError as exc:
                yield Record(number, None, f"line is not JSON: {exc.msg}")
            number += 1


def _csv(path: Path) -> Iterator[Record]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [
            c for c in ("kk_number", "village_code", "nik") if c not in (reader.fieldnames or [])
        ]
        if missing:
            raise ValueError(f"{path.name}: missing columns {', '.join(missing)}")
        number, current = 0, None
        rows: list[dict[str, str]] = []
        for row in reader:
            if current is not None and row["kk_number"] != current:
                yield _household(number, rows)
                number, rows = number + 1, []
            current = row["kk_number"]
            rows.append(row)
        if rows:
            yield _household(number, rows)


def _household(number: int, rows: list[dict[str, str]]) -> Record:
    first = rows[0]

    def split(value: str | None) -> list[str]:
        return [v.strip() for v in (value or "").split(";") if v.strip()]

    try:
        data: dict[str, Any] = {
            "household": {"kk_number": first["kk_number"], "village_code": first["village_code"]},
            "members": [
                {
                    "nik": r["nik"],
                    "name": r.get("name", ""),
                    "birth_date": r.get("birth_date", ""),
                    "sex": r.get("sex", ""),
                    "relationship": r.get("relationship", "other"),
                    "pregnant": r.get("pregnant", "").lower() in TRUE,
                    "breastfeeding": r.get("breastfeeding", "").lower() in TRUE,
                    "disability": r.get("disability") or "none",
                    "schooling": r.get("schooling") or "not_yet",
                    "working": r.get("working", "").lower() in TRUE,
                }
                for r in rows
            ],
            "needs": split(first.get("needs")),
            "consent": {
                "purposes": split(first.get("consent_purposes")),
                "recipients": split(first.get("consent_recipients")) or ["*"],
                "given_at": first.get("consent_given_at", ""),
            }
            if first.get("consent_purposes")
            else None,
            "taken_by": {
                "puskesos": first.get("puskesos") or "bulk import",
                "channel": first.get("channel") or "front_office",
            },
        }
        if first.get("email"):
            data["contact"] = {"language": first.get("language") or "id", "email": first["email"]}
        return Record(number, data)
    except KeyError as exc:
        return Record(number, None, f"missing column {exc}")


def _shape_errors(exc: ValidationError) -> list[dict[str, str]]:
    out = []
    for e in exc.errors():
        field = ""
        for part in e["loc"]:
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
        out.append({"field": field or "record", "reason": str(e["msg"])})
    return out


class ImportAborted(RuntimeError):
    pass


@dataclass(kw_only=True)
class Importer:
    """Sends one file's records to the intake service, a batch at a time, from its checkpoint
    on; ``rate`` in households per second (0: as fast as the service answers)."""

    client: httpx.Client
    path: Path
    checkpoint_path: Path
    rejects_path: Path
    batch_size: int = 200
    rate: float = 0.0
    max_retries: int = 8

    def __post_init__(self) -> None:
        self._source = source_id(self.path)
        self.checkpoint = Checkpoint.load(self.checkpoint_path, self._source)

    def run(self, *, on_progress: Any = None, stop_after: int | None = None) -> Checkpoint:
        """Import from the checkpoint on; ``stop_after`` records (for a partial run)."""
        records = islice(read_records(self.path), self.checkpoint.records_done, None)
        if stop_after is not None:
            records = islice(records, stop_after)
        started, sent = time.monotonic(), 0
        self._forget_rejects_from(self.checkpoint.records_done)
        with self.rejects_path.open("a", encoding="utf-8") as rejects:
            while batch := list(islice(records, self.batch_size)):
                self._send(batch, rejects)
                sent += len(batch)
                self.checkpoint.records_done = batch[-1].number + 1
                self.checkpoint.save(self.checkpoint_path)
                if on_progress:
                    on_progress(len(batch))
                if self.rate > 0:  # pace to the average rate asked for
                    ahead = sent / self.rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
        return self.checkpoint

    def _send(self, batch: list[Record], rejects: Any) -> None:
        items: list[dict[str, Any]] = []
        numbers: list[int] = []
        for record in batch:
            if record.data is None:
                self._reject(
                    rejects, record.number, [{"field": "record", "reason": record.error or ""}]
                )
                continue
            try:
                intake = IntakeCreate.model_validate(record.data)
            except ValidationError as exc:
                self._reject(rejects, record.number, _shape_errors(exc))
                continue
            items.append(
                {
                    "idempotency_key": f"import:{self._source}:{record.number}",
                    "intake": intake.model_dump(mode="json"),
                }
            )
            numbers.append(record.number)
        if not items:
            return
        body = self._post({"items": items})
        for number, result in zip(numbers, body["results"], strict=True):
            if result["problem"] is not None:
                problem = result["problem"]
                errors = problem.get("errors") or [
                    {"field": "record", "reason": problem.get("detail") or problem["title"]}
                ]
                self._reject(rejects, number, errors)
            elif result["duplicate"]:
                self.checkpoint.duplicates += 1
            else:
                self.checkpoint.accepted += 1

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        delay = 0.5
        for attempt in range(self.max_retries + 1):
            try:
                response = self.client.post("/v1/intakes/batch", json=body)
            except httpx.TransportError as exc:
                if attempt == self.max_retries:
                    raise ImportAborted(
                        f"layanan intake tidak terjangkau (intake service unreachable): {exc}"
                    ) from exc
            else:
                if response.status_code == 200:
                    result: dict[str, Any] = response.json()
                    return result
                if response.status_code in (401, 403, 413, 422):
                    raise ImportAborted(
                        f"layanan intake menolak batch ini (intake service refused the batch, "
                        f"{response.status_code}): {response.json().get('detail', response.text)}"
                    )
                if attempt == self.max_retries:
                    raise ImportAborted(
                        "layanan intake terus gagal (intake service keeps failing, "
                        f"{response.status_code})"
                    )
            time.sleep(delay)  # retries are safe: every item has its Idempotency-Key
            delay = min(delay * 2, 15.0)
        raise AssertionError("unreachable")

    def _forget_rejects_from(self, number: int) -> None:
        """Drop the report's refusals of records ``number`` on: an interrupted run may have
        written them before its checkpoint moved past them, and this run refuses them again."""
        if not self.rejects_path.exists():
            return
        kept = self.rejects_path.with_suffix(self.rejects_path.suffix + ".tmp")
        with (
            self.rejects_path.open(encoding="utf-8") as old,
            kept.open("w", encoding="utf-8") as new,
        ):
            for line in old:
                if line.strip() and json.loads(line)["record"] < number:
                    new.write(line)
        os.replace(kept, self.rejects_path)

    def _reject(self, rejects: Any, number: int, errors: list[dict[str, str]]) -> None:
        self.checkpoint.refused += 1
        rejects.write(json.dumps({"record": number, "errors": errors}, ensure_ascii=False) + "\n")


def run_with_progress(
    importer: Importer, total: int, console: Console, *, stop_after: int | None = None
) -> Checkpoint:
    """Run the import under one progress bar (shown on a terminal only): what it does, the
    bar, records done of the file's, time left."""
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        task = progress.add_task(
            "importing", total=total, completed=importer.checkpoint.records_done
        )
        return importer.run(on_progress=lambda n: progress.advance(task, n), stop_after=stop_after)

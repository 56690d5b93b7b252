"""``python -m rujukan_intake serve|consume|relay|migrate|load-registry|import|reseal``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import typer

from rujukan_intake.adapters.names import SEALED_COLUMNS
from rujukan_intake.adapters.registry import (
    BadRegistryRow,
    LoadResult,
    RegistryRow,
    read_registry_csv,
)
from rujukan_intake.bootstrap import definition
from rujukan_intake.domain.identity import keyed_hash
from rujukan_intake.service_layer.unit_of_work import IntakeUnitOfWork
from rujukan_intake.settings import IntakeSettings
from rujukan_platform.db import make_engine, make_sessions
from rujukan_platform.resealing import add_reseal_command
from rujukan_platform.runtime import command_line

cli = command_line(definition)
add_reseal_command(cli, IntakeSettings, SEALED_COLUMNS)  # names, NIKs, KKs, addresses, contacts


@cli.command("load-registry")
def load_registry_command(
    csv_path: Path = typer.Argument(..., exists=True, dir_okay=False, help="kk,decile,..."),
) -> None:
    """Load (upsert) the local social-registry table from a CSV: kk,decile,enrolments,has_kks
    and niks (the members' NIKs, ;-separated, so a household is found by NIK too).

    Streams any size (a national file of 26 M families) in one transaction: the first bad row
    stops the load with its line number and nothing is applied."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    settings = IntakeSettings()
    key = settings.pii_key.get_secret_value()
    rows = read_registry_csv(csv_path, lambda value: keyed_hash(key, value))
    size = csv_path.stat().st_size
    console = Console(stderr=True)
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )

    async def run(progress: Progress) -> LoadResult:
        task = progress.add_task("validating and staging", total=size)

        def staged(count: int) -> None:
            progress.update(task, completed=rows.bytes_read, description=f"{count:,} rows staged")

        def then_applying() -> Iterator[RegistryRow]:
            yield from rows
            progress.update(task, completed=size, description="applying to the registry table")

        engine = make_engine(settings.dsn, pool_size=1)
        try:
            async with IntakeUnitOfWork(make_sessions(engine)) as uow:
                result = await uow.registry.load(then_applying(), on_chunk=staged)
                progress.update(task, description="committing")
                await uow.commit()
                return result
        finally:
            await engine.dispose()

    started = time.monotonic()
    with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
        try:
            result = asyncio.run(run(progress))
        except BadRegistryRow as exc:
            console.print(f"registry: {csv_path.name} {exc}; nothing loaded", markup=False)
            raise typer.Exit(1) from exc
    seconds = time.monotonic() - started
    members = f", {result.members:,} members' NIKs" if result.members else ""
    print(
        f"registry: {result.rows:,} households loaded from {csv_path.name}: "
        f"{result.inserted:,} new, {result.updated:,} changed, {result.unchanged:,} unchanged"
        f"{members} in {seconds:.1f} s ({result.rows / seconds:,.0f} rows/s)"
    )


@cli.command("import")
def import_command(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help=".jsonl or .csv"),
    url: str = typer.Option("http://127.0.0.1:8001", help="the intake service"),
    token: str = typer.Option(..., envvar="RUJUKAN_TOKEN", help="an operator or admin token"),
    batch: int = typer.Option(200, min=1, max=500, help="intakes per request"),
    rate: float = typer.Option(0.0, min=0.0, help="households per second; 0 = as fast as served"),
    checkpoint: Path | None = typer.Option(None, help="default: <file>.checkpoint"),
    rejects: Path | None = typer.Option(None, help="default: <file>.rejects.jsonl"),
    stop_after: int | None = typer.Option(None, help="stop after this many records (resume later)"),
) -> None:
    """Stream households from a file into intakes: resumable, rate-limited, with a report."""
    from rich.console import Console

    from rujukan_intake.entrypoints.bulk import (
        ImportAborted,
        Importer,
        count_records,
        run_with_progress,
    )

    console = Console(stderr=True)
    checkpoint = checkpoint or path.with_name(path.name + ".checkpoint")
    rejects = rejects or path.with_name(path.name + ".rejects.jsonl")
    with httpx.Client(
        base_url=url, timeout=60, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        importer = Importer(
            client=client,
            path=path,
            checkpoint_path=checkpoint,
            rejects_path=rejects,
            batch_size=batch,
            rate=rate,
        )
        total = count_records(path)
        try:
            done = run_with_progress(importer, total, console, stop_after=stop_after)
        except ImportAborted as exc:
            console.print(
                f"[red]impor berhenti (import stopped):[/red] {exc}; perintah yang sama "
                "melanjutkannya (the same command resumes it)"
            )
            raise typer.Exit(2) from exc
    print(
        f"import: {done.records_done}/{total} records done, {done.accepted} accepted, "
        f"{done.duplicates} duplicates, {done.refused} refused (reasons in {rejects})"
    )


if __name__ == "__main__":
    cli()

"""``python -m rujukan_platform``: platform chores (topics from the catalogue, dev tokens)."""

from __future__ import annotations

import asyncio

import typer

from rujukan_platform.auth import cli as token_cli
from rujukan_platform.kafka import ensure_catalogue_topics
from rujukan_platform.settings import ServiceSettings

cli = typer.Typer(no_args_is_help=True, help="Rujukan platform chores")
cli.add_typer(token_cli, name="token")


@cli.command()
def topics() -> None:
    """Create every catalogue topic (and its DLQ) that does not exist yet."""
    bootstrap = ServiceSettings().kafka_bootstrap
    created = asyncio.run(ensure_catalogue_topics(bootstrap))
    print(f"topics: {len(created)} created" + (f" ({', '.join(created)})" if created else ""))


if __name__ == "__main__":
    cli()

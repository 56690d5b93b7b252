"""``python -m rujukan_workbench serve``: the workbench's pages on ``RUJUKAN_WORKBENCH_PORT``;
``migrate``: its one table (the signed-in sessions) in ``RUJUKAN_WORKBENCH_DATABASE``.

No consumers: the workbench has no Kafka and no outbox, so it is not a ``ServiceDefinition``
(whose runtime opens both); it shares the platform's settings base, Alembic helpers, logging,
``/healthz`` and ``/metrics`` (``http.install_operations``).
"""

from __future__ import annotations

from pathlib import Path

import typer
import uvicorn

from rujukan_platform import telemetry
from rujukan_platform.logging import configure_logging
from rujukan_workbench.app import create_app
from rujukan_workbench.settings import WorkbenchSettings

#: services/workbench/migrations, beside the src/ this package is in
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
cli = typer.Typer(help="Rujukan workbench (the officers' web pages)", no_args_is_help=True)


@cli.command()
def serve() -> None:
    """Serve the pages."""
    settings = WorkbenchSettings()
    configure_logging(service="workbench", level=settings.log_level, json=settings.log_json)
    telemetry.configure("workbench", environment=settings.environment)  # with a collector named
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop=settings.event_loop,
        http=settings.http_parser,
        log_config=None,
        access_log=False,
    )


@cli.command()
def migrate() -> None:
    """``alembic upgrade head`` on the workbench's database."""
    from alembic import command
    from alembic.config import Config

    from rujukan_workbench.sessions import metadata

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", WorkbenchSettings().dsn)
    cfg.attributes["metadata"] = metadata
    command.upgrade(cfg, "head")


@cli.command()
def version() -> None:
    """Print the package's version."""
    from importlib.metadata import version as installed

    print(installed("rujukan-workbench"))


if __name__ == "__main__":
    cli()

"""``python -m rujukan_workbench serve``: the workbench's pages on ``RUJUKAN_WORKBENCH_PORT``.

No ``migrate`` and no consumers: the workbench has no database and no Kafka of its own, so it
is not a ``ServiceDefinition`` (whose runtime opens both); it shares the platform's settings
base, logging, ``/healthz`` and ``/metrics`` (``http.install_operations``).
"""

from __future__ import annotations

import typer
import uvicorn

from rujukan_platform import telemetry
from rujukan_platform.logging import configure_logging
from rujukan_workbench.app import create_app
from rujukan_workbench.settings import WorkbenchSettings

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
        log_config=None,
        access_log=False,
    )


@cli.command()
def version() -> None:
    """Print the package's version."""
    from importlib.metadata import version as installed

    print(installed("rujukan-workbench"))


if __name__ == "__main__":
    cli()

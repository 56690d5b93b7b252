"""Run a service: one shape for all four.

A service declares a ``ServiceDefinition`` in its ``bootstrap.py``: settings, tables and
migrations, its unit of work, its dependencies (what its handlers share in one process, typed),
its one handler table, the consumers that apply parts of it, its module-level routers and its
background jobs. ``python -m <package>`` then offers the same commands everywhere:

* ``serve``   — HTTP API, outbox relay and every consumer in one process (the local default);
* ``consume NAME`` — one consumer alone, for scaling by replicas in one consumer group;
* ``relay``   — the outbox relay alone;
* ``migrate`` — ``alembic upgrade head`` on the service's own database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import typer
import uvicorn
import uvloop
from aiokafka import AIOKafkaProducer
from aiokafka.errors import OutOfOrderSequenceNumber, ProducerFenced
from fastapi import APIRouter, FastAPI
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from rujukan_platform import metrics, telemetry
from rujukan_platform.access import POLICY, Rule
from rujukan_platform.consumer import ConsumerRunner, ConsumerSpec
from rujukan_platform.db import make_engine, make_sessions, ping
from rujukan_platform.failures import describe, is_transient
from rujukan_platform.handlers import Handlers, Published
from rujukan_platform.heap import tune_collector
from rujukan_platform.kafka import make_consumer, make_producer
from rujukan_platform.logging import configure_logging, get_logger
from rujukan_platform.outbox import OutboxEvent, OutboxRelay, follow_up
from rujukan_platform.revocations import Revocations
from rujukan_platform.settings import ServiceSettings
from rujukan_platform.uow import UnitOfWork

log = get_logger(__name__)


D = TypeVar("D")
T = TypeVar("T")


def _no_dependencies(_runtime: Runtime[Any]) -> None:
    return None


def _no_jobs(_runtime: Runtime[Any]) -> list[Job]:
    return []


def _no_consumers(_runtime: Runtime[Any]) -> list[ConsumerSpec]:
    return []


def _empty_table(_runtime: Runtime[Any]) -> Handlers[Any]:
    return Handlers()


Job = Callable[[asyncio.Event], Coroutine[Any, Any, None]]
"""A background job of the process: runs until the event is set."""


def migrations_beside(bootstrap: str) -> Path:
    """The Alembic folder of the service whose ``bootstrap.py`` is at ``bootstrap`` (its
    ``__file__``): ``services/<name>/migrations``, beside the ``src/`` the package is in."""
    return Path(bootstrap).resolve().parents[2] / "migrations"


@dataclass
class ServiceDefinition(Generic[D]):
    """Everything that makes a service itself; the runtime does the rest the same way."""

    name: str
    title: str
    description: str
    settings_factory: Callable[[], ServiceSettings]
    metadata: MetaData
    migrations: Path
    #: module-level routers; their routes reach the runtime through rujukan_platform.dependencies
    routers: Sequence[APIRouter]
    unit_of_work: type[UnitOfWork] = UnitOfWork
    #: what the service's handlers share in one process (its catalogue view, sealer, ...)
    dependencies: Callable[[Runtime[D]], D] = _no_dependencies  # type: ignore[assignment]
    #: the one table: message type -> handler(message, uow)
    handlers: Callable[[Runtime[D]], Handlers[Any]] = _empty_table
    consumers: Callable[[Runtime[D]], list[ConsumerSpec]] = _no_consumers
    background: Callable[[Runtime[D]], list[Job]] = _no_jobs
    #: nobody waits within a second on the events this service publishes: its relay, woken by
    #: a commit, gathers the commits of ``outbox_patient_seconds`` into one look
    patient_relay: bool = False
    #: checks that must pass before the service starts (templates that must render, ...)
    on_start: Callable[[], None] = lambda: None
    #: who may call which route (``access.POLICY``, the platform's one table, unless a test
    #: service brings its own)
    policy: Mapping[str, Mapping[tuple[str, str], Rule]] = field(default_factory=lambda: POLICY)


class Runtime(Generic[D]):
    """The live dependencies of one service process, started and stopped together."""

    def __init__(self, definition: ServiceDefinition[D], settings: ServiceSettings | None = None):
        self.definition = definition
        self.settings = settings or definition.settings_factory()
        #: called after every commit of the service's units of work (the notifications
        #: dispatcher looks for the deliveries just planned rather than at its next poll)
        self.after_commit: list[Callable[[], None]] = []
        self.engine = make_engine(self.settings.dsn)
        self.sessions = make_sessions(self.engine)
        telemetry.instrument_engine(self.engine)
        self.producer: AIOKafkaProducer = make_producer(
            self.settings.kafka_bootstrap, client_id=f"rujukan-{definition.name}"
        )
        patience = self.settings.outbox_patient_seconds if definition.patient_relay else 0.0
        self.relay = OutboxRelay(
            sessions=self.sessions,
            producer=self.producer,
            source=f"/rujukan/{definition.name}",
            batch_size=self.settings.outbox_batch,
            poll_seconds=self.settings.outbox_poll_seconds,
            idle_poll_seconds=self.settings.outbox_idle_poll_seconds,
            patience_seconds=patience,
            on_published=self._after_publish,
        )
        self.stop_event = asyncio.Event()
        self.failed: BaseException | None = None
        self.on_fatal: Callable[[BaseException], None] = _terminate_process
        self._tasks: list[asyncio.Task[None]] = []
        self.runners: dict[str, ConsumerRunner] = {}
        #: tasks that failed and are waiting to be restarted, with why
        self.task_failures: dict[str, str] = {}
        self._producer_started = False
        #: closed when the runtime stops (HTTP clients of adapters, ...)
        self.closers: list[Callable[[], Coroutine[Any, Any, None]]] = []
        #: revoked tokens, read while the process serves the API (``lifespan``)
        self.revocations = Revocations(
            bootstrap=self.settings.kafka_bootstrap,
            client_id=f"rujukan-{definition.name}-revocations-{os.getpid()}",
        )
        self._serves_api = False
        #: what the service's handlers share in this process
        self.deps: D = definition.dependencies(self)
        #: the service's handler table
        self.handlers: Handlers[Any] = definition.handlers(self)

    def unit_of_work(self, *, traceparent: str | None = None) -> UnitOfWork:
        """A new unit of work of the service; its commits wake the relay (and ``after_commit``).
        With tracing on, the events it raises carry the span active now (the request's) as
        their ``traceparent``."""
        traceparent = telemetry.current_traceparent() or traceparent
        return self.definition.unit_of_work(
            self.sessions, traceparent=traceparent, on_commit=self._committed
        )

    def _committed(self, staged: int) -> None:
        if staged:
            self.relay.wake()
        for call in self.after_commit:
            call()

    def consumer(
        self,
        name: str,
        topics: Sequence[str],
        *applies: type[Any],
        pattern: str | None = None,
        patient: bool = False,
    ) -> ConsumerSpec:
        """A consumer named ``name`` that applies the table's handlers of ``applies`` (the
        event types its topics carry) to ``topics``, or to every topic matching ``pattern``;
        ``patient``: nobody waits on it within a second (``ConsumerSpec.patient``)."""
        return ConsumerSpec(
            name=name,
            topics=list(topics),
            handlers=self.handlers.only(*applies),
            pattern=pattern,
            patient=patient,
        )

    async def handle(self, message: Any, *, traceparent: str | None = None) -> Any:
        """Handle one command or event in a unit of work of its own, and commit it."""
        async with self.unit_of_work(traceparent=traceparent) as uow:
            result = await self.handlers.handle(message, uow)
            await uow.commit()
            return result

    async def _after_publish(
        self, session: AsyncSession, published: Sequence[OutboxEvent]
    ) -> Sequence[OutboxEvent]:
        """The relay's hook: the table's ``Published`` handler, in the relay's transaction;
        its events are published by the relay (follow-ups), not staged."""
        if Published not in self.handlers:
            return ()
        uow = self.definition.unit_of_work.joining(session)
        await self.handlers.handle(Published(published), uow)
        return [follow_up(record) for record in uow.take_events()]

    async def start(self, *, relay: bool, consumers: list[str] | None) -> None:
        """Start the relay, the named consumers (``None``: as settings say) and the background
        jobs once the broker answers. Returns at once: a service started while Kafka or
        PostgreSQL is away serves ``/healthz``, says in ``/readyz`` why it is not ready, and
        carries on when they are back."""
        try:
            await self.producer.start()  # the usual case: the broker answers at once
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("broker not reachable; starting without it", error=describe(exc))
        else:
            self._producer_started = True
        self._spawn("start", lambda: self._start_after_broker(relay, consumers))

    async def _start_after_broker(self, relay: bool, consumers: list[str] | None) -> None:
        if not self._producer_started:
            await _until_connected("kafka producer", self.producer.start, self.stop_event)
            self._producer_started = True
        if relay:
            self._spawn("outbox-relay", lambda: self.relay.run(self.stop_event))
        if self._serves_api:
            self._spawn("revocations", lambda: self.revocations.run(self.stop_event))
        for spec in self.definition.consumers(self):
            wanted = (
                self.settings.runs_consumer(spec.name)
                if consumers is None
                else (spec.name in consumers)
            )
            if wanted:
                self._spawn(f"consumer:{spec.name}", partial(self._run_consumer, spec))
        for job in self.definition.background(self):
            self._spawn(getattr(job, "__name__", "background"), partial(job, self.stop_event))
        tune_collector()  # everything loaded so far lives as long as the process

    async def _run_consumer(self, spec: ConsumerSpec) -> None:
        fetch = self.settings.fetch_options(patient=spec.patient)
        consumer = make_consumer(
            self.settings.kafka_bootstrap,
            group_id=spec.group,
            client_id=f"rujukan-{self.definition.name}-{spec.name}-{os.getpid()}",
            max_poll_records=self.settings.consumer_batch,
            fetch_min_bytes=fetch.min_bytes,
            fetch_max_wait_ms=fetch.max_wait_ms,
            # a pattern subscription sees a new topic (a new program's) at the next refresh
            metadata_max_age_ms=30_000 if spec.pattern else 300_000,
        )
        runner = ConsumerRunner(
            spec,
            consumer=consumer,
            producer=self.producer,
            unit_of_work=self.unit_of_work,
            max_records=self.settings.consumer_batch,
        )
        self.runners[spec.name] = runner
        try:
            await _until_connected(f"consumer {spec.name}", consumer.start, self.stop_event)
            await runner.run(self.stop_event)
        finally:
            await runner.wait_idle()
            await consumer.stop()

    def _spawn(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run a long-lived task of the process. A task that fails is restarted with backoff
        (``/readyz`` shows the failure meanwhile): no single failure stops the service."""
        self._tasks.append(asyncio.create_task(self._supervised(name, run), name=name))

    async def _supervised(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        backoff = 1.0
        while not self.stop_event.is_set():
            try:
                await self._healthy_after(name, asyncio.ensure_future(run()))
                return
            except Exception as exc:
                if self.stop_event.is_set():
                    return
                if _is_fatal(exc):
                    log.critical(
                        "fatal failure; stopping the service", task=name, error=describe(exc)
                    )
                    self.failed = exc
                    self.on_fatal(exc)
                    return
                self.task_failures[name] = describe(exc)
                metrics.TASK_RESTARTS.labels(task=name).inc()
                log.exception("task failed; restarting it", task=name, backoff_seconds=backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_event.wait(), timeout=backoff)
                backoff = min(backoff * 2, 60.0)

    async def _healthy_after(
        self, name: str, task: asyncio.Future[None], seconds: float = 5.0
    ) -> None:
        """Await ``task``; a task restarted after a failure that has run ``seconds`` without
        failing again is well again (``/readyz`` stops showing the failure)."""
        try:
            done, _ = await asyncio.wait({task}, timeout=seconds)
            if not done:
                self.task_failures.pop(name, None)
            await task
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def stop(self) -> None:
        self.stop_event.set()
        if self._tasks:
            _done, pending = await asyncio.wait(self._tasks, timeout=15)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        # Also ends a start still waiting for the broker; a producer never started has only
        # its client to close (left open, the garbage collector reports it unclosed).
        await self.producer.stop()
        for close in self.closers:
            await close()
        await self.engine.dispose()

    def readiness(self) -> dict[str, Callable[[], Coroutine[Any, Any, None]]]:
        async def database() -> None:
            await ping(self.engine)

        async def kafka() -> None:
            if not self._producer_started:
                raise NotReady("waiting for the broker")
            await self.producer.client.fetch_all_metadata()

        async def work() -> None:
            problems = [f"{name}: {why}" for name, why in self.task_failures.items()]
            for name, runner in self.runners.items():
                problems += [f"consumer {name}: {p}" for p in runner.problems()]
            if self._serves_api and not self.revocations.ready.is_set():
                problems.append("loading the token revocations")
            if problems:
                raise NotReady("; ".join(problems))

        return {"database": database, "kafka": kafka, "work": work}

    @asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        app.state.authenticator.watch(self.revocations)  # the API refuses revoked tokens
        self._serves_api = True
        await self.start(relay=self.settings.run_relay, consumers=None)
        try:
            yield
        finally:
            await self.stop()


def _terminate_process(_exc: BaseException) -> None:
    signal.raise_signal(signal.SIGTERM)


class NotReady(Exception):
    """A readiness check's answer: why the process cannot do its work right now."""


def _is_fatal(exc: BaseException) -> bool:
    """Failures the process cannot recover from in place: the idempotent producer lost its
    sequence (aiokafka's advice: start again), so the supervisor restarts the process."""
    return isinstance(exc, (OutOfOrderSequenceNumber, ProducerFenced))


async def _until_connected(
    what: str, start: Callable[[], Coroutine[Any, Any, None]], stop: asyncio.Event
) -> None:
    """Call ``start`` until the broker answers, with backoff: weather never stops a service."""
    backoff = 0.5
    while True:
        try:
            await start()
            return
        except Exception as exc:
            if stop.is_set() or not is_transient(exc):
                raise
            log.warning(
                "broker not reachable; waiting",
                client=what,
                error=describe(exc),
                backoff_seconds=backoff,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff)
            if stop.is_set():
                raise
            backoff = min(backoff * 2, 15.0)


def migrate(definition: ServiceDefinition[Any], dsn: str) -> None:
    """``alembic upgrade head`` for the service (synchronous: alembic runs its own loop)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(definition.migrations))
    cfg.set_main_option("sqlalchemy.url", dsn)
    cfg.attributes["metadata"] = definition.metadata
    command.upgrade(cfg, "head")


def run_in_loop(main: Coroutine[Any, Any, T], event_loop: Literal["uvloop", "asyncio"]) -> T:
    """Run a long-running process's ``main`` in the loop its settings name: uvloop's (libuv,
    with asyncpg's and uvicorn's fast paths) unless told otherwise."""
    if event_loop == "uvloop":
        return uvloop.run(main)
    return asyncio.run(main)


def lower_priority(settings: ServiceSettings) -> None:
    """Run this process at least at the niceness its settings ask for (``cpu_niceness``; one
    started nicer stays so), before any thread starts: a thread keeps the niceness it was
    created with."""
    now = os.nice(0)
    if settings.cpu_niceness > now:
        os.nice(settings.cpu_niceness - now)


def command_line(definition: ServiceDefinition[Any]) -> typer.Typer:
    app = typer.Typer(help=f"Rujukan {definition.name} service", no_args_is_help=True)

    def settings() -> ServiceSettings:
        s = definition.settings_factory()
        lower_priority(s)  # first: a thread started before it (telemetry's) would keep 0
        configure_logging(service=definition.name, level=s.log_level, json=s.log_json)
        telemetry.configure(definition.name, environment=s.environment)
        return s

    @app.command()
    def serve() -> None:
        """HTTP API + outbox relay + consumers, in one process."""
        s = settings()

        async def main() -> Runtime[Any]:
            runtime = Runtime(definition, s)  # aiokafka clients need the running loop
            config = uvicorn.Config(
                build_app(runtime),
                host=s.host,
                port=s.port,
                http=s.http_parser,
                log_config=None,
                access_log=False,
            )
            await uvicorn.Server(config).serve()
            return runtime

        if run_in_loop(main(), s.event_loop).failed is not None:
            sys.exit(1)

    @app.command()
    def consume(name: str) -> None:
        """Run one consumer (several replicas share its consumer group)."""
        s = settings()
        run_in_loop(_run_headless(definition, s, relay=False, consumers=[name]), s.event_loop)

    @app.command()
    def relay() -> None:
        """Run the outbox relay alone."""
        s = settings()
        run_in_loop(_run_headless(definition, s, relay=True, consumers=[]), s.event_loop)

    @app.command(name="migrate")
    def migrate_command() -> None:
        """Bring the service's database schema to the newest migration."""
        s = settings()
        migrate(definition, s.dsn)
        log.info("database migrated", database=s.database)

    return app


async def _run_headless(
    definition: ServiceDefinition[Any], s: ServiceSettings, *, relay: bool, consumers: list[str]
) -> None:
    runtime = Runtime(definition, s)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, runtime.stop_event.set)
    runtime.on_fatal = lambda _exc: runtime.stop_event.set()
    await runtime.start(relay=relay, consumers=consumers)
    await runtime.stop_event.wait()
    await runtime.stop()
    if runtime.failed is not None:
        sys.exit(1)


def build_app(runtime: Runtime[Any]) -> FastAPI:
    """The service's FastAPI app: its routers behind the one access check, problem errors,
    health, readiness and metrics (``http.create_app``), run by this runtime."""
    from rujukan_platform.http import create_app

    definition = runtime.definition
    definition.on_start()
    app = create_app(
        settings=runtime.settings,
        title=definition.title,
        description=definition.description,
        routers=definition.routers,
        lifespan=runtime.lifespan,
        readiness=runtime.readiness,
        policy=definition.policy,
    )
    app.state.runtime = (
        runtime  # what the routes' dependencies (rujukan_platform.dependencies) read
    )
    app.add_middleware(telemetry.CarryTraceparent)
    telemetry.instrument_app(app)  # a span per request, with tracing on
    return app

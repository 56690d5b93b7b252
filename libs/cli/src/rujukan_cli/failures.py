"""How the operator CLI says that a command failed: one line, in Bahasa Indonesia and then in
English, and an exit code; never a Python traceback (``RUJUKAN_DEBUG=1`` shows it).

Every command of ``rujukan`` runs in :class:`Failures`, so an unknown topic, an unreachable
broker or service, a missing file or a malformed one is said here, once, for all of them.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import httpx
import typer
import yaml
from aiokafka.errors import KafkaError
from confluent_kafka import KafkaException
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

BAD_INPUT = 2  # as click's own usage errors
UNAVAILABLE = 1
errors = Console(stderr=True)


class UnknownTopic(LookupError):
    """The broker has no topic of this name."""

    def __init__(self, topic: str) -> None:
        super().__init__(topic)
        self.topic = topic


class NotADeadLetterTopic(ValueError):
    """DLQ commands read ``<topic>.dlq`` topics only (another topic's records are no dead
    letters, and a replay would re-publish them to themselves)."""

    def __init__(self, topic: str) -> None:
        super().__init__(f"{topic!r} is not a dead-letter topic (<topic>.dlq)")
        self.topic = topic


class UnknownGroup(LookupError):
    """No consumer group of this name has committed an offset."""

    def __init__(self, group: str) -> None:
        super().__init__(group)
        self.group = group


def _kafka_target() -> str:
    return os.environ.get("RUJUKAN_KAFKA_BOOTSTRAP", "127.0.0.1:9092")


def _url(exc: httpx.RequestError) -> str:
    try:
        return str(exc.request.url.copy_with(query=None))
    except RuntimeError:  # no request attached
        return "?"


def explain(exc: BaseException) -> tuple[str, int]:
    """What went wrong, for the operator (Indonesian, then English), and the exit code."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, UnknownTopic):
        return (
            f"topik {exc.topic!r} tidak ada di broker {_kafka_target()} "
            f"(topic {exc.topic!r} does not exist)",
            BAD_INPUT,
        )
    if isinstance(exc, UnknownGroup):
        return (
            f"kelompok konsumen {exc.group!r} tidak punya offset di broker {_kafka_target()} "
            f"(consumer group {exc.group!r} has no committed offsets)",
            BAD_INPUT,
        )
    if isinstance(exc, NotADeadLetterTopic):
        return (
            f"{exc.topic!r} bukan topik DLQ, yang namanya <topik>.dlq "
            f"({exc.topic!r} is not a dead-letter topic)",
            BAD_INPUT,
        )
    if isinstance(exc, KafkaError | KafkaException):
        return (
            f"broker {_kafka_target()} tidak dapat dihubungi atau menolak permintaan "
            f"(Kafka broker unreachable or refused: {detail})",
            UNAVAILABLE,
        )
    if isinstance(exc, httpx.TransportError):
        return (
            f"layanan di {_url(exc)} tidak dapat dihubungi "
            f"(service unreachable: {type(exc).__name__}: {detail})",
            UNAVAILABLE,
        )
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else ""
        return (
            f"berkas {name} tidak dapat dibaca atau ditulis "
            f"(file {name} cannot be read or written: {exc.strerror or detail})",
            BAD_INPUT if isinstance(exc, FileNotFoundError | IsADirectoryError) else UNAVAILABLE,
        )
    if isinstance(exc, yaml.YAMLError | json.JSONDecodeError | ValueError | KeyError):
        return f"masukan tidak valid (invalid input: {detail})", BAD_INPUT
    return (
        f"kesalahan tak terduga; RUJUKAN_DEBUG=1 menampilkan rinciannya "
        f"(unexpected error: {type(exc).__name__}: {detail})",
        UNAVAILABLE,
    )


class Failures(TyperGroup):
    """The CLI's top-level group: whatever a command raises ends as one line on stderr and an
    exit code (click's own usage errors and exits pass through as they are)."""

    def invoke(self, ctx: Any) -> Any:  # typer's (vendored) click.Context
        # the libraries' own error logs would repeat, in English and at length, what is said here
        for name in ("aiokafka", "kafka"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            return super().invoke(ctx)
        except (typer.TyperException, typer.Exit, typer.Abort):  # usage errors, exits
            raise
        except Exception as exc:
            if os.environ.get("RUJUKAN_DEBUG") == "1":
                raise
            message, code = explain(exc)
            errors.print(f"[red]{escape(message)}[/red]", soft_wrap=True)
            raise typer.Exit(code) from exc

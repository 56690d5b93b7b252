"""structlog JSON logs on stdout, with personal data masked before anything is written.

Every line, ours or a library's (uvicorn, aiokafka, sqlalchemy), passes the same redaction:
16-digit runs (NIK, KK numbers), e-mail addresses and phone numbers are masked. Every line
written while a request or a message is handled carries its ``trace_id`` and ``span_id``
(``telemetry.log_ids``), so a log search finds what a trace shows.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from rujukan_platform.telemetry import log_ids

_SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(?<![\w-])(\+62|62|0)8\d{7,11}(?!\d)")


def mask(text: str) -> str:
    """Mask NIK/KK numbers, e-mail addresses and Indonesian mobile numbers in free text."""
    text = _SIXTEEN_DIGITS.sub("[redacted-16-digits]", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub("[redacted-phone]", text)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(v) for v in value]
    return value


def redact_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        event_dict[key] = _redact(value)
    return event_dict


def add_trace_ids(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """``trace_id`` and ``span_id`` of the span active now (or of the traceparent carried)."""
    ids = log_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict


def configure_logging(*, service: str, level: str = "INFO", json: bool = True) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
        structlog.processors.format_exc_info,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        # a call below the logger's level is dropped first, not after every processor (the
        # time stamped, the context merged) as the stdlib logger alone would drop it
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact_processor,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for server in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # a uvicorn started with its own logging config gives these loggers handlers of their
        # own that print past the masking: every line goes through the root handler instead
        logging.getLogger(server).handlers[:] = []
        logging.getLogger(server).propagate = True
    # httpx and httpcore log every request at INFO with its whole URL: a second line for
    # every webhook notifications sends, and an agency's URL may hold its secret (a token in
    # the path or the query); failures are logged by those who call
    for noisy in ("aiokafka", "sqlalchemy.engine", "uvicorn.access", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger

"""Weather or poison: how the platform tells a failure that passes from one that will recur.

*Weather* is anything outside the record: the database or the broker unreachable, starting up
or shutting down, a deadlock or serialization failure lost to another transaction, a timeout.
Retrying the same work later succeeds, so consumers pause and retry, and APIs answer 503.

Everything else — invalid data, a constraint violation, bad encoding, a bug in a handler — is
*poison*: the same record fails the same way every time, so retrying it forever would stop the
consumer. It gets a bounded number of tries and then goes to the dead-letter topic.
"""

from __future__ import annotations

import asyncio

import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

# SQLSTATE classes and codes that describe the server or the connection, never the data:
# 08 connection exception, 53 insufficient resources, 57P01-57P05 shutdown / cannot connect now /
# idle timeouts, 58 system error (I/O), 40001 serialization failure, 40P01 deadlock, 55P03 lock
# not available, 57014 statement cancelled (timeouts).
_TRANSIENT_CLASSES = ("08", "53", "58")
_TRANSIENT_CODES = frozenset(
    {"40001", "40P01", "55P03", "57014", "57P01", "57P02", "57P03", "57P04", "57P05"}
)

_TRANSIENT_DRIVER_ERRORS = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error, wrapped by SQLAlchemy or not."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def is_transient(exc: BaseException) -> bool:
    """Weather: the same work may succeed if tried again later."""
    if isinstance(exc, (PoolTimeoutError, KafkaConnectionError, KafkaTimeoutError)):
        return True
    if isinstance(exc, KafkaError):
        return bool(getattr(exc, "retriable", False))
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        code = sqlstate(exc)
        if code is not None:
            return code in _TRANSIENT_CODES or code[:2] in _TRANSIENT_CLASSES
        # no SQLSTATE: the driver failed before the server answered (connection refused, ...)
        return isinstance(exc, (OperationalError, InterfaceError)) or (
            exc.orig is not None and is_transient(exc.orig)
        )
    if isinstance(exc, _TRANSIENT_DRIVER_ERRORS):
        return True
    code = sqlstate(exc)
    if code is not None:
        return code in _TRANSIENT_CODES or code[:2] in _TRANSIENT_CLASSES
    return isinstance(exc, (ConnectionError, TimeoutError, asyncio.TimeoutError))


def root_cause(exc: BaseException) -> BaseException:
    """The driver's own exception under SQLAlchemy's wrapper (its message carries no SQL and
    no parameters, which may hold personal data)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        orig: BaseException = exc.orig
        return orig.__cause__ or orig
    return exc


def describe(exc: BaseException) -> str:
    """A short, single-line account of a failure for a log line, a DLQ header or /readyz."""
    cause = root_cause(exc)
    # a server error's primary message only: its DETAIL may quote the row's values
    message = getattr(cause, "message", None)
    text = " ".join((message if isinstance(message, str) else str(cause)).split())[:500]
    code = sqlstate(exc)
    if code:
        text = f"{text} (SQLSTATE {code})"
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__

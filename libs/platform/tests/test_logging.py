"""Service logs: one JSON object per line on stdout, ours and the libraries', with NIK and KK
numbers, e-mail addresses and phone numbers masked wherever they appear."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from rujukan_platform.logging import configure_logging, get_logger, mask

NIK = "3304011203840001"
KK = "3304010101200001"
EMAIL = "siti.aminah@example.org"
PHONE = "+6281234567890"
NOISY = ("aiokafka", "sqlalchemy.engine", "uvicorn.access", "httpx", "httpcore")


@pytest.fixture
def restored() -> Iterator[None]:
    """Put the process's logging back as it was (other tests in this worker log too)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY}
    config = structlog.get_config()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in noisy.items():
        logging.getLogger(name).setLevel(was)
    structlog.configure(**config)
    structlog.contextvars.clear_contextvars()


def lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_our_lines_are_json_with_personal_data_masked_however_deep(
    restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(service="intake")
    get_logger("test.logging.ours").info(
        f"household {KK} stored",
        nik=NIK,
        contact={"email": EMAIL, "phones": [PHONE, "0812 not a phone"]},
        members=(NIK, 3),
        decile=2,
    )
    (line,) = lines(capsys.readouterr().out)
    assert line["service"] == "intake" and line["level"] == "info"
    assert line["logger"] == "test.logging.ours" and line["timestamp"].endswith("Z")
    assert line["event"] == "household [redacted-16-digits] stored"
    assert line["nik"] == "[redacted-16-digits]"
    assert line["contact"] == {
        "email": "s***@example.org",
        "phones": ["[redacted-phone]", "0812 not a phone"],
    }
    assert line["members"] == ["[redacted-16-digits]", 3] and line["decile"] == 2


def test_library_lines_and_tracebacks_are_masked_too(
    restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(service="router", level="debug")
    logging.getLogger("uvicorn.error").warning("client %s sent %s", EMAIL, NIK)
    try:
        raise ValueError(f"duplicate key (nik)=({NIK})")
    except ValueError:
        get_logger("test.logging.traceback").exception("handler failed")
    library, failure = lines(capsys.readouterr().out)
    assert library["event"] == "client s***@example.org sent [redacted-16-digits]"
    assert library["level"] == "warning" and library["service"] == "router"
    assert "ValueError: duplicate key (nik)=([redacted-16-digits])" in failure["exception"]
    assert NIK not in json.dumps(failure) and EMAIL not in json.dumps(library)


def test_chatty_libraries_say_only_warnings_even_when_the_service_debugs(
    restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(service="router", level="DEBUG")
    logging.getLogger("aiokafka.conn").info("connected to 127.0.0.1:9092")
    logging.getLogger("sqlalchemy.engine.Engine").info("SELECT * FROM members")
    logging.getLogger("aiokafka.consumer").warning("heartbeat failed")
    logging.getLogger("httpx").info("HTTP Request: POST https://agency.example/hook/s3cr3t")
    logging.getLogger("httpcore.connection").debug("connect_tcp.started")
    get_logger("test.logging.debug").debug("our own detail")
    events = [line["event"] for line in lines(capsys.readouterr().out)]
    assert events == ["heartbeat failed", "our own detail"]


def test_console_lines_for_a_developer_are_masked_as_well(
    restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(service="intake", json=False)
    get_logger("test.logging.console").info("stored", nik=NIK)
    out = capsys.readouterr().out
    assert "stored" in out and "[redacted-16-digits]" in out and NIK not in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out.splitlines()[0])


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"nik:{NIK}.", "nik:[redacted-16-digits]."),
        (f"{NIK}7", f"{NIK}7"),  # 17 digits: an id, not a NIK
        ("hp 6281234567890, 081234567", "hp [redacted-phone], [redacted-phone]"),
        ("call 0212345678", "call 0212345678"),  # a landline: not a resident's mobile
        ("order-081234567890", "order-081234567890"),  # part of a longer token
        ("a@b.co and x.y+z@desa.id", "a***@b.co and x***@desa.id"),
    ],
)
def test_what_counts_as_personal_in_free_text(text: str, masked: str) -> None:
    assert mask(text) == masked

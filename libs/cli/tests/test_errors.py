"""Every command of ``rujukan`` given bad input, an unreachable broker or an unreachable service
says so in one line (Indonesian, then English) and exits non-zero: never a traceback.

The commands are enumerated from the CLI's own parser, and each gets the bad inputs its
parameters call for (``bad_inputs``), so a command added later is tested without anyone
writing its case.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
import typer
from aiokafka.errors import KafkaConnectionError
from typer.testing import CliRunner

from rujukan_cli import main
from rujukan_cli.failures import NotADeadLetterTopic, UnknownGroup, UnknownTopic, explain
from rujukan_platform.testing import Servers

# not run here, and why: they start or stop the whole platform, or wait for the broker (30 s
# admin requests) and are tested against one in test_kafka_access.py
NOT_RUN = {"up", "down", "kafka access watch"}
SLOW_WHEN_UNREACHABLE = {"kafka access apply", "intake import"}  # they retry, by design
RUJUKAN = Path(sys.executable).with_name("rujukan")
#: what each argument naming a referral, replay or other record by its UUID is given wrongly
NOT_AN_ID = {"not-a-uuid", "../../etc/passwd"}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nobody listens once it is closed


def commands(group: Any = None, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every leaf command of the CLI's parser, as its words and its click command."""
    group = group or typer.main.get_command(main.app)
    for name, command in sorted(group.commands.items()):
        words = (*prefix, name)
        if hasattr(command, "commands"):
            yield from commands(command, words)
        elif " ".join(words) not in NOT_RUN:
            yield " ".join(words), command


def good_value(name: str, files: Path) -> str:
    """A value the parser accepts for argument ``name`` (what follows it is what fails)."""
    return {
        "topic": "intake.submitted.dlq",
        "directory": str(files / "programs"),
        "path": str(files / "households.jsonl"),
    }.get(name, str(uuid4()))


def bad_inputs(words: str, command: Any, files: Path) -> list[list[str]]:
    """The bad arguments and options this command's parameters call for."""
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    good = [good_value(p.name, files) for p in arguments]
    cases: list[list[str]] = []
    for i, param in enumerate(arguments):
        bad = {
            "topic": ["no.such.topic", "no.such.topic.dlq"]
            + (["intake.submitted"] if words.startswith("dlq") else []),  # not a DLQ
            "directory": [str(files / "nothing-here"), str(files / "broken.yaml")],
            "path": [str(files / "nothing-here.jsonl"), str(files)],
        }.get(param.name, sorted(NOT_AN_ID))
        cases += [[*good[:i], value, *good[i + 1 :]] for value in bad]
    for option in (p for p in command.params if p.param_type_name == "option"):
        low = getattr(option, "min", None)
        if low is not None:
            cases.append([*good, option.opts[0], str(low - 1)])
        if option.name == "since":
            cases.append([*good, "--since", "kemarin"])
        if option.name == "registry_updates":
            cases.append([*good, "--registry-updates", str(files / "nothing-here.csv")])
            cases.append([*good, "--registry-updates", str(files / "broken.yaml")])
        if option.name == "group":
            cases.append([*good, "--group", "no-such-group"])
        if option.name == "credentials":
            cases.append([*good])  # no --credentials-dir
    return cases


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    (tmp_path / "programs").mkdir()
    (tmp_path / "programs" / "PKH.yaml").write_text("code: PKH\nname: PKH\n")
    (tmp_path / "broken.yaml").write_text("code: [PKH\n")
    (tmp_path / "broken-programs").mkdir()
    (tmp_path / "households.jsonl").write_text("{}\n")
    return tmp_path


def run(words: str, args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(main.app, [*words.split(), *args], env=env)


def assert_said_plainly(result: Any, what: str) -> None:
    assert result.exit_code != 0, f"{what} exited 0:\n{result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{what} raised {result.exception!r}"
    )
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, what
    assert result.stderr.strip(), f"{what} said nothing on stderr:\n{result.stdout}"


@pytest.mark.parametrize(("words", "command"), list(commands()), ids=lambda v: str(v))
def test_each_command_says_in_one_line_that_the_broker_or_service_is_unreachable(
    words: str, command: Any, files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if words in SLOW_WHEN_UNREACHABLE:
        pytest.skip(f"{words} retries an unreachable dependency (its own tests cover it)")
    nobody = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setattr(main, "URLS", dict.fromkeys(main.URLS, nobody))
    env = {"RUJUKAN_KAFKA_BOOTSTRAP": f"127.0.0.1:{closed_port()}", "RUJUKAN_TOKEN": "x"}
    args = [good_value(p.name, files) for p in command.params if p.param_type_name == "argument"]
    result = run(words, args, env)
    assert_said_plainly(result, f"rujukan {words} {' '.join(args)}")
    if words != "status":  # status answers with its table of services, all down
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert "tidak dapat dihubungi" in lines[0], lines[0]


@pytest.mark.integration
@pytest.mark.parametrize(("words", "command"), list(commands()), ids=lambda v: str(v))
def test_each_command_refuses_bad_input_without_a_traceback(
    words: str, command: Any, files: Path, servers: Servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    nobody = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setattr(main, "URLS", dict.fromkeys(main.URLS, nobody))
    env = {"RUJUKAN_KAFKA_BOOTSTRAP": servers.kafka_bootstrap, "RUJUKAN_TOKEN": "x"}
    cases = bad_inputs(words, command, files)
    if not cases:
        pytest.skip(f"rujukan {words} takes no input to get wrong")
    for args in cases:
        result = run(words, args, env)
        assert_said_plainly(result, f"rujukan {words} {' '.join(args)}")
        if NOT_AN_ID & set(args):  # refused by the parser, before any request is sent
            assert "tidak dapat dihubungi" not in result.stderr, (words, args, result.stderr)


@pytest.mark.integration
def test_tailing_an_unknown_topic_is_one_line_in_indonesian_then_english(
    servers: Servers,
) -> None:
    done = subprocess.run(
        [str(RUJUKAN), "topics", "tail", "no.such.topic"],
        env={**os.environ, "RUJUKAN_KAFKA_BOOTSTRAP": servers.kafka_bootstrap},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"topik 'no.such.topic' tidak ada di broker {servers.kafka_bootstrap} "
        "(topic 'no.such.topic' does not exist)"
    )


CONNECT = httpx.ConnectError("refused", request=httpx.Request("GET", "http://127.0.0.1:9/v1/x?q=1"))


@pytest.mark.parametrize(
    ("exc", "indonesian", "english", "code"),
    [
        (UnknownTopic("t"), "topik 't' tidak ada", "topic 't' does not exist", 2),
        (UnknownGroup("g"), "kelompok konsumen 'g'", "consumer group 'g' has no", 2),
        (NotADeadLetterTopic("t"), "'t' bukan topik DLQ", "'t' is not a dead-letter", 2),
        (KafkaConnectionError("down"), "broker ", "Kafka broker unreachable", 1),
        (CONNECT, "layanan di http://127.0.0.1:9/v1/x tidak", "service unreachable", 1),
        (FileNotFoundError(2, "No such file", "a.csv"), "berkas a.csv", "file a.csv cannot", 2),
        (PermissionError(13, "Permission denied", "b"), "berkas b", "file b cannot be read", 1),
        (ValueError("nope"), "masukan tidak valid", "invalid input: nope", 2),
        (RuntimeError("odd"), "kesalahan tak terduga", "unexpected error: RuntimeError", 1),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else None,
)
def test_each_failure_reads_in_indonesian_then_in_english_in_brackets(
    exc: BaseException, indonesian: str, english: str, code: int
) -> None:
    message, exit_code = explain(exc)
    said, _, then = message.partition(" (")
    assert said.startswith(indonesian), message
    assert then.startswith(english) and then.endswith(")"), message
    assert "q=1" not in message  # a query string may carry who was asked about
    assert exit_code == code

"""The README's commands run as written.

Every shell block of the README (and of the docs a reader follows) is either run here, against
the four services running as separate processes (``tests/e2e/platform.py``), or marked with
``<!-- readme-test: skip (why) -->``; the blocks run in order as one bash script with
``set -euo pipefail``, so the first command that exits non-zero fails the test. The blocks read
the platform's place from the variables `make up` itself uses (``INTAKE_PORT``...,
``RUJUKAN_STATE_DIR``, ``KAFKA_PORT``), so they stay copy-pasteable; curl runs with
``--fail-with-body`` (a ``.curlrc`` of the test's), so an HTTP refusal fails too.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rujukan_platform.testing import Servers
from tests.e2e.platform import Platform, running_platform

from .blocks import REPO, Block, documented_blocks, script, shell_blocks

BLOCKS = documented_blocks()
STARTS_EVERYTHING = re.compile(r"^\s*(make|rujukan)\s+(up|down|test|demo)\b", re.MULTILINE)
HTTPIE_URL = re.compile(r"\bcurl\b[^\n`]*?\s[\"']?:\d+/")  # `curl ":8003/..."`: curl exits 3
RUJUKAN = Path(sys.executable).with_name("rujukan")


def test_the_extractor_finds_shell_blocks_and_their_skip_markers() -> None:
    text = (
        "# Doc\n\n<!-- readme-test: skip (starts the platform) -->\n```sh\nmake up\n```\n\n"
        "```text\nnot a command\n```\n\n```bash\necho one\necho two\n```\n"
    )
    blocks = shell_blocks(text, "doc.md")
    assert [(b.line, b.code, b.skip) for b in blocks] == [
        (4, "make up\n", "starts the platform"),
        (12, "echo one\necho two\n", None),
    ]


def test_the_readme_has_blocks_to_run() -> None:
    assert sum(b.skip is None for b in BLOCKS if b.document == "README.md") >= 2


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: b.where)
def test_a_block_that_starts_the_platform_says_it_is_not_run(block: Block) -> None:
    if block.skip:
        pytest.skip(f"not run by the README test: {block.skip}")
    assert not STARTS_EVERYTHING.search(block.code), (
        f"{block.where} starts or stops the platform: mark it "
        "<!-- readme-test: skip (why) --> and move the commands to run into a block of their own"
    )


def test_no_curl_line_uses_httpie_url_shorthand() -> None:
    offenders = [
        f"{name}:{number}: {line.strip()}"
        for name in ("README.md", "docs/demo.md", "docs/slrt.md", "docs/architecture.md")
        if (REPO / name).exists()
        for number, line in enumerate((REPO / name).read_text().splitlines(), 1)
        if HTTPIE_URL.search(line)
    ]
    assert not offenders, "curl needs a whole URL (http://127.0.0.1:8003/...):\n" + "\n".join(
        offenders
    )


@pytest.mark.parametrize(
    "command", ["false", "curl -s http://127.0.0.1:1/ | cat", "X=$(false)", "echo $UNSET"]
)
def test_the_script_stops_at_the_first_command_that_fails(command: str) -> None:
    blocks = shell_blocks(f"```sh\necho before\n{command}\necho after\n```\n", "doc.md")
    done = subprocess.run(["bash", "-c", script(blocks)], capture_output=True, text=True)
    assert done.returncode != 0
    assert done.stdout == "before\n"


def kafka_port(bootstrap: str) -> str:
    return bootstrap.split(",")[0].rsplit(":", 1)[1]


def kafka_credentials(bootstrap: str, state: Path) -> None:
    """Every principal's credentials where `make up` leaves them (it applies the catalogue's
    principals as the broker's admin); run while the services start."""
    credentials = state / f"kafka-{kafka_port(bootstrap)}" / "credentials"
    subprocess.run(
        [str(RUJUKAN), "kafka", "access", "apply", "--credentials-dir", str(credentials)],
        env={**os.environ, "RUJUKAN_KAFKA_BOOTSTRAP": bootstrap},
        check=True,
        capture_output=True,
        timeout=180,
    )


def platform_env(platform: Platform, state: Path) -> dict[str, str]:
    """The rest of the state directory as `make up` leaves it (the admin token, the mail log),
    and the environment that points the blocks at this platform."""
    (state / "logs").mkdir(parents=True)
    (state / "admin.token").write_text(platform.token("admin")["Authorization"].split()[1])
    (state / "logs" / "smtp.log").write_text("")
    (state / ".curlrc").write_text("fail-with-body\nshow-error\n")
    return {
        **os.environ,
        "RUJUKAN_STATE_DIR": str(state),
        "KAFKA_PORT": kafka_port(platform.servers.kafka_bootstrap),
        "INTAKE_PORT": str(platform.ports["intake"]),
        "REGISTRY_PORT": str(platform.ports["program-registry"]),
        "ROUTER_PORT": str(platform.ports["referral-router"]),
        "NOTIFICATIONS_PORT": str(platform.ports["notifications"]),
        "CURL_HOME": str(state),
    }


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
async def test_the_readme_commands_run_against_the_platform(
    servers: Servers, tmp_path: Path
) -> None:
    if "RUJUKAN_KAFKA_SASL_USERNAME" not in os.environ:
        pytest.skip("the README's agency logs in to Kafka with SCRAM; this broker has no SASL")
    runnable = [b for b in BLOCKS if b.skip is None]
    (tmp_path / "logs").mkdir()
    state = tmp_path / "state"
    credentials = asyncio.create_task(
        asyncio.to_thread(kafka_credentials, servers.kafka_bootstrap, state)
    )
    async with running_platform(servers, tmp_path / "logs") as platform:
        await credentials
        env = platform_env(platform, state)
        done = subprocess.run(
            ["bash", "-c", script(runnable)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
    ran = ", ".join(b.where for b in runnable)
    print(f"\nREADME blocks run: {ran}; exit {done.returncode}")
    assert done.returncode == 0, (
        f"a README command failed (exit {done.returncode}); the last block announced is the one:"
        f"\n{done.stderr[-4000:]}\n--- stdout ---\n{done.stdout[-3000:]}"
    )

"""The shell blocks of the project's Markdown documents, as a reader copies them.

A fenced block whose info string is a shell (``sh``, ``bash``, ``shell``, ``console``) is a
block of commands; an HTML comment ``<!-- readme-test: skip (why) -->`` on the line before its
opening fence says it is not run by the README test, and why (it starts the platform...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = ("README.md", "docs/demo.md", "docs/slrt.md", "docs/architecture.md")
SHELLS = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^(```+|~~~+)\s*([\w-]*)")
SKIP = re.compile(r"^<!--\s*readme-test:\s*skip\s*\((?P<reason>[^)]+)\)\s*-->$")


@dataclass(frozen=True)
class Block:
    document: str
    line: int  # of the opening fence, 1-based
    code: str
    skip: str | None  # why the README test does not run it

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"


def shell_blocks(text: str, document: str) -> list[Block]:
    """Every shell block of a Markdown text, in order."""
    found: list[Block] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, language = opening.group(1), opening.group(2).lower()
        end = index + 1
        while end < len(lines) and not lines[end].startswith(fence):
            end += 1
        if language in SHELLS:
            before = next((s.strip() for s in reversed(lines[:index]) if s.strip()), "")
            marker = SKIP.match(before)
            code = "\n".join(lines[index + 1 : end]) + "\n"
            found.append(Block(document, index + 1, code, marker and marker["reason"].strip()))
        index = end + 1
    return found


def documented_blocks() -> list[Block]:
    """The shell blocks of every document a reader follows."""
    return [
        block
        for name in DOCUMENTS
        if (REPO / name).exists()
        for block in shell_blocks((REPO / name).read_text(), name)
    ]


def script(blocks: list[Block]) -> str:
    """The blocks to run as one bash script, stopping at the first command that fails (in a
    pipeline too), each announced on stderr with where it comes from."""
    parts = ["set -euo pipefail"]
    for block in blocks:
        parts += [f"echo '### {block.where}' >&2", block.code]
    return "\n".join(parts)

"""py-spy for the benchmarks: recording a service process (``record``, the benchmarks'
``--profile``), and summing its raw stacks (``--format raw``: ``frame;frame;... count`` a line)
by function.

Run:  uv run python bench/profiles.py .local/prof/a-notifications-serve.txt [--top 40]
      uv run python bench/profiles.py FILE --under "handle_status"   (only stacks through it)

Prints the samples, then the frames with the most samples anywhere in their stack (inclusive)
and those with the most on top of it (self), each as a share of the samples read.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

#: the sampler (``uv tool install py-spy``: not a dependency of the platform)
PY_SPY = Path(shutil.which("py-spy") or "/root/.local/bin/py-spy")


def missing() -> str | None:
    """Why ``--profile`` cannot run here, or ``None`` when it can."""
    if PY_SPY.exists():
        return None
    return f"--profile needs py-spy ({PY_SPY} is missing: uv tool install py-spy)"


def record(pid: int, out: Path, *, rate: int = 200) -> subprocess.Popen[bytes]:
    """py-spy sampling ``pid`` ``rate`` times a second into ``out`` (raw stacks) until sent
    SIGINT; without pausing the process (``--nonblocking``), so it is slowed less."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [str(PY_SPY), "record", "--pid", str(pid), "--format", "raw", "--rate", str(rate),
         "--nonblocking", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


#: py-spy's frame: ``function (path/to/module.py:line)``; the line is dropped to sum a function
FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>[^():]*)(?::\d+)?\)$")


def short(frame: str) -> str:
    """``function (package/module.py)``: the frame without its line and site-packages' prefix."""
    match = FRAME.match(frame)
    if not match:
        return frame
    path = match["path"].split("site-packages/")[-1].split("/src/")[-1]
    return f"{match['function']} ({path})"


def read(path: Path, under: str) -> tuple[int, Counter[str], Counter[str]]:
    total, inclusive, self_ = 0, Counter[str](), Counter[str]()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [short(f) for f in stack.split(";")]
        if under and not any(under in f for f in frames):
            continue
        n = int(count)
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        self_[frames[-1]] += n
    return total, inclusive, self_


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--under", default="", help="only the stacks with a frame containing this")
    args = ap.parse_args()
    for path in args.files:
        total, inclusive, self_ = read(path, args.under)
        print(f"{path}: {total} samples" + (f" through {args.under!r}" if args.under else ""))
        for title, counts in (("inclusive", inclusive), ("self", self_)):
            print(f"  {title}:")
            for frame, n in counts.most_common(args.top):
                print(f"    {n / max(total, 1):6.1%}  {frame}")


if __name__ == "__main__":
    main()

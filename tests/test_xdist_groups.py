"""``--dist loadgroup`` (deploy/local/test.sh) keeps each ``xdist_group`` on one worker.

The suite relies on it: the e2e platforms read the real topics in the services' own consumer
groups, so two at once would take each other's intakes. pytest 9.2 with pytest-xdist 3.8 stopped
grouping without a word (pytest-dev/pytest-xdist#1386); this fails if an upgrade does it again.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

GROUPED = """
import time, pytest
pytestmark = [pytest.mark.xdist_group("together")]
def test_one(): time.sleep(0.2)
def test_two(): time.sleep(0.2)
"""
LOOSE = """
import time
def test_one(): time.sleep(0.2)
def test_two(): time.sleep(0.2)
"""


def test_a_group_runs_whole_on_one_worker(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"test_grouped_{name}.py").write_text(GROUPED)
        (tmp_path / f"test_loose_{name}.py").write_text(LOOSE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not this repository's settings
    options = ["-v", "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ran = re.findall(r"\[(gw\d)\].* PASSED (\S+)", done.stdout)
    assert len(ran) == 12, done.stdout
    grouped = {worker for worker, test in ran if "test_grouped_" in test}
    assert len(grouped) == 1, f"the group ran on {sorted(grouped)}:\n{done.stdout}"

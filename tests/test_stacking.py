"""Phase branches stack, so merging them in order never conflicts.

Phases 1, 2 and 3 decorate the same lines. Each phase branch starts from the newest earlier
phase branch not yet merged into HEAD; merged in order into the base, the branches give
exactly what applying the phases in place gives.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "fixtures" / "servers" / "mcp1_fastmcp" / "devops_tools.py"
PHASES = ("1", "2", "3", "5")


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True)


def _harden(cwd: Path, *args: str) -> str:
    process = subprocess.run(
        [sys.executable, "-m", "harden", *args], cwd=cwd, capture_output=True, text=True
    )
    assert process.returncode == 0, process.stderr
    return process.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(SERVER, root / "server.py")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "server")
    return root


def test_phase_branches_stack_and_merge_in_order_like_applying_in_place(
    repo: Path, tmp_path: Path
) -> None:
    said = [_harden(repo, "apply", "--phase", phase, ".") for phase in PHASES]
    branches = [
        "harden/phase-1-observe",
        "harden/phase-2-validate",
        "harden/phase-3-rate-limit",
        "harden/phase-5-commands",
    ]
    for earlier, later in itertools.pairwise(branches):
        assert (
            _git(repo, "rev-parse", f"{later}^").stdout == _git(repo, "rev-parse", earlier).stdout
        )
    assert "Stacked on harden/phase-1-observe" in said[1]
    assert "Stacked on harden/phase-1-observe" in _git(repo, "log", "-1", branches[1]).stdout
    for branch in branches:
        merged = _git(repo, "merge", "--no-ff", "--no-edit", branch)
        assert merged.returncode == 0, merged.stdout + merged.stderr
    in_place = tmp_path / "in-place"
    in_place.mkdir()
    shutil.copy(SERVER, in_place / "server.py")
    for phase in PHASES:
        _harden(in_place, "apply", "--phase", phase, "--in-place", ".")
    for name in ("server.py", "harden_runtime.py"):
        assert (repo / name).read_text() == (in_place / name).read_text(), name


def test_once_merged_the_next_phase_starts_from_head_again(repo: Path) -> None:
    _harden(repo, "apply", "--phase", "1", ".")
    assert _git(repo, "merge", "--no-edit", "harden/phase-1-observe").returncode == 0
    said = _harden(repo, "apply", "--phase", "2", ".")
    assert "Stacked on" not in said
    head = _git(repo, "rev-parse", "HEAD").stdout
    assert _git(repo, "rev-parse", "harden/phase-2-validate^").stdout == head

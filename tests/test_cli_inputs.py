"""Bad counts and patterns: `-j N` below 1 is refused, a huge one capped; an include pattern
that matches nothing is said."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _harden(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harden", *arguments], cwd=cwd, capture_output=True, text=True
    )


@pytest.mark.parametrize("command", [["scan"], ["apply", "--phase", "5", "--dry-run"]])
def test_a_negative_worker_count_is_refused(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    process = _harden(*command, "-j", "-1", ".", cwd=tmp_path)
    assert process.returncode == 2
    assert process.stderr == (
        "harden: error: -j -1: the number of worker processes is 1 or more (0: one per core)\n"
    )


def test_a_huge_worker_count_is_capped_and_said(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    process = _harden("scan", "-j", "100000", ".", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert "-j 100000 is capped at 64 worker processes" in process.stderr


def test_an_include_pattern_that_matches_nothing_is_said(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    process = _harden("scan", "--include", "scr/*", ".", cwd=tmp_path)
    assert process.returncode == 0
    assert "include pattern 'scr/*' matches no Python file" in process.stderr
    quiet = _harden("scan", "--include", "*.py", ".", cwd=tmp_path)
    assert "matches no Python file" not in quiet.stderr

"""`harden apply PATH` with one file of a repository: the dry run and the branch hold that file's
rewrites (and the runtime it needs), read as committed, and nothing of the other files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SERVER = """import os


def count(path):
    pipe = os.popen(f"wc -l {path}")
    return pipe.read(), pipe.close()
"""


def _run(cwd: Path, *command: str) -> str:
    process = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    assert process.returncode == 0, process.stderr
    return process.stdout


def test_one_file_of_a_repository_in_a_dry_run_and_on_a_branch(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    for name in ("a.py", "b.py"):
        (tmp_path / "pkg" / name).write_text(SERVER)
    git = ("git", "-c", "user.name=t", "-c", "user.email=t@t")
    _run(tmp_path, *git, "init", "-q", "-b", "main")
    _run(tmp_path, *git, "add", ".")
    _run(tmp_path, *git, "commit", "-q", "-m", "servers")
    harden = (sys.executable, "-m", "harden", "apply", "--phase", "5")
    diff = _run(tmp_path / "pkg", *harden, "--dry-run", "a.py")
    assert "b/pkg/a.py" in diff and "pkg/b.py" not in diff
    _run(tmp_path / "pkg", *harden, "a.py")
    changed = _run(tmp_path, "git", "diff", "--name-only", "main", "harden/phase-5-commands")
    assert changed.split() == ["pkg/a.py", "pkg/harden_runtime.py"]

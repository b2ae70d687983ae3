"""Phase branches stack, so merging them in order never conflicts.

Phases 1, 2 and 3 decorate the same lines. Each phase branch starts from the newest earlier
phase branch not yet merged into HEAD; merged in order into the base, the branches give
exactly what applying the phases in place gives.
"""

from __future__ import annotations

import itertools
import json
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


def test_the_halves_of_phase_5_stack_and_merge_in_order(repo: Path) -> None:
    """Both halves add the runtime's import to the same module: the errors half stacks on
    the commands half, so merging one then the other never conflicts."""
    _harden(repo, "apply", "--phase", "5", "--only", "commands", ".")
    said = _harden(repo, "apply", "--phase", "5", "--only", "errors", ".")
    assert "Stacked on harden/phase-5-commands" in said
    commands = _git(repo, "rev-parse", "harden/phase-5-commands").stdout
    assert _git(repo, "rev-parse", "harden/phase-5-errors^").stdout == commands
    for branch in ("harden/phase-5-commands", "harden/phase-5-errors"):
        merged = _git(repo, "merge", "--no-ff", "--no-edit", branch)
        assert merged.returncode == 0, merged.stdout + merged.stderr
    server = (repo / "server.py").read_text()
    assert "shell=True" not in server and "@harden_runtime.mask_errors" in server


def _plan_step(repo: Path) -> str:
    process = subprocess.run(
        [sys.executable, "-m", "harden", "plan", "--format", "json", "."],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    return json.loads(process.stdout)["next_step"]


def test_after_the_base_moves_restack_rebuilds_the_stack_to_merge_cleanly(
    repo: Path, tmp_path: Path
) -> None:
    for phase in PHASES:
        _harden(repo, "apply", "--phase", phase, ".")
    # A commit on the base touching a handler, beside the lines phase 1 decorates.
    server = repo / "server.py"
    touched = server.read_text().replace(
        "@mcp.tool()\ndef git_log(", '@mcp.tool(name="log")\ndef git_log('
    )
    assert touched != server.read_text()
    server.write_text(touched)
    _git(repo, "commit", "-qam", "name the log tool")
    step = _plan_step(repo)
    assert step.startswith("restack first: harden/phase-1-observe would conflict"), step
    said = _harden(repo, "restack", ".")
    assert said.count("replaced") == len(PHASES)
    step = _plan_step(repo)
    assert step.startswith("review and merge, in this order: "), step
    order = step.removeprefix("review and merge, in this order: ").split(" (")[0].split(", then ")
    assert order == [
        "harden/phase-1-observe",
        "harden/phase-2-validate",
        "harden/phase-3-rate-limit",
        "harden/phase-5-commands",
    ]
    for branch in order:
        merged = _git(repo, "merge", "--no-ff", "--no-edit", branch)
        assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "nothing to restack" in _harden(repo, "restack", ".") + _git(repo, "status").stdout
    in_place = tmp_path / "in-place"
    in_place.mkdir()
    (in_place / "server.py").write_text(touched)
    for phase in PHASES:
        _harden(in_place, "apply", "--phase", phase, "--in-place", ".")
    for name in ("server.py", "harden_runtime.py"):
        assert (repo / name).read_text() == (in_place / name).read_text(), name


def test_restack_keeps_what_is_in_place_and_will_not_replay_answers(repo: Path) -> None:
    _harden(repo, "apply", "--phase", "1", ".")
    tip = _git(repo, "rev-parse", "harden/phase-1-observe").stdout
    assert "already on HEAD, kept" in _harden(repo, "restack", ".")
    assert _git(repo, "rev-parse", "harden/phase-1-observe").stdout == tip
    # A branch shaped by a scanner's report cannot be rebuilt from the codemods alone.
    lines = (repo / "server.py").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "shell=True" in text)
    finding = {"filename": "server.py", "line_number": line, "test_id": "B602"}
    finding |= {"issue_severity": "HIGH", "issue_text": "shell=True"}
    (repo / "bandit.json").write_text(json.dumps({"results": [finding]}))
    # Found on the working tree, the place is found again on phase 1's branch, lines lower.
    said = _harden(repo, "apply", "--phase", "5", "--findings", "bandit.json", ".")
    assert "created branch harden/phase-5-commands" in said and ": 1 rewrite in 1 file" in said
    (repo / "bandit.json").unlink()
    _git(repo, "commit", "-q", "--allow-empty", "-m", "base moves")
    process = subprocess.run(
        [sys.executable, "-m", "harden", "restack", "."], cwd=repo, capture_output=True, text=True
    )
    assert process.returncode == 2
    *said, error = process.stderr.splitlines()
    assert "created branch harden/phase-1-observe" in "\n".join(said)  # it recorded how
    assert error.startswith("harden: error: harden/phase-5-commands was built with --findings")

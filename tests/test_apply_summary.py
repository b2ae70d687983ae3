"""The lines `harden apply` ends with: counts in good English, and a word on uncommitted edits
when the branch is built from the commit without them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harden.cli import main

SERVER = 'import subprocess\n\n\ndef ls():\n    return subprocess.run("ls -l", shell=True)\n'
UNCOMMITTED = "uncommitted edits are not included: harden read the files as committed at HEAD"


def _harden(
    args: list[str], cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> str:
    """What `harden apply --phase 5 --only commands ARGS` says on stderr (exit status 0)."""
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", ["harden", "apply", "-p", "5", "--only", "commands", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    captured = capsys.readouterr()
    assert not exit_info.value.code, captured.err
    return captured.err


def _git(cwd: Path, *args: str) -> None:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """One server with one constant shell command, committed."""
    (tmp_path / "server.py").write_text(SERVER)
    (tmp_path / "README").write_text("committed\n")
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "server")
    return tmp_path


def test_one_rewrite_in_one_file_is_counted_in_the_singular(repo, capsys, monkeypatch) -> None:
    err = _harden(["--dry-run"], repo, capsys, monkeypatch)
    assert "dry run; nothing written: 1 rewrite in 1 file\n" in err
    err = _harden(["--in-place"], repo, capsys, monkeypatch)
    assert "wrote 1 file in place: 1 rewrite in 1 file\n" in err


def test_one_ignored_finding_is_counted_in_the_singular(repo, capsys, monkeypatch) -> None:
    bandit = {
        "results": [
            {
                "filename": "server.py",
                "line_number": 5,
                "col_offset": 11,
                "test_id": test_id,
                "issue_severity": "HIGH",
                "issue_text": "a finding",
            }
            for test_id in ("B602", "B101")
        ]
    }
    (repo / "bandit.json").write_text(json.dumps(bandit))
    err = _harden(["--dry-run", "--findings", "bandit.json"], repo, capsys, monkeypatch)
    assert "  1 input finding is for rules this phase does not handle\n" in err


def test_uncommitted_edits_are_said_to_be_left_out_of_the_branch(repo, capsys, monkeypatch) -> None:
    assert UNCOMMITTED not in _harden([], repo, capsys, monkeypatch)  # a clean checkout
    (repo / "README").write_text("an edit\n")
    err = _harden(["--force"], repo, capsys, monkeypatch)
    assert "created branch harden/phase-5-commands" in err
    assert err.count(UNCOMMITTED) == 1
    # The note is about the branch: a dry run makes none, --in-place writes the checkout.
    assert UNCOMMITTED not in _harden(["--dry-run"], repo, capsys, monkeypatch)
    assert UNCOMMITTED not in _harden(["--in-place"], repo, capsys, monkeypatch)


def test_untracked_files_are_not_uncommitted_edits(repo, capsys, monkeypatch) -> None:
    (repo / "scratch.txt").write_text("not in git\n")
    assert UNCOMMITTED not in _harden([], repo, capsys, monkeypatch)


def test_uncommitted_edits_are_noted_when_the_commit_has_nothing_to_rewrite(
    repo, capsys, monkeypatch
) -> None:
    (repo / "server.py").write_text("def ls():\n    return []\n")
    _git(repo, "commit", "-q", "-am", "no commands")
    (repo / "server.py").write_text(SERVER)
    err = _harden([], repo, capsys, monkeypatch)
    assert "nothing to rewrite; no branch created" in err and UNCOMMITTED in err

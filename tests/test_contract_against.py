"""`harden contract verify --against BRANCH` in a real git repository.

The notes fixture is committed, `harden apply --phase 5` makes its phase branch and a commit
of our own breaks a copy of it; the checkout is then left dirty (a staged file, an unstaged
change, an untracked file), as a user's often is. The base and each branch run side by side in
temporary worktrees: the phase branch passes with its expected changes and `harden plan` says it
was verified until the base or the contract moves; the broken one fails with the place of the
difference, also when both servers are asked for the same fixed port. Interrupted (SIGINT) in
the middle of a call, the command leaves no worktree, temporary directory or server process;
and whatever happens, the user's HEAD, index, branches and working tree stay as they were.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from contract_support import (
    SERVER,
    harden,
    make_project,
    places,
    report,
    start_harden,
    wait_for_server,
)

from harden.contract.normalise import chosen_rules, normalised_text
from harden.contract.server import marked_processes
from harden.contract.verified import FILE_NAME as VERIFIED
from harden.contract.worktrees import checked_out

PHASE_5 = "harden/phase-5-commands"


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_project(tmp_path_factory.mktemp("against") / "notes")
    git(folder, "init", "-q", "-b", "main")
    git(folder, "config", "user.email", "test@example.com")
    git(folder, "config", "user.name", "test")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "notes server")
    done = harden("apply", "--phase", "5", cwd=folder)
    assert done.returncode == 0, done.stderr
    # A branch that renames read_note's parameter, made without touching the checkout.
    git(folder, "worktree", "add", "-q", "-b", "broken", str(folder.parent / "broken"))
    server = folder.parent / "broken" / "notes_server.py"
    original = server.read_text()
    renamed = original.replace("def read_note(name: str)", "def read_note(note: str)").replace(
        "text = NOTES[name]", "text = NOTES[note]"
    )
    assert renamed.count("def read_note(note: str)") == 1
    server.write_text(renamed)
    git(folder.parent / "broken", "commit", "-q", "-am", "rename a parameter")
    git(folder, "worktree", "remove", str(folder.parent / "broken"))
    git(folder, "tag", "start")
    # A user's checkout as it often is: something staged, something changed, something new.
    (folder / "staged.txt").write_text("staged\n")
    git(folder, "add", "staged.txt")
    with (folder / "notes_server.py").open("a") as server_file:
        server_file.write("# an uncommitted change\n")
    (folder / "untracked.txt").write_text("untracked\n")
    return folder


def user_state(folder: Path) -> dict[str, object]:
    """What verify --against must leave as it found it (but for the verdict file it writes)."""
    files = {
        str(path.relative_to(folder)): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(folder).parts
    }
    files.pop(f".harden/{VERIFIED}", None)
    status = git(folder, "status", "--porcelain", "--untracked-files=all", "--ignored")
    return {
        "HEAD": git(folder, "symbolic-ref", "HEAD"),
        "commit": git(folder, "rev-parse", "HEAD"),
        "refs": git(folder, "for-each-ref", "--format=%(refname) %(objectname)"),
        "index": git(folder, "ls-files", "--stage"),
        "status": [line for line in status.splitlines() if VERIFIED not in line],
        "worktrees": git(folder, "worktree", "list", "--porcelain"),
        "files": files,
    }


def plan_states(folder: Path) -> dict[int, str]:
    plan = harden("plan", "--format", "json", ".", cwd=folder)
    return {phase["phase"]: phase["contract"] for phase in json.loads(plan.stdout)["phases"]}


def worktrees(folder: Path) -> list[str]:
    return [line for line in git(folder, "worktree", "list").splitlines() if line]


def test_a_phase_branch_passes_with_its_expected_changes_and_plan_says_so(repo: Path) -> None:
    before = user_state(repo)
    done = harden(
        "contract",
        "verify",
        "--against",
        PHASE_5,
        "--base",
        "start",
        "--normalise",
        "duration",
        "-f",
        "json",
        "--",
        *SERVER,
        cwd=repo,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert user_state(repo) == before
    data = report(done)
    assert data["branch"] == PHASE_5 and data["commit"] == git(repo, "rev-parse", PHASE_5)
    assert data["base_commit"] == git(repo, "rev-parse", "HEAD")
    assert places(data, "expected_changes") == {
        ("calls", "missing note", "content[0].text", "changed")
    }
    states = plan_states(repo)
    assert (states[5], states[1]) == ("verified", "not verified")
    # The base moves: the verdict is of another base.
    git(repo, "tag", "-f", "start", PHASE_5)
    try:
        assert plan_states(repo)[5] == "stale"
    finally:
        git(repo, "tag", "-f", "start", "main")
    # The contract is recorded (again): the calls verified are not the contract's.
    contract = repo / ".harden" / "contract.json"
    contract.write_text("{}\n")
    try:
        assert plan_states(repo)[5] == "stale"
    finally:
        contract.unlink()
    assert plan_states(repo)[5] == "verified"


def test_a_broken_branch_fails_with_the_place_of_each_difference(repo: Path) -> None:
    done = harden(
        "contract",
        "verify",
        "--against",
        "broken",
        "--normalise",
        "duration",
        "-f",
        "markdown",
        "--",
        *SERVER,
        cwd=repo,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("### ❌ harden contract: broken against HEAD: 7 difference(s)")
    assert "| `tools.read_note inputSchema.properties.name` | removed |" in done.stdout
    assert "| `tools.read_note inputSchema.properties.note` | added |" in done.stdout
    assert len(worktrees(repo)) == 1
    verified = json.loads((repo / ".harden" / "contract-verified.json").read_text())
    assert verified["branches"]["broken"]["passed"] is False


def test_ctrl_c_leaves_no_worktree_temporary_directory_or_server(
    repo: Path, tmp_path: Path
) -> None:
    (tmp_path / "slow.toml").write_text('[[call]]\ntool = "wait"\narguments = { seconds = 60 }\n')
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    marker = uuid.uuid4().hex
    before = user_state(repo)
    running = start_harden(
        "contract",
        "verify",
        "--against",
        PHASE_5,
        "--cases",
        str(tmp_path / "slow.toml"),
        "--timeout",
        "120",
        "--env",
        f"CONTRACT_TEST={marker}",
        "--",
        *SERVER,
        cwd=repo,
        scratch=scratch,
    )
    try:
        wait_for_server(marker, running)
        assert len(worktrees(repo)) == 3
        time.sleep(1.0)  # the server is inside the slow call
        running.send_signal(signal.SIGINT)
        _, stderr = running.communicate(timeout=60)
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
    assert running.returncode == 130, stderr
    assert user_state(repo) == before
    assert len(worktrees(repo)) == 1
    assert list(scratch.iterdir()) == []
    assert not marked_processes(f"CONTRACT_TEST={marker}")


def test_with_a_fixed_port_the_branch_server_answers_not_the_base_one(repo: Path) -> None:
    """Both servers listen on the same port, one after the other: the base's must be gone
    before the branch's starts, else the branch's cannot bind and the base answers for it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    done = harden(
        "contract",
        "verify",
        "--against",
        "broken",
        "--normalise",
        "duration",
        "-f",
        "json",
        "--url",
        f"http://127.0.0.1:{port}/mcp",
        "--",
        *SERVER,
        port,
        cwd=repo,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("tools", "read_note", "inputSchema.properties.note", "added") in places(report(done))


def test_worktrees_are_removed_even_locked_and_the_users_own_records_stay(
    tmp_path: Path,
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "a.txt").write_text("a\n")
    git(root, "add", ".")
    git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "a")
    tripwire = tmp_path / "hook-ran"
    hook = root / ".git" / "hooks" / "post-checkout"
    hook.write_text(f"#!/bin/sh\ntouch {tripwire}\n")
    hook.chmod(0o755)
    # The user's own worktree, deleted without telling git: its record is theirs to prune.
    git(root, "worktree", "add", "-q", "--detach", str(tmp_path / "mine"))
    tripwire.unlink()
    shutil.rmtree(tmp_path / "mine")
    sha = git(root, "rev-parse", "HEAD")
    with checked_out(root, {"base": sha, "branch": sha}) as trees:
        # A server that reports where it runs says the same in both, once normalised.
        base, branch = (normalised_text(str(path), chosen_rules()) for path in trees.values())
        assert base == branch == "<tmp>/harden-contract-<random>/project"
        # As an add cut short leaves them: locked ("initializing"), or without its .git file.
        git(root, "worktree", "lock", "--reason", "initializing", str(trees["base"]))
        (trees["branch"] / ".git").unlink()
    records = sorted(path.name for path in (root / ".git" / "worktrees").iterdir())
    left = [path for path in trees.values() if path.parent.exists()]
    assert (records, tripwire.exists(), left) == (["mine"], False, [])

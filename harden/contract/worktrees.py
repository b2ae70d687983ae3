"""The base and a branch checked out side by side, each in a temporary git worktree.

`checked_out` adds one detached worktree per commit, each in a temporary directory of its own
under the repository's name, so that a server reporting where it runs names the same path in both
but for the random part the temp-path rule normalises. However the block ends (an error, Ctrl-C,
SIGTERM), it removes them with `git worktree remove -f -f` (twice forced: an add that was cut
short leaves its worktree locked), deletes the directories, and deletes git's record of a
worktree of its own that remains. It must never touch the user's checkout: no
checkout, no index, no ref is written, none of the user's hooks runs, and only git's worktree
list changes, only while the block runs; the user's own worktree records stay as they were
(`git worktree prune` would drop those whose directory is gone).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from harden.contract.server import interrupts_deferred

TEMP_PREFIX = "harden-contract-"


class WorktreeError(Exception):
    pass


def _git(root: Path, *args: str, check: bool = True) -> str:
    # No hook of the user's (post-checkout above all) runs for a worktree they never asked for.
    done = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise WorktreeError(f"git {args[0]}: {message}")
    return done.stdout.strip()


def repository_root(path: Path) -> Path:
    try:
        return Path(_git(path, "rev-parse", "--show-toplevel"))
    except (WorktreeError, OSError):
        raise WorktreeError(f"{path}: not in a git repository (--against needs one)") from None


def commit_of(root: Path, ref: str) -> str:
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except WorktreeError:
        raise WorktreeError(f"{ref}: no such branch or commit") from None


@contextmanager
def checked_out(root: Path, commits: Mapping[str, str]) -> Iterator[dict[str, Path]]:
    """Each commit (label -> sha) in a worktree of its own: label -> its directory."""
    trees: dict[str, Path] = {}
    try:
        for label, sha in commits.items():
            # Registered before the add: an interrupted add is removed too.
            trees[label] = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX)) / root.name
            _git(root, "worktree", "add", "--detach", "--quiet", str(trees[label]), sha)
        yield dict(trees)
    finally:
        with interrupts_deferred():
            for path in trees.values():
                _git(root, "worktree", "remove", "-f", "-f", str(path), check=False)
                shutil.rmtree(path.parent, ignore_errors=True)
            _forget_ours(root, [path.parent for path in trees.values()])


def _forget_ours(root: Path, scratches: list[Path]) -> None:
    """Delete git's record of each worktree under `scratches` that `worktree remove` left (it
    refuses one whose add was cut short before its checkout was complete)."""
    ours = [scratch.resolve() for scratch in scratches]
    common = Path(_git(root, "rev-parse", "--git-common-dir", check=False) or ".git")
    for gitdir in (root / common / "worktrees").glob("*/gitdir"):
        try:
            checkout = Path(gitdir.read_text(encoding="utf-8").strip()).resolve()
        except OSError:
            continue
        if any(checkout.is_relative_to(scratch) for scratch in ours):
            shutil.rmtree(gitdir.parent, ignore_errors=True)

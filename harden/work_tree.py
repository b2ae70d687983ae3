"""The git work tree holding a path, and which files git lists there, asked of git itself.

`harden scan` needs only these answers; running `git` for them (what gitpython runs too) spares
a scan the import of gitpython, so that a scan answered from the result cache starts fast.
Everything that reads commits or writes branches uses gitpython, through harden.git. Nothing
here writes: only `rev-parse`, `ls-files` and `check-ignore` run.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


class WorkTreeError(Exception):
    """git cannot work here (a bare repository, or git refuses): one line for the user."""


def work_tree_root(path: Path) -> Path | None:
    """The root of the work tree holding `path`, or None outside any repository."""
    folder = path if path.is_dir() else path.parent
    done = _git(folder, "rev-parse", "--is-bare-repository", "--show-toplevel", check=False)
    if done.returncode == 0:
        return Path(done.stdout.partition("\n")[2].strip())
    if done.returncode == 127 or "not a git repository" in done.stderr:
        return None
    if done.stdout.strip() == "true":
        raise WorkTreeError(f"{folder} is a bare repository; run harden in a checkout")
    reason = (done.stderr.strip().splitlines() or ["git failed"])[-1].removeprefix("fatal: ")
    raise WorkTreeError(f"{folder}: {reason}")


def listed(root: Path, target: Path, *options: str) -> list[str]:
    """`git ls-files -z <options> -- target`, as paths from `root`."""
    output = _git(root, "ls-files", "-z", *options, "--", str(target)).stdout
    return sorted(set(filter(None, output.split("\0"))))


def ignored(root: Path, path: Path) -> bool:
    """Whether .gitignore excludes `path` (False when git cannot tell)."""
    return _git(root, "check-ignore", "-q", str(path), check=False).returncode == 0


def _git(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            check=False,
        )
    except FileNotFoundError:
        return subprocess.CompletedProcess(args, 127, "", "git: not installed")
    if check and done.returncode != 0:
        raise WorkTreeError(f"git {args[0]} failed: {done.stderr.strip()[:200]}")
    return done

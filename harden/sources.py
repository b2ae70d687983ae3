"""Which Python files harden reads, and their text: the working tree or a git commit.

The working tree honours .gitignore inside a repository and always skips VCS folders,
virtualenvs (any folder holding pyvenv.cfg), caches and build output. A commit is read from git's
object database, so a phase branch is built from exactly what was committed, never from the
user's uncommitted edits. Paths are POSIX and relative to `root`. Nothing here writes, except
`write_in_place`, which only `harden apply --in-place` calls.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from harden.changes import FileChange, Skipped
from harden.project_gates import PROJECT_FILES
from harden.vendoring import is_runtime
from harden.work_tree import ignored, listed

if TYPE_CHECKING:
    import git

# The folders ruff skips by default, which real projects rely on being skipped.
SKIP_DIRS = frozenset(
    (
        *(".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints"),
        *(".mypy_cache", ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache"),
        *(".svn", ".tox", ".venv", ".vscode", "__pycache__", "__pypackages__", "_build"),
        *("buck-out", "build", "dist", "node_modules", "site-packages", "venv"),
    )
)


# Hand-written modules stay far below this; a bigger one is generated code, which holds no
# handler to harden and would cost minutes of libcst's time.
MAX_FILE_BYTES = 1_000_000
_TOO_BIG = f"larger than {MAX_FILE_BYTES // 1_000_000} MB: generated code, not read"


@dataclass(slots=True)
class Tree:
    """The files read: root, (path, text) pairs, and files that could not be read; and the
    project's coverage and packaging settings at the root (project_gates.PROJECT_FILES)."""

    root: Path
    files: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    project_files: dict[str, str] = field(default_factory=dict)


def working_tree(target: Path, work_tree: Path | None) -> Tree:
    """The .py files under `target` as they are on disk; `work_tree`: the root of the git work
    tree holding it (harden.work_tree), None outside git."""
    target = target.resolve()
    root = work_tree.resolve() if work_tree is not None else _own_root(target)
    tree = Tree(root, project_files=_project_files_on_disk(root))
    # Plain strings, not Path objects: a warm scan's time is mostly spent here.
    prefix = len(_as_folder(root))
    for path in _listed(target, root, work_tree is not None):
        relative = path[prefix:].replace(os.sep, "/")
        try:
            status = os.lstat(path)
            if stat.S_ISLNK(status.st_mode):
                # Rewriting it would replace the link, or write through it, maybe out of the
                # tree; its target, when it lies in the tree, is read there.
                tree.skipped.append(Skipped(relative, "a symbolic link: harden reads only files"))
            elif not stat.S_ISREG(status.st_mode):
                tree.skipped.append(Skipped(relative, "not a regular file"))  # a FIFO would hang
            elif status.st_size > MAX_FILE_BYTES:
                tree.skipped.append(Skipped(relative, _TOO_BIG))
            else:
                with open(path, "rb") as source:
                    tree.files.append((relative, _decode(source.read())))
        except (OSError, UnicodeDecodeError) as error:
            tree.skipped.append(Skipped(relative, f"cannot be read as UTF-8: {error}"))
    return tree


def _as_folder(path: Path) -> str:
    """`path` as a prefix of the paths below it ("/" stays "/")."""
    return str(path).rstrip(os.sep) + os.sep


def at_commit(repo: git.Repo, ref: str, target: Path) -> Tree:
    """The .py files under `target` as they are in commit `ref`."""
    from harden.git import files_at, root_files_at  # gitpython: only a run reading commits

    root = Path(repo.working_tree_dir).resolve()
    under = target.resolve().relative_to(root)
    if target.is_file():
        # One file: read its folder as committed, and keep only that file.
        folder = under.parent
        texts = files_at(repo, ref, folder if str(folder) != "." else None)
        texts = {path: text for path, text in texts.items() if path == under.as_posix()}
    else:
        texts = files_at(repo, ref, under if str(under) != "." else None)
    listed = sorted((p, t) for p, t in texts.items() if not _in_skipped_dir(Path(p).parent.parts))
    files = [(p, t) for p, t in listed if len(t) <= MAX_FILE_BYTES]
    skipped = [Skipped(p, _TOO_BIG) for p, t in listed if len(t) > MAX_FILE_BYTES]
    return Tree(root, files, skipped, project_files=root_files_at(repo, ref, PROJECT_FILES))


def _project_files_on_disk(root: Path) -> dict[str, str]:
    texts = {}
    for name in PROJECT_FILES:
        path = root / name
        try:
            if path.is_file() and not path.is_symlink():
                texts[name] = _decode(path.read_bytes())
        except (OSError, UnicodeDecodeError):
            continue  # unreadable settings are left alone, as files harden cannot round-trip
    return texts


def write_in_place(root: Path, changes: list[FileChange]) -> list[Skipped]:
    """Write each changed file atomically, keeping its permission bits and byte-order mark;
    the vendored runtime copies first, so that no module is left importing a copy not yet
    there. A file that changed, vanished or appeared since it was read, a symbolic link, and
    anything outside `root` are left as they are and returned as skipped: the user's work is
    never overwritten."""
    skipped: list[Skipped] = []
    for folder in sorted({(root / change.path).parent for change in changes}):
        _remove_stale_temporaries(folder)
    for change in sorted(changes, key=lambda change: not is_runtime(change.path)):
        path = root / change.path
        problem, current = _as_read(root, path, change.before)
        if problem:
            skipped.append(Skipped(change.path, f"{problem}; left as it is"))
            continue
        mode = path.stat().st_mode if current is not None else 0o644
        bom = current is not None and current.startswith(_BOM)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".harden"
        )
        try:
            with os.fdopen(handle, "wb") as out:
                out.write((_BOM if bom else b"") + change.after.encode("utf-8"))
            os.chmod(temporary, mode & 0o7777)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return skipped


# A temporary file lives for the milliseconds of one write; one older than this was left by
# a run that was killed (SIGKILL leaves no chance to remove it).
_STALE_SECONDS = 60
_TEMPORARY = re.compile(r"\..+\.[A-Za-z0-9_]{8}\.harden")


def _remove_stale_temporaries(folder: Path) -> None:
    """Remove what an earlier, killed run left in `folder` (`.name.py.XXXXXXXX.harden`)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        if not _TEMPORARY.fullmatch(entry.name):
            continue
        try:
            if (
                entry.is_file(follow_symlinks=False)
                and now - entry.stat().st_mtime > _STALE_SECONDS
            ):
                os.unlink(entry.path)
        except OSError:
            continue


def _as_read(root: Path, path: Path, before: str) -> tuple[str, bytes | None]:
    """Why `path` must not be written ("" when it may), given the text harden read; and its
    bytes now (None: there is no such file)."""
    if path.is_symlink():
        return "a symbolic link, which harden never replaces", None
    if not path.parent.resolve().is_relative_to(root.resolve()):
        return "outside the tree harden read", None
    if not before:
        return ("there now, though harden did not read it" if path.exists() else ""), None
    if not path.is_file():
        return "deleted or replaced while harden ran", None
    try:
        current = path.read_bytes()
        unchanged = _decode(current) == before
    except (OSError, UnicodeDecodeError):
        return "no longer readable as UTF-8", None
    return ("" if unchanged else "changed while harden ran (run harden again)"), current


def _own_root(target: Path) -> Path:
    """Outside a repository: the folder Python would import the target from, above every
    package folder holding it, so that paths name modules as imports do (`pkg/app.py`)."""
    folder = target if target.is_dir() else target.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def _listed(target: Path, root: Path, in_git: bool) -> Iterator[str]:
    """The paths of the .py files to read under `target` (absolute, under `root`)."""
    if target.is_file():
        yield str(target)
        return
    if in_git and not ignored(root, target):
        # Tracked plus untracked-but-not-ignored files: .gitignore decides, as for git itself.
        # A folder the user names though .gitignore excludes it is read like one outside git:
        # they asked for it.
        folder = _as_folder(root)
        below = len(_as_folder(target)) - len(folder)  # git names files from the root
        for name in listed(root, target, "-co", "--exclude-standard"):
            path = folder + name
            dirs = tuple(name[below:].split("/")[:-1])
            if name.endswith(".py") and os.path.isfile(path) and not _in_skipped_dir(dirs):
                yield path
        return
    for folder, dirs, names in os.walk(target):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIP_DIRS and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))
        )
        for name in sorted(names):
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def ignored_python_files(target: Path, work_tree: Path) -> int:
    """How many Python files under `target` .gitignore keeps from being read (not counting
    the folders skipped anyway, virtualenvs and caches): for a run that read none, a hint."""
    target = target.resolve()
    root = work_tree.resolve()
    names = [n for n in listed(root, target, "-oi", "--exclude-standard") if n.endswith(".py")]
    return sum(
        1
        for name in names
        if not _in_skipped_dir(Path(name).parent.parts)
        and not any((root / parent / "pyvenv.cfg").exists() for parent in Path(name).parents)
    )


def _in_skipped_dir(parts: tuple[str, ...]) -> bool:
    return any(part in SKIP_DIRS for part in parts)


_BOM = b"\xef\xbb\xbf"


def _decode(data: bytes) -> str:
    return data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("utf-8")

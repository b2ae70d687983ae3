"""Phase branches: read the files of a commit and land a phase as one commit on its own branch.

Everything here works on git objects only. This module must never read or write the user's
working tree, the index file (.git/index), HEAD, the stash or any uncommitted change, so that
`harden apply` can run in the middle of someone's work; the only ref it ever writes is the
branch it was asked to create (and, with force, replace). Trees are built in memory
(`git.IndexFile.new`, not `IndexFile.from_tree`, which moves .git/index aside while it runs).

Every failure a user can cause reaches them as a GitError whose text is one readable line.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path, PurePosixPath

import git
from git.index.typ import BaseIndexEntry, IndexEntry
from gitdb.base import IStream
from gitdb.db.mem import MemoryDB

FALLBACK_NAME = "harden"
FALLBACK_EMAIL = "harden@localhost"
NEW_FILE_MODE = 0o100644


class GitError(Exception):
    """A git problem the user can act on; its text is one human-readable line."""


@dataclass(frozen=True, slots=True)
class BranchResult:
    """What commit_to_branch did: the branch, its new commit, and the tip it replaced (if any)."""

    branch: str
    commit: str  # hexsha of the new commit
    replaced: str | None  # hexsha of the old tip when force moved an existing branch


def find_repo(path: Path) -> git.Repo | None:
    """The repository containing `path` (searching parent directories), or None outside one.

    A bare repository raises GitError: harden works on a project checked out somewhere.
    """
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    if repo.bare:
        repo.close()
        raise GitError(f"{repo.git_dir} is a bare repository; run harden in a checkout")
    return repo


def files_at(
    repo: git.Repo, ref: str, under: Path | None = None, suffix: str = ".py"
) -> dict[str, str]:
    """The text of every file ending in `suffix` in commit `ref`, keyed by POSIX path from the root.

    `under` limits the result to one directory: a relative path is taken from the repository
    root, an absolute one must lie inside the working tree. Symbolic links and submodules are
    left out, and so are files that are not valid UTF-8: they are skipped silently, because
    harden can only rewrite text it can decode and round-trip byte for byte. Text is decoded
    as is (no newline translation, a BOM is kept), so writing it back reproduces the blob.

    All reads go through gitpython's object database, which keeps one `git cat-file --batch`
    process open for the whole walk instead of starting a process per file.
    """
    tree = _commit(repo, ref).tree
    directory = _repo_relative(repo, under) if under is not None else ""
    if directory:
        try:
            tree = tree / directory
        except KeyError:
            tree = None
        if not isinstance(tree, git.Tree):
            raise GitError(f"'{directory}' is not a directory in {ref}")
    texts: dict[str, str] = {}
    for blob in _regular_files(tree):
        if blob.path.endswith(suffix):
            try:
                texts[blob.path] = blob.data_stream.read().decode("utf-8")
            except UnicodeDecodeError:
                continue
    return texts


def root_files_at(repo: git.Repo, ref: str, names: Iterable[str]) -> dict[str, str]:
    """The text of those of `names` (files at the repository's root) that commit `ref` holds
    as regular UTF-8 files."""
    tree = _commit(repo, ref).tree
    texts: dict[str, str] = {}
    for name in names:
        try:
            item = tree / name
        except KeyError:
            continue
        if item.type == "blob" and stat.S_ISREG(item.mode):
            try:
                texts[name] = item.data_stream.read().decode("utf-8")
            except UnicodeDecodeError:
                continue
    return texts


def commit_to_branch(
    repo: git.Repo,
    *,
    branch: str,
    base: str,
    files: Mapping[str, str],
    message: str,
    force: bool = False,
    first: tuple[Mapping[str, str], str] | None = None,
) -> BranchResult:
    """Commit `files` on top of `base` and point `branch` at the commit; return what was done.
    With `first` (files, message), those are committed on `base` first and `files` on top.

    The new tree is base's tree with each path in `files` (POSIX, relative to the root) set to
    the given text, encoded as UTF-8. An existing file keeps its mode (an executable stays
    100755); a new file is 100644. Author and committer are the user's git identity
    (GIT_AUTHOR_*/GIT_COMMITTER_* environment, then author.*/committer.*/user.* config) and
    fall back to "harden <harden@localhost>" on a machine without one.

    If `branch` exists it is replaced only with `force`, and never while it is checked out in
    any worktree; the branch's reflog records the tip it had, and so does the result.
    """
    ref = f"refs/heads/{branch}"
    if _run(repo, "check-ref-format", ref)[0] != 0:
        raise GitError(f"'{branch}' is not a valid branch name")
    parent = _commit(repo, base)
    old_tip = _ref_target(repo, ref)
    if old_tip is not None:
        if not force:
            raise GitError(f"branch '{branch}' already exists; use --force to replace it")
        worktree = _worktree_with(repo, ref)
        if worktree is not None:
            raise GitError(f"branch '{branch}' is checked out in {worktree}; switch away first")
    author, committer = _identities(repo)
    commit = parent
    for contents, text in (*([first] if first else []), (files, message)):
        commit = git.Commit.create_from_tree(
            repo,
            _tree_with(repo, commit, contents, base),
            # git's own tools end a message with a newline; commit-tree keeps whatever it gets
            text.rstrip("\n") + "\n",
            parent_commits=[commit],
            head=False,
            author=author,
            committer=committer,
        )
    action = f"replaced {old_tip}" if old_tip else "created"
    # update-ref with the expected old value ("" = must not exist) is an atomic compare-and-swap,
    # works with every ref backend, and writes the reflog entry that keeps the old tip findable
    status, _, err = _run(
        repo,
        "update-ref",
        "--create-reflog",
        "-m",
        f"harden: {action} on {base}",
        ref,
        commit.hexsha,
        old_tip or "",
    )
    if status != 0:
        raise GitError(_first_message(err) or f"could not update branch '{branch}'")
    return BranchResult(branch=branch, commit=commit.hexsha, replaced=old_tip)


def merges_cleanly(repo: git.Repo, ours: str, theirs: str) -> bool | None:
    """Whether merging `theirs` into `ours` goes without conflict, found by `git merge-tree`
    without touching the working tree, index or refs (it adds only unreachable objects,
    which git gc removes); None when this git cannot tell
    (before 2.38)."""
    status, _, _ = _run(repo, "merge-tree", "--write-tree", "--name-only", ours, theirs)
    return {0: True, 1: False}.get(status)


def _run(repo: git.Repo, *args: str) -> tuple[int, str, str]:
    """Run one git command in the repository: (exit status, stdout, stderr), never raising."""
    return repo.git.execute(
        [git.Git.GIT_PYTHON_GIT_EXECUTABLE, *args],
        with_extended_output=True,
        with_exceptions=False,
    )


def _first_message(stderr: str) -> str:
    """git's complaint without its 'fatal: ' or 'error: ' prefix, on one line."""
    for line in stderr.splitlines():
        text = line.strip().removeprefix("fatal: ").removeprefix("error: ")
        if text:
            return text
    return ""


def _commit(repo: git.Repo, ref: str) -> git.Commit:
    """The commit `ref` names, resolved by git itself so every revision syntax works."""
    # A leading dash would be read as an option, and no revision starts with one.
    if not ref.startswith("-"):
        status, hexsha, _ = _run(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if status == 0:
            return repo.commit(hexsha)
    if not repo.head.is_valid():
        raise GitError("the repository has no commits yet; commit first or use --in-place")
    raise GitError(f"unknown revision '{ref}'")


def _ref_target(repo: git.Repo, ref: str) -> str | None:
    status, hexsha, _ = _run(repo, "rev-parse", "--verify", "--quiet", ref)
    return hexsha if status == 0 else None


def _worktree_with(repo: git.Repo, ref: str) -> str | None:
    """The path of a worktree (the main one included) that has `ref` checked out, if any."""
    _, listing, _ = _run(repo, "worktree", "list", "--porcelain")
    path = None
    for line in listing.splitlines():
        if line.startswith("worktree "):
            path = line.removeprefix("worktree ")
        elif line == f"branch {ref}":
            return path
    return None


def _repo_relative(repo: git.Repo, under: Path) -> str:
    if under.is_absolute():
        root = Path(repo.working_tree_dir).resolve()
        try:
            under = under.resolve().relative_to(root)
        except ValueError:
            raise GitError(f"{under} is outside the repository at {root}") from None
    posix = PurePosixPath(under.as_posix()).as_posix()
    return "" if posix == "." else posix


def _regular_files(tree: git.Tree) -> Iterator[git.Blob]:
    """Every regular file below `tree` (not symbolic links, not submodules)."""
    for item in tree.traverse():
        if item.type == "blob" and stat.S_ISREG(item.mode):
            yield item


def _identities(repo: git.Repo) -> tuple[git.Actor, git.Actor]:
    """(author, committer) with git's precedence, and harden's fallback where git has none."""
    # One `git config` call reads every level git would (includes, GIT_CONFIG_* variables);
    # with -z each entry is "key\nvalue\0", keys lower-cased, and a later level wins.
    status, listing, _ = _run(
        repo, "config", "-z", "--get-regexp", r"^(user|author|committer)\.(name|email)$"
    )
    config = dict(e.split("\n", 1) for e in listing.split("\0") if "\n" in e) if status == 0 else {}

    def actor(role: str) -> git.Actor:
        def field(key: str, fallback: str) -> str:
            return (
                os.environ.get(f"GIT_{role.upper()}_{key.upper()}")
                or config.get(f"{role}.{key}")
                or config.get(f"user.{key}")
                or fallback
            )

        return git.Actor(field("name", FALLBACK_NAME), field("email", FALLBACK_EMAIL))

    return actor("author"), actor("committer")


def _tree_with(repo: git.Repo, parent: git.Commit, files: Mapping[str, str], base: str) -> git.Tree:
    """Write and return base's tree with `files` replaced or added, built entirely in memory."""
    index = git.IndexFile.new(repo, parent.tree)
    entries = index.entries
    directories = {str(p) for path, _stage in entries for p in PurePosixPath(path).parents}
    blobs = MemoryDB()
    for path, text in files.items():
        _check_writable(path, entries, directories, base)
        data = text.encode("utf-8")
        blob = blobs.store(IStream(git.Blob.type, len(data), BytesIO(data)))
        old = entries.get((path, 0))
        mode = old.mode if old is not None else NEW_FILE_MODE
        entries[(path, 0)] = IndexEntry.from_base(BaseIndexEntry((mode, blob.binsha, 0, path)))
    # Copying from a MemoryDB writes loose objects in-process; storing through repo.odb
    # directly would start one `git hash-object` per file.
    blobs.stream_copy(blobs.sha_iter(), repo.odb)
    return index.write_tree()


def _check_writable(
    path: str, entries: Mapping[tuple[str, int], IndexEntry], directories: set[str], base: str
) -> None:
    """Refuse a path that would make a broken tree or write outside the plain file tree."""
    parts = PurePosixPath(path).parts
    # Rebuilding the path from its parts rejects absolute paths, "a//b" and a trailing "/".
    if (
        not parts
        or "/".join(parts) != path
        or any(p in (".", "..") or p.lower() == ".git" for p in parts)
    ):
        raise GitError(f"cannot write '{path}': not a plain path relative to the repository root")
    if path in directories:
        raise GitError(f"cannot write '{path}': it is a directory in {base}")
    old = entries.get((path, 0))
    if old is not None and not stat.S_ISREG(old.mode):
        raise GitError(f"cannot write '{path}': it is a symbolic link or submodule in {base}")
    clash = next((str(p) for p in PurePosixPath(path).parents if (str(p), 0) in entries), None)
    if clash is not None:
        raise GitError(f"cannot write '{path}': '{clash}' is a file in {base}")

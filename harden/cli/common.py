"""What the commands share: the error type main() turns into one line, consoles, the target.

Output that is meant to be piped (diffs, JSON, SARIF) goes to stdout through `out`; messages for
the person at the terminal go to stderr through `err`, so `harden ... > file` stays clean; the
interactive review's questions go to stderr through `ask`, which --quiet must never silence.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from harden.config import Config, ConfigError, load_config
from harden.findings.load import FindingsError, load_findings
from harden.findings.model import Finding
from harden.phases import Phase, PhaseError, get_phase
from harden.sources import Tree
from harden.work_tree import WorkTreeError, work_tree_root

if TYPE_CHECKING:
    import git


class HardenError(Exception):
    """A failure the user can act on; main() prints it as one line and exits with 2."""


OnlyOption = Annotated[
    str | None,
    typer.Option(
        help="One part of the phase (phase 5: commands or errors; default: both); "
        "apply lands it on a branch of its own."
    ),
]


def chosen_phase(number: int, only: str | None) -> Phase:
    """The phase `--phase` names, narrowed to the part `--only` names."""
    try:
        phase = get_phase(number)
        return phase.only(only) if only is not None else phase
    except PhaseError as error:
        raise HardenError(str(error)) from None


# Piped output (CI logs, files) has no terminal width; rich would assume 80 columns.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, highlight=False, soft_wrap=True)
# The review is what the user asked for, so --quiet leaves it on screen; its prose wraps at word
# boundaries, where `err`'s soft wrap leaves it to the terminal, which breaks words.
ask = Console(stderr=True, highlight=False)
# What a command did (the branch it created, the files it wrote): a result, shown with --quiet.
result = Console(stderr=True, highlight=False, soft_wrap=True)


def set_output(*, quiet: bool, no_color: bool) -> None:
    """`--quiet`: stderr shows errors (they bypass `err`), results and the review only; `--no-color`
    (NO_COLOR, which rich reads itself, does the same): no colours on either stream."""
    err.quiet = quiet
    for console in (out, err, ask, result):
        console.no_color = no_color or bool(os.environ.get("NO_COLOR"))


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A callback for the engine that shows a progress bar on a terminal, and nothing when
    stderr is piped or --quiet is given."""
    with Progress(
        *Progress.get_default_columns(), console=err, transient=True, disable=err.quiet
    ) as bar:
        task = bar.add_task(description, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


MAX_JOBS = 64  # more worker processes than this only cost memory and start-up


def jobs_default(jobs: int = 0) -> int:
    """The worker processes for `-j jobs`: 0 means one per core; a negative count is refused,
    and more than MAX_JOBS is capped (and said)."""
    if jobs < 0:
        raise HardenError(
            f"-j {jobs}: the number of worker processes is 1 or more (0: one per core)"
        )
    if jobs > MAX_JOBS:
        err.print(f"[yellow]note:[/] -j {jobs} is capped at {MAX_JOBS} worker processes")
        return MAX_JOBS
    return jobs or os.cpu_count() or 1


@dataclass(frozen=True)
class Target:
    """Where harden was pointed: the path, and the root of the git work tree holding it if any.
    `repo` opens that repository with gitpython, which only the commands that read commits or
    write branches need: a scan does without it (harden.work_tree)."""

    path: Path
    work_tree: Path | None

    @functools.cached_property
    def repo(self) -> git.Repo | None:
        if self.work_tree is None:
            return None
        from harden.git import GitError, find_repo

        try:
            return find_repo(self.work_tree)
        except GitError as error:
            raise HardenError(str(error)) from None


def resolve_target(path: Path) -> Target:
    if not path.exists():
        raise HardenError(f"{path}: no such file or directory")
    try:
        return Target(path.resolve(), work_tree_root(path.resolve()))
    except WorkTreeError as error:
        raise HardenError(str(error)) from None


def read_findings(path: Path, root: Path) -> list[Finding]:
    if not path.is_file():
        raise HardenError(f"{path}: no such findings file")
    try:
        return load_findings(path, root)
    except FindingsError as error:
        raise HardenError(str(error)) from None


IncludeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--include",
        metavar="PATTERN",
        help="Read only files matching this pattern (repeatable; default: all).",
    ),
]
NoCacheOption = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Read every file afresh: neither use nor fill the result cache (.harden_cache, "
        "or HARDEN_CACHE_DIR).",
    ),
]
ExcludeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exclude", metavar="PATTERN", help="Skip files matching this pattern (repeatable)."
    ),
]


def project_config(
    tree: Tree, *, include: list[str] | None = None, exclude: list[str] | None = None
) -> Config:
    """The project's [tool.harden] settings, with --include / --exclude given on the command
    line replacing the file's lists; unknown keys are reported, not fatal."""
    try:
        config = load_config(tree.root)
    except ConfigError as error:
        raise HardenError(str(error)) from None
    for key in config.unknown:
        err.print(f"[yellow]warning:[/] unknown key in {escape('[tool.harden]')}: {escape(key)}")
    if include:
        config = replace(config, include=tuple(include))
    if exclude:
        config = replace(config, exclude=tuple(exclude))
    return config


def selected(tree: Tree, config: Config) -> Tree:
    """`tree` with only the files the configuration's include/exclude patterns select; an
    include pattern that matches no file is said (a typo would silently select nothing)."""
    for pattern in config.include:
        if not any(fnmatch.fnmatchcase(path, pattern) for path, _ in tree.files):
            err.print(
                f"[yellow]warning:[/] --include / include pattern {escape(repr(pattern))} "
                "matches no Python file",
                highlight=False,
            )
    tree.files = [(path, text) for path, text in tree.files if config.selects(path)]
    return tree

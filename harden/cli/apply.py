"""`harden apply --phase N`: run a phase's codemods and land the result.

By default the rewrites of the files as committed at `--base` (HEAD) become one commit on a new
branch `harden/phase-N-<slug>`; the user's working tree, index, stash and branches are never
touched. `--dry-run` prints the change (diff, Markdown for a PR comment, or JSON) and writes
nothing; `--in-place` writes the working tree instead (and works outside git). With
`--interactive` the person at the terminal first accepts or rejects each rewrite (harden.review).
"""

from __future__ import annotations

import enum
import shlex
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from harden import __version__, engine, render
from harden.cache import cache_folder
from harden.changes import ChangeSet, Rewrite, Verdict
from harden.cli.common import (
    ExcludeOption,
    HardenError,
    IncludeOption,
    NoCacheOption,
    OnlyOption,
    Target,
    ask,
    chosen_phase,
    err,
    jobs_default,
    progress_bar,
    project_config,
    read_findings,
    resolve_target,
    result,
    selected,
)
from harden.cli.inventory import scoping_from_logs
from harden.codemods.catalog import INFO_BY_ID
from harden.config import DEFAULT_BRANCH_PREFIX, ConfigError, load_config
from harden.line_moves import moved_findings
from harden.phases import PERMISSIONS_PHASE, PHASES, phase_branch_name
from harden.project_style import read_style
from harden.render import plural
from harden.review import Review, has_terminal, read_key
from harden.sources import Tree, at_commit, working_tree, write_in_place
from harden.vendoring import is_runtime


class DiffFormat(enum.StrEnum):
    diff = "diff"
    markdown = "markdown"
    json = "json"


def apply(
    phase_number: Annotated[int, typer.Option("--phase", "-p", help="The phase to apply (1-6).")],
    path: Annotated[Path, typer.Argument(help="File or directory to harden.")] = Path("."),
    dry_run: Annotated[bool, typer.Option(help="Print the change; write nothing.")] = False,
    output_format: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="With --dry-run: diff, markdown or json.")
    ] = DiffFormat.diff,
    findings_file: Annotated[
        Path | None,
        typer.Option("--findings", help="Rewrite only the places this scanner report names."),
    ] = None,
    in_place: Annotated[
        bool, typer.Option(help="Write the working tree instead of creating a branch.")
    ] = False,
    base: Annotated[
        str | None,
        typer.Option(
            help="The commit the phase branch starts from (default: the newest earlier phase "
            "branch not yet merged, else HEAD)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace the phase branch if it exists.")] = False,
    branch_prefix: Annotated[
        str | None,
        typer.Option(help=f"Prefix of the phase branch (default: {DEFAULT_BRANCH_PREFIX})."),
    ] = None,
    interactive: Annotated[
        bool, typer.Option("--interactive", "-i", help="Accept or reject each rewrite in turn.")
    ] = False,
    include: IncludeOption = None,
    exclude: ExcludeOption = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Parallel workers (default: one per core).")
    ] = 0,
    only: OnlyOption = None,
    no_cache: NoCacheOption = False,
    logs: Annotated[
        list[str] | None,
        typer.Option(
            "--logs",
            help="Phase 6: the runtime's logs (files, globs, directories, .gz, - for stdin) "
            "whose tool calls show what each tool does. Repeatable.",
        ),
    ] = None,
) -> None:
    """Apply a hardening phase: a new branch with one commit, a dry-run diff, or in-place edits."""
    # gitpython loads here, not with the command line: `harden --help` and a scan do without.
    from harden.git import GitError, commit_to_branch
    from harden.stacking import RECORDED_COMMAND, stacked_base

    phase = chosen_phase(phase_number, only)
    workers = jobs_default(jobs)
    if phase.number == PERMISSIONS_PHASE and not logs:
        raise HardenError(
            "phase 6 writes what the logs saw each tool do: give them with --logs LOG "
            "(harden inventory LOG shows what it would write)"
        )
    if logs and phase.number != PERMISSIONS_PHASE:
        raise HardenError(
            f"--logs is for phase {PERMISSIONS_PHASE}; phase {phase.number} reads none"
        )
    if dry_run and in_place:
        raise HardenError("--dry-run writes nothing and --in-place writes the files: pick one")
    if output_format is not DiffFormat.diff and not dry_run:
        raise HardenError(
            f"--format {output_format.value} shapes the --dry-run output: add --dry-run"
        )
    if interactive and not has_terminal():
        raise HardenError(
            "--interactive needs a terminal to ask on; without one, review the --dry-run diff "
            "and apply with --findings to pick places"
        )
    target = resolve_target(path)
    if target.repo is None and not (dry_run or in_place):
        raise HardenError(
            f"{path} is not inside a git repository, so there is no branch to create; "
            "use --in-place to edit the files, or --dry-run to see the change"
        )
    prefix = branch_prefix_of(target, branch_prefix)
    stacked = None
    if base is None and target.repo is not None and not in_place:
        stacked = stacked_base(target.repo, prefix, phase.number, phase.slug)
    base = base or stacked or "HEAD"
    tree = _read(target, base, from_commit=not in_place and target.repo is not None)
    config = project_config(tree, include=include, exclude=exclude)
    tree = selected(tree, config)
    requested = read_findings(findings_file, tree.root) if findings_file else None
    scoping = scoping_from_logs(logs, tree.files) if logs else None
    if requested and tree.files and not in_place and target.repo is not None:
        # The scanner read the working tree; the branch is built from a commit, maybe an
        # earlier phase's branch whose decorators moved every line below them.
        scanned = {p: _text_on_disk(tree.root / p) for p in {f.path for f in requested}}
        on_disk = {p: t for p, t in scanned.items() if t is not None}
        requested = moved_findings(requested, on_disk, dict(tree.files))
    run = partial(
        engine.apply,
        tree.files,
        phase.codemod_ids,
        phase=phase.number,
        requested=requested,
        jobs=workers,
        runtime_settings=config.runtime,
        project_files=tree.project_files,
        style=read_style(tree.root),
        # A dry run may reuse what an earlier one found; a written change is always made from
        # the source.
        cache_folder=cache_folder(tree.root) if dry_run and not no_cache else None,
        scoping=scoping,
    )
    with progress_bar("finding rewrites" if interactive else "rewriting") as progress:
        changes = run(progress=progress)
    rejected = False
    if interactive and changes.rewrites:
        changes, rejected = _reviewed(run, changes, tree)
    changes.skipped[:0] = tree.skipped
    title = f"harden phase {phase.number}: {phase.title}"
    if dry_run:
        _print_change(changes, output_format, title, phase.enforce)
        return
    if in_place:
        unwritten = write_in_place(tree.root, changes.files)
        changes.skipped += unwritten
        written = len(changes.files) - len(unwritten)
        _summary(changes, f"wrote {plural(written, 'file')} in place")
        return
    assert target.repo is not None
    if not changes.files:
        _summary(changes, "nothing to rewrite; no branch created")
        _note_uncommitted(target, base)
        return
    branch = phase_branch_name(prefix, phase.number, phase.slug)
    message = render.commit_message(changes, title=title)
    if stacked:
        message += f"\nStacked on {stacked}, not yet merged: merge that branch first.\n"
    # How to build the branch again, for `harden restack`; --interactive only when answers
    # that left no trace in the code (rejections) shaped it.
    command = ["harden", "apply", f"--phase={phase_number}", *([f"--only={only}"] if only else [])]
    command += [f"--include={p}" for p in include or ()] + [f"--exclude={p}" for p in exclude or ()]
    command += [f"--findings={findings_file}"] if findings_file else []
    # Absolute, so that restack finds the same logs from wherever it runs.
    command += [f"--logs={log if log == '-' else Path(log).absolute()}" for log in logs or ()]
    command += ["--interactive"] if rejected else []
    command.append(_relative(target))
    message += f"\n{RECORDED_COMMAND}: {shlex.join(command)}\n"
    # The runtime (and the project settings that keep it out of the project's gates) in a
    # commit of its own, so that the next one, the one to review, holds only the user's code.
    support = {
        c.path: c.after for c in changes.files if not c.path.endswith(".py") or is_runtime(c.path)
    }
    code = {c.path: c.after for c in changes.files if c.path not in support}
    first = (
        (support, render.runtime_commit_message(changes, version=__version__))
        if support and code
        else None
    )
    try:
        result = commit_to_branch(
            target.repo,
            branch=branch,
            base=base,
            files=code if first else {**support, **code},
            message=message,
            force=force,
            first=first,
        )
    except GitError as error:
        raise HardenError(str(error)) from None
    replaced = f" (replaced {result.replaced[:12]})" if result.replaced else ""
    _summary(changes, f"created branch {branch} at {result.commit[:12]}{replaced}")
    if stacked:
        err.print(f"Stacked on {stacked} (not yet merged): merge it first.", highlight=False)
    _note_uncommitted(target, base)
    err.print(f"Review it with: git diff {base}...{branch}", highlight=False)


def branch_prefix_of(target: Target, given: str | None) -> str:
    """--branch-prefix, else [tool.harden] branch_prefix, read before the files are: the
    branches of earlier phases decide which commit the files are read from."""
    if given or target.work_tree is None:
        return given or DEFAULT_BRANCH_PREFIX
    try:
        return load_config(target.work_tree).branch_prefix
    except ConfigError as error:
        raise HardenError(str(error)) from None


def _read(target: Target, base: str, *, from_commit: bool) -> Tree:
    from harden.git import GitError

    try:
        if from_commit and target.repo is not None:
            return at_commit(target.repo, base, target.path)
        return working_tree(target.path, target.work_tree)
    except (GitError, ValueError) as error:
        raise HardenError(str(error)) from None


def _reviewed(
    run: Callable[..., ChangeSet], proposed: ChangeSet, tree: Tree
) -> tuple[ChangeSet, bool]:
    """The phase run again, asking about each rewrite, and whether any was rejected; `proposed`
    (the first run, everything accepted) counts them for "3 of 11". No progress bar is live
    meanwhile: it would draw over the questions."""
    review = Review(ask, read_key, _explain, sources=dict(tree.files), total=len(proposed.rewrites))
    changes = run(decide=review)
    ask.print(review.summary())
    return changes, review.counts[Verdict.REJECT] > 0


def _text_on_disk(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _relative(target: Target) -> str:
    """The target as a path from the repository's top, for a command run from there."""
    assert target.repo is not None
    top = Path(str(target.repo.working_tree_dir)).resolve()
    return target.path.resolve().relative_to(top).as_posix() or "."


def _note_uncommitted(target: Target, base: str) -> None:
    """The branch is built from the commit, so edits not yet committed are missing from it:
    a user who expects them there must be told."""
    assert target.repo is not None
    if target.repo.is_dirty(untracked_files=False, path=str(target.path)):
        err.print(
            "  [cyan]note[/] uncommitted edits are not included: harden read the files as "
            f"committed at {escape(base)}",
            highlight=False,
        )


def _explain(rewrite: Rewrite) -> str:
    info = INFO_BY_ID[rewrite.codemod]
    enforce = PHASES[info.phase].enforce
    return f"{info.title}. {info.rationale}\nEnforced later: {enforce}."


def _print_change(changes: ChangeSet, output_format: DiffFormat, title: str, enforce: str) -> None:
    if output_format is DiffFormat.markdown:
        print(render.markdown(changes, title=title, enforce=enforce))
    elif output_format is DiffFormat.json:
        print(render.json_report(changes, version=__version__))
    else:
        print(render.unified_diff(changes), end="")
        _summary(changes, "dry run; nothing written")


def _summary(changes: ChangeSet, outcome: str) -> None:
    rewrites = plural(len(changes.rewrites), "rewrite")
    files = plural(len(changes.files), "file")
    result.print(f"[bold]{outcome}[/]: {rewrites} in {files}", highlight=False)
    for note in (*changes.kept, *changes.notes):
        err.print(f"  [cyan]note[/] {escape(note)}", highlight=False)
    for unfixed in changes.unfixed:
        finding = unfixed.finding
        where = f"{finding.location} ({finding.source} {finding.rule_id})"
        err.print(
            f"  [yellow]not rewritten[/] {escape(where)}: {escape(unfixed.reason)}",
            highlight=False,
        )
    for skipped in changes.skipped:
        err.print(
            f"  [yellow]skipped[/] {escape(skipped.path)}: {escape(skipped.reason)}",
            highlight=False,
        )
    if changes.ignored:
        findings = plural(len(changes.ignored), "input finding")
        verb = "is" if len(changes.ignored) == 1 else "are"
        err.print(f"  {findings} {verb} for rules this phase does not handle", highlight=False)

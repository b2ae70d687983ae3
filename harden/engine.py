"""The engine: prefilter by text, parse each candidate once, run a phase's codemods, collect.

Input is (path, text) pairs from harden.sources; output is a ChangeSet (apply) or a ScanResult
(scan). Files are processed in parallel (a process pool) unless a `decide` callback must talk
to the user. A file that does not parse is reported and skipped, never fatal; a rewrite that
would not parse is dropped and reported, never written.
"""

from __future__ import annotations

import ast
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper

from harden.ast_names import parse as parse_ast
from harden.changes import ChangeSet, FileChange, Rewrite, Skipped, Unfixed, Verdict
from harden.codemods import BY_ID
from harden.codemods.base import FileRun, PlannedCodemod
from harden.codemods.call_sites import call_lines
from harden.codemods.focus import FocusText, focus_text
from harden.codemods.shell_commands import ShellCommands
from harden.conform import conform
from harden.findings.model import Finding
from harden.findings.rules import codemod_for
from harden.line_moves import line_opcodes, moved_lines, moved_span
from harden.mcp import PREFILTER, HandlerProvider, may_hold_handlers
from harden.mcp.facts import NO_FACTS, ModuleFacts
from harden.mcp.project import index_project
from harden.named_elsewhere import named_elsewhere
from harden.project_gates import gate_edits
from harden.project_style import ProjectStyle
from harden.vendoring import is_runtime, runtime_changes

Decide = Callable[[Rewrite], bool | Verdict]
Progress = Callable[[int, int], None]  # (files done, files to do), after each file

# Below this many files a process pool costs more than it saves. It counts every file, as
# the pool's first stage (text prefilter, ast checks) runs on every file.
_POOL_THRESHOLD = 8


@dataclass(frozen=True, slots=True)
class _Task:
    path: str
    text: str
    codemod_ids: tuple[str, ...]  # the codemods to run on the file
    requested: tuple[Finding, ...] | None
    accept: bool
    below_root: bool  # the module lies in a folder below the tree's root
    facts: ModuleFacts = NO_FACTS  # what the project index knows of the module
    style: ProjectStyle | None = None  # conform the rewrite to it (harden.conform)
    named_elsewhere: frozenset[str] = frozenset()  # see harden.named_elsewhere


@dataclass(slots=True)
class _Result:
    change: FileChange  # its rewrites are the accepted ones
    detected: list[Finding] = field(default_factory=list)
    styled: tuple[str, ...] = ()  # the project's tools that conformed the rewrite
    unfixed: list[Unfixed] = field(default_factory=list)
    matched: set[Finding] = field(default_factory=set)
    skipped: Skipped | None = None
    uses_runtime: bool = False
    kept: list[str] = field(default_factory=list)  # places left alone on purpose, and why
    caller_commands: dict[Finding, str] = field(default_factory=dict)  # see FileRun
    parsed: bool = False  # libcst parsed the file (the cheap checks could not rule it out)


@dataclass(slots=True)
class ScanResult:
    findings: list[Finding]
    reasons: dict[Finding, str]  # why each finding harden will not rewrite is left alone
    skipped: list[Skipped]
    files: int  # files looked at
    candidates: int  # files the cheap checks let through to libcst's parser
    # Rewrites that run a caller's command line, with the function that takes it.
    caller_commands: dict[Finding, str] = field(default_factory=dict)


def scan(
    files: Sequence[tuple[str, str]],
    codemod_ids: Sequence[str],
    *,
    jobs: int = 0,
    progress: Progress | None = None,
) -> ScanResult:
    """Every place the codemods would rewrite or refuse, as harden's own findings."""
    tasks, paths = _tasks(files, codemod_ids, requested=None, accept=False)
    results = _run(tasks, files, jobs, None, progress)
    findings = sorted((f for r in results for f in r.detected), key=Finding.sort_key)
    reasons = {u.finding: u.reason for r in results for u in r.unfixed}
    skipped = [r.skipped for r in results if r.skipped]
    callers = {f: name for r in results for f, name in r.caller_commands.items()}
    return ScanResult(
        findings, reasons, skipped, len(paths), sum(r.parsed for r in results), callers
    )


def apply(
    files: Sequence[tuple[str, str]],
    codemod_ids: Sequence[str],
    *,
    phase: int,
    requested: Sequence[Finding] | None = None,
    decide: Decide | None = None,
    jobs: int = 0,
    runtime_settings: Mapping[str, Any] | None = None,
    project_files: Mapping[str, str] | None = None,
    style: ProjectStyle | None = None,
    progress: Progress | None = None,
) -> ChangeSet:
    """Run the codemods and collect accepted rewrites; with `requested`, act only there.
    Runtime copies the rewrites need end with `runtime_settings` (see harden.config); the
    project's coverage and packaging files (`project_files`, those of
    project_gates.PROJECT_FILES that exist) are edited to leave them out of its gates. With
    `style`, the lines harden changes are conformed to it (harden.conform)."""
    wanted = set(codemod_ids)
    relevant: list[Finding] | None = None
    changes = ChangeSet(phase=phase)
    if requested is not None:
        relevant = [f for f in requested if codemod_for(f) in wanted]
        changes.ignored = [f for f in requested if codemod_for(f) not in wanted]
    tasks, paths = _tasks(files, codemod_ids, requested=relevant, accept=True)
    tasks = [replace(task, style=style) for task in tasks]
    results = _run(tasks, files, jobs, decide, progress)
    runtimes = {path: text for path, text in files if is_runtime(path)}
    matched: set[Finding] = set()
    for result in results:
        if result.skipped:
            changes.skipped.append(result.skipped)
        changes.unfixed.extend(result.unfixed)
        changes.kept.extend(result.kept)
        matched |= result.matched
        if result.change.after != result.change.before:
            changes.files.append(result.change)
    users = [r.change.path for r in results if r.uses_runtime]
    copies = runtime_changes(users, runtimes, runtime_settings)
    gates = gate_edits(project_files or {}, [copy.path for copy in copies])
    changes.files += [*copies, *gates.changes]
    changes.notes += gates.notes
    styled = sorted({tool for result in results for tool in result.styled})
    if styled:
        changes.notes.append(
            "The lines harden changed follow the project's style, by " + ", ".join(styled) + "."
        )
    for finding in relevant or ():
        if finding not in matched:
            reason = (
                "no command call that harden handles at this place"
                if finding.path in paths
                else "no such Python file in the tree harden read"
            )
            changes.unfixed.append(Unfixed(finding, reason))
    changes.unfixed.sort(key=lambda u: u.finding.sort_key())
    return changes


def _tasks(
    files: Sequence[tuple[str, str]],
    codemod_ids: Sequence[str],
    *,
    requested: Sequence[Finding] | None,
    accept: bool,
) -> tuple[list[_Task], set[str]]:
    """A task per file to look at (not harden's own runtime; with `requested`, only the files
    it names), and the paths of all files read."""
    by_path: dict[str, list[Finding]] = {}
    for finding in requested or ():
        by_path.setdefault(finding.path, []).append(finding)
    tasks: list[_Task] = []
    paths: set[str] = set()
    runners = ShellCommands.INFO.id in codemod_ids
    elsewhere = named_elsewhere(files, ShellCommands.INFO.wants) if runners else {}
    for path, text in files:
        paths.add(path)
        if is_runtime(path):
            continue  # harden's own vendored code holds nothing to harden
        if requested is not None and path not in by_path:
            continue
        wanted = tuple(by_path.get(path, ())) if requested is not None else None
        below_root = "/" in path
        tasks.append(
            _Task(
                path,
                text,
                tuple(codemod_ids),
                wanted,
                accept,
                below_root,
                named_elsewhere=elsewhere.get(path, frozenset()),
            )
        )
    return tasks, paths


def _run(
    tasks: list[_Task],
    files: Sequence[tuple[str, str]],
    jobs: int,
    decide: Decide | None,
    progress: Progress | None,
) -> list[_Result]:
    workers = jobs or os.cpu_count() or 1
    handlers = bool(tasks) and any(BY_ID[i].INFO.on_handlers for i in tasks[0].codemod_ids)
    if decide is not None or workers == 1 or len(tasks) < _POOL_THRESHOLD:
        if handlers:
            tasks = _with_facts(tasks, files, seeds=None)
        return _collect((_process(task, decide) for task in tasks), len(tasks), progress)
    with ProcessPoolExecutor(max_workers=workers, initializer=_exit_with_parent) as pool:
        # First the cheap checks on every file, spread over the workers. They rule out nearly
        # all files; each of the rest costs libcst's time, up to seconds for a big one. Those
        # then go one at a time, costliest first, so that no worker is left with a long tail.
        chunk = max(1, len(tasks) // (workers * 8))
        looked = list(pool.map(_narrowed, tasks, chunksize=chunk))
        if handlers:
            # The files that may hold handlers, as the workers' prefilter found them, are
            # where the project index starts.
            tasked = {task.path for task in tasks}
            seeds = [task.path for task, (_, seed) in zip(tasks, looked, strict=True) if seed]
            seeds += [
                path
                for path, text in files
                if path not in tasked and not is_runtime(path) and may_hold_handlers(text)
            ]
            tasks = _with_facts(tasks, files, seeds)
        costs = [
            cost or (task.text.count("\n") + 1 if task.facts.elsewhere else 0)
            for task, (cost, _) in zip(tasks, looked, strict=True)
        ]
        parsing = [(cost, task) for task, cost in zip(tasks, costs, strict=True) if cost]
        parsing.sort(key=lambda pair: pair[0], reverse=True)
        ruled_out = len(tasks) - len(parsing)
        if progress is not None:
            progress(ruled_out, len(tasks))
        done = pool.map(_process, [task for _, task in parsing])
        results = _collect(done, len(tasks), progress, finished=ruled_out)
    by_path = {result.change.path: result for result in results}
    return [by_path.get(t.path) or _Result(FileChange(t.path, t.text, t.text)) for t in tasks]


def _exit_with_parent() -> None:
    """In a worker: exit once harden is gone. A killed harden (SIGKILL) cannot stop its
    workers, which would otherwise wait for work forever, holding its output pipes open."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _with_facts(
    tasks: list[_Task], files: Sequence[tuple[str, str]], seeds: Iterable[str] | None
) -> list[_Task]:
    """The tasks, each with what the project index knows of its module."""
    facts = index_project([(p, t) for p, t in files if not is_runtime(p)], seeds)
    return [replace(task, facts=facts.get(task.path, NO_FACTS)) for task in tasks]


def _collect(
    done: Iterable[_Result], total: int, progress: Progress | None, finished: int = 0
) -> list[_Result]:
    """The results, reporting progress after each; `finished` files were done before."""
    results: list[_Result] = []
    for result in done:
        results.append(result)
        if progress is not None:
            progress(finished + len(results), total)
    return results


def _narrowed(task: _Task) -> tuple[int, bool]:
    """How many lines of the file libcst would have to parse (0: the cheap checks rule it
    out), a measure of its cost; and whether its text may hold MCP handlers."""
    codemods, calls, hits, seed = _cheap_checks(task)
    if not codemods:
        return 0, seed
    excerpt = _excerpt(task, codemods, calls, hits, scanning=not task.accept)
    return len(excerpt.lines) if excerpt else task.text.count("\n") + 1, seed


def _cheap_checks(
    task: _Task,
) -> tuple[list[type[PlannedCodemod]], ast.Module | None, list[int], bool]:
    """The codemods the cheap checks cannot rule out for the file, its ast (None if ast cannot
    parse it), the lines of their sinks' calls, and whether harden.mcp's prefilter passed.

    First each codemod's text prefilter; then, where ast can tell (a tenth of libcst's cost),
    whether the file calls the codemod's sinks, or passes its gate. A handler codemod always
    runs on a module whose functions another module registers.
    """
    # Codemods share prefilters and gates (the handler codemods all use harden.mcp's): each
    # distinct one runs once.
    found: dict[tuple[re.Pattern[str], ...], bool] = {}
    codemods: list[type[PlannedCodemod]] = []
    forced = task.facts.elsewhere
    for codemod in (BY_ID[i] for i in task.codemod_ids):
        info = codemod.INFO
        if info.prefilter not in found:
            found[info.prefilter] = info.wants(task.text)
        if found[info.prefilter] or (forced and info.on_handlers):
            codemods.append(codemod)
    seed = found.get(PREFILTER, False)
    calls = parse_ast(task.text) if codemods else None
    if calls is None:
        return codemods, None, [], seed
    lines = {c: call_lines(calls, c.INFO.sinks) for c in codemods if c.INFO.sinks}
    gates = {c.INFO.gate for c in codemods if c.INFO.gate is not None}
    passed = {gate: gate(calls) for gate in gates}
    codemods = [
        c
        for c in codemods
        if lines.get(c, True) and (passed.get(c.INFO.gate, True) or (forced and c.INFO.on_handlers))
    ]
    return codemods, calls, sorted({line for c in codemods for line in lines.get(c, ())}), seed


def _excerpt(
    task: _Task,
    codemods: Sequence[type[PlannedCodemod]],
    calls: ast.Module | None,
    hits: list[int],
    *,
    scanning: bool,
) -> FocusText | None:
    """The lines worth parsing when nothing will be rewritten (a scan): those around the
    sinks' calls. None: the whole file, for a rewrite or for a codemod that looks at more
    than calls."""
    if not scanning or calls is None or any(not c.INFO.sinks for c in codemods):
        return None
    return focus_text(task.text, calls, hits)


def _process(task: _Task, decide: Decide | None = None, *, excerpt: bool = True) -> _Result:
    """One file's run; `excerpt=False`: parse it whole even for a scan."""
    result = _Result(FileChange(task.path, task.text, task.text))
    codemods, calls, hits, _ = _cheap_checks(task)
    if not codemods:
        return result
    result.parsed = True
    # A scan rewrites nothing, so it parses only the lines around those calls.
    scanning = decide is None and not task.accept and excerpt
    partial = _excerpt(task, codemods, calls, hits, scanning=scanning)
    try:
        module, partial = _parse(task.text, partial)
    except (cst.ParserSyntaxError, RecursionError) as error:
        result.skipped = Skipped(task.path, f"does not parse: {_one_line(error)}")
        return result
    choose = decide or (lambda _rewrite: task.accept)
    wrappers: dict[cst.Module, MetadataWrapper] = {}
    line_map = partial.lines if partial else None
    for codemod in codemods:
        run = FileRun(
            task.path,
            choose,
            task.requested,
            text=task.text,
            focus_metadata=line_map is None,
            below_root=task.below_root,
            named_elsewhere=task.named_elsewhere,
            line_map=line_map,
            excerpt=partial is not None,
            wrappers=wrappers,
            metadata_cache={HandlerProvider: task.facts},
        )
        try:
            rewritten = codemod(run).transform_module(module)
        except Exception as error:
            reason = f"{codemod.INFO.id} failed here: {_one_line(error)}"
            return _Result(
                FileChange(task.path, task.text, task.text),
                skipped=Skipped(task.path, reason),
                parsed=True,
            )
        if run.needs_whole_module:
            # The excerpt lacks what a planner must see (every binding of a module-level
            # name). Only a scan parses one, deciding nothing, so starting over is safe.
            return _process(task, decide, excerpt=False)
        if rewritten is not module:
            # The codemods after this one plan on the rewritten module; what they report must
            # still name the lines of the file as read (and as scanners saw it).
            line_map = _lines_as_read(task.text, rewritten.code)
            module = rewritten
        result.change.rewrites.extend(run.accepted)
        result.detected.extend(run.detected())
        result.unfixed.extend(run.unfixed)
        result.kept.extend(run.kept)
        result.caller_commands.update(run.caller_commands)
        result.matched |= run.matched
        result.uses_runtime |= run.uses_runtime
    if partial is not None:
        return result
    result.change.after = module.code
    if result.change.after != task.text and not _still_parses(task.text, result.change.after):
        reason = "the rewrite would not parse (a harden bug; please report it)"
        result.unfixed.extend(Unfixed(f, reason) for r in result.change.rewrites for f in r.fixes)
        result.change = FileChange(task.path, task.text, task.text)
        result.uses_runtime = False
    elif task.style is not None and result.change.after != task.text:
        _conform(result, task.text, task.style)
    return result


def _conform(result: _Result, original: str, style: ProjectStyle) -> None:
    change = result.change
    conformed = conform(change.path, original, change.after, style)
    if conformed.text != change.after:
        lines = moved_lines(change.after, conformed.text)
        change.rewrites = [replace(r, span=moved_span(r.span, lines)) for r in change.rewrites]
        change.after = conformed.text
        result.styled = conformed.tools


def _lines_as_read(original: str, rewritten: str) -> list[int]:
    """For each line of `rewritten`, the line of `original` it is (or, for a line a rewrite
    added or changed, the original line it stands in for or above)."""
    before, after = original.splitlines(), rewritten.splitlines()
    lines: list[int] = []
    for tag, i1, i2, j1, j2 in line_opcodes(before, after):
        if tag == "equal":
            lines += range(i1 + 1, i2 + 1)
        else:
            # A changed line stands for the original line in its place, an added one for the
            # original line below it (or the last, at the end).
            last = max(i2 - 1, i1)
            lines += [min(min(i1 + k, last) + 1, len(before)) or 1 for k in range(j2 - j1)]
    return lines


def _parse(whole: str, excerpt: FocusText | None) -> tuple[cst.Module, FocusText | None]:
    """The module, parsed from the excerpt if one is given and parses on its own, else from
    the whole file; and the excerpt the module came from (None: the whole file)."""
    if excerpt is not None:
        try:
            return cst.parse_module(excerpt.text), excerpt
        except cst.ParserSyntaxError:
            pass
    return cst.parse_module(whole), None


def _still_parses(before: str, after: str) -> bool:
    """The output parses wherever the input did (with this interpreter's grammar)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            ast.parse(before)
        except SyntaxError:
            return True  # newer syntax than this interpreter knows; libcst vouched for both
        try:
            ast.parse(after)
        except SyntaxError:
            return False
    return True


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 200 else text[:197] + "..."

"""The engine: run a phase's codemods over a tree's files, reuse what the cache holds, collect.

Input is (path, text) pairs from harden.sources; output is a ChangeSet (apply) or a ScanResult
(scan). Each file's result comes from the result cache (harden.cache) when one is given and
holds it, else from harden.process_file, in parallel (a process pool) unless a `decide`
callback must talk to the user. It imports neither libcst nor a codemod until a file needs one.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harden.cache import ResultCache, canonical, digest
from harden.changes import ChangeSet, FileChange, Skipped, Unfixed
from harden.codemods.catalog import INFO_BY_ID
from harden.codemods.catalog.shell_commands import INFO as SHELL_COMMANDS
from harden.conform import ConformInputs
from harden.cross_module import NO_FACTS_KEY, CrossModule, cross_module
from harden.file_results import Decide, FileResult, FileTask, result_from_data, result_to_data
from harden.findings.model import Finding
from harden.findings.rules import codemod_for
from harden.mcp.facts import NO_FACTS
from harden.permissions.scoping import Scoping
from harden.project_gates import gate_edits
from harden.project_style import ProjectStyle
from harden.vendoring import is_runtime, runtime_changes

Progress = Callable[[int, int], None]  # (files done, files to do), after each file

# Below this many files a process pool costs more than it saves. It counts every file, as
# the pool's first stage (text prefilter, ast checks) runs on every file.
_POOL_THRESHOLD = 8


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
    cache_folder: Path | None = None,
) -> ScanResult:
    """Every place the codemods would rewrite or refuse, as harden's own findings; with
    `cache_folder`, what the result cache there holds is reused (harden.cache)."""
    tasks, paths = _tasks(files, codemod_ids, requested=None, accept=False)
    results = _run(tasks, files, jobs, None, progress, cache_folder)
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
    cache_folder: Path | None = None,
    scoping: Scoping | None = None,
) -> ChangeSet:
    """Run the codemods and collect accepted rewrites; with `requested`, act only there.
    Runtime copies the rewrites need end with `runtime_settings` (see harden.config); the
    project's coverage and packaging files (`project_files`, those of
    project_gates.PROJECT_FILES that exist) are edited to leave them out of its gates. With
    `style`, the lines harden changes are conformed to it (harden.conform). `cache_folder`
    only for a dry run: the rewrites come from the result cache there where it holds them.
    `scoping` is phase 6's decision per tool, from the logs."""
    wanted = set(codemod_ids)
    relevant: list[Finding] | None = None
    changes = ChangeSet(phase=phase)
    if requested is not None:
        relevant = [f for f in requested if codemod_for(f) in wanted]
        changes.ignored = [f for f in requested if codemod_for(f) not in wanted]
    tasks, paths = _tasks(files, codemod_ids, requested=relevant, accept=True)
    tasks = [replace(task, style=style, scoping=scoping) for task in tasks]
    results = _run(tasks, files, jobs, decide, progress, cache_folder)
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
) -> tuple[list[FileTask], set[str]]:
    """A task per file to look at (not harden's own runtime; with `requested`, only the files
    it names), and the paths of all files read."""
    by_path: dict[str, list[Finding]] = {}
    for finding in requested or ():
        by_path.setdefault(finding.path, []).append(finding)
    tasks: list[FileTask] = []
    paths: set[str] = set()
    for path, text in files:
        paths.add(path)
        if is_runtime(path):
            continue  # harden's own vendored code holds nothing to harden
        if requested is not None and path not in by_path:
            continue
        wanted = tuple(by_path.get(path, ())) if requested is not None else None
        tasks.append(FileTask(path, text, tuple(codemod_ids), wanted, accept, "/" in path))
    return tasks, paths


def _run(
    tasks: list[FileTask],
    files: Sequence[tuple[str, str]],
    jobs: int,
    decide: Decide | None,
    progress: Progress | None,
    cache_folder: Path | None,
) -> list[FileResult]:
    """Each task's result, in order: from the cache where it holds one (never when `decide`
    talks to the user), else from a run of the codemods, which the cache then keeps."""
    ids = tasks[0].codemod_ids if tasks else ()
    handlers = any(INFO_BY_ID[i].on_handlers for i in ids)
    runs = SHELL_COMMANDS.wants if SHELL_COMMANDS.id in ids else None
    cache = None
    if cache_folder is not None and decide is None and tasks:
        cache = ResultCache(cache_folder, canonical([ids, tasks[0].accept, tasks[0].style]))
    project = cross_module(files, runs=runs, handlers=handlers, cache=cache)
    keys = {}
    if cache is not None:
        style = tasks[0].style if tasks[0].accept else None
        conforming = ConformInputs(style) if style is not None else None
        keys = {task.path: _key(task, project, conforming) for task in tasks}
    done: dict[str, FileResult] = {}
    for task in tasks:
        if cache is not None and (result := _cached(cache, keys[task.path], task)) is not None:
            done[task.path] = result
    todo = [task for task in tasks if task.path not in done]
    if todo:
        facts = project.facts(task.path for task in todo) if handlers else {}
        todo = [
            replace(
                task,
                facts=facts.get(task.path, NO_FACTS),
                named_elsewhere=project.elsewhere.get(task.path, frozenset()),
                may_hold_handlers=task.path in project.seeds if handlers else None,
            )
            for task in todo
        ]
    if progress is not None and done:
        progress(len(done), len(tasks))
    for result in _processed(todo, jobs, decide, progress, len(done), len(tasks)):
        done[result.change.path] = result
        if cache is not None:
            cache.put(keys[result.change.path], result_to_data(result))
    if cache is not None:
        cache.save()
    return [done[task.path] for task in tasks]


def _key(task: FileTask, project: CrossModule, conforming: ConformInputs | None) -> str:
    """Everything the task's result depends on beyond the run's context."""
    return digest(
        task.path,
        project.texts[task.path],
        canonical(task.requested),
        project.facts_keys.get(task.path, NO_FACTS_KEY),
        canonical(project.elsewhere.get(task.path, frozenset())),
        conforming.of(task.path) if conforming is not None else "",
        canonical(task.scoping),
    )


def _cached(cache: ResultCache, key: str, task: FileTask) -> FileResult | None:
    data = cache.get(key)
    if data is None:
        return None
    try:
        return result_from_data(data, task.path, task.text)
    except (ValueError, TypeError):
        cache.forget(key)  # not what this version of harden wrote: never trusted
        return None


def _processed(
    tasks: list[FileTask],
    jobs: int,
    decide: Decide | None,
    progress: Progress | None,
    finished: int,
    total: int,
) -> list[FileResult]:
    """The tasks' results from the codemods; `finished` of `total` files were done before."""
    workers = jobs or os.cpu_count() or 1
    if decide is not None or workers == 1 or len(tasks) < _POOL_THRESHOLD:
        # A few files, one by one: libcst and the codemods load only if one needs them.
        passing = {task.path for task in tasks if task.prefiltered()}
        if not passing:
            return _collect(map(_unchanged, tasks), total, progress, finished)
        from harden.process_file import process

        results = (process(t, decide) if t.path in passing else _unchanged(t) for t in tasks)
        return _collect(results, total, progress, finished)
    from harden.process_file import narrowed, process

    with ProcessPoolExecutor(max_workers=workers, initializer=_exit_with_parent) as pool:
        # First the cheap checks on every file, spread over the workers. They rule out nearly
        # all files; each of the rest costs libcst's time, up to seconds for a big one. Those
        # then go one at a time, costliest first, so that no worker is left with a long tail.
        chunk = max(1, len(tasks) // (workers * 8))
        costs = [
            cost or (task.text.count("\n") + 1 if task.facts.elsewhere else 0)
            for task, cost in zip(tasks, pool.map(narrowed, tasks, chunksize=chunk), strict=True)
        ]
        parsing = [(cost, task) for task, cost in zip(tasks, costs, strict=True) if cost]
        parsing.sort(key=lambda pair: pair[0], reverse=True)
        ruled_out = [_unchanged(t) for t, cost in zip(tasks, costs, strict=True) if not cost]
        if progress is not None:
            progress(finished + len(ruled_out), total)
        done = pool.map(process, [task for _, task in parsing])
        return ruled_out + _collect(done, total, progress, finished + len(ruled_out))


def _unchanged(task: FileTask) -> FileResult:
    return FileResult(FileChange(task.path, task.text, task.text))


def _exit_with_parent() -> None:
    """In a worker: exit once harden is gone. A killed harden (SIGKILL) cannot stop its
    workers, which would otherwise wait for work forever, holding its output pipes open."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _collect(
    done: Iterable[FileResult], total: int, progress: Progress | None, finished: int = 0
) -> list[FileResult]:
    """The results, reporting progress after each; `finished` files were done before."""
    results: list[FileResult] = []
    for result in done:
        results.append(result)
        if progress is not None:
            progress(finished + len(results), total)
    return results

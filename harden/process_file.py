"""One file's run of the codemods: the cheap checks that rule a file out, then libcst.

The engine (harden.engine) hands each file here, in its own process or a pool worker; this is
the only part of a run that imports libcst and the codemods, so a run the result cache answers
whole never loads them. A file that does not parse is skipped, never fatal; a rewrite that would
not parse is dropped and reported, never returned.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from dataclasses import replace

import libcst as cst
from libcst.metadata import MetadataWrapper

from harden.ast_names import parse as parse_ast
from harden.changes import FileChange, Skipped, Unfixed
from harden.codemods.base import FileRun, PlannedCodemod
from harden.codemods.call_sites import call_lines
from harden.codemods.focus import FocusText, focus_text
from harden.codemods.registry import BY_ID
from harden.conform import conform
from harden.file_results import Decide, FileResult, FileTask
from harden.line_moves import line_opcodes, moved_lines, moved_span
from harden.mcp.handlers import HandlerProvider
from harden.project_style import ProjectStyle


def narrowed(task: FileTask) -> int:
    """How many lines of the file libcst would have to parse (0: the cheap checks rule it
    out), a measure of its cost."""
    codemods, calls, hits = _cheap_checks(task)
    if not codemods:
        return 0
    excerpt = _excerpt(task, codemods, calls, hits, scanning=not task.accept)
    return len(excerpt.lines) if excerpt else task.text.count("\n") + 1


def _cheap_checks(
    task: FileTask,
) -> tuple[list[type[PlannedCodemod]], ast.Module | None, list[int]]:
    """The codemods the cheap checks cannot rule out for the file, its ast (None if ast cannot
    parse it), and the lines of their sinks' calls.

    First each codemod's text prefilter; then, where ast can tell (a tenth of libcst's cost),
    whether the file calls the codemod's sinks, or passes its gate. A handler codemod always
    runs on a module whose functions another module registers.
    """
    forced = task.facts.elsewhere
    codemods = [BY_ID[info.id] for info in task.prefiltered()]
    calls = parse_ast(task.text) if codemods else None
    if calls is None:
        return codemods, None, []
    lines = {c: call_lines(calls, c.INFO.sinks) for c in codemods if c.INFO.sinks}
    gates = {c.INFO.gate for c in codemods if c.INFO.gate is not None}
    passed = {gate: gate(calls) for gate in gates}
    codemods = [
        c
        for c in codemods
        if lines.get(c, True) and (passed.get(c.INFO.gate, True) or (forced and c.INFO.on_handlers))
    ]
    return codemods, calls, sorted({line for c in codemods for line in lines.get(c, ())})


def _excerpt(
    task: FileTask,
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


def process(task: FileTask, decide: Decide | None = None, *, excerpt: bool = True) -> FileResult:
    """One file's run; `excerpt=False`: parse it whole even for a scan."""
    result = FileResult(FileChange(task.path, task.text, task.text))
    codemods, calls, hits = _cheap_checks(task)
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
            scoping=task.scoping,
        )
        try:
            rewritten = codemod(run).transform_module(module)
        except Exception as error:
            reason = f"{codemod.INFO.id} failed here: {_one_line(error)}"
            return FileResult(
                FileChange(task.path, task.text, task.text),
                skipped=Skipped(task.path, reason),
                parsed=True,
            )
        if run.needs_whole_module:
            # The excerpt lacks what a planner must see (every binding of a module-level
            # name). Only a scan parses one, deciding nothing, so starting over is safe.
            return process(task, decide, excerpt=False)
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


def _conform(result: FileResult, original: str, style: ProjectStyle) -> None:
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

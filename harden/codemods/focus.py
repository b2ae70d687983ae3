"""Metadata only where it is needed: the part of a module that calls what a codemod acts on.

libcst's scope, qualified-name, parent and position metadata cost about a second per 2,700-line
file here, so resolving them for a whole file to look at two calls is most of harden's run
time. A focus module holds the same (immutable, shared) statement nodes as the parsed file, but
only the top-level statements holding a call of one of the codemod's sinks (`call_sites`) — of
such a class, only the members that hold one — plus the imports and other simple or guarded
statements that name resolution needs. Metadata on it answers the same questions for the kept
nodes; `real_start` maps its lines back to the file's. `focus_text` selects the same way from
source lines, for a scan that parses only them.

It never changes the module that gets rewritten, and gives up (returns None) whenever the
mapping between ast's and libcst's statements is not exact, so the caller falls back to the
whole module. Neither keeps what only the whole module answers (every assignment of a
module-level name): a planner that needs it sets `needs_whole_module`, and runs again on the
whole module (see base.PlannedCodemod; for an excerpt the engine parses the file whole).
"""

from __future__ import annotations

import ast
import bisect
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from harden.ast_names import parse
from harden.codemods.call_sites import Sink, call_lines


@dataclass(frozen=True, slots=True)
class Focus:
    module: cst.Module
    real_start: dict[cst.CSTNode, int]  # kept statement -> the line libcst starts it on


def focus(tree: cst.Module, text: str, sinks: Sequence[Sink]) -> Focus | None:
    module = parse(text)
    if module is None or not sinks:
        return None
    hits = call_lines(module, sinks)
    real_start: dict[cst.CSTNode, int] = {}
    body = _reduce(list(tree.body), module.body, hits, real_start, end=float("inf"))
    unchanged = body is not None and all(map(operator.is_, body, tree.body))
    if body is None or (unchanged and len(body) == len(tree.body)):
        return None
    return Focus(tree.with_changes(body=body), real_start)


def _reduce(
    statements: list[cst.BaseStatement],
    nodes: list[ast.stmt],
    hits: list[int],
    real_start: dict[cst.CSTNode, int],
    *,
    end: float,
) -> list[cst.BaseStatement] | None:
    """The statements of one block worth keeping; a hit class keeps only its hit members.

    Records in `real_start` the first line of every kept statement (an anchor for mapping
    lines back). None when ast's and libcst's statements do not pair up one to one.
    """
    lines = _statements(nodes, hits, end)
    if len(lines) != len(statements):
        return None
    kept: list[cst.BaseStatement] = []
    for statement, (_, anchor, until, hit, node) in zip(statements, lines, strict=True):
        if not hit and not isinstance(statement, cst.SimpleStatementLine | cst.Try | cst.If):
            continue
        if (
            hit
            and isinstance(statement, cst.ClassDef)
            and isinstance(node, ast.ClassDef)
            and isinstance(statement.body, cst.IndentedBlock)
        ):
            members = list(statement.body.body)
            inner = _reduce(members, node.body, hits, real_start, end=until)
            if inner is not None and len(inner) < len(members):
                # A new class node holding the same member nodes; not an anchor itself.
                kept.append(statement.with_changes(body=statement.body.with_changes(body=inner)))
                continue
        kept.append(statement)
        real_start[statement] = anchor
    return kept


def _statements(
    nodes: list[ast.stmt], hits: list[int], end: float
) -> list[tuple[int, int, float, bool, ast.stmt]]:
    """Per statement of a block: its first line, libcst's start line, where the next one
    starts (or `end`), whether a hit lies in between, and the ast node."""
    lines = _statement_lines(nodes)
    found = []
    for index, (first, anchor, node) in enumerate(lines):
        until = lines[index + 1][0] if index + 1 < len(lines) else end
        position = bisect.bisect_left(hits, first)
        found.append((first, anchor, until, position < len(hits) and hits[position] < until, node))
    return found


def _statement_lines(nodes: list[ast.stmt]) -> list[tuple[int, int, ast.stmt]]:
    """Per statement as libcst counts them (`a; b` on one line is one statement): its first
    line including decorators, the line libcst's position starts on (the `def`/`class`
    keyword, after the decorators), and the ast node."""
    lines: list[tuple[int, int, ast.stmt]] = []
    for node in nodes:
        decorators = getattr(node, "decorator_list", [])
        first = min([node.lineno, *(d.lineno for d in decorators)])
        if not lines or lines[-1][0] != first:
            lines.append((first, node.lineno, node))
    return lines


@dataclass(frozen=True, slots=True)
class FocusText:
    """The lines of a file worth parsing when nothing will be rewritten, and where each
    came from: `lines[i]` is the file's line number of line i + 1 of `text`."""

    text: str
    lines: list[int]


def focus_text(text: str, module: ast.Module, hits: list[int]) -> FocusText | None:
    """Whole source lines of what `focus` would keep around the calls on lines `hits` (but
    only imports, not other simple statements): enough for a scan, which never rewrites, to
    parse a fraction of a big file. `module` is the text's ast."""
    ranges: list[tuple[int, int]] = []
    _keep_lines(module.body, hits, ranges, end=float("inf"))
    source = text.splitlines(keepends=True)
    numbers = sorted({n for first, last in ranges for n in range(first, last + 1)})
    if len(numbers) == len(source):
        return None
    kept = "".join(source[n - 1] for n in numbers)
    return FocusText(kept if kept.endswith("\n") or not kept else kept + "\n", numbers)


def _keep_lines(
    nodes: list[ast.stmt], hits: list[int], ranges: list[tuple[int, int]], *, end: float
) -> None:
    for first, _, until, hit, node in _statements(nodes, hits, end):
        last = node.end_lineno or node.lineno
        if isinstance(node, ast.ClassDef) and hit and node.body:
            # The class line(s), then only the members that matter.
            ranges.append((first, _statement_lines(node.body)[0][0] - 1))
            members: list[tuple[int, int]] = []
            _keep_lines(node.body, hits, members, end=until)
            ranges.extend(members or [(first, last)])
        elif hit or _imports(node):
            ranges.append((first, last))


def _imports(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return True
    return isinstance(node, ast.Try | ast.If) and any(
        isinstance(inner, ast.Import | ast.ImportFrom) for inner in ast.walk(node)
    )

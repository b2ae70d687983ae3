"""Metadata only where it is needed: the part of a module a codemod's prefilter points at.

libcst's scope, qualified-name, parent and position metadata cost about a second per 2,700-line
file here, so resolving them for a whole file to look at two calls is most of harden's run
time. A focus module holds the same (immutable, shared) statement nodes as the parsed file, but
only the top-level statements whose lines a prefilter pattern matched — of a matched class, only
its matched members — plus the imports and other simple or guarded statements that name
resolution needs. Metadata on it answers the same questions for the kept nodes; `real_start`
maps its lines back to the file's. `focus_text` selects the same way from source lines, for a
scan that parses only them.

It never changes the module that gets rewritten, and gives up (returns None) whenever the
mapping between ast's and libcst's statements is not exact, so the caller falls back to the
whole module.
"""

from __future__ import annotations

import ast
import bisect
import operator
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True, slots=True)
class Focus:
    module: cst.Module
    real_start: dict[cst.CSTNode, int]  # kept statement -> the line libcst starts it on


def focus(tree: cst.Module, text: str, patterns: Sequence[re.Pattern[str]]) -> Focus | None:
    module = _parse(text)
    if module is None:
        return None
    hits = _hit_lines(text, module, patterns)
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


def _hit_lines(text: str, module: ast.Module, patterns: Sequence[re.Pattern[str]]) -> list[int]:
    """Lines a pattern matches, and lines calling a name that a matching import binds
    (`from os import system as run` matches; `run(...)` later does not, by itself)."""
    hits = {_line_of(text, match.start()) for p in patterns for match in p.finditer(text)}
    bound = [
        alias.asname or alias.name.partition(".")[0]
        for node in ast.walk(module)
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(n in hits for n in range(node.lineno, (node.end_lineno or node.lineno) + 1))
        for alias in node.names
    ]
    for name in bound:
        calls = re.compile(rf"(?<![\w.]){re.escape(name)}\s*\(")
        hits.update(_line_of(text, match.start()) for match in calls.finditer(text))
    return sorted(hits)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _parse(text: str) -> ast.Module | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            return ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            return None


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


def focus_text(text: str, patterns: Sequence[re.Pattern[str]]) -> FocusText | None:
    """Whole source lines of what `focus` would keep (but only imports, not other simple
    statements): enough for a scan, which never rewrites, to parse a fraction of a big file."""
    module = _parse(text)
    if module is None:
        return None
    hits = _hit_lines(text, module, patterns)
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

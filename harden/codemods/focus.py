"""Metadata only where it is needed: the part of a module a codemod's prefilter points at.

libcst's scope, qualified-name, parent and position metadata cost about a second per 2,700-line
file here, so resolving them for a whole file to look at two calls is most of harden's run
time. A focus module holds the same (immutable, shared) statement nodes as the parsed file, but
only the top-level statements whose lines a prefilter pattern matched, plus the imports and
other simple or guarded module-level statements that name resolution needs. Metadata on it
answers the same questions for the kept nodes; `real_start` maps its lines back to the file's.

It never changes the module that gets rewritten, and gives up (returns None) whenever the
mapping between ast's and libcst's statements is not exact, so the caller falls back to the
whole module.
"""

from __future__ import annotations

import ast
import bisect
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True, slots=True)
class Focus:
    module: cst.Module
    real_start: dict[cst.CSTNode, int]  # kept top-level statement -> its first line in the file


def focus(tree: cst.Module, text: str, patterns: Sequence[re.Pattern[str]]) -> Focus | None:
    lines = _statement_lines(text)
    if lines is None or len(lines) != len(tree.body):
        return None
    starts = [start for start, _ in lines]
    hits = sorted(
        {text.count("\n", 0, match.start()) + 1 for p in patterns for match in p.finditer(text)}
    )
    kept: list[cst.BaseStatement] = []
    real_start: dict[cst.CSTNode, int] = {}
    for index, statement in enumerate(tree.body):
        end = starts[index + 1] if index + 1 < len(starts) else float("inf")
        first_hit = bisect.bisect_left(hits, starts[index])
        hit = first_hit < len(hits) and hits[first_hit] < end
        if hit or isinstance(statement, cst.SimpleStatementLine | cst.Try | cst.If):
            kept.append(statement)
            real_start[statement] = lines[index][1]
    if len(kept) == len(tree.body):
        return None
    return Focus(tree.with_changes(body=kept), real_start)


def _statement_lines(text: str) -> list[tuple[int, int]] | None:
    """Per top-level statement as libcst counts them (`a; b` on one line is one statement):
    its first line including decorators, and the line libcst's position starts on (the
    `def`/`class` keyword, after the decorators)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            body = ast.parse(text).body
        except (SyntaxError, ValueError, RecursionError):
            return None
    lines: list[tuple[int, int]] = []
    for node in body:
        decorators = getattr(node, "decorator_list", [])
        first = min([node.lineno, *(d.lineno for d in decorators)])
        if not lines or lines[-1][0] != first:
            lines.append((first, node.lineno))
    return lines

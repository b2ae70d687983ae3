"""Where the lines of one version of a text went in another.

For places named in one version and needed in the other: a rewrite's span once the project's
formatter has laid out harden's lines, a scanner's finding (made on the working tree) in the
commit a stacked phase branch is built from. It only compares texts; it reads nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from harden.changes import Span
from harden.findings.model import Finding

Opcode = tuple[str, int, int, int, int]
# Past this many lines between the first and the last change, difflib's exact matching takes
# minutes on code (whose lines repeat); its junk heuristic then anchors on the rarer lines.
_EXACT_LIMIT = 4000


def line_opcodes(before: Sequence[str], after: Sequence[str]) -> list[Opcode]:
    """difflib's opcodes from the lines `before` to the lines `after`, matched only between
    their common first and last lines: a rewrite changes a few lines of a file, and cost must
    follow the change, not the file."""
    limit = min(len(before), len(after))
    start = 0
    while start < limit and before[start] == after[start]:
        start += 1
    end = 0
    while end < limit - start and before[-1 - end] == after[-1 - end]:
        end += 1
    old, new = before[start : len(before) - end], after[start : len(after) - end]
    exact = max(len(old), len(new)) <= _EXACT_LIMIT
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=not exact)
    opcodes: list[Opcode] = [("equal", 0, start, 0, start)] if start else []
    opcodes += [
        (tag, i1 + start, i2 + start, j1 + start, j2 + start)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if i1 != i2 or j1 != j2
    ]
    if end:
        opcodes.append(("equal", len(before) - end, len(before), len(after) - end, len(after)))
    return opcodes


def moved_lines(old: str, new: str) -> dict[int, tuple[int, int]]:
    """Each 1-based line of `old`: the first and last line of `new` it is, or became (the
    lines that replaced it; for a line deleted, the line that now stands in its place)."""
    moved: dict[int, tuple[int, int]] = {}
    for tag, i1, i2, j1, j2 in line_opcodes(old.splitlines(), new.splitlines()):
        for n in range(i1, i2):
            equal = tag == "equal"
            moved[n + 1] = (j1 + n - i1 + 1,) * 2 if equal else (j1 + 1, max(j2, j1 + 1))
    return moved


def moved_span(span: Span, lines: Mapping[int, tuple[int, int]]) -> Span:
    """`span` moved by `lines` (moved_lines): the same text, or the lines it became."""
    start = lines.get(span.line, (span.line, span.line))[0]
    end = lines.get(span.end_line, (span.end_line, span.end_line))[1]
    if (start, end) == (span.line, span.end_line):
        return span
    return Span(start, span.column if start == span.line else 1, end, span.end_column)


def moved_findings(
    findings: Iterable[Finding], scanned: Mapping[str, str], read: Mapping[str, str]
) -> list[Finding]:
    """`findings`, made on the `scanned` texts, at their lines in the `read` texts (path to
    text); a finding on a file missing from either stays as it is."""
    maps: dict[str, dict[int, tuple[int, int]]] = {}
    moved = []
    for finding in findings:
        old, new = scanned.get(finding.path), read.get(finding.path)
        if old is None or new is None or old == new:
            moved.append(finding)
            continue
        if finding.path not in maps:
            maps[finding.path] = moved_lines(old, new)
        lines = maps[finding.path]
        start = lines.get(finding.line, (finding.line,))[0]
        end = lines.get(finding.end_line, (0, finding.end_line))[1] if finding.end_line else 0
        moved.append(replace(finding, line=start, end_line=end))
    return moved

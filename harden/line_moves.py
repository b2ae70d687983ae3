"""Where the lines of one version of a text went in another.

For places named in one version and needed in the other: a rewrite's span once the project's
formatter has laid out harden's lines, a scanner's finding (made on the working tree) in the
commit a stacked phase branch is built from. It only compares texts; it reads nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import replace

from harden.changes import Span
from harden.findings.model import Finding


def moved_lines(old: str, new: str) -> dict[int, tuple[int, int]]:
    """Each 1-based line of `old`: the first and last line of `new` it is, or became (the
    lines that replaced it; for a line deleted, the line that now stands in its place)."""
    moved: dict[int, tuple[int, int]] = {}
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
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

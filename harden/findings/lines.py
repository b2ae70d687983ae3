"""Findings as lines of text: ruff-style concise lines, GitHub Actions annotations, statistics.

Each function turns Findings into text and nothing else; it must never filter or reorder beyond
sorting by the findings' own sort key, so that what the caller chose to show is what appears.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from harden.findings.model import Finding, Severity

# GitHub shows an annotation's severity by its command; harden's three levels map one to one.
_ANNOTATION = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "notice"}


def concise(findings: Sequence[Finding]) -> list[str]:
    """`path:line:col: rule [severity] message`, one line per finding, like ruff's default."""
    return [
        f"{f.path}:{f.line}:{f.column}: {f.rule_id} [{f.severity.label}] {_one_line(f.message)}"
        for f in sorted(findings, key=Finding.sort_key)
    ]


def github(findings: Sequence[Finding]) -> list[str]:
    """Workflow commands (`::error file=F,line=L,col=C,title=RULE::message`) that GitHub Actions
    turns into annotations on the lines."""
    return [
        f"::{_ANNOTATION[f.severity]} file={_property(f.path)},line={f.line},col={f.column},"
        f"title={_property(f.rule_id)}::{_data(f.message)}"
        for f in sorted(findings, key=Finding.sort_key)
    ]


def statistics(findings: Sequence[Finding]) -> list[str]:
    """Findings counted per rule, most first, like `ruff --statistics`."""
    counts = Counter(f.rule_id for f in findings)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    width = len(str(max(counts.values(), default=0)))
    return [f"{count:>{width}}\t{rule}" for rule, count in ordered]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _data(text: str) -> str:
    """A workflow command's message, escaped as the Actions toolkit does (command.ts escapeData):
    an unescaped newline would end the command and start a new one."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """A workflow command's property value (escapeProperty): `,` separates properties and `:`
    ends them, so both are escaped too."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")

"""One file's task for the engine, its result, and the result as JSON for the result cache.

Data only: it never parses code and never imports libcst, so that a run whose every file is
answered from the cache (harden.cache) needs neither. `result_from_data` trusts nothing it is
given: a value of the wrong shape raises ValueError, and the cache then ignores the entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harden.changes import FileChange, Rewrite, Skipped, Span, Unfixed, Verdict
from harden.codemods.catalog import INFO_BY_ID
from harden.codemods.info import CodemodInfo
from harden.findings.model import Finding, Severity
from harden.mcp.facts import NO_FACTS, ModuleFacts
from harden.mcp.frameworks import PREFILTER
from harden.permissions.scoping import Scoping

if TYPE_CHECKING:
    from harden.project_style import ProjectStyle

# A reviewer's answer to one rewrite (True/False: accept/reject).
Decide = Callable[[Rewrite], bool | Verdict]


@dataclass(frozen=True, slots=True)
class FileTask:
    path: str
    text: str
    codemod_ids: tuple[str, ...]  # the codemods to run on the file
    requested: tuple[Finding, ...] | None
    accept: bool
    below_root: bool  # the module lies in a folder below the tree's root
    facts: ModuleFacts = NO_FACTS  # what the project index knows of the module
    style: ProjectStyle | None = None  # conform the rewrite to it (harden.conform)
    named_elsewhere: frozenset[str] = frozenset()  # see harden.named_elsewhere
    may_hold_handlers: bool | None = None  # harden.mcp's prefilter, when already known
    scoping: Scoping | None = None  # phase 6: what the logs say each tool may do

    def prefiltered(self) -> list[CodemodInfo]:
        """The codemods whose text prefilter lets the file through (a handler codemod's always
        does when the project index says another module registers functions of it)."""
        # Codemods share prefilters (the handler codemods all use harden.mcp's): each distinct
        # one runs once, and harden.mcp's not at all when the engine already ran it.
        found: dict[tuple[re.Pattern[str], ...], bool] = {}
        if self.may_hold_handlers is not None:
            found[PREFILTER] = self.may_hold_handlers
        wanted = []
        for info in (INFO_BY_ID[i] for i in self.codemod_ids):
            if info.prefilter not in found:
                found[info.prefilter] = info.wants(self.text)
            if found[info.prefilter] or (self.facts.elsewhere and info.on_handlers):
                wanted.append(info)
        return wanted


@dataclass(slots=True)
class FileResult:
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


def result_to_data(result: FileResult) -> dict[str, Any]:
    """The result as JSON values; the file's text is left out (the cache key holds it)."""
    change = result.change
    data: dict[str, Any] = {}
    if change.after != change.before:
        data["after"] = change.after
    if change.rewrites:
        data["rewrites"] = [_rewrite_to_data(r) for r in change.rewrites]
    lists = {
        "detected": [_finding_to_data(f) for f in result.detected],
        "styled": list(result.styled),
        "unfixed": [[_finding_to_data(u.finding), u.reason] for u in result.unfixed],
        "matched": sorted(_finding_to_data(f) for f in result.matched),
        "kept": result.kept,
        "callers": [[_finding_to_data(f), n] for f, n in result.caller_commands.items()],
    }
    data.update((name, value) for name, value in lists.items() if value)
    if result.skipped is not None:
        data["skipped"] = result.skipped.reason
    if result.uses_runtime:
        data["uses_runtime"] = True
    if result.parsed:
        data["parsed"] = True
    return data


def result_from_data(data: Any, path: str, text: str) -> FileResult:
    """The result `result_to_data` gave for the file at `path` holding `text`."""
    if data == {}:
        return FileResult(FileChange(path, text, text))  # most files: nothing found
    if not isinstance(data, dict) or not data.keys() <= _KEYS:
        raise ValueError("a result is an object of known keys")
    after = data.get("after", text)
    change = FileChange(path, text, _str(after))
    change.rewrites = [_rewrite_from_data(r) for r in _list(data.get("rewrites", []))]
    skipped = data.get("skipped")
    return FileResult(
        change,
        detected=[_finding_from_data(f) for f in _list(data.get("detected", []))],
        styled=tuple(_str(s) for s in _list(data.get("styled", []))),
        unfixed=[
            Unfixed(_finding_from_data(f), _str(reason))
            for f, reason in _pairs(data.get("unfixed", []))
        ],
        matched={_finding_from_data(f) for f in _list(data.get("matched", []))},
        skipped=Skipped(path, _str(skipped)) if skipped is not None else None,
        uses_runtime=_true(data, "uses_runtime"),
        kept=[_str(k) for k in _list(data.get("kept", []))],
        caller_commands={
            _finding_from_data(f): _str(name) for f, name in _pairs(data.get("callers", []))
        },
        parsed=_true(data, "parsed"),
    )


_KEYS = frozenset(
    (
        *("after", "rewrites", "detected", "styled", "unfixed", "matched", "kept", "callers"),
        *("skipped", "uses_runtime", "parsed"),
    )
)


def _true(data: dict[str, Any], key: str) -> bool:
    """A flag result_to_data writes only when it is set."""
    if key in data and data[key] is not True:
        raise ValueError(f"{key} is true when present")
    return key in data


def _finding_to_data(finding: Finding) -> list[Any]:
    return [
        finding.rule_id,
        finding.path,
        finding.line,
        finding.column,
        finding.end_line,
        finding.end_column,
        int(finding.severity),
        finding.message,
        finding.source,
    ]


def _finding_from_data(data: Any) -> Finding:
    values = _list(data)
    if len(values) != 9:
        raise ValueError("a finding has nine fields")
    rule, path, line, column, end_line, end_column, severity, message, source = values
    return Finding(
        _str(rule),
        _str(path),
        _int(line),
        _int(column),
        _int(end_line),
        _int(end_column),
        Severity(_int(severity)),
        _str(message),
        _str(source),
    )


def _rewrite_to_data(rewrite: Rewrite) -> list[Any]:
    span = rewrite.span
    return [
        rewrite.path,
        [span.line, span.column, span.end_line, span.end_column],
        rewrite.codemod,
        rewrite.before,
        rewrite.after,
        rewrite.note,
        [_finding_to_data(f) for f in rewrite.fixes],
    ]


def _rewrite_from_data(data: Any) -> Rewrite:
    values = _list(data)
    if len(values) != 7:
        raise ValueError("a rewrite has seven fields")
    path, span, codemod, before, after, note, fixes = values
    line, column, end_line, end_column = (_int(n) for n in _list(span))
    return Rewrite(
        _str(path),
        Span(line, column, end_line, end_column),
        _str(codemod),
        _str(before),
        _str(after),
        _str(note),
        tuple(_finding_from_data(f) for f in _list(fixes)),
    )


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


def _pairs(value: Any) -> list[tuple[Any, Any]]:
    pairs = [_list(item) for item in _list(value)]
    if any(len(pair) != 2 for pair in pairs):
        raise ValueError("expected pairs")
    return [(a, b) for a, b in pairs]


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("expected an integer")
    return value

"""`harden scan`'s default output: a rich table of the findings shown, one row per finding,
except that a file's per-handler findings (a missing decorator on each of its handlers) share
one row per rule naming the handlers, so the few high findings are not buried under them.

It prints what it is given: it must never filter findings or change their severity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from harden.cli.common import out
from harden.codemods.catalog import ALL_INFO
from harden.findings.model import Finding, Severity
from harden.render import plural

if TYPE_CHECKING:
    from harden import engine

_COLOUR = {Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan"}
# The rules whose codemods add a decorator to every MCP handler, and what each one gives them.
_PER_HANDLER = {info.rule: info.title for info in ALL_INFO if info.on_handlers}
_CODE_SPAN = re.compile(r"`([^`]+)`")


def print_table(shown: Sequence[Finding], result: engine.ScanResult) -> None:
    if not shown:
        out.print("harden scan: no findings")
        return
    phase_of = {info.rule: info.phase for info in ALL_INFO}
    table = Table(title=f"harden scan: {len(shown)} findings", title_justify="left")
    table.add_column("severity", no_wrap=True)
    table.add_column("location", no_wrap=True)
    table.add_column("problem", ratio=3)
    table.add_column("fix", ratio=2)
    for group in _rows(shown, result.reasons):
        first = group[0]
        reason = result.reasons.get(first)
        fix = (
            f"[dim]not rewritten: {escape(reason)}[/]"
            if reason
            else f"phase {phase_of.get(first.rule_id, '?')} rewrites it"
        )
        table.add_row(
            f"[{_COLOUR[first.severity]}]{first.severity.label}[/]",
            escape(f"{first.path}:{first.line}"),
            escape(_problem(group)),
            fix,
        )
    out.print(table)


def _rows(shown: Sequence[Finding], reasons: Mapping[Finding, str]) -> list[list[Finding]]:
    """The findings, highest severity first, a file's per-handler findings of one rule (with the
    same severity and fix) gathered in one row."""
    rows: list[list[Finding]] = []
    by_key: dict[tuple[str, str, Severity, str | None], list[Finding]] = {}
    for finding in shown:
        # A finding naming no handler (a server's construction, a registration harden cannot
        # prove) is a place of its own.
        if finding.rule_id not in _PER_HANDLER or not _CODE_SPAN.search(finding.message):
            rows.append([finding])
            continue
        key = (finding.path, finding.rule_id, finding.severity, reasons.get(finding))
        if key in by_key:
            by_key[key].append(finding)
        else:
            rows.append(by_key.setdefault(key, [finding]))
    # Stable: within a severity, the rows keep the findings' path and line order.
    return sorted(rows, key=lambda row: -row[0].severity)


def _problem(group: Sequence[Finding]) -> str:
    if len(group) == 1:
        return group[0].message
    # The handler is the message's first code span ("MCP tool `search` has no ...").
    names = [
        f"{m.group(1) if (m := _CODE_SPAN.search(f.message)) else f.message} ({f.line})"
        for f in group
    ]
    title = _PER_HANDLER[group[0].rule_id]
    return f"{title} — not yet on {plural(len(group), 'handler')}: {', '.join(names)}"

"""`harden inventory`'s output: a rich table, JSON for scripts, Markdown for a pull request.

All three show the same facts from the inventory; they never read a log line themselves, so
nothing a caller sent can reach the output but the names the runtime logged.
"""

from __future__ import annotations

import json
from collections import Counter

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harden.logs.read import Reading
from harden.logs.render import cell, moment_text
from harden.logs.stats import LogStats
from harden.permissions.inventory import FLAGS, HIDDEN_WRITE, OUTSIDE_POLICY, ToolInventory

_COLOURS = {HIDDEN_WRITE: "red", OUTSIDE_POLICY: "yellow"}


def as_dict(entries: list[ToolInventory], stats: LogStats, reading: Reading) -> dict[str, object]:
    counts = Counter(flag.kind for entry in entries for flag in entry.flags)
    return {
        "files": reading.files,
        "harden_lines": stats.events,
        "first_seen": moment_text(stats.first_call),
        "last_seen": moment_text(stats.last_call),
        "flags": {kind: counts[kind] for kind in FLAGS},
        "tools": [_entry(entry) for entry in entries],
    }


def _entry(entry: ToolInventory) -> dict[str, object]:
    source = entry.source
    return {
        "tool": entry.name,
        "source": None if source is None else f"{source.path}:{source.line}",
        "calls": entry.calls,
        "observed_calls": entry.observed_calls,
        "uses": entry.observed,
        "would_deny": entry.would_deny,
        "denied": entry.denied,
        "declared": None if source is None else dict(sorted(source.hints.items())),
        "policy": None if source is None or source.policy is None else list(source.policy),
        "static": []
        if source is None
        else [
            {
                "kind": use.kind,
                "program": use.program,
                "at": f"{use.path}:{use.line}",
                "via": use.via or None,
            }
            for use in source.static
        ],
        "flags": [{"flag": flag.kind, "detail": flag.detail} for flag in entry.flags],
        "phase_6_would_set": entry.hints,
    }


def to_json(entries: list[ToolInventory], stats: LogStats, reading: Reading) -> str:
    return json.dumps(as_dict(entries, stats, reading), indent=2)


def to_markdown(entries: list[ToolInventory], stats: LogStats, reading: Reading) -> str:
    window = _window(stats)
    lines = [
        "## harden inventory",
        "",
        f"{window[:1].upper()}{window[1:]}, {len(reading.files)} log file(s).",
        "",
        "| tool | calls | observed | declared | static | flags |",
        "|---|---|---|---|---|---|",
    ]
    for entry in entries:
        flags = "<br>".join(f"**{f.kind}**: {cell(f.detail)}" for f in entry.flags)
        lines.append(
            f"| `{cell(entry.name)}` | {entry.calls} | {cell(_observed(entry)) or '-'} "
            f"| {cell(_declared(entry)) or '-'} | {cell(_static(entry)) or '-'} "
            f"| {flags or '-'} |"
        )
    changes = [entry for entry in entries if entry.hints]
    if changes:
        lines += ["", "Phase 6 would set, as these logs prove:", ""]
        lines += [f"- `{cell(e.name)}`: {cell(_hints(e.hints))}" for e in changes]
    return "\n".join(lines) + "\n"


def to_table(
    entries: list[ToolInventory], stats: LogStats, reading: Reading, console: Console
) -> None:
    table = Table(title="harden inventory", title_justify="left")
    for column in ("tool", "calls", "observed", "declared", "static", "flags"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        flags = "\n".join(
            f"[{_COLOURS.get(f.kind, 'dim')}]{f.kind}[/]: {escape(f.detail)}" for f in entry.flags
        )
        table.add_row(
            escape(entry.name),
            str(entry.calls),
            escape(_observed(entry).replace(", ", "\n")) or "-",
            escape(_declared(entry)) or "-",
            escape(_static(entry).replace(", ", "\n")) or "-",
            flags or "-",
        )
    console.print(table)
    for entry in entries:
        if entry.hints:
            console.print(f"phase 6 would set {escape(entry.name)}: {escape(_hints(entry.hints))}")
    console.print(f"[dim]{_window(stats)}, {len(reading.files)} log file(s)[/]")


def _window(stats: LogStats) -> str:
    first, last = moment_text(stats.first_call), moment_text(stats.last_call)
    if first is None or last is None:
        return "no tool call in these logs"
    return f"tool calls from {first} to {last}"


def _observed(entry: ToolInventory) -> str:
    return ", ".join(f"{use} x{count}" for use, count in entry.observed.items())


def _declared(entry: ToolInventory) -> str:
    source = entry.source
    if source is None:
        return ""
    parts = [f"{hint}={value}" for hint, value in sorted(source.hints.items())]
    parts += [f"{hint}=?" for hint in sorted(source.unknown_hints)]
    if source.policy is not None:
        parts.append(f"policy: {', '.join(source.policy) or 'nothing'}")
    return ", ".join(parts)


def _static(entry: ToolInventory) -> str:
    if entry.source is None:
        return ""
    kinds = sorted(
        {use.kind + (f" {use.program}" if use.program else "") for use in entry.source.static}
    )
    return ", ".join(kinds)


def _hints(hints: dict[str, bool]) -> str:
    return ", ".join(f"{hint}={value}" for hint, value in sorted(hints.items()))

"""A comparison as text: a rich diff for the terminal, JSON for tools, Markdown for a PR.

Each difference names where it is (section, item, path inside it), what was recorded and what
the server says now; expected changes carry their ref. This module only formats: it never
decides what differs (compare does) and never writes files.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape

from harden.contract.compare import MISSING, Comparison, Difference
from harden.contract.model import JSON

_SHOWN = 400  # characters of a value a line shows; longer ones end in "…"


def _value(value: JSON) -> str:
    if value is MISSING:
        return "(missing)"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _change(difference: Difference) -> str:
    if difference.before is MISSING:
        return "added"
    if difference.after is MISSING:
        return "removed"
    return "changed"


def summary(comparison: Comparison) -> str:
    verdict = "passed" if comparison.passed else f"{len(comparison.failures)} difference(s)"
    parts = [verdict, f"{comparison.calls} call(s) compared"]
    if comparison.expected:
        parts.append(f"{len(comparison.expected)} expected change(s) (phase 5 error refs)")
    if comparison.skipped:
        parts.append(f"{len(comparison.skipped)} call(s) skipped")
    return ", ".join(parts)


def as_json(comparison: Comparison, context: dict[str, Any]) -> str:
    def item(difference: Difference) -> dict[str, Any]:
        data: dict[str, Any] = {
            "section": difference.section,
            "item": difference.item,
            "path": difference.path,
            "change": _change(difference),
        }
        if difference.before is not MISSING:
            data["before"] = difference.before
        if difference.after is not MISSING:
            data["after"] = difference.after
        if difference.ref:
            data["ref"] = difference.ref
        return data

    document = {
        "passed": comparison.passed,
        **context,
        "calls_compared": comparison.calls,
        "normalisation_rules": list(comparison.rules),
        "failures": [item(d) for d in comparison.failures],
        "expected_changes": [item(d) for d in comparison.expected],
        "skipped": [{"id": call_id, "reason": why} for call_id, why in comparison.skipped],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def print_rich(comparison: Comparison, console: Console) -> None:
    for difference in comparison.failures:
        console.print(f"[bold red]✗[/] {escape(difference.where)} [dim]{_change(difference)}[/]")
        _print_values(difference, console)
    for difference in comparison.expected:
        console.print(
            f"[yellow]~[/] {escape(difference.where)} [dim]expected: phase 5 replaced error "
            f"text (ref {difference.ref})[/]"
        )
        _print_values(difference, console)
    for call_id, why in comparison.skipped:
        console.print(f"[dim]- {escape(call_id)} skipped: {escape(why)}[/]")
    colour = "green" if comparison.passed else "red"
    console.print(f"[bold {colour}]contract {escape(summary(comparison))}[/]")
    if comparison.rules:
        console.print(f"[dim]normalised: {', '.join(comparison.rules)}[/]")


def _print_values(difference: Difference, console: Console) -> None:
    if difference.before is not MISSING:
        console.print(f"    [red]- {escape(_value(difference.before))}[/]")
    if difference.after is not MISSING:
        console.print(f"    [green]+ {escape(_value(difference.after))}[/]")


def as_markdown(comparison: Comparison, title: str) -> str:
    mark = "✅" if comparison.passed else "❌"
    lines = [f"### {mark} {title}: {summary(comparison)}", ""]
    if comparison.failures:
        lines += ["| where | change | recorded | now |", "|---|---|---|---|"]
        lines += [
            f"| {_cell(d.where)} | {_change(d)} | {_cell(_value(d.before))} | "
            f"{_cell(_value(d.after))} |"
            for d in comparison.failures
        ]
        lines.append("")
    if comparison.expected:
        lines += [
            "<details><summary>Expected changes: exception text phase 5 replaced with a ref"
            "</summary>",
            "",
            "| where | ref | recorded | now |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {_cell(d.where)} | `{d.ref}` | {_cell(_value(d.before))} | "
            f"{_cell(_value(d.after))} |"
            for d in comparison.expected
        ]
        lines += ["", "</details>", ""]
    if comparison.skipped:
        lines += [f"- skipped `{call_id}`: {why}" for call_id, why in comparison.skipped]
        lines.append("")
    rules = ", ".join(f"`{rule}`" for rule in comparison.rules) or "none"
    lines.append(f"Normalisation rules: {rules}.")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text in a table cell as code: pipes escaped, backticks doubled around if needed."""
    text = text.replace("|", "\\|").replace("\n", " ")
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"

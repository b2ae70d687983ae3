"""The report as a rich table, JSON for scripts, or Markdown for the PR that flips a switch.

All three show the same facts from LogStats and the verdicts; they must never read a log line
themselves, so nothing a caller sent can reach the output but the names the runtime logged.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harden.logs.read import Reading
from harden.logs.stats import LogStats, ToolStats
from harden.logs.verdicts import READY, REVIEW, Finding, Verdict, suggested_rpm

_SHOWN_CALLERS = 5
_COLOURS = {READY: "green", REVIEW: "yellow"}


def as_dict(stats: LogStats, results: list[Verdict], reading: Reading) -> dict[str, object]:
    return {
        "files": reading.files,
        "lines": reading.lines,
        "skipped_lines": reading.skipped,
        "warnings": reading.warnings,
        "harden_lines": stats.events,
        "oldest_log_version": stats.oldest_version,
        "first_seen": moment_text(stats.first),
        "last_seen": moment_text(stats.last),
        "tools": {name: _tool(tool) for name, tool in sorted(stats.tools.items())},
        "suggested_rate_limit_rpm": suggested_rpm(stats),
        "controls": [_verdict(result) for result in results],
    }


def _tool(tool: ToolStats) -> dict[str, object]:
    return {
        "calls": tool.calls,
        "callers": len(tool.callers),
        "error_rate": round(tool.error_rate, 4),
        "duration_ms_p50": tool.durations.percentile(50),
        "duration_ms_p95": tool.durations.percentile(95),
        "calls_per_minute_per_caller_peak": tool.peak_per_minute,
        "calls_per_minute_per_caller_p95": tool.p95_per_minute,
        "would_reject": [
            {"rule": rule, "param": param, "count": o.count, "callers": dict(o.callers)}
            for (rule, param), o in sorted(tool.would_reject.items())
        ],
        "rejected": tool.rejected,
        "would_throttle": tool.would_throttle.count,
        "throttled": tool.throttled,
        "auth_would_reject": {
            reason: {"count": o.count, "callers": dict(o.callers)}
            for reason, o in sorted(tool.auth_would_reject.items())
        },
        "uses": dict(sorted(tool.uses.items())),
        "permission_would_deny": {
            capability: {"count": o.count, "callers": dict(o.callers)}
            for capability, o in sorted(tool.permission_would_deny.items())
        },
        "permission_denied": {
            capability: {"count": o.count, "callers": dict(o.callers)}
            for capability, o in sorted(tool.permission_denied.items())
        },
        "first_seen": moment_text(tool.first),
        "last_seen": moment_text(tool.last),
    }


def _verdict(result: Verdict) -> dict[str, object]:
    return {
        "control": result.control.name,
        "switch": result.control.switch,
        "verdict": result.verdict,
        "reason": result.reason,
        "window_days": result.control.window_days,
        "covered_days": round(result.covered_days, 2),
        "findings": [_finding(finding) for finding in result.findings],
        "toml": result.snippet or None,
    }


def _finding(finding: Finding) -> dict[str, object]:
    exemption = finding.exemption
    return {
        "tool": finding.tool,
        "what": finding.what,
        "count": finding.count,
        "callers": finding.callers,
        "first_seen": moment_text(finding.first),
        "last_seen": moment_text(finding.last),
        "exemption": None
        if exemption is None
        else {
            "table": f"tool.harden.{exemption.table}",
            "key": exemption.key,
            "value": exemption.value,
            "toml": exemption.toml,
        },
    }


def to_json(stats: LogStats, results: list[Verdict], reading: Reading) -> str:
    return json.dumps(as_dict(stats, results, reading), indent=2)


def to_markdown(stats: LogStats, results: list[Verdict], reading: Reading) -> str:
    lines = [
        "## harden report",
        "",
        f"{stats.events} harden lines from {len(reading.files)} file(s), "
        f"{moment_text(stats.first)} to {moment_text(stats.last)}.",
        "",
        "| control | switch | verdict | why |",
        "|---|---|---|---|",
    ]
    for result in results:
        lines.append(
            f"| {result.control.name} | `{result.control.switch}` | **{result.verdict}** "
            f"| {cell(result.reason)} |"
        )
    rpm = suggested_rpm(stats)
    if rpm is not None:
        lines += ["", f"Suggested `RATE_LIMIT_RPM`: **{rpm}** (3 x the p95 per-caller minute)."]
    lines += [
        "",
        "| tool | calls | callers | errors | p50 ms | p95 ms | peak/min | p95/min |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, tool in sorted(stats.tools.items()):
        lines.append(
            f"| `{cell(name)}` | {tool.calls} | {len(tool.callers)} | {tool.error_rate:.1%} "
            f"| {tool.durations.percentile(50)} | {tool.durations.percentile(95)} "
            f"| {tool.peak_per_minute} | {tool.p95_per_minute} |"
        )
    for result in results:
        if not result.findings:
            continue
        lines += ["", f"### {result.control.name}: to review", ""]
        for finding in result.findings:
            where = f"`{cell(finding.tool)}` " if finding.tool else ""
            lines.append(
                f"- {where}{cell(finding.what)}: {finding.count} time(s), "
                f"from {callers_text(finding.callers)}"
            )
        if result.snippet:
            lines += ["", "```toml", result.snippet.rstrip(), "```"]
    return "\n".join(lines) + "\n"


def cell(text: str) -> str:
    """Text for a Markdown table cell."""
    # Tool names and sites come from the server's code, but a pipe would still break the table.
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def to_table(stats: LogStats, results: list[Verdict], reading: Reading, console: Console) -> None:
    tools = Table(title="harden report: tools", title_justify="left")
    for column in ("tool", "calls", "callers", "errors", "p50 ms", "p95 ms", "peak/min"):
        tools.add_column(column, overflow="fold")
    tools.add_column("p95/min")
    tools.add_column("warn-only events", overflow="fold")
    for name, tool in sorted(stats.tools.items()):
        warned = [f"{rule} on {param}: {o.count}" for (rule, param), o in tool.would_reject.items()]
        if tool.would_throttle.count:
            warned.append(f"over the limit: {tool.would_throttle.count}")
        warned += [f"token {reason}: {o.count}" for reason, o in tool.auth_would_reject.items()]
        denied = tool.permission_would_deny.items()
        warned += [f"outside its policy, {use}: {o.count}" for use, o in denied]
        tools.add_row(
            escape(name),
            str(tool.calls),
            str(len(tool.callers)),
            f"{tool.error_rate:.1%}",
            str(tool.durations.percentile(50)),
            str(tool.durations.percentile(95)),
            str(tool.peak_per_minute),
            str(tool.p95_per_minute),
            escape("\n".join(warned)) or "-",
        )
    console.print(tools)
    controls = Table(title="harden report: controls", title_justify="left")
    for column in ("control", "switch", "verdict", "why"):
        controls.add_column(column, overflow="fold")
    for result in results:
        colour = _COLOURS.get(result.verdict, "dim")
        controls.add_row(
            result.control.name,
            result.control.switch,
            f"[{colour}]{result.verdict}[/]",
            escape(result.reason),
        )
    console.print(controls)
    for result in results:
        for finding in result.findings:
            where = f"{finding.tool}: " if finding.tool else ""
            console.print(
                f"{result.control.name}: {escape(where + finding.what)} "
                f"x{finding.count} from {escape(callers_text(finding.callers))}"
            )
        if result.snippet:
            console.print(f"[dim]# exempting these in pyproject.toml:[/]\n{escape(result.snippet)}")
    rpm = suggested_rpm(stats)
    if rpm is not None:
        console.print(f"suggested RATE_LIMIT_RPM: [bold]{rpm}[/] (3 x the p95 per-caller minute)")
    console.print(
        f"[dim]{stats.events} harden lines, {reading.skipped} other lines skipped, "
        f"{len(reading.files)} file(s)[/]"
    )


def callers_text(callers: dict[str, int]) -> str:
    shown = ", ".join(
        f"{caller} ({count})" for caller, count in list(callers.items())[:_SHOWN_CALLERS]
    )
    more = len(callers) - _SHOWN_CALLERS
    return shown + (f" and {more} more" if more > 0 else "")


def moment_text(seconds: float) -> str | None:
    if not math.isfinite(seconds):
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")

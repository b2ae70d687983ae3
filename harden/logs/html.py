"""The report as one self-contained HTML page, for the person who decides to flip a switch.

The controls with their verdicts and exemptions, the tools' figures, and per tool two bar
charts over the logs' days: calls, and warn-only events (would reject, would throttle). Charts
are inline SVG; the page loads nothing (its Content-Security-Policy forbids it) and runs no
script. Like render.py it shows only LogStats and the verdicts, escaped: never a log line.
"""

from __future__ import annotations

import html
from collections import Counter
from datetime import UTC, datetime

from harden.logs.read import Reading
from harden.logs.render import callers_text, moment_text
from harden.logs.stats import LogStats
from harden.logs.verdicts import READY, REVIEW, Verdict, suggested_rpm

_WIDTH = 720
_HEIGHT = 120
_LABELS = 18  # room under the bars for the first and last day
_HEADROOM = 16  # room above them for the chart's label
_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.ready { color: #176b2c; font-weight: 600; }
.review { color: #9a6200; font-weight: 600; }
.nodata { color: #666; font-weight: 600; }
pre { background: #f5f5f5; padding: 0.6rem; overflow-x: auto; }
section.tool { margin-bottom: 1.5rem; }
svg.chart { display: block; margin: 0.2rem 0 0.6rem; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #555; }
rect.calls { fill: #4a78b5; }
rect.warnings { fill: #c2452d; }
"""
_CLASSES = {READY: "ready", REVIEW: "review"}


def to_html(stats: LogStats, results: list[Verdict], reading: Reading) -> str:
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<title>harden report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>harden report</h1>",
        f"<p>{stats.events} harden lines from {len(reading.files)} file(s), "
        f"{_e(moment_text(stats.first) or '-')} to {_e(moment_text(stats.last) or '-')}; "
        f"{reading.skipped} other lines skipped.</p>",
        *_controls(results),
        *_rate(stats),
        *_tools(stats),
        *_charts(stats),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _controls(results: list[Verdict]) -> list[str]:
    rows = [
        "<h2>Controls</h2>",
        "<table><tr><th>control</th><th>switch</th><th>verdict</th><th>why</th></tr>",
    ]
    for result in results:
        kind = _CLASSES.get(result.verdict, "nodata")
        rows.append(
            f"<tr><td>{_e(result.control.name)}</td><td><code>{_e(result.control.switch)}"
            f'</code></td><td class="{kind}">{_e(result.verdict)}</td>'
            f"<td>{_e(result.reason)}</td></tr>"
        )
    rows.append("</table>")
    for result in results:
        if not result.findings:
            continue
        rows.append(f"<h3>{_e(result.control.name)}: to review</h3><ul>")
        for finding in result.findings:
            where = f"<code>{_e(finding.tool)}</code> " if finding.tool else ""
            rows.append(
                f"<li>{where}{_e(finding.what)}: {finding.count} time(s), "
                f"from {_e(callers_text(finding.callers))}</li>"
            )
        rows.append("</ul>")
        if result.snippet:
            rows.append(f"<p>Exempting these in pyproject.toml:</p><pre>{_e(result.snippet)}</pre>")
    return rows


def _rate(stats: LogStats) -> list[str]:
    rpm = suggested_rpm(stats)
    if rpm is None:
        return []
    return [
        f"<p>Suggested <code>RATE_LIMIT_RPM</code>: <strong>{rpm}</strong> "
        "(3 x the p95 per-caller minute).</p>"
    ]


def _tools(stats: LogStats) -> list[str]:
    heads = "".join(
        f"<th>{h}</th>"
        for h in ("tool", "calls", "callers", "errors", "p50 ms", "p95 ms", "peak/min", "p95/min")
    )
    rows = ["<h2>Tools</h2>", f"<table><tr>{heads}</tr>"]
    for name, tool in sorted(stats.tools.items()):
        cells = (
            tool.calls,
            len(tool.callers),
            f"{tool.error_rate:.1%}",
            tool.durations.percentile(50),
            tool.durations.percentile(95),
            tool.peak_per_minute,
            tool.p95_per_minute,
        )
        numbers = "".join(f'<td class="n">{_e(str(cell))}</td>' for cell in cells)
        rows.append(f"<tr><td><code>{_e(name)}</code></td>{numbers}</tr>")
    rows.append("</table>")
    return rows


def _charts(stats: LogStats) -> list[str]:
    days = [d for tool in stats.tools.values() for d in (*tool.calls_by_day, *tool.warnings_by_day)]
    if not days:
        return []
    first, last = min(days), max(days)
    parts = ["<h2>Per day</h2>"]
    for name, tool in sorted(stats.tools.items()):
        parts.append(f'<section class="tool"><h3><code>{_e(name)}</code></h3>')
        parts.append(_chart(tool.calls_by_day, first, last, "calls", name))
        parts.append(_chart(tool.warnings_by_day, first, last, "warnings", name))
        parts.append("</section>")
    return parts


def _chart(counts: Counter[int], first: int, last: int, kind: str, tool: str) -> str:
    """A bar per day from `first` to `last` (days since the epoch), scaled to the highest."""
    label = "calls" if kind == "calls" else "warn-only events"
    span = last - first + 1
    step = _WIDTH / span
    top = max(counts.values(), default=0)
    bars = []
    for offset in range(span):
        count = counts.get(first + offset, 0)
        if not count:
            continue
        height = max(1.0, (_HEIGHT - _LABELS - _HEADROOM) * count / top)
        x = offset * step + step * 0.1
        y = _HEIGHT - _LABELS - height
        bars.append(
            f'<rect class="{kind}" x="{x:.1f}" y="{y:.1f}" width="{step * 0.8:.1f}" '
            f'height="{height:.1f}"><title>{_day(first + offset)}: {count} {label}</title></rect>'
        )
    baseline = _HEIGHT - _LABELS
    return (
        f'<svg class="chart {kind}" role="img" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" aria-label="{_e(tool)}: {label} per day">'
        f"<title>{_e(tool)}: {label} per day (highest: {top})</title>"
        f'<line x1="0" y1="{baseline}" x2="{_WIDTH}" y2="{baseline}" stroke="#999"/>'
        + "".join(bars)
        + f'<text x="0" y="{_HEIGHT - 4}">{_day(first)}</text>'
        f'<text x="{_WIDTH}" y="{_HEIGHT - 4}" text-anchor="end">{_day(last)}</text>'
        f'<text x="{_WIDTH}" y="11" text-anchor="end">{label}, highest {top}</text>'
        "</svg>"
    )


def _day(day: int) -> str:
    return datetime.fromtimestamp(day * 86400, UTC).date().isoformat()


def _e(text: str) -> str:
    return html.escape(text, quote=True)

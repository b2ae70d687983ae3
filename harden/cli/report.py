"""`harden report LOG...`: what the warn-only logs say, and whether each switch can be flipped.

Reads the runtime's JSON lines from files, globs, directories, `.gz` files or stdin (`-`),
skipping or unwrapping every other line, and prints per tool its calls, callers, errors,
durations and per-caller rates, and per control a verdict. Exit status: 0; with `--check
CONTROL`, 0 only when that control is ready to enforce and 1 otherwise; 2 on bad input.
`--sql` prints the report's queries instead, for logs kept in a warehouse. It only reads.
"""

from __future__ import annotations

import enum
import re
import time
from datetime import timedelta
from typing import Annotated

import typer

from harden.cli.common import HardenError, out, progress_bar
from harden.logs import render
from harden.logs.html import to_html
from harden.logs.query import load_stats, report_sql
from harden.logs.read import Reading, SourceError, expand, parse_iso
from harden.logs.verdicts import CONTROL_NAMES, verdicts

_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ReportFormat(enum.StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"
    html = "html"


Check = enum.StrEnum("Check", {name: name for name in CONTROL_NAMES})  # type: ignore[misc]


def report(
    logs: Annotated[
        list[str] | None,
        typer.Argument(help="Log files, globs, directories, .gz files, or - for stdin."),
    ] = None,
    output_format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ReportFormat.table,
    since: Annotated[
        str | None,
        typer.Option(
            help="Only lines at or after this time: ISO 8601 (UTC unless it says) or "
            "an age such as 14d, 36h, 90m counted back from --now."
        ),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only lines before this time (same forms as --since).")
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(help="The time ages are counted back from (ISO 8601; default: now)."),
    ] = None,
    check: Annotated[
        Check | None,
        typer.Option(help="Exit 0 only if this control is ready to enforce, else 1."),
    ] = None,
    sql: Annotated[
        bool,
        typer.Option(
            "--sql",
            help="Print the report's queries over a harden_log table, for logs kept in a "
            "warehouse, and read no log.",
        ),
    ] = False,
) -> None:
    """Summarise the runtime's logs per tool, and say per control whether to enforce it."""
    if sql:
        print(report_sql(), end="")
        return
    if not logs:
        raise HardenError("give the log files to read (or - for stdin), or --sql")
    reference = time.time() if now is None else _moment(now, "--now", None)
    low = None if since is None else _moment(since, "--since", reference)
    high = None if until is None else _moment(until, "--until", reference)
    try:
        sources = expand(logs)
    except SourceError as error:
        raise HardenError(str(error)) from None
    reading = Reading()
    with progress_bar("reading logs") as progress:
        stats = load_stats(sources, reading, low, high, progress)
    results = verdicts(stats)
    if output_format is ReportFormat.json:
        print(render.to_json(stats, results, reading))
    elif output_format is ReportFormat.markdown:
        print(render.to_markdown(stats, results, reading), end="")
    elif output_format is ReportFormat.html:
        print(to_html(stats, results, reading), end="")
    else:
        render.to_table(stats, results, reading, out)
    if check is not None:
        ready = next(r.ready for r in results if r.control.name == check.value)
        raise typer.Exit(0 if ready else 1)


def _moment(text: str, option: str, reference: float | None) -> float:
    """Seconds since the epoch for an ISO 8601 time, or an age before `reference`."""
    age = _DURATION.fullmatch(text.strip())
    if age is not None and reference is not None:
        unit = _UNITS[age.group(2)]
        return reference - timedelta(**{unit: int(age.group(1))}).total_seconds()
    moment = parse_iso(text.strip())
    if moment is None:
        forms = "an ISO 8601 time" + (" or an age such as 14d" if reference is not None else "")
        raise HardenError(f"{option} {text!r}: expected {forms}")
    return moment.timestamp()

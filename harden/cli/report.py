"""`harden report LOG...`: what the warn-only logs say, and whether each switch can be flipped.

Reads the runtime's JSON lines from files, globs, directories, `.gz` files or stdin (`-`),
skipping or unwrapping every other line, and prints per tool its calls, callers, errors,
durations and per-caller rates, and per control a verdict. Exit status: 0; with `--check
CONTROL`, 0 only when that control is ready to enforce and 1 otherwise; 2 on bad input.
`--sql` prints the report's queries instead, for logs kept in a warehouse. It only reads.
"""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from harden.cli.common import HardenError, out
from harden.cli.log_window import NowOption, SinceOption, UntilOption, read_logs
from harden.logs import render
from harden.logs.html import to_html
from harden.logs.query import report_sql
from harden.logs.verdicts import CONTROL_NAMES, verdicts


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
    since: SinceOption = None,
    until: UntilOption = None,
    now: NowOption = None,
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
    stats, reading = read_logs(logs, since, until, now)
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

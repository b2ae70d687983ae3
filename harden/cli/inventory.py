"""`harden inventory LOG...`: per tool, what the logs saw it do against what its code declares
and can do, with the flags a reviewer acts on (phase 6).

Reads the runtime's logs as `harden report` does and the project's Python files as `harden scan`
does. Exit status 0; with `--strict`, 1 when a tool declared read-only was seen writing or a use
fell outside a policy; 2 on bad input. It only reads.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from harden.cli.common import (
    ExcludeOption,
    HardenError,
    IncludeOption,
    out,
    project_config,
    resolve_target,
    selected,
)
from harden.cli.log_window import NowOption, SinceOption, UntilOption, read_logs
from harden.logs.render import moment_text
from harden.logs.stats import LogStats
from harden.permissions import render
from harden.permissions.inventory import HIDDEN_WRITE, OUTSIDE_POLICY, inventory
from harden.permissions.scoping import Scoping, scoping
from harden.sources import working_tree

if TYPE_CHECKING:
    from collections.abc import Sequence


class InventoryFormat(enum.StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


def inventory_command(
    logs: Annotated[
        list[str],
        typer.Argument(help="Log files, globs, directories, .gz files, or - for stdin."),
    ],
    path: Annotated[
        Path, typer.Option("--path", help="The server's code: a directory or file.")
    ] = Path("."),
    output_format: Annotated[
        InventoryFormat, typer.Option("--format", "-f", help="Output format.")
    ] = InventoryFormat.table,
    since: SinceOption = None,
    until: UntilOption = None,
    now: NowOption = None,
    strict: Annotated[
        bool,
        typer.Option(
            help="Exit 1 when a tool declared read-only was seen writing, or a use fell "
            "outside its policy."
        ),
    ] = False,
    include: IncludeOption = None,
    exclude: ExcludeOption = None,
) -> None:
    """Per tool: what the logs saw it do, what it declares, what its code can do; and flags."""
    from harden.permissions.tool_sources import tool_sources  # libcst: only when needed

    target = resolve_target(path)
    tree = working_tree(target.path, target.work_tree)
    tree = selected(tree, project_config(tree, include=include, exclude=exclude))
    stats, reading = read_logs(logs, since, until, now)
    entries = inventory(stats, tool_sources(tree.files))
    if output_format is InventoryFormat.json:
        print(render.to_json(entries, stats, reading))
    elif output_format is InventoryFormat.markdown:
        print(render.to_markdown(entries, stats, reading), end="")
    else:
        render.to_table(entries, stats, reading, out)
    if strict and any(f.kind in (HIDDEN_WRITE, OUTSIDE_POLICY) for e in entries for f in e.flags):
        raise typer.Exit(1)


def scoping_from_logs(logs: list[str], files: Sequence[tuple[str, str]]) -> Scoping:
    """Phase 6's decision per tool, from these logs and the project's files."""
    from harden.permissions.tool_sources import tool_sources  # libcst: only when needed

    stats, _ = read_logs(logs, None, None, None)
    if not any(tool.observed_calls for tool in stats.tools.values()):
        raise HardenError(
            "the logs hold no tool_call line recording its uses: phase 6 writes what phase 1's "
            "runtime (this version's) recorded while the server ran"
        )
    entries = inventory(stats, tool_sources(files))
    if not any(entry.source is not None and entry.calls for entry in entries):
        named = ", ".join(sorted(stats.tools)[:5])
        raise HardenError(f"the logs name no tool of this code (they name {named})")
    return scoping(entries, window_text(stats))


def window_text(stats: LogStats) -> str:
    calls = sum(tool.observed_calls for tool in stats.tools.values())
    first, last = moment_text(stats.first_call), moment_text(stats.last_call)
    if first is None or last is None:
        return "logs holding no tool call"
    return f"{calls} call(s) recording their uses, {first[:10]} to {last[:10]}"

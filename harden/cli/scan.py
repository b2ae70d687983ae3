"""`harden scan`: find what harden's codemods would rewrite or must leave, as findings.

Prints a rich table (default), harden's JSON, or SARIF 2.1.0 for code scanning. Exit status:
0, or 1 when `--fail-on LEVEL` is given and a finding is at or above it; 2 on bad input.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from harden import __version__, engine
from harden.cli.common import (
    ExcludeOption,
    HardenError,
    IncludeOption,
    OnlyOption,
    Target,
    chosen_phase,
    err,
    jobs_default,
    out,
    progress_bar,
    project_config,
    resolve_target,
    selected,
)
from harden.codemods import ALL
from harden.codemods.base import PlannedCodemod
from harden.findings.harden_json import finding_to_dict, scan_report
from harden.findings.model import Finding, Severity
from harden.findings.sarif_writer import to_sarif
from harden.sources import working_tree


class ScanFormat(enum.StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"


class Level(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


def scan(
    path: Annotated[Path, typer.Argument(help="File or directory to scan.")] = Path("."),
    output_format: Annotated[
        ScanFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ScanFormat.table,
    fail_on: Annotated[
        Level | None,
        typer.Option(help="Exit with status 1 if a finding is at or above this severity."),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Parallel workers (default: one per core).")
    ] = 0,
    include: IncludeOption = None,
    exclude: ExcludeOption = None,
    phase_number: Annotated[
        int | None, typer.Option("--phase", "-p", help="Only what this phase fixes (1-6).")
    ] = None,
    only: OnlyOption = None,
) -> None:
    """Find shell commands and other problems harden's phases fix, and what they cannot fix."""
    if only is not None and phase_number is None:
        raise HardenError("--only picks a part of a phase: give --phase too")
    codemods = chosen_phase(phase_number, only).codemods if phase_number is not None else ALL
    _, result = scan_working_tree(path, include, exclude, jobs, "scanning", codemods)
    phase_of = {c.INFO.rule: c.INFO.phase for c in ALL}
    if output_format is ScanFormat.json:
        report = scan_report(result.findings, result.skipped, __version__)
        report["findings"] = [_with_fix(f, result, phase_of) for f in result.findings]
        print(json.dumps(report, indent=2))
    elif output_format is ScanFormat.sarif:
        help_text = {c.INFO.rule: f"{c.INFO.title}. {c.INFO.rationale}" for c in ALL}
        print(json.dumps(to_sarif(result.findings, __version__, help_text), indent=2))
    else:
        _table(result, phase_of)
    for skipped in result.skipped:
        err.print(f"[yellow]skipped[/] {escape(skipped.path)}: {escape(skipped.reason)}")
    err.print(f"[dim]{result.files} Python files read, {result.candidates} parsed.[/]")
    if fail_on is not None:
        threshold = Severity[fail_on.name.upper()]
        if any(f.severity >= threshold for f in result.findings):
            raise typer.Exit(1)


def scan_working_tree(
    path: Path,
    include: list[str] | None,
    exclude: list[str] | None,
    jobs: int,
    doing: str,
    codemods: Sequence[type[PlannedCodemod]] = ALL,
) -> tuple[Target, engine.ScanResult]:
    """Where `path` is, and the codemods' findings in the files there that the project's
    configuration (or --include / --exclude) selects, as they are on disk."""
    workers = jobs_default(jobs)
    target = resolve_target(path)
    tree = working_tree(target.path, target.repo)
    tree = selected(tree, project_config(tree, include=include, exclude=exclude))
    with progress_bar(doing) as progress:
        ids = [c.INFO.id for c in codemods]
        result = engine.scan(tree.files, ids, jobs=workers, progress=progress)
    result.skipped[:0] = tree.skipped
    return target, result


def _with_fix(finding: Finding, result: engine.ScanResult, phase_of: dict[str, int]) -> dict:
    entry = finding_to_dict(finding)
    reason = result.reasons.get(finding)
    entry["fix"] = (
        {"rewritten_by_phase": None, "unfixed_reason": reason}
        if reason
        else {"rewritten_by_phase": phase_of.get(finding.rule_id), "unfixed_reason": None}
    )
    return entry


def _table(result: engine.ScanResult, phase_of: dict[str, int]) -> None:
    if result.findings:
        table = Table(title=f"harden scan: {len(result.findings)} findings", title_justify="left")
        table.add_column("severity", no_wrap=True)
        table.add_column("location", no_wrap=True)
        table.add_column("problem", ratio=3)
        table.add_column("fix", ratio=2)
        colour = {Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan"}
        for finding in result.findings:
            reason = result.reasons.get(finding)
            fix = (
                f"[dim]not rewritten: {escape(reason)}[/]"
                if reason
                else f"phase {phase_of.get(finding.rule_id, '?')} rewrites it"
            )
            table.add_row(
                f"[{colour[finding.severity]}]{finding.severity.label}[/]",
                escape(f"{finding.path}:{finding.line}"),
                escape(finding.message),
                fix,
            )
        out.print(table)
    else:
        out.print("harden scan: no findings")

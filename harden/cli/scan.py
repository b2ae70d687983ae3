"""`harden scan`: find what harden's codemods would rewrite or must leave, as findings.

Prints a rich table (default), one line per finding (concise, or GitHub Actions annotations),
harden's JSON, or SARIF 2.1.0 for code scanning; `--statistics` prints counts per rule instead.
What is shown can be narrowed by rule (`--select`/`--ignore`, or [tool.harden] select/ignore),
by severity, and to what a baseline does not hold. Exit status: 0, or 1 when `--fail-on LEVEL`
is given and a finding shown is at or above it; 2 on bad input.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from harden import __version__, engine
from harden.cache import cache_folder
from harden.cli.common import (
    ExcludeOption,
    HardenError,
    IncludeOption,
    NoCacheOption,
    OnlyOption,
    Target,
    chosen_phase,
    err,
    jobs_default,
    progress_bar,
    project_config,
    resolve_target,
    selected,
)
from harden.cli.scan_table import print_table
from harden.codemods.catalog import ALL_INFO
from harden.config import Config
from harden.findings import lines
from harden.findings.baseline import Key, baseline_keys, fingerprint, new_findings
from harden.findings.document import FindingsError
from harden.findings.harden_json import finding_to_dict, scan_report
from harden.findings.model import Finding, Severity
from harden.findings.sarif_writer import to_sarif
from harden.findings.selection import Selection, SelectionError
from harden.phases import PERMISSIONS_PHASE
from harden.render import plural
from harden.sources import Tree, ignored_python_files, working_tree


class ScanFormat(enum.StrEnum):
    table = "table"
    concise = "concise"
    github = "github"
    json = "json"
    sarif = "sarif"


class Level(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"

    @property
    def severity(self) -> Severity:
        return Severity[self.name.upper()]


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
    select: Annotated[
        list[str] | None,
        typer.Option(
            metavar="RULE",
            help="Show only these rules: harden's ids (shell-command) or Bandit/ruff ids that "
            "map to them (B602, S602); repeatable or comma-separated; replaces [tool.harden] "
            "select.",
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            metavar="RULE",
            help="Do not show these rules (as --select); replaces [tool.harden] ignore.",
        ),
    ] = None,
    severity: Annotated[
        Level | None, typer.Option(help="Show only findings at or above this severity.")
    ] = None,
    statistics: Annotated[
        bool, typer.Option("--statistics", help="Print how many findings each rule has, instead.")
    ] = False,
    no_cache: NoCacheOption = False,
    baseline: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Show only findings not in this earlier `harden scan --format json` output.",
        ),
    ] = None,
) -> None:
    """Find shell commands and other problems harden's phases fix, and what they cannot fix."""
    if only is not None and phase_number is None:
        raise HardenError("--only picks a part of a phase: give --phase too")
    if phase_number == PERMISSIONS_PHASE:
        raise HardenError(
            "phase 6 is judged from the logs, not the code alone: harden inventory LOG... shows "
            "what each tool did, declares and can do"
        )
    if statistics and output_format not in (ScanFormat.table, ScanFormat.concise):
        raise HardenError(f"--statistics prints text: leave out --format {output_format}")
    # Read before scanning, so that a bad file or rule id fails at once.
    recorded = _read_baseline(baseline) if baseline is not None else None
    if select or ignore:
        _selection(Config(), select, ignore, severity)
    ids = (
        chosen_phase(phase_number, only).codemod_ids
        if phase_number is not None
        else tuple(info.id for info in ALL_INFO)
    )
    scanned = scan_working_tree(path, include, exclude, jobs, "scanning", ids, cache=not no_cache)
    result, texts = scanned.result, dict(scanned.tree.files)
    chosen = _selection(scanned.config, select, ignore, severity)
    shown = sorted((f for f in result.findings if chosen.shows(f)), key=Finding.sort_key)
    if recorded is not None:
        shown = new_findings(shown, recorded, texts)
    phase_of = {info.rule: info.phase for info in ALL_INFO}
    if statistics:
        _print_lines(lines.statistics(shown))
    elif output_format is ScanFormat.json:
        report = scan_report(shown, result.skipped, __version__)
        report["findings"] = [_with_fix(f, result, phase_of, texts) for f in shown]
        print(json.dumps(report, indent=2))
    elif output_format is ScanFormat.sarif:
        help_text = {info.rule: f"{info.title}. {info.rationale}" for info in ALL_INFO}
        print(json.dumps(to_sarif(shown, __version__, help_text), indent=2))
    elif output_format is ScanFormat.concise:
        _print_lines(lines.concise(shown))
    elif output_format is ScanFormat.github:
        _print_lines(lines.github(shown))
    else:
        print_table(shown, result)
    for skipped in result.skipped:
        err.print(f"[yellow]skipped[/] {escape(skipped.path)}: {escape(skipped.reason)}")
    if hidden := len(result.findings) - len(shown):
        err.print(f"[dim]{plural(hidden, 'finding')} not shown (rule, severity or baseline).[/]")
    err.print(f"[dim]{result.files} Python files read, {result.candidates} parsed.[/]")
    work_tree = scanned.target.work_tree
    if (
        not result.files
        and work_tree is not None
        and (excluded := ignored_python_files(scanned.target.path, work_tree))
    ):
        err.print(
            f"  [cyan]note[/] .gitignore excludes {plural(excluded, 'Python file')} here: "
            "name a file or folder to read it anyway"
        )
    # Like ruff: the exit status counts only the findings shown.
    if fail_on is not None and any(f.severity >= fail_on.severity for f in shown):
        raise typer.Exit(1)


@dataclass(frozen=True, slots=True)
class Scanned:
    """A scan of the working tree: where, the files read, the project's settings, the findings."""

    target: Target
    tree: Tree
    config: Config
    result: engine.ScanResult


def scan_working_tree(
    path: Path,
    include: list[str] | None,
    exclude: list[str] | None,
    jobs: int,
    doing: str,
    codemod_ids: Sequence[str],
    *,
    cache: bool,
) -> Scanned:
    """Where `path` is, and the codemods' findings in the files there that the project's
    configuration (or --include / --exclude) selects, as they are on disk; with `cache`, what
    the result cache holds for them is reused (harden.cache)."""
    workers = jobs_default(jobs)
    target = resolve_target(path)
    tree = working_tree(target.path, target.work_tree)
    config = project_config(tree, include=include, exclude=exclude)
    tree = selected(tree, config)
    with progress_bar(doing) as progress:
        folder = cache_folder(tree.root) if cache else None
        result = engine.scan(
            tree.files, codemod_ids, jobs=workers, progress=progress, cache_folder=folder
        )
    result.skipped[:0] = tree.skipped
    return Scanned(target, tree, config, result)


def _selection(
    config: Config, select: list[str] | None, ignore: list[str] | None, floor: Level | None
) -> Selection:
    """What to show: the command line's rule lists replace the project's, as with --include."""
    try:
        return Selection.parse(
            select or config.select,
            ignore or config.ignore,
            floor.severity if floor is not None else Severity.LOW,
        )
    except SelectionError as error:
        raise HardenError(str(error)) from None


def _read_baseline(path: Path) -> Counter[Key]:
    try:
        return baseline_keys(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, FindingsError) as error:
        raise HardenError(f"{path}: not a baseline: {error}") from None


def _print_lines(text: list[str]) -> None:
    # print, not rich: these lines are for tools and must come out exactly as written
    for line in text:
        print(line)


def _with_fix(
    finding: Finding, result: engine.ScanResult, phase_of: dict[str, int], texts: dict[str, str]
) -> dict:
    entry = finding_to_dict(finding)
    entry["fingerprint"] = fingerprint(finding, texts)  # what --baseline matches it by
    reason = result.reasons.get(finding)
    entry["fix"] = (
        {"rewritten_by_phase": None, "unfixed_reason": reason}
        if reason
        else {"rewritten_by_phase": phase_of.get(finding.rule_id), "unfixed_reason": None}
    )
    return entry

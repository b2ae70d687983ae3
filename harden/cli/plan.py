"""`harden plan [PATH]`: the six phases for this repository, and the next step.

For each phase: what it would change here (places per codemod, and those it must leave with
the reason), its branch and whether it exists or is merged, the switch that enforces it later
and how long to watch its logs first. It reads the working tree like `harden scan` and never
writes anything.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from harden.cli.apply import branch_prefix_of
from harden.cli.common import (
    ExcludeOption,
    IncludeOption,
    NoCacheOption,
    out,
)
from harden.cli.scan import scan_working_tree
from harden.codemods.catalog import ALL_INFO
from harden.contract.model import DEFAULT_PATH as CONTRACT_PATH
from harden.contract.verified import (
    branch_state,
    contract_digest,
    load_verifications,
    verified_path,
)
from harden.phases import PHASES, Phase, phase_branch_name

if TYPE_CHECKING:
    import git


@dataclass(frozen=True, slots=True)
class PhasePlan:
    phase: Phase
    rewrites: dict[str, int]  # codemod id -> places it would rewrite
    left: int  # places the phase's codemods must leave, with a reason
    branch: str
    branch_state: str  # "none", "exists", "merged"
    # Functions that run the command line their caller gives, and where: ENFORCE_SHELL_FREE
    # refuses the shell syntax their callers send.
    runs_callers_commands: tuple[tuple[str, str], ...] = ()
    # harden contract verify --against: "verified", "failed", "stale" or "not verified".
    contract: str = "not verified"

    @property
    def has_work(self) -> bool:
        return any(self.rewrites.values())


class PlanFormat(enum.StrEnum):
    table = "table"
    json = "json"


def plan(
    path: Annotated[Path, typer.Argument(help="Repository or directory to plan for.")] = Path("."),
    output_format: Annotated[
        PlanFormat, typer.Option("--format", "-f", help="Output format (table or json).")
    ] = PlanFormat.table,
    include: IncludeOption = None,
    exclude: ExcludeOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Show the six phases for this repository: what each would change, and the next step."""
    ids = tuple(info.id for info in ALL_INFO)
    scanned = scan_working_tree(path, include, exclude, 0, "planning", ids, cache=not no_cache)
    target, result = scanned.target, scanned.result
    codemod_of_rule = {info.rule: info.id for info in ALL_INFO}
    prefix = branch_prefix_of(target, None)  # [tool.harden] branch_prefix, as apply names them
    contract_file = (target.work_tree or target.path) / CONTRACT_PATH
    verifications = load_verifications(verified_path(contract_file))
    digest = contract_digest(contract_file)
    plans = []
    for phase in PHASES.values():
        rewrites = dict.fromkeys(phase.codemod_ids, 0)
        left = 0
        for finding in result.findings:
            codemod = codemod_of_rule.get(finding.rule_id)
            if codemod not in rewrites:
                continue
            if finding in result.reasons:
                left += 1
            else:
                rewrites[codemod] += 1
        branch = phase_branch_name(prefix, phase.number, phase.slug)
        callers = tuple(
            (function, finding.location.rsplit(":", 1)[0])
            for finding, function in sorted(result.caller_commands.items())
            if codemod_of_rule.get(finding.rule_id) in rewrites
        )
        state = _branch_state(target.repo, branch)
        verification = verifications.get(branch)
        base = _commit(target.repo, verification.base_ref) if verification else None
        verified = branch_state(verification, _tip(target.repo, branch), base, digest)
        plans.append(PhasePlan(phase, rewrites, left, branch, state, callers, verified))
    step = _next_step(plans, target.repo)
    recorded = contract_file.is_file()
    if output_format is PlanFormat.json:
        phases = [_as_dict(p) for p in plans]
        contract = {"recorded": recorded, "path": str(CONTRACT_PATH)}
        print(json.dumps({"phases": phases, "contract": contract, "next_step": step}, indent=2))
    else:
        _table(plans, step, recorded)


def _branch_state(repo: git.Repo | None, branch: str) -> str:
    if repo is None or branch not in repo.heads:
        return "none"
    if repo.head.is_valid() and repo.is_ancestor(repo.heads[branch].commit, repo.head.commit):
        return "merged"
    return "exists"


def _tip(repo: git.Repo | None, branch: str) -> str | None:
    if repo is None or branch not in repo.heads:
        return None
    return str(repo.heads[branch].commit.hexsha)


def _commit(repo: git.Repo | None, ref: str) -> str | None:
    from git.exc import ODBError  # gitpython, as `repo` is

    if repo is None:
        return None
    try:
        return str(repo.commit(ref).hexsha)
    except (ValueError, ODBError):  # gone, or a repository without commits
        return None


def _next_step(plans: list[PhasePlan], repo: git.Repo | None) -> str:
    pending = [
        p for p in plans if p.phase.available and p.has_work and p.branch_state not in ("merged",)
    ]
    if repo is not None and not repo.head.is_valid() and pending:
        return "commit first: the repository has no commits yet, and phase branches start from one"
    waiting = [p.branch for p in pending if p.branch_state == "exists"]
    if waiting and repo is not None:
        conflicting = _conflicting(repo, waiting)
        if conflicting:
            return f"restack first: {conflicting} would conflict (harden restack rebuilds it)"
        # Each phase branch stacks on the one before it that is not merged yet.
        order = ", then ".join(waiting)
        return f"review and merge, in this order: {order} (git diff HEAD...{waiting[0]})"
    for item in pending:
        number = item.phase.number
        if repo is None:
            return f"harden apply --phase {number} --dry-run (or --in-place: this is not git)"
        return f"harden apply --phase {number}"
    return "nothing to apply: every available phase is done or has nothing to change here"


def _conflicting(repo: git.Repo, order: list[str]) -> str | None:
    from harden.git import merges_cleanly  # gitpython, as `repo` is

    """The first branch that would conflict when the branches are merged into HEAD in this
    order: with HEAD, or with the branch before it when it is not stacked on that one."""
    previous = None
    for branch in order:
        against = ["HEAD"]
        if previous is not None and not repo.is_ancestor(previous, branch):
            against.append(previous)
        if any(merges_cleanly(repo, ours, branch) is False for ours in against):
            return branch
        previous = branch
    return None


def _as_dict(item: PhasePlan) -> dict[str, object]:
    return {
        "phase": item.phase.number,
        "name": item.phase.slug,
        "available": item.phase.available,
        "rewrites": item.rewrites,
        "left_with_reason": item.left,
        "branch": item.branch,
        "branch_state": item.branch_state,
        "enforce": item.phase.enforce,
        "observe_before_enforcing": item.phase.watch_first,
        "note": item.phase.note,
        "contract": item.contract,
        "runs_callers_commands": [
            {"function": function, "at": at} for function, at in item.runs_callers_commands
        ],
    }


def _table(plans: list[PhasePlan], step: str, contract_recorded: bool) -> None:
    table = Table(title="harden plan", title_justify="left")
    for column in ("phase", "would change here", "branch", "enforce later with", "watch first"):
        table.add_column(column, overflow="fold")
    for item in plans:
        if not item.phase.available:
            change = "[dim]not available yet[/]"
        else:
            counts = ", ".join(f"{codemod}: {n}" for codemod, n in item.rewrites.items() if n)
            change = counts or "nothing"
            if item.left:
                change += f"\n[dim]{item.left} left with a reason (harden scan)[/]"
            if item.phase.note:
                change += f"\n[dim]{item.phase.note}[/]"
            if item.runs_callers_commands:
                shown = ", ".join(f"{f} ({at})" for f, at in item.runs_callers_commands)
                change += (
                    f"\n[dim]run their caller's command line: {shown}; "
                    f"{item.phase.enforce} refuses the shell syntax it sends[/]"
                )
        table.add_row(
            f"{item.phase.number} {item.phase.slug}",
            change,
            f"{item.branch}\n[dim]{item.branch_state}"
            + (f", contract {item.contract}" if item.branch_state != "none" else "")
            + "[/]",
            item.phase.enforce,
            item.phase.watch_first,
        )
    out.print(table)
    if contract_recorded:
        out.print(
            f"contract: recorded in {CONTRACT_PATH}; check a branch with "
            "harden contract verify --against BRANCH -- <server command>"
        )
    else:
        out.print("contract: none recorded (harden contract record -- <server command>)")
    out.print(f"next step: [bold]{step}[/]")

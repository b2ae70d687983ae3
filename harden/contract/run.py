"""record, verify and verify --against: each a run of the server(s), start to clean-up.

This module strings the others together: which calls to make (cases, generated, replayed),
one snapshot per server, the comparison. Every server it starts is inside a ServerProcesses
block and every worktree inside `checked_out`, so nothing outlives the run. It never prints and
never writes a file: the command does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anyio

from harden.contract.cases import Cases
from harden.contract.client import Chooser, snapshot
from harden.contract.compare import Comparison, compare
from harden.contract.generate import generated_calls, may_generate
from harden.contract.model import JSON, Call, Contract, is_failure
from harden.contract.normalise import Rule
from harden.contract.server import ServerProcesses, Target
from harden.contract.worktrees import WorktreeError, checked_out, commit_of, repository_root

Skipped = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Against:
    """What verify --against compared: the base's and the branch's commits."""

    branch: str
    branch_commit: str
    base: str
    base_commit: str


def record(target: Target, cases: Cases, generate: int) -> tuple[Contract, Skipped]:
    with ServerProcesses() as processes:
        contract, skipped = anyio.run(snapshot, target, processes, _new_calls(cases, generate))
    contract.safe = cases.safe
    return contract, skipped


def unexpected_outcomes(contract: Contract) -> list[str]:
    """The cases whose `expect_error` the server contradicted."""
    return [
        f"{call.id}: expected {'an error' if call.expect_error else 'success'}, got "
        f"{'an error' if is_failure(contract.results[call.id]) else 'success'}"
        for call in contract.calls
        if call.expect_error is not None
        and call.expect_error != is_failure(contract.results[call.id])
    ]


def verify(
    target: Target, recorded: Contract, safe: frozenset[str], rules: tuple[Rule, ...]
) -> Comparison:
    with ServerProcesses() as processes:
        live, skipped = anyio.run(snapshot, target, processes, _replayed(recorded, safe))
    comparison = compare(recorded, live, rules)
    comparison.skipped = skipped
    return comparison


def verify_against(
    target: Target,
    branch: str,
    base: str,
    recorded: Contract | None,
    cases: Cases,
    generate: int,
    rules: tuple[Rule, ...],
) -> tuple[Comparison, Against]:
    """The base and the branch, each in a temporary worktree, make the same calls: the
    recorded contract's when there is one, else the cases' and those generated from the
    base's listing; the branch is compared with the base."""
    here = (target.cwd or Path.cwd()).resolve()
    root = repository_root(here)
    against = Against(branch, commit_of(root, branch), base, commit_of(root, base))
    inside = here.relative_to(root)
    commits = {"base": against.base_commit, "branch": against.branch_commit}
    # Each server is stopped (its port free again) before the next starts, and before its
    # worktree is removed: a fixed --url port would otherwise reach the base's server again.
    with checked_out(root, commits) as trees:
        for tree in trees.values():
            if not (tree / inside).is_dir():
                raise WorktreeError(f"{inside}: no such directory in {branch} or {base}")
        chooser = (
            _new_calls(cases, generate) if recorded is None else _replayed(recorded, cases.safe)
        )
        with ServerProcesses() as processes:
            before, _ = anyio.run(
                snapshot, target.moved_to(trees["base"] / inside), processes, chooser
            )
        before.safe = cases.safe | (recorded.safe if recorded else frozenset())
        with ServerProcesses() as processes:
            after, skipped = anyio.run(
                snapshot,
                target.moved_to(trees["branch"] / inside),
                processes,
                _replayed(before, cases.safe),
            )
    comparison = compare(before, after, rules)
    comparison.skipped = skipped
    return comparison, against


def _new_calls(cases: Cases, generate: int) -> Chooser:
    def choose(listings: dict[str, list[JSON]]) -> tuple[list[Call], Skipped]:
        generated, skipped = generated_calls(listings["tools"], generate, cases.safe)
        return [*cases.calls, *generated], skipped

    return choose


def _replayed(recorded: Contract, safe: frozenset[str]) -> Chooser:
    """The recorded calls; a generated one only while its tool may still be called with
    made-up arguments (read-only in the live listing, or listed safe then or now)."""
    safe = safe | recorded.safe

    def choose(listings: dict[str, list[JSON]]) -> tuple[list[Call], Skipped]:
        tools = {tool["name"]: tool for tool in listings["tools"]}
        calls: list[Call] = []
        skipped: Skipped = []
        for call in recorded.calls:
            tool = tools.get(call.name)
            if call.source == "generated" and (tool is None or not may_generate(tool, safe)):
                skipped.append((call.id, "generated, and the tool is not read-only or safe now"))
            else:
                calls.append(call)
        return calls, skipped

    return choose

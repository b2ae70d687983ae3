"""Which commit a phase branch starts from, so that phase branches merge in order cleanly.

Phases 1, 2 and 3 put their decorators on the same lines: branches all cut from HEAD conflict
with each other as soon as one is merged. So a phase branch starts from the newest earlier
phase branch that exists and is not yet merged into HEAD (phase 2 on top of phase 1, ...), and
from HEAD when there is none. It only reads refs; it never creates, moves or deletes one.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

import git

from harden.phases import PHASES, phase_branch_name

# The trailer of a phase branch's commit that says how to build it again.
RECORDED_COMMAND = "Harden-Command"


@dataclass(frozen=True, slots=True)
class Recorded:
    """How a phase branch was built: `harden apply` with these options, from the top of the
    repository. `narrowed` names what cannot be replayed (answers, a scanner's report)."""

    phase: int
    path: str
    only: str | None
    include: list[str]
    exclude: list[str]
    narrowed: str | None
    logs: list[str]  # phase 6's, as absolute paths or globs


def recorded_command(message: str) -> Recorded | None:
    """The command a phase branch's commit message records, None when it records none (a
    branch built by an older harden) or one that does not read as a command."""
    found = re.search(rf"^{RECORDED_COMMAND}: (.+)$", message, re.MULTILINE)
    try:
        words = shlex.split(found.group(1)) if found else []
    except ValueError:
        return None
    if words[:2] != ["harden", "apply"]:
        return None
    options: dict[str, list[str]] = {}
    path = "."
    for word in words[2:]:  # written as --name=value, --flag and the path
        if word.startswith("--"):
            name, _, value = word[2:].partition("=")
            options.setdefault(name, []).append(value)
        else:
            path = word
    try:
        phase = int(options.get("phase", [""])[0])
    except ValueError:
        return None
    narrowed = next((f"--{n}" for n in ("interactive", "findings") if n in options), None)
    logs = options.get("logs", [])
    if "-" in logs:
        narrowed = narrowed or "--logs - (logs read from stdin)"
    only = options.get("only", [None])[0]
    return Recorded(
        phase, path, only, options.get("include", []), options.get("exclude", []), narrowed, logs
    )


def stacked_base(repo: git.Repo, prefix: str, phase: int, slug: str) -> str | None:
    """The newest phase branch before `<prefix>phase-<phase>-<slug>` in stacking order that
    is not yet merged into HEAD (None: start from HEAD). Phase 5's errors half stacks on its
    commands branch: both add the runtime's import to the same modules."""
    own = phase_branch_name(prefix, phase, slug)
    order = [name for _, name in _branch_order(prefix)]
    place = order.index(own) if own in order else len(order)
    earlier = [name for name in order[:place] if _exists(repo, name)]
    for branch in reversed(earlier):
        if not repo.is_ancestor(branch, "HEAD"):
            return branch
    return None


def phase_branches(repo: git.Repo, prefix: str) -> list[tuple[int, str]]:
    """The phase branches that exist, in the order they stack: (phase number, branch)."""
    return [(number, name) for number, name in _branch_order(prefix) if _exists(repo, name)]


def _branch_order(prefix: str) -> list[tuple[int, str]]:
    """Every phase branch name, in the order they stack. Phase 5: the whole phase's branch
    (also its commands half's), then the errors half."""
    order = []
    for phase in sorted(PHASES.values(), key=lambda p: p.number):
        for slug in dict.fromkeys([phase.slug, *(part.name for part in phase.parts)]):
            order.append((phase.number, phase_branch_name(prefix, phase.number, slug)))
    return order


def _exists(repo: git.Repo, branch: str) -> bool:
    try:
        repo.git.rev_parse("--verify", "--quiet", f"refs/heads/{branch}^{{commit}}")
    except git.GitCommandError:
        return False
    return True

"""Which commit a phase branch starts from, so that phase branches merge in order cleanly.

Phases 1, 2 and 3 put their decorators on the same lines: branches all cut from HEAD conflict
with each other as soon as one is merged. So a phase branch starts from the newest earlier
phase branch that exists and is not yet merged into HEAD (phase 2 on top of phase 1, ...), and
from HEAD when there is none. It only reads refs; it never creates, moves or deletes one.
"""

from __future__ import annotations

import git

from harden.git import phase_branch_name
from harden.phases import PHASES


def stacked_base(repo: git.Repo, prefix: str, phase: int) -> str | None:
    """The branch of the newest earlier phase not yet merged into HEAD (None: start from
    HEAD). For phase 5 both halves count, the whole phase's branch first."""
    earlier = sorted((p for p in PHASES.values() if p.number < phase), key=lambda p: -p.number)
    for candidate in earlier:
        slugs = [candidate.slug, *(part.name for part in candidate.parts)]
        for slug in dict.fromkeys(slugs):
            name = phase_branch_name(prefix, candidate.number, slug)
            if _exists(repo, name) and not repo.is_ancestor(name, "HEAD"):
                return name
    return None


def _exists(repo: git.Repo, branch: str) -> bool:
    try:
        repo.git.rev_parse("--verify", "--quiet", f"refs/heads/{branch}^{{commit}}")
    except git.GitCommandError:
        return False
    return True

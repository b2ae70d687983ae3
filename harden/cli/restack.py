"""`harden restack`: rebuild the phase branches on the current HEAD after it moved.

When commits land on the base branch, or an earlier phase branch is merged, the phase branches
no longer start where they should and may conflict with the base. The codemods are
deterministic and idempotent, so a branch is rebuilt by running its phase again, as its commit
recorded (`Harden-Command:`), on the branch it stacks on; never by a text rebase. A branch
that already contains what it stacks on is kept. One shaped by answers or a scanner's report
(`--interactive` rejections, `--findings`) cannot be replayed: restack stops there and says
how to rebuild it. It never touches the working tree; replaced tips stay in the reflog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harden.cli.apply import apply, branch_prefix_of
from harden.cli.common import HardenError, resolve_target, result


def restack(
    path: Annotated[Path, typer.Argument(help="A path inside the repository.")] = Path("."),
) -> None:
    """Rebuild the phase branches not merged into HEAD on it, by running their phases again."""
    from harden.stacking import phase_branches, recorded_command  # gitpython: only when run

    target = resolve_target(path)
    repo = target.repo
    if repo is None:
        raise HardenError(f"{path} is not inside a git repository: there are no phase branches")
    top = Path(str(repo.working_tree_dir))
    waiting = [
        (number, branch)
        for number, branch in phase_branches(repo, branch_prefix_of(target, None))
        if not repo.is_ancestor(branch, "HEAD")
    ]
    if not waiting:
        result.print("no phase branch waiting to be merged: nothing to restack", highlight=False)
        return
    parent = "HEAD"
    for number, branch in waiting:
        if repo.is_ancestor(parent, branch):
            result.print(f"{branch}: already on {parent}, kept", highlight=False)
            parent = branch
            continue
        recorded = recorded_command(repo.commit(branch).message)
        again = f"harden apply --phase {number} --force"
        if recorded is None or recorded.phase != number:
            raise HardenError(
                f"{branch} does not record how it was built (an older harden made it): "
                f"rebuild it with `{again}` and the options you gave it, then run restack again"
            )
        if recorded.narrowed:
            raise HardenError(
                f"{branch} was built with {recorded.narrowed}, which restack cannot replay: "
                f"rebuild it with `{again}` and {recorded.narrowed}, then run restack again"
            )
        apply(
            phase_number=number,
            path=top / recorded.path,
            force=True,
            only=recorded.only,
            include=recorded.include or None,
            exclude=recorded.exclude or None,
            logs=recorded.logs or None,
        )
        parent = branch

"""`harden apply --in-place` killed at random moments (SIGKILL, SIGINT) never leaves a module
that does not parse or imports a runtime that is not there; the run after it gives what an
uninterrupted run gives, and removes the temporary files the kill left. A short loop here;
`make stress` runs the long one (scripts/stress.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))

import stress  # scripts/ is not a package: found through the path above


def test_a_short_kill_loop_leaves_nothing_broken() -> None:
    kills, problems = stress.kill_loop(kills=2, modules=8, seed=1)  # a SIGKILL, a SIGINT
    assert (kills, problems) == (2, [])

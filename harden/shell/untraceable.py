"""Why a command's text cannot be followed: what the tracing modules raise instead of guessing.

Each exception carries the reason a report shows. Raising one never changes code: the caller
reports the command as not rewritten (Untraceable), or reads the whole module and tries again
(NeedsWholeModule).
"""

from __future__ import annotations

# How many steps (variables, constants, helpers) a trace follows before it gives up.
MAX_DEPTH = 8


class Untraceable(Exception):
    """The command's text cannot be followed with certainty; the message says why."""


class NeedsWholeModule(Exception):
    """The command reads a module-level name, and the module traced is only part of the file."""


def check_depth(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise Untraceable("the command is built through too many steps to follow")

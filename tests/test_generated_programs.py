"""Programs nobody wrote by hand go through every phase: the output compiles, applying a
phase again changes nothing, and no codemod fails on them.

hypothesmith writes Python programs from the language's grammar; each is hardened as it is,
and again inside an MCP server module (a FastMCP tool around it), with phases 5, 1, 2, 3 and 4
in turn, as a user applies them. The seed is fixed, so a run is repeatable; `make stress`
runs many more (scripts/stress.py), in batches of other seeds (HARDEN_GENERATED_SEED), and
counts the problems of every program (HARDEN_GENERATED_RECORD names a file that gets one JSON
line per program) instead of stopping at the first.
"""

from __future__ import annotations

import json
import os
import warnings

import hypothesmith
from hypothesis import HealthCheck, given, seed, settings

from harden import engine
from harden.phases import PHASES

ORDER = (5, 1, 2, 3, 4)
MCP_HEAD = (
    "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('generated')\n\n\n"
    "@mcp.tool()\ndef generated_tool(path: str, count: int = 1) -> str:\n    return path\n\n\n"
)
EXAMPLES = int(os.environ.get("HARDEN_GENERATED_PROGRAMS", "120"))
SEED = os.environ.get("HARDEN_GENERATED_SEED")
RECORD = os.environ.get("HARDEN_GENERATED_RECORD")


def harden_all_phases(text: str, path: str = "generated.py") -> list[str]:
    """The problems of one program: a phase whose output does not compile, that changes
    its own output, or whose codemod failed on the file."""
    problems = []
    for number in ORDER:
        phase = PHASES[number]
        changes = engine.apply([(path, text)], phase.codemod_ids, phase=number, jobs=1)
        failed = [s.reason for s in changes.skipped if "failed here" in s.reason]
        problems += [f"phase {number}: {reason}" for reason in failed]
        after = next((c.after for c in changes.files if c.path == path), text)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SyntaxWarning)
                compile(after, path, "exec")
        except SyntaxError as error:
            problems.append(f"phase {number}: output does not compile: {error}")
            break
        again = engine.apply([(path, after)], phase.codemod_ids, phase=number, jobs=1)
        if any(c.path == path and c.after != after for c in again.files):
            problems.append(f"phase {number}: applying it again changes the file")
        text = after
    return problems


def check(program: str) -> None:
    """Fail on a program's problems, or, for `make stress`, record them and go on."""
    problems: dict[str, list[str]] = {
        "plain": harden_all_phases(program),
        "mcp": harden_all_phases(MCP_HEAD + program),
    }
    if RECORD is None:
        assert problems == {"plain": [], "mcp": []}
        return
    if problems["plain"] or problems["mcp"]:
        problems["program"] = [program]
    with open(RECORD, "a", encoding="utf-8") as record:
        record.write(json.dumps(problems) + "\n")


@settings(
    max_examples=EXAMPLES,
    derandomize=SEED is None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
@given(program=hypothesmith.from_node())
def test_generated_programs_harden_cleanly(program: str) -> None:
    check(program)


if SEED is not None:
    test_generated_programs_harden_cleanly = seed(int(SEED))(test_generated_programs_harden_cleanly)

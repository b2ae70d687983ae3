"""Focusing metadata on the calls a codemod acts on must not change any result.

Every fixture server, and a module shaped to trip the line mapping (decorators, a big class
with one matching method, `a; b` statements, statements after the class), give the same
rewrites, spans, refusals and output with and without a focus module.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from harden.codemods.base import FileRun
from harden.codemods.catalog.shell_commands import INFO
from harden.codemods.focus import focus
from harden.codemods.shell_commands import ShellCommands

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SERVERS = FIXTURES / "servers"

TRICKY = (FIXTURES / "focus" / "tricky_lines.py").read_text()


def _run(source: str, *, focused: bool) -> tuple[str, list[tuple[object, ...]]]:
    run = FileRun("m.py", decide=lambda rewrite: True, text=source, focus_metadata=focused)
    new = ShellCommands(run).transform_module(cst.parse_module(source)).code
    seen = [(r.span, r.before, r.after, r.note) for r in run.accepted]
    seen += [(u.finding, u.reason) for u in run.unfixed]
    return new, seen


# Module-level constants and a helper need the whole module, which the focus module lacks.
CONSTANTS = (
    'import os\n\nCMD = "ls -l"\nOTHER = "pwd"\n\n\ndef build(n):\n    return f"ls {n}"\n\n\n'
    "def f(x):\n    os.system(CMD)\n    os.system(OTHER)\n    os.system(build(x))\n\n\n"
    "def g():\n    global OTHER\n    OTHER = 'id'\n"
)
SOURCES = {p.name: p.read_text() for p in sorted(SERVERS.rglob("*.py"))} | {
    "tricky": TRICKY,
    "constants": CONSTANTS,
}


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_focus_changes_no_result(source: str) -> None:
    assert _run(source, focused=True) == _run(source, focused=False)


def test_focus_keeps_only_matching_members_of_a_class() -> None:
    found = focus(cst.parse_module(TRICKY), TRICKY, INFO.sinks)
    assert found is not None
    code = found.module.code
    assert "def second" in code and "def first" not in code and "def third" not in code
    assert "def after" in code and "def decorator" not in code

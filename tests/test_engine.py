"""The engine's shortcuts must not change what it finds.

A scan parses only the lines its prefilters point at; apply parses the whole file. For every
fixture server and a module shaped to trip the line mapping, a scan reports exactly the places
apply proposes or refuses, at the same lines and columns.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harden import engine
from harden.changes import Rewrite
from harden.findings.model import Finding

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SERVERS = FIXTURES / "servers"

TRICKY = (FIXTURES / "focus" / "tricky_lines.py").read_text()

# Module-level constants and a helper, whose every binding only the whole file shows: a scan's
# excerpt lacks them, so the scan parses this file whole.
CONSTANTS = """import os
import subprocess

DF = "df -h"
TWICE = "ls"


def ping_command(host, count):
    return f"ping -c {count} {host}"


def disk():
    return subprocess.run(DF, shell=True)


def listing():
    os.system(TWICE)


def other():
    global TWICE
    TWICE = "pwd"


def ping(host):
    os.system(ping_command(host, 1))
"""

# A private runner's parameter is followed to what every caller passes: only the whole file
# shows every call.
CALLERS = """import subprocess


def _run(cmd):
    return subprocess.run(cmd, shell=True)


def _each(cmd):
    return subprocess.run(cmd, shell=True)


def disk():
    return _run("df -h")


def listing(x):
    _each("ls")
    _each(x)
"""

SOURCES = {p.name: p.read_text() for p in sorted(SERVERS.rglob("*.py"))} | {
    "tricky.py": TRICKY,
    "constants.py": CONSTANTS,
    "callers.py": CALLERS,
}


def _found_by_apply(path: str, text: str) -> list[Finding]:
    proposed: list[Rewrite] = []

    def record(rewrite: Rewrite) -> bool:
        proposed.append(rewrite)
        return False

    changes = engine.apply([(path, text)], ["shell-commands"], phase=5, decide=record)
    found = [f for r in proposed for f in r.fixes] + [u.finding for u in changes.unfixed]
    return sorted(found, key=Finding.sort_key)


@pytest.mark.parametrize("name", SOURCES.keys())
def test_a_scan_finds_what_apply_acts_on(name: str) -> None:
    text = SOURCES[name]
    scan = engine.scan([(name, text)], ["shell-commands"], jobs=1)
    assert scan.findings == _found_by_apply(name, text)
    if name == "tricky.py":
        assert [f.line for f in scan.findings] == [28, 35, 40, 44, 50]
    if name == "constants.py":
        assert [f.line for f in scan.findings] == [13, 17, 26]
        assert not scan.reasons  # `TWICE`, which may be rebound, goes through the shim
    if name == "callers.py":
        assert [f.line for f in scan.findings] == [5, 9]
        assert not scan.reasons  # `_each(x)`: its command goes through the shim


def test_progress_reports_every_parsed_file() -> None:
    files = [(f"m{i}.py", "import os\nos.system('ls')\n") for i in range(3)]
    seen: list[tuple[int, int]] = []
    engine.scan(files, ["shell-commands"], jobs=1, progress=lambda *done: seen.append(done))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_the_process_pool_finds_what_one_process_finds() -> None:
    # Enough candidates for the pool: some call a shell, some only mention one (the ast gate
    # rules them out before libcst), one does not parse; results keep the files' order.
    files = [(f"run{i}.py", f"import os\nos.system('ls {i}')\n") for i in range(6)]
    files += [(f"note{i}.py", "# pass shell=True here\nx = 1\n") for i in range(6)]
    files.insert(3, ("broken.py", "import os\nos.system('ls'\n"))
    alone = engine.scan(files, ["shell-commands"], jobs=1)
    seen: list[tuple[int, int]] = []
    pooled = engine.scan(files, ["shell-commands"], jobs=2, progress=lambda *d: seen.append(d))
    assert pooled.findings == alone.findings
    assert [f.path for f in pooled.findings] == [f"run{i}.py" for i in range(6)]
    assert pooled.skipped == alone.skipped and [s.path for s in pooled.skipped] == ["broken.py"]
    assert (pooled.files, pooled.candidates) == (alone.files, alone.candidates) == (13, 7)
    assert seen[-1] == (13, 13) and seen == sorted(seen)
    changes = engine.apply(files, ["shell-commands"], phase=5, jobs=2)
    assert [c.path for c in changes.files][:6] == [f"run{i}.py" for i in range(6)]


def test_the_pool_reports_progress_when_the_cheap_checks_rule_out_every_file() -> None:
    files = [(f"m{i}.py", "# shell=True in a comment\nx = 1\n") for i in range(10)]
    seen: list[tuple[int, int]] = []
    engine.scan(files, ["shell-commands"], jobs=2, progress=lambda *done: seen.append(done))
    assert seen == [(10, 10)]


# Phase 5's codemods run one after another on a file: the error rewrite adds lines (the runtime
# import) above the handlers that mask_errors then plans on.
CHAINED = """\
from mcp.server.fastmcp import FastMCP
mcp = FastMCP("x")

@mcp.tool()
def a() -> str:
    try:
        return "ok"
    except Exception as e:
        return f"Error: {{e}}"

@mcp.tool()
def b() -> str:{mark}
    return "b"
"""
PHASE_5_ERRORS = ["error-messages", "mask-errors"]


def _rewritten_lines(changes: engine.ChangeSet) -> list[tuple[str, int]]:
    return sorted((r.codemod, r.span.line) for f in changes.files for r in f.rewrites)


def test_codemods_after_a_rewrite_report_the_lines_of_the_file_as_read() -> None:
    files = [("pkg/server.py", CHAINED.format(mark=""))]
    changes = engine.apply(files, PHASE_5_ERRORS, phase=5)
    assert changes.skipped == [] and changes.unfixed == []
    assert _rewritten_lines(changes) == [
        ("error-messages", 9),
        ("mask-errors", 5),
        ("mask-errors", 12),
    ]
    scanned = engine.scan(files, PHASE_5_ERRORS)
    assert sorted((f.rule_id, f.line) for f in scanned.findings) == [
        ("error-text-leak", 9),
        ("mcp-tool-error-unmasked", 5),
        ("mcp-tool-error-unmasked", 12),
    ]


def test_a_suppression_comment_counts_on_its_own_line_after_an_earlier_rewrite() -> None:
    files = [("pkg/server.py", CHAINED.format(mark="  # harden: ignore[mask-errors]"))]
    changes = engine.apply(files, PHASE_5_ERRORS, phase=5)
    assert _rewritten_lines(changes) == [("error-messages", 9), ("mask-errors", 5)]
    assert [f.line for f in engine.scan(files, PHASE_5_ERRORS).findings] == [5, 9]


def test_hardens_own_scan_fed_back_is_rewritten_in_full() -> None:
    files = [("pkg/server.py", CHAINED.format(mark=""))]
    found = engine.scan(files, PHASE_5_ERRORS).findings
    changes = engine.apply(files, PHASE_5_ERRORS, phase=5, requested=found)
    assert changes.unfixed == [] and changes.ignored == []
    # Each finding is rewritten once, by the codemod for its rule.
    rewritten = [(w.codemod, f) for r in changes.files for w in r.rewrites for f in w.fixes]
    assert sorted(rewritten, key=lambda pair: pair[1].sort_key()) == [
        ("mask-errors", found[0]),
        ("error-messages", found[1]),
        ("mask-errors", found[2]),
    ]

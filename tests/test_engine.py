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

SOURCES = {p.name: p.read_text() for p in sorted(SERVERS.rglob("*.py"))} | {"tricky.py": TRICKY}


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


def test_progress_reports_every_parsed_file() -> None:
    files = [(f"m{i}.py", "import os\nos.system('ls')\n") for i in range(3)]
    seen: list[tuple[int, int]] = []
    engine.scan(files, ["shell-commands"], jobs=1, progress=lambda *done: seen.append(done))
    assert seen == [(1, 3), (2, 3), (3, 3)]

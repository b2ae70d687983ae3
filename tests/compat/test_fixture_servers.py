"""The project's fixture servers pass their own tests before and after hardening.

Each server under fixtures/servers that belongs to this environment's SDK comes with a test
file that calls its tools for real (git, ps, df, ...). conftest.py's `tree` runs it twice,
in subprocesses so that the two copies' same-named modules never meet: on the copy as written,
and on the copy hardened with phases 1, 2, 3 and 5. Every test must have the same outcome in
both, and none may fail.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from compat_support import FIXTURES
from conftest import Tree

_OUTCOMES = {"failure": "failed", "error": "error", "skipped": "skipped"}


def _outcomes(report: Path) -> dict[str, str]:
    """Test id -> passed, failed, error or skipped, from a JUnit XML report."""
    outcomes = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        kinds = [_OUTCOMES[child.tag] for child in case if child.tag in _OUTCOMES]
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = (kinds or ["passed"])[0]
    return outcomes


@pytest.mark.parametrize("fixture", FIXTURES)
def test_fixture_tests_pass_before_and_after_hardening(fixture: str, tree: Tree) -> None:
    original_run = tree.fixture_runs["original", fixture]
    hardened_run = tree.fixture_runs["hardened", fixture]
    original_status, original_output = original_run.wait()
    hardened_status, hardened_output = hardened_run.wait()

    assert original_status == 0, original_output
    assert hardened_status == 0, hardened_output
    original = _outcomes(original_run.report)
    assert "passed" in original.values(), original_output
    assert _outcomes(hardened_run.report) == original
    # The copy under test really is hardened: its tools go through the vendored runtime.
    sources = [
        path.read_text()
        for path in (tree.hardened / "fixtures" / fixture).rglob("*.py")
        if not path.name.startswith("test_")
    ]
    assert any("harden_runtime.observe" in source for source in sources)

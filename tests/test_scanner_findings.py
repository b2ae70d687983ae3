"""Real scanners' reports on the example servers drive `apply --findings` end to end.

Every command-injection finding of each report is accounted for: fixed by a rewrite, or listed
as not rewritten with a reason; findings of other rules are counted as ignored. Nothing is
dropped silently.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harden import engine
from harden.changes import ChangeSet, Rewrite
from harden.findings.load import load_findings
from harden.findings.model import Finding
from harden.findings.rules import codemod_for
from harden.sources import working_tree
from harden.work_tree import work_tree_root

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "fixtures" / "findings"
# ruff writes absolute paths; the stored report was made in a checkout at this path.
RECORDED_ROOT = "/work/main"


def _report(name: str, tmp_path: Path) -> Path:
    """The stored report, with ruff's absolute paths moved to this checkout."""
    text = (REPORTS / name).read_text()
    relocated = tmp_path / name
    relocated.write_text(text.replace(RECORDED_ROOT + "/", ROOT.as_posix() + "/"))
    return relocated


def _propose(findings: list[Finding]) -> tuple[ChangeSet, list[Rewrite]]:
    """What phase 5 proposes for the findings. Rewrites are recorded, not applied: applying
    is tested elsewhere, and matching findings to places is what this file is about."""
    proposed: list[Rewrite] = []

    def record(rewrite: Rewrite) -> bool:
        proposed.append(rewrite)
        return False

    tree = working_tree(ROOT / "fixtures" / "servers", work_tree_root(ROOT))
    changes = engine.apply(
        tree.files, ["shell-commands"], phase=5, requested=findings, decide=record
    )
    return changes, proposed


@pytest.mark.parametrize(
    "name", ["bandit.json", "bandit.sarif", "ruff.json", "ruff.sarif", "semgrep.sarif"]
)
def test_every_command_finding_is_fixed_or_explained(name: str, tmp_path: Path) -> None:
    findings = load_findings(_report(name, tmp_path), ROOT)
    changes, proposed = _propose(findings)

    command_findings = {f for f in findings if codemod_for(f) == "shell-commands"}
    fixed = {f for rewrite in proposed for f in rewrite.fixes}
    unfixed = {u.finding for u in changes.unfixed}
    assert command_findings, "the report holds command-injection findings"
    assert fixed, "some of them are rewritten"
    assert fixed | unfixed == command_findings
    assert not fixed & unfixed
    assert set(changes.ignored) == set(findings) - command_findings
    assert all(u.reason for u in changes.unfixed)


def test_bandit_and_semgrep_agree_on_what_is_rewritten(tmp_path: Path) -> None:
    """Two scanners naming the same calls lead to the same rewrites."""
    paths_and_lines = []
    for name in ("bandit.sarif", "semgrep.sarif"):
        _, proposed = _propose(load_findings(_report(name, tmp_path), ROOT))
        paths_and_lines.append({(r.path, r.span.line) for r in proposed})
    bandit, semgrep = paths_and_lines
    # Semgrep skips constant commands and Bandit misses check_call(args=..., shell=True);
    # everything both report is rewritten identically.
    assert len(bandit & semgrep) >= 10


def test_reports_are_real_scanner_output() -> None:
    """Guard against hand-edited fixtures: each carries its producer's own metadata."""
    bandit = json.loads((REPORTS / "bandit.json").read_text())
    assert "metrics" in bandit and "generated_at" in bandit
    for name, tool in (
        ("bandit.sarif", "Bandit"),
        ("semgrep.sarif", "Semgrep"),
        ("ruff.sarif", "ruff"),
    ):
        driver = json.loads((REPORTS / name).read_text())["runs"][0]["tool"]["driver"]
        assert tool.lower() in driver["name"].lower()

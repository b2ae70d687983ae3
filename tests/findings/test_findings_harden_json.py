"""harden's own JSON: findings survive the trip to a report and back, from scan and apply reports.

These tests must never depend on how the engine or the CLI build a report's other fields.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harden.changes import Skipped
from harden.findings.document import FindingsError
from harden.findings.harden_json import (
    finding_from_dict,
    finding_to_dict,
    read_harden_json,
    scan_report,
)
from harden.findings.model import Finding, Severity

SHELL = Finding(
    "shell-command", "tools dir/a.py", 7, 5, 7, 68, Severity.HIGH, "runs a shell", "harden"
)
SYSTEM = Finding("B605", "b.py", 3, severity=Severity.LOW, message="os.system", source="bandit")
OTHER = Finding("B101", "c.py", 8, severity=Severity.LOW, message="assert", source="bandit")


def test_a_finding_round_trips_with_its_severity_as_a_label() -> None:
    as_dict = finding_to_dict(SHELL)
    assert as_dict["severity"] == "high"
    assert finding_from_dict(as_dict) == SHELL


def test_missing_positions_and_source_take_their_defaults() -> None:
    minimal = {"rule_id": "r", "path": "a.py", "line": 2, "severity": "medium"}
    assert finding_from_dict(minimal) == Finding("r", "a.py", 2, severity=Severity.MEDIUM)


def test_the_scan_report_orders_findings_and_lists_skipped_files() -> None:
    report = scan_report([SYSTEM, SHELL], [Skipped("z.py", "does not parse")], "1.2.3")
    assert report == {
        "tool": "harden",
        "version": "1.2.3",
        "kind": "scan",
        "findings": [finding_to_dict(SYSTEM), finding_to_dict(SHELL)],
        "skipped": [{"path": "z.py", "reason": "does not parse"}],
    }


def test_a_scan_report_reads_back(tmp_path: Path) -> None:
    report = scan_report([SHELL, SYSTEM], [], "1.2.3")
    assert read_harden_json(report, tmp_path) == [SYSTEM, SHELL]


def test_an_apply_report_yields_fixed_unfixed_and_ignored_findings(tmp_path: Path) -> None:
    report = {
        "tool": "harden",
        "kind": "apply",
        "phase": 5,
        "rewrites": [
            {
                "path": "tools dir/a.py",
                "codemod": "shell-commands",
                "fixes": [finding_to_dict(SHELL)],
            },
            {"path": "c.py", "codemod": "shell-commands", "fixes": []},
        ],
        "unfixed": [{"finding": finding_to_dict(SYSTEM), "reason": "needs a shell: pipe"}],
        "skipped": [],
        "ignored": [finding_to_dict(OTHER)],
    }
    assert read_harden_json(report, tmp_path) == [SHELL, SYSTEM, OTHER]


def test_report_paths_are_made_relative_to_the_root(tmp_path: Path) -> None:
    absolute = finding_to_dict(SYSTEM) | {"path": str(tmp_path / "pkg" / "b.py")}
    report = {"tool": "harden", "kind": "scan", "findings": [absolute]}
    assert [f.path for f in read_harden_json(report, tmp_path)] == ["pkg/b.py"]


def test_a_finding_with_an_unknown_severity_is_a_findings_error() -> None:
    with pytest.raises(FindingsError, match="'urgent' is not a severity"):
        finding_from_dict({"rule_id": "r", "path": "a.py", "line": 1, "severity": "urgent"})

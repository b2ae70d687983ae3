"""SARIF reading beyond the stored outputs: URI bases, skipped results, rule lookup, severity.

These tests build small SARIF logs inline; they must never depend on a scanner being installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harden.findings.document import FindingsError
from harden.findings.model import Severity
from harden.findings.sarif import read_sarif


def log(results: list[dict[str, Any]], **run: Any) -> dict[str, Any]:
    tool = run.pop("tool", {"driver": {"name": "Semgrep OSS", "rules": []}})
    return {"version": "2.1.0", "runs": [{"tool": tool, "results": results, **run}]}


def result(uri: str, line: int = 3, **extra: Any) -> dict[str, Any]:
    artifact: dict[str, Any] = {"uri": uri}
    if "base" in extra:
        artifact["uriBaseId"] = extra.pop("base")
    return {
        "ruleId": "r",
        "message": {"text": "m"},
        "locations": [
            {"physicalLocation": {"artifactLocation": artifact, "region": {"startLine": line}}}
        ],
        **extra,
    }


def test_uri_base_ids_resolve_through_original_uri_base_ids(tmp_path: Path) -> None:
    bases = {
        "ROOT": {"uri": tmp_path.as_uri() + "/"},
        "SRC": {"uri": "src/", "uriBaseId": "ROOT"},
    }
    findings = read_sarif(
        log([result("pkg/a%20b.py", base="SRC")], originalUriBaseIds=bases), tmp_path
    )
    assert [f.path for f in findings] == ["src/pkg/a b.py"]


def test_an_undefined_base_id_means_the_project_root(tmp_path: Path) -> None:
    findings = read_sarif(log([result("./src/a.py", base="%SRCROOT%")]), tmp_path)
    assert [f.path for f in findings] == ["src/a.py"]


def test_a_file_outside_the_root_keeps_its_absolute_path(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    outside = (tmp_path / "elsewhere" / "x.py").as_uri()
    findings = read_sarif(log([result(outside)]), root)
    assert [f.path for f in findings] == [(tmp_path / "elsewhere" / "x.py").as_posix()]


def test_a_base_id_cycle_is_a_findings_error(tmp_path: Path) -> None:
    bases = {"A": {"uri": "a/", "uriBaseId": "B"}, "B": {"uri": "b/", "uriBaseId": "A"}}
    with pytest.raises(FindingsError, match="refers to itself"):
        read_sarif(log([result("x.py", base="A")], originalUriBaseIds=bases), tmp_path)


@pytest.mark.parametrize(
    "unusable",
    [
        {"ruleId": "r", "message": {"text": "no locations"}},
        {"ruleId": "r", "locations": [{"logicalLocations": [{"name": "f"}]}]},
        {"ruleId": "r", "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"}}}]},
        result("https://example.com/a.py"),
        result("a.py", kind="pass"),
        result("a.py", suppressions=[{"kind": "inSource"}]),
    ],
    ids=["no-locations", "logical-only", "no-region", "not-a-file", "kind-pass", "suppressed"],
)
def test_results_without_a_located_problem_are_skipped(
    tmp_path: Path, unusable: dict[str, Any]
) -> None:
    assert read_sarif(log([unusable, result("kept.py")]), tmp_path)[0].path == "kept.py"
    assert len(read_sarif(log([unusable]), tmp_path)) == 0


def test_a_rejected_suppression_does_not_hide_a_result(tmp_path: Path) -> None:
    rejected = result("a.py", suppressions=[{"kind": "inSource", "status": "rejected"}])
    assert len(read_sarif(log([rejected]), tmp_path)) == 1


def test_rule_id_comes_from_the_rule_index_when_the_result_has_none(tmp_path: Path) -> None:
    tool = {"driver": {"name": "Bandit", "rules": [{"id": "B101"}, {"id": "B602"}]}}
    unnamed = result("a.py")
    del unnamed["ruleId"]
    unnamed["ruleIndex"] = 1
    [finding] = read_sarif(log([unnamed], tool=tool), tmp_path)
    assert (finding.rule_id, finding.source) == ("B602", "bandit")


def test_a_result_naming_no_rule_is_a_findings_error(tmp_path: Path) -> None:
    unnamed = result("a.py")
    del unnamed["ruleId"]
    with pytest.raises(FindingsError, match="names no rule"):
        read_sarif(log([unnamed]), tmp_path)


@pytest.mark.parametrize(
    ("score", "level", "expected"),
    [
        ("9.8", "note", Severity.HIGH),
        ("7.0", "note", Severity.HIGH),
        ("6.9", "error", Severity.MEDIUM),
        ("4.0", "error", Severity.MEDIUM),
        ("3.9", "error", Severity.LOW),
        (2, "error", Severity.LOW),
        ("0.0", "error", Severity.HIGH),  # outside (0, 10]: no score, the level decides
        ("n/a", "note", Severity.LOW),
    ],
)
def test_security_severity_wins_over_the_level(
    tmp_path: Path, score: object, level: str, expected: Severity
) -> None:
    rule = {"id": "r", "properties": {"security-severity": score}}
    tool = {"driver": {"name": "CodeQL", "rules": [rule]}}
    [finding] = read_sarif(log([result("a.py", level=level)], tool=tool), tmp_path)
    assert finding.severity is expected


def test_end_line_defaults_to_the_start_line_when_only_end_column_is_given(tmp_path: Path) -> None:
    located = result("a.py")
    located["locations"][0]["physicalLocation"]["region"] = {
        "startLine": 4,
        "startColumn": 2,
        "endColumn": 9,
    }
    [finding] = read_sarif(log([located]), tmp_path)
    assert (finding.line, finding.column, finding.end_line, finding.end_column) == (4, 2, 4, 9)

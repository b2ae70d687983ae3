"""harden's SARIF: what GitHub code scanning needs, valid against the schema, read back unchanged.

The schema is the one stored in data/; these tests must never fetch anything.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harden.findings.model import Finding, Severity
from harden.findings.sarif import read_sarif
from harden.findings.sarif_writer import to_sarif

FINDINGS = [
    Finding("shell-command", "srv/app.py", 14, 12, 14, 89, Severity.HIGH, "runs a shell"),
    Finding("shell-command", "srv/app.py", 29, 12, 29, 42, Severity.LOW, "runs a constant"),
    Finding("raw-error", "tools dir/ä.py", 7, severity=Severity.MEDIUM, message="leaks text"),
]
HELP = {"shell-command": "A command string runs through /bin/sh.\nRewrite it as an argv list."}


def sarif(findings: list[Finding]) -> dict[str, Any]:
    return to_sarif(findings, "0.1.0", HELP)


def test_the_log_has_what_github_requires() -> None:
    log = sarif(FINDINGS)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("harden", "0.1.0")
    assert driver["informationUri"].startswith("https://")
    rules = {rule["id"]: rule for rule in driver["rules"]}
    shell = rules["shell-command"]
    assert shell["shortDescription"] == {"text": "A command string runs through /bin/sh."}
    assert shell["fullDescription"]["text"] == HELP["shell-command"]
    assert shell["help"] == {"text": HELP["shell-command"]}
    # A rule's defaults follow its worst finding.
    assert shell["defaultConfiguration"] == {"level": "error"}
    assert shell["properties"] == {"security-severity": "8.0", "tags": ["security"]}
    # Without help text the message describes the rule.
    assert rules["raw-error"]["fullDescription"] == {"text": "leaks text"}
    assert rules["raw-error"]["properties"]["security-severity"] == "5.0"
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        assert result["partialFingerprints"]["primaryLocationLineHash"]


def test_results_carry_level_uri_and_only_known_positions() -> None:
    results = sarif(FINDINGS)["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "note", "warning"]
    assert [r["properties"]["security-severity"] for r in results] == ["8.0", "2.0", "5.0"]
    first, _, last = (r["locations"][0]["physicalLocation"] for r in results)
    assert first == {
        "artifactLocation": {"uri": "srv/app.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 14, "startColumn": 12, "endLine": 14, "endColumn": 89},
    }
    assert last == {
        "artifactLocation": {"uri": "tools%20dir/%C3%A4.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 7},
    }


def test_the_log_reads_back_as_the_same_findings(tmp_path: Path) -> None:
    outside = Finding(
        "shell-command", (tmp_path / "elsewhere.py").as_posix(), 3, 1, 3, 9, message="m"
    )
    root = tmp_path / "project"
    root.mkdir()
    findings = [*FINDINGS, outside]
    assert read_sarif(sarif(findings), root) == sorted(findings, key=Finding.sort_key)


def fingerprints(findings: list[Finding]) -> list[str]:
    results = sarif(findings)["runs"][0]["results"]
    return [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]


def test_fingerprints_survive_a_line_shift_but_not_a_change_of_finding() -> None:
    shifted = [replace(f, line=f.line + 5, end_line=f.end_line + 5) for f in FINDINGS]
    assert fingerprints(shifted) == fingerprints(FINDINGS)
    [original] = fingerprints([FINDINGS[0]])
    for change in ({"path": "srv/other.py"}, {"message": "another"}, {"rule_id": "other"}):
        assert fingerprints([replace(FINDINGS[0], **change)]) != [original]


def test_identical_findings_get_distinct_fingerprints_in_order() -> None:
    twice = [Finding("r", "a.py", 9, message="m"), Finding("r", "a.py", 2, message="m")]
    first, second = fingerprints(twice)
    assert first.split(":")[0] == second.split(":")[0]
    assert (first.split(":")[1], second.split(":")[1]) == ("1", "2")


def schema_validator(data_dir: Path) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((data_dir / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema)


def test_the_log_is_valid_sarif_2_1_0(data_dir: Path) -> None:
    validator = schema_validator(data_dir)
    validator.validate(sarif(FINDINGS))
    validator.validate(sarif([]))


def test_the_schema_check_rejects_a_broken_log(data_dir: Path) -> None:
    validator = schema_validator(data_dir)
    broken = sarif(FINDINGS)
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert not validator.is_valid(broken)

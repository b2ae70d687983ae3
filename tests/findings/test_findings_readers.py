"""Each reader turns real scanner output about the sample into the right Findings.

The expected values were checked by hand against data/mcp_server.py and data/tools dir/; these
tests must never run a scanner.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harden.findings.load import load_findings
from harden.findings.model import Finding, Severity
from harden.findings.sarif import read_sarif

HIGH, MEDIUM, LOW = Severity.HIGH, Severity.MEDIUM, Severity.LOW
SERVER, ARCHIVE = "mcp_server.py", "tools dir/archive.py"

Loader = Callable[[str], Path]


def spans(findings: list[Finding]) -> list[tuple[object, ...]]:
    return [
        (f.rule_id, f.path, f.line, f.column, f.end_line, f.end_column, f.severity)
        for f in findings
    ]


def test_bandit_json_columns_become_one_based(stored_output: Loader, data_dir: Path) -> None:
    findings = load_findings(stored_output("bandit.json"), data_dir)
    assert spans(findings) == [
        ("B404", SERVER, 5, 1, 5, 18, LOW),
        ("B602", SERVER, 14, 12, 14, 89, HIGH),
        ("B605", SERVER, 19, 12, 19, 42, HIGH),
        ("B605", SERVER, 24, 12, 24, 38, HIGH),
        ("B605", SERVER, 29, 12, 29, 42, LOW),
        ("B607", SERVER, 29, 12, 29, 42, LOW),
        ("B607", SERVER, 41, 12, 41, 86, LOW),
        ("B603", SERVER, 41, 12, 41, 86, LOW),
        ("B404", ARCHIVE, 3, 1, 3, 18, LOW),
        ("B602", ARCHIVE, 7, 5, 7, 68, HIGH),
        # Bandit reports a multi-line call at its shell=True line, ending at the call's ")".
        ("B602", ARCHIVE, 13, 5, 14, 6, HIGH),
    ]
    assert {f.source for f in findings} == {"bandit"}
    assert findings[1].message == "subprocess call with shell=True identified, security issue."


def test_bandit_sarif_agrees_with_bandit_json(stored_output: Loader, data_dir: Path) -> None:
    from_json = load_findings(stored_output("bandit.json"), data_dir)
    from_sarif = load_findings(stored_output("bandit.sarif"), data_dir)
    # Bandit's SARIF writer places multi-line results differently; compare single-line ones.
    single = [f for f in from_json if f.line == f.end_line]
    assert spans([f for f in from_sarif if f.line == f.end_line]) == spans(single)
    assert [f.message for f in from_sarif] == [f.message for f in from_json]
    assert {f.source for f in from_sarif} == {"bandit"}


def test_ruff_json_rates_shell_rules_high(stored_output: Loader, data_dir: Path) -> None:
    findings = load_findings(stored_output("ruff.json"), data_dir)
    assert spans(findings) == [
        ("S602", SERVER, 14, 12, 14, 35, HIGH),
        ("S605", SERVER, 19, 12, 19, 21, HIGH),
        ("S605", SERVER, 24, 12, 24, 20, HIGH),
        ("S605", SERVER, 29, 12, 29, 32, HIGH),
        ("S607", SERVER, 29, 33, 29, 41, MEDIUM),
        ("S603", SERVER, 41, 12, 41, 26, MEDIUM),
        ("S607", SERVER, 41, 27, 41, 41, MEDIUM),
        ("S602", ARCHIVE, 7, 5, 7, 20, HIGH),
        ("S602", ARCHIVE, 11, 5, 11, 20, HIGH),
    ]
    assert {f.source for f in findings} == {"ruff"}


def test_ruff_sarif_gives_the_same_findings_as_ruff_json(
    stored_output: Loader, data_dir: Path
) -> None:
    # Its file:// URIs are absolute and percent-encoded; its levels are all "error".
    assert load_findings(stored_output("ruff.sarif"), data_dir) == load_findings(
        stored_output("ruff.json"), data_dir
    )


def test_semgrep_sarif_takes_severity_from_the_rule(stored_output: Loader, data_dir: Path) -> None:
    findings = load_findings(stored_output("semgrep.sarif"), data_dir)
    prefix = "semgrep-rules.python.lang.security.audit."
    assert spans(findings) == [
        (prefix + "subprocess-shell-true", SERVER, 14, 12, 14, 89, HIGH),
        (prefix + "dangerous-system-call", SERVER, 19, 12, 19, 42, MEDIUM),
        (prefix + "dangerous-system-call", SERVER, 24, 12, 24, 38, MEDIUM),
        (prefix + "dangerous-asyncio-shell", SERVER, 34, 18, 34, 99, MEDIUM),
        (prefix + "subprocess-shell-true", ARCHIVE, 7, 5, 7, 68, HIGH),
        (prefix + "subprocess-shell-true", ARCHIVE, 11, 5, 14, 6, HIGH),
    ]
    assert {f.source for f in findings} == {"semgrep"}
    assert findings[0].message.startswith("subprocess function 'check_output' called with")


def test_codeql_sarif_finds_rules_in_extensions(stored_output: Loader, data_dir: Path) -> None:
    findings = load_findings(stored_output("codeql.sarif"), data_dir)
    assert spans(findings) == [
        ("py/command-line-injection", SERVER, 19, 22, 19, 41, HIGH),  # security-severity 9.8
        ("py/command-line-injection", SERVER, 14, 36, 14, 65, HIGH),
        ("py/shell-command-constructed-from-input", ARCHIVE, 7, 21, 7, 55, MEDIUM),  # 6.3
    ]
    assert {f.source for f in findings} == {"codeql"}


def _codeql(data_dir: Path) -> dict[str, Any]:
    text = (data_dir / "outputs" / "codeql.sarif").read_text(encoding="utf-8")
    return json.loads(text)


def test_codeql_level_falls_back_to_the_rule_default_then_warning(data_dir: Path) -> None:
    log = _codeql(data_dir)
    rules = log["runs"][0]["tool"]["extensions"][0]["rules"]
    for rule in rules:
        del rule["properties"]["security-severity"]
    # results[1] has no level: it takes the rule's defaultConfiguration.level ("error").
    assert [f.severity for f in read_sarif(log, data_dir)] == [HIGH, HIGH, HIGH]
    without_default = copy.deepcopy(log)
    del without_default["runs"][0]["tool"]["extensions"][0]["rules"][0]["defaultConfiguration"]
    assert [f.severity for f in read_sarif(without_default, data_dir)] == [HIGH, MEDIUM, HIGH]


def test_mcp_security_scan_uses_the_pattern_name_as_rule(
    stored_output: Loader, data_dir: Path
) -> None:
    findings = load_findings(stored_output("mcp-security-scan.json"), data_dir)
    assert [(f.rule_id, f.path, f.line, f.column, f.severity) for f in findings] == [
        ("subprocess.run / Popen (Python)", SERVER, 14, 0, HIGH),
        ("os.system / os.popen (Python)", SERVER, 19, 0, HIGH),
        ("os.system / os.popen (Python)", SERVER, 24, 0, HIGH),
        ("Unrestricted file read (Python)", SERVER, 24, 0, MEDIUM),
        ("subprocess.run / Popen (Python)", SERVER, 41, 0, HIGH),
        ("subprocess.run / Popen (Python)", ARCHIVE, 7, 0, HIGH),
        ("subprocess.run / Popen (Python)", ARCHIVE, 11, 0, HIGH),
        ("shell=True (Python)", ARCHIVE, 13, 0, HIGH),  # "critical"
    ]
    assert findings[1].message == "os.system / os.popen (Python) (unsafe_exec)"
    assert {f.source for f in findings} == {"mcp-security-scan"}


def test_mcp_security_scan_without_name_uses_the_category(tmp_path: Path) -> None:
    report = {
        "trust_score": 40,
        "error": None,
        "findings": [
            {"category": "unsafe_exec", "severity": "info", "file_path": "a.py", "line_number": 3}
        ],
    }
    path = tmp_path / "scan.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    [finding] = load_findings(path, tmp_path)
    assert (finding.rule_id, finding.severity, finding.message) == (
        "unsafe_exec",
        LOW,
        "unsafe_exec",
    )

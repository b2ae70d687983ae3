"""Write Findings as a SARIF 2.1.0 log that GitHub code scanning accepts.

GitHub requires per rule an id, shortDescription, fullDescription and help text, and per result
a message, a location and partialFingerprints; it reads rule severity from
properties.security-severity and only the primaryLocationLineHash fingerprint. Each result
also carries its own security-severity (read_sarif prefers it), since one rule's findings need
not share a severity. Paths are written relative to %SRCROOT% so alerts land on the
repository's files; a finding without a line gets no region. This module must never decide
which findings to report, and never read SARIF.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from harden.findings.model import Finding, Severity
from harden.findings.sarif import SARIF_VERSION

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/harden-mcp/harden"
SOURCE_ROOT = "%SRCROOT%"

_LEVEL = {Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
# GitHub shows 7.0-8.9 as high, 4.0-6.9 as medium, 0.1-3.9 as low: one value inside each band.
_SECURITY_SEVERITY = {Severity.HIGH: "8.0", Severity.MEDIUM: "5.0", Severity.LOW: "2.0"}
_DESCRIPTION_LIMIT = 1024  # GitHub's limit for short and full descriptions


def _description(text: str) -> str:
    return text if len(text) <= _DESCRIPTION_LIMIT else text[: _DESCRIPTION_LIMIT - 1] + "…"


def _rule(
    rule_id: str, findings: Sequence[Finding], rule_help: Mapping[str, str]
) -> dict[str, Any]:
    help_text = rule_help.get(rule_id) or findings[0].message or rule_id
    worst = max(f.severity for f in findings)
    return {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {
            "text": _description((help_text.strip().splitlines() or [rule_id])[0])
        },
        "fullDescription": {"text": _description(help_text)},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": _LEVEL[worst]},
        "properties": {"security-severity": _SECURITY_SEVERITY[worst], "tags": ["security"]},
    }


def _artifact(path: str) -> dict[str, str]:
    if PurePosixPath(path).is_absolute():  # outside the project: no base to be relative to
        return {"uri": PurePosixPath(path).as_uri()}
    return {"uri": quote(path), "uriBaseId": SOURCE_ROOT}


def _region(finding: Finding) -> dict[str, int]:
    region = {
        "startLine": finding.line,
        "startColumn": finding.column,
        "endLine": finding.end_line,
        "endColumn": finding.end_column,
    }
    return {key: value for key, value in region.items() if value}


def _fingerprint_key(finding: Finding) -> str:
    # Leaves the line out on purpose: an edit above the finding must not turn it into a new alert.
    identity = "\0".join((finding.rule_id, finding.path, finding.message))
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def to_sarif(
    findings: Sequence[Finding], version: str, rule_help: Mapping[str, str]
) -> dict[str, Any]:
    """A one-run SARIF log of the findings, in path/line order, with a rule for each rule id."""
    ordered = sorted(findings, key=Finding.sort_key)
    by_rule: dict[str, list[Finding]] = {}
    for finding in ordered:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    rule_ids = sorted(by_rule)
    rule_index = {rule_id: index for index, rule_id in enumerate(rule_ids)}
    # Equal keys (same rule, file and message) are told apart by order, as CodeQL's ":n" does.
    seen: Counter[str] = Counter()
    results = []
    for finding in ordered:
        key = _fingerprint_key(finding)
        seen[key] += 1
        location: dict[str, Any] = {"artifactLocation": _artifact(finding.path)}
        if finding.line:
            location["region"] = _region(finding)
        results.append(
            {
                "ruleId": finding.rule_id,
                "ruleIndex": rule_index[finding.rule_id],
                "level": _LEVEL[finding.severity],
                "message": {"text": finding.message or finding.rule_id},
                "locations": [{"physicalLocation": location}],
                "partialFingerprints": {"primaryLocationLineHash": f"{key}:{seen[key]}"},
                "properties": {"security-severity": _SECURITY_SEVERITY[finding.severity]},
            }
        )
    return {
        "$schema": SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "harden",
                        "version": version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(r, by_rule[r], rule_help) for r in rule_ids],
                    }
                },
                "results": results,
            }
        ],
    }

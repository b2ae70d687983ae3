"""harden's own JSON: Findings to and from dicts, the scan report, and reading reports back.

`harden scan --format json` writes `scan_report`; `harden apply --format json` writes an
apply report (render.json_report) whose rewrites carry the findings they fix, whose unfixed
entries carry one finding each, and whose ignored list holds the findings no codemod of the
phase handles. Both read back as Findings, so one run's output can feed the next. A severity
is written as its label ("high"). This module must never decide what goes into a report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from harden.changes import Skipped
from harden.findings.document import (
    FindingsError,
    object_list,
    objects,
    optional,
    required,
    severity,
)
from harden.findings.model import Finding
from harden.findings.paths import project_path

TOOL = "harden"


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "severity": finding.severity.label,
        "message": finding.message,
        "source": finding.source,
    }


def finding_from_dict(data: Mapping[str, Any], where: str = "finding") -> Finding:
    """The Finding a `finding_to_dict` dict describes; positions default to 0 (unknown)."""
    return Finding(
        rule_id=required(data, "rule_id", str, where),
        path=required(data, "path", str, where),
        line=required(data, "line", int, where),
        column=optional(data, "column", int, where, 0),
        end_line=optional(data, "end_line", int, where, 0),
        end_column=optional(data, "end_column", int, where, 0),
        severity=severity(required(data, "severity", str, where), where),
        message=optional(data, "message", str, where, ""),
        source=optional(data, "source", str, where, TOOL),
    )


def scan_report(
    findings: Sequence[Finding], skipped: Sequence[Skipped], version: str
) -> dict[str, Any]:
    """The `harden scan` JSON document, findings in path/line order."""
    return {
        "tool": TOOL,
        "version": version,
        "kind": "scan",
        "findings": [finding_to_dict(f) for f in sorted(findings, key=Finding.sort_key)],
        "skipped": [
            {"path": s.path, "reason": s.reason} for s in sorted(skipped, key=lambda s: s.path)
        ],
    }


def _finding_dicts(data: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str]]:
    kind = required(data, "kind", str, "harden JSON")
    if kind == "scan":
        items = required(data, "findings", list, "harden JSON")
        return [
            (f, f"harden JSON findings[{i}]")
            for i, f in enumerate(objects(items, "harden JSON findings"))
        ]
    if kind != "apply":
        raise FindingsError(f"harden JSON kind {kind!r} is neither 'scan' nor 'apply'")
    found = []
    for r, rewrite in enumerate(object_list(data, "rewrites", "harden JSON")):
        where = f"harden JSON rewrites[{r}]"
        fixes = object_list(rewrite, "fixes", where)
        found += [(f, f"{where}.fixes[{i}]") for i, f in enumerate(fixes)]
    for u, entry in enumerate(object_list(data, "unfixed", "harden JSON")):
        where = f"harden JSON unfixed[{u}]"
        found.append((required(entry, "finding", dict, where), f"{where}.finding"))
    ignored = object_list(data, "ignored", "harden JSON")
    found += [(f, f"harden JSON ignored[{i}]") for i, f in enumerate(ignored)]
    return found


def read_harden_json(data: dict[str, Any], root: Path) -> list[Finding]:
    """Every finding in a harden scan or apply report, paths normalised against root."""
    return [
        replace(finding, path=project_path(finding.path, root))
        for finding in (finding_from_dict(item, where) for item, where in _finding_dicts(data))
    ]

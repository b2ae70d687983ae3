"""Read Bandit's JSON report (`bandit -f json`) into Findings.

Bandit counts columns from 0 and reports the end column exclusive; Findings count from 1, so
both move by one (Bandit's own SARIF writer does the same). This module must never run Bandit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harden.findings.document import FindingsError, objects, optional, required, severity
from harden.findings.model import Finding
from harden.findings.paths import project_path


def read_bandit(data: dict[str, Any], root: Path) -> list[Finding]:
    """Findings from a Bandit JSON report's results."""
    findings = []
    results = required(data, "results", list, "Bandit JSON")
    for index, item in enumerate(objects(results, "Bandit JSON results")):
        where = f"Bandit JSON results[{index}]"
        line_range = optional(item, "line_range", list, where, [])
        if not all(isinstance(n, int) for n in line_range):
            raise FindingsError(f"{where}.line_range is not a list of integers")
        end_line = max(line_range, default=0)
        findings.append(
            Finding(
                rule_id=required(item, "test_id", str, where),
                path=project_path(required(item, "filename", str, where), root),
                line=required(item, "line_number", int, where),
                column=optional(item, "col_offset", int, where, -1) + 1,
                end_line=end_line,
                end_column=optional(item, "end_col_offset", int, where, -1) + 1 if end_line else 0,
                severity=severity(required(item, "issue_severity", str, where), where),
                message=optional(item, "issue_text", str, where, ""),
                source="bandit",
            )
        )
    return findings

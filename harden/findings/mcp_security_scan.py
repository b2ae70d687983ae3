"""Read mcp-security-scan's JSON report (`mcp-security-scan --format json`) into Findings.

The report (mcp-security-scan 1.1.0, cli.py `_result_to_dict`) is one object per scanned repo:
trust_score, error, counts, and findings[] of {category, name, severity, file_path,
line_number, snippet}. `name` is the pattern that matched, e.g. "os.system / os.popen (Python)"
in category "unsafe_exec"; it is the closest thing to a rule id the tool has. The scanner
matches lines, so there are no columns. This module must never run the scanner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harden.findings.document import FindingsError, objects, optional, required, severity
from harden.findings.model import Finding
from harden.findings.paths import project_path


def read_mcp_security_scan(data: dict[str, Any], root: Path) -> list[Finding]:
    """Findings from an mcp-security-scan JSON report."""
    error = optional(data, "error", str, "mcp-security-scan JSON", "")
    if error:
        # The scan stopped part-way; its findings list would pass for a clean bill of health.
        raise FindingsError(f"mcp-security-scan reported that its scan failed: {error[:200]}")
    findings = []
    items = required(data, "findings", list, "mcp-security-scan JSON")
    for index, item in enumerate(objects(items, "mcp-security-scan JSON findings")):
        where = f"mcp-security-scan JSON findings[{index}]"
        category = optional(item, "category", str, where, "")
        name = optional(item, "name", str, where, "") or category
        if not name:
            raise FindingsError(f"{where} has neither 'name' nor 'category'")
        findings.append(
            Finding(
                rule_id=name,
                path=project_path(required(item, "file_path", str, where), root),
                line=required(item, "line_number", int, where),
                severity=severity(required(item, "severity", str, where), where),
                message=f"{name} ({category})" if category and category != name else name,
                source="mcp-security-scan",
            )
        )
    return findings

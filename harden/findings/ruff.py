"""Read `ruff check --output-format json` output into Findings, and rate ruff's rules.

Ruff rates no rule: its JSON "severity" and its SARIF "level" are "error" for every violation,
so `ruff_severity` is the single place that decides how bad a ruff finding is, for both
formats. This module must never run ruff.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harden.findings.document import objects, optional, required
from harden.findings.model import Finding, Severity
from harden.findings.paths import project_path

# The flake8-bandit rules where a command string reaches a shell (Bandit rates its own
# B602/B604/B605/B609 high for the same reason). The other S rules — S603/S606/S607 without a
# shell, S608 SQL, hashes, temp files... — are real but narrower, so they stay MEDIUM.
_SHELL_INJECTION_RULES = frozenset({"S602", "S604", "S605", "S609"})


def ruff_severity(code: str) -> Severity:
    """How bad a ruff rule's violation is, since ruff itself does not say."""
    return Severity.HIGH if code in _SHELL_INJECTION_RULES else Severity.MEDIUM


def _position(obj: Mapping[str, Any], key: str, where: str) -> tuple[int, int]:
    position = optional(obj, key, dict, where, {})
    return (
        optional(position, "row", int, f"{where}.{key}", 0),
        optional(position, "column", int, f"{where}.{key}", 0),
    )


def read_ruff(data: list[Any], root: Path) -> list[Finding]:
    """Findings from ruff's JSON list of violations; columns are already 1-based."""
    findings = []
    for index, item in enumerate(objects(data, "ruff JSON")):
        where = f"ruff JSON [{index}]"
        code = optional(item, "code", str, where, "")
        if not code:  # syntax errors carry no rule code: nothing a codemod could act on
            continue
        line, column = _position(item, "location", where)
        end_line, end_column = _position(item, "end_location", where)
        findings.append(
            Finding(
                rule_id=code,
                path=project_path(required(item, "filename", str, where), root),
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                severity=ruff_severity(code),
                message=optional(item, "message", str, where, ""),
                source="ruff",
            )
        )
    return findings

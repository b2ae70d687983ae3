"""The Finding: one place in the code that a scanner reported, harden's own scanner or another.

Every reader turns its format into Findings and nothing else; every later stage (plan, engine,
output) sees only Findings, never a scanner's format. A Finding is immutable.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so that `--fail-on` can compare levels."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Read a severity as scanners spell it ('HIGH', 'error', 'warning', 'note', 'critical')."""
        word = text.strip().lower()
        if word in ("critical", "high", "error"):
            return cls.HIGH
        if word in ("medium", "moderate", "warning"):
            return cls.MEDIUM
        if word in ("low", "note", "info", "none", "undefined"):
            return cls.LOW
        raise ValueError(f"unknown severity {text!r}")


@dataclass(frozen=True, slots=True)
class Finding:
    """One reported place. Lines and columns are 1-based; 0 means the source did not say."""

    rule_id: str
    path: str  # POSIX path relative to the project root (absolute only if outside it)
    line: int
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    severity: Severity = Severity.MEDIUM
    message: str = ""
    source: str = "harden"  # the tool that reported it: harden, bandit, semgrep, codeql, ruff, ...

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" + (f":{self.column}" if self.column else "")

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.rule_id)

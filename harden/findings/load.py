"""Load a findings file: read it, recognise its format from its content, hand it to its reader.

The format is told by the document's shape, never by the file's name, so `report.json` from any
supported scanner works. Every failure — unreadable file, malformed JSON, unknown or malformed
document — is a FindingsError whose text is one line naming the file. This module must never
interpret a format's fields itself; the readers do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harden.findings.bandit import read_bandit
from harden.findings.document import FindingsError
from harden.findings.harden_json import TOOL, read_harden_json
from harden.findings.mcp_security_scan import read_mcp_security_scan
from harden.findings.model import Finding
from harden.findings.ruff import read_ruff
from harden.findings.sarif import read_sarif

__all__ = ["FindingsError", "detect_format", "load_findings", "read_findings"]

_READERS: dict[str, Callable[[Any, Path], list[Finding]]] = {
    "bandit": read_bandit,
    "sarif": read_sarif,
    "ruff": read_ruff,
    "mcp-security-scan": read_mcp_security_scan,
    "harden": read_harden_json,
}

UNKNOWN = (
    "not a findings file harden can read (expected Bandit JSON, SARIF 2.1.0, ruff JSON, "
    "mcp-security-scan JSON or harden JSON)"
)


def _is_ruff_violation(item: object) -> bool:
    return isinstance(item, dict) and {"code", "filename", "location"} <= item.keys()


def detect_format(data: object) -> str:
    """The format of a parsed findings document: one of the keys readers are registered under."""
    if isinstance(data, list):
        # ruff writes a bare array, "[]" when it finds nothing.
        if all(_is_ruff_violation(item) for item in data):
            return "ruff"
    elif isinstance(data, dict):
        if "runs" in data and "version" in data:
            return "sarif"
        if data.get("tool") == TOOL:
            return "harden"
        results = data.get("results")
        if "metrics" in data and "results" in data:
            return "bandit"
        if isinstance(results, list) and results and all(_is_bandit_result(r) for r in results):
            return "bandit"
        findings = data.get("findings")
        if "trust_score" in data or (
            isinstance(findings, list)
            and any(isinstance(f, dict) and "file_path" in f for f in findings)
        ):
            return "mcp-security-scan"
    raise FindingsError(UNKNOWN)


def _parse(path: Path) -> object:
    try:
        text = path.read_bytes().decode("utf-8-sig")  # PowerShell and some editors write a BOM
    except OSError as error:
        raise FindingsError(f"{path}: cannot read it ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise FindingsError(f"{path}: not UTF-8 text (bad byte at offset {error.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise FindingsError(
            f"{path}: malformed JSON at line {error.lineno}, column {error.colno} ({error.msg})"
        ) from None
    except RecursionError:
        raise FindingsError(f"{path}: nested too deeply to be a scanner's report") from None


def read_findings(data: object, root: Path) -> list[Finding]:
    """The findings in a parsed document of any supported format, with paths relative to root."""
    return _READERS[detect_format(data)](data, root)


def load_findings(path: Path, root: Path) -> list[Finding]:
    """The findings in a file of any supported format, with paths relative to root."""
    data = _parse(path)
    try:
        return read_findings(data, root)
    except FindingsError as error:
        raise FindingsError(f"{path}: {error}") from None


def _is_bandit_result(item: object) -> bool:
    """A trimmed Bandit report may lack `metrics`; its results still carry test ids."""
    return isinstance(item, dict) and "test_id" in item and "line_number" in item

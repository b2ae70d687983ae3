"""A baseline, like Bandit's: the findings an earlier `harden scan --format json` recorded, so
that a scan reports only the new ones.

A finding is matched by rule, file and a fingerprint of the code on its line (whitespace-
insensitive), not by line number, so lines added or removed above it do not bring it back. The
same code can hold the same finding more than once: each baseline entry suppresses one finding.
This module must never read files itself; the caller passes the texts it scanned.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from harden.findings.document import FindingsError, objects, required
from harden.findings.model import Finding

Key = tuple[str, str, str]  # rule id, path, fingerprint


def fingerprint(finding: Finding, texts: Mapping[str, str]) -> str:
    """A short hash of the finding's first line of code with its whitespace removed."""
    lines = texts.get(finding.path, "").split("\n")
    code = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
    return hashlib.sha256("".join(code.split()).encode()).hexdigest()[:16]


def baseline_keys(document: Mapping[str, Any]) -> Counter[Key]:
    """The (rule, path, fingerprint) of every finding in a `harden scan --format json` report."""
    if document.get("kind") != "scan":
        raise FindingsError("a baseline is the JSON of `harden scan --format json`")
    items = objects(required(document, "findings", list, "baseline"), "baseline findings")
    return Counter(
        (
            required(item, "rule_id", str, f"baseline findings[{i}]"),
            required(item, "path", str, f"baseline findings[{i}]"),
            required(item, "fingerprint", str, f"baseline findings[{i}]"),
        )
        for i, item in enumerate(items)
    )


def new_findings(
    findings: Sequence[Finding], baseline: Counter[Key], texts: Mapping[str, str]
) -> list[Finding]:
    """The findings the baseline does not account for, in their sort order."""
    left = Counter(baseline)
    new = []
    for finding in sorted(findings, key=Finding.sort_key):
        key = (finding.rule_id, finding.path, fingerprint(finding, texts))
        if left[key] > 0:
            left[key] -= 1
        else:
            new.append(finding)
    return new

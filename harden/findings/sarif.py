"""Read SARIF 2.1.0 logs (Bandit, Semgrep, CodeQL, ruff, any conforming tool) into Findings.

Tools differ in what they leave out: Semgrep writes no ruleIndex and no result level, CodeQL
keeps its rules in tool.extensions and refers to them by index, ruff absolute file:// URIs,
Bandit percent-encoded relative ones. A result is reported at its first location (as GitHub
does); one with no physical location and start line is skipped, not an error. Columns are
stored as given (SARIF columns are 1-based, endColumn exclusive). This module must never
run a scanner or write SARIF.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from harden.findings.document import (
    FindingsError,
    as_object,
    object_list,
    objects,
    optional,
    required,
    severity,
)
from harden.findings.model import Finding, Severity
from harden.findings.paths import path_from_uri, project_path
from harden.findings.ruff import ruff_severity

SARIF_VERSION = "2.1.0"

# SARIF result kinds that say "this is not a problem".
_NOT_PROBLEMS = frozenset({"pass", "notApplicable", "informational"})

_Object = Mapping[str, Any]


@dataclass(frozen=True)
class _Run:
    """What a run's results refer to: the tool, its rules, its URI base ids."""

    source: str
    components: list[list[_Object]]  # rules of the driver, then of each extension
    bases: Mapping[str, _Object]
    where: str

    def rule(self, result: _Object, rule_id: str, where: str) -> _Object:
        """The reportingDescriptor a result refers to, by index when it has one, else by id."""
        reference = _reference(result, where)
        component = optional(reference, "toolComponent", dict, f"{where}.rule", {})
        extension = optional(component, "index", int, f"{where}.rule.toolComponent", -1)
        index = optional(reference, "index", int, f"{where}.rule", -1)
        if index < 0:
            index = optional(result, "ruleIndex", int, where, -1)
        if 0 <= extension + 1 < len(self.components):
            rules = self.components[extension + 1]
            if 0 <= index < len(rules) and rule_id in ("", rules[index].get("id")):
                return rules[index]
        for rules in self.components:
            for rule in rules:
                if rule_id and rule.get("id") == rule_id:
                    return rule
        return {}

    def uri(self, location: _Object, where: str) -> str:
        """The location's URI with its uriBaseId chain (run.originalUriBaseIds) applied."""
        uri = required(location, "uri", str, where)
        base_id = optional(location, "uriBaseId", str, where, "")
        seen: set[str] = set()
        while base_id in self.bases and not (urlsplit(uri).scheme or uri.startswith("/")):
            if base_id in seen:
                raise FindingsError(
                    f"{self.where}.originalUriBaseIds: {base_id!r} refers to itself"
                )
            seen.add(base_id)
            base = self.bases[base_id]
            where_base = f"{self.where}.originalUriBaseIds.{base_id}"
            prefix = optional(base, "uri", str, where_base, "")
            if prefix:
                uri = urljoin(prefix if prefix.endswith("/") else f"{prefix}/", uri)
            base_id = optional(base, "uriBaseId", str, where_base, "")
        return uri


def _reference(result: _Object, where: str) -> _Object:
    return optional(result, "rule", dict, where, {})


def _source(driver: _Object, where: str) -> str:
    # Drivers name themselves "CodeQL", "Semgrep OSS", "Bandit", "ruff": the first word is the tool.
    words = required(driver, "name", str, where).split()
    if not words:
        raise FindingsError(f"{where}.name is empty")
    return words[0].lower()


def _read_run(run: _Object, where: str) -> _Run:
    tool = required(run, "tool", dict, where)
    driver = required(tool, "driver", dict, f"{where}.tool")
    extensions = object_list(tool, "extensions", f"{where}.tool")
    named = [("driver", driver), *((f"extensions[{i}]", e) for i, e in enumerate(extensions))]
    components = [object_list(c, "rules", f"{where}.tool.{name}") for name, c in named]
    bases = optional(run, "originalUriBaseIds", dict, where, {})
    checked = {
        key: as_object(value, f"{where}.originalUriBaseIds.{key}") for key, value in bases.items()
    }
    return _Run(_source(driver, f"{where}.tool.driver"), components, checked, where)


def _score_severity(descriptor: _Object) -> Severity | None:
    """Severity from a security-severity score in a property bag, read the way GitHub reads it."""
    properties = descriptor.get("properties")
    score = properties.get("security-severity") if isinstance(properties, Mapping) else None
    if not isinstance(score, str | int | float):
        return None
    try:
        value = float(score)
    except ValueError:
        return None
    if not 0.0 < value <= 10.0:  # GitHub: any other value means "no security severity"
        return None
    if value >= 7.0:
        return Severity.HIGH
    return Severity.MEDIUM if value >= 4.0 else Severity.LOW


def _severity(run: _Run, rule_id: str, rule: _Object, result: _Object, where: str) -> Severity:
    if run.source == "ruff":
        return ruff_severity(rule_id)
    # GitHub reads the score from the rule; harden also writes it on each result, because one
    # rule's findings need not share a severity.
    scored = _score_severity(result) or _score_severity(rule)
    if scored is not None:
        return scored
    level = optional(result, "level", str, where, "")
    if not level:
        configuration = rule.get("defaultConfiguration")
        if isinstance(configuration, Mapping):
            level = optional(
                configuration, "level", str, f"{where}: its rule's defaultConfiguration", ""
            )
    return severity(level or "warning", where)


def _suppressed(result: _Object, where: str) -> bool:
    suppressions = object_list(result, "suppressions", where)
    return any(s.get("status", "accepted") == "accepted" for s in suppressions)


def _message(result: _Object, rule: _Object, rule_id: str, where: str) -> str:
    message = optional(result, "message", dict, where, {})
    text = optional(message, "text", str, f"{where}.message", "")
    if text:
        return text
    short = rule.get("shortDescription")
    if isinstance(short, Mapping) and isinstance(short.get("text"), str):
        return short["text"]
    return rule_id


def _read_result(run: _Run, result: _Object, root: Path, where: str) -> Finding | None:
    if optional(result, "kind", str, where, "fail") in _NOT_PROBLEMS or _suppressed(result, where):
        return None
    locations = object_list(result, "locations", where)
    if not locations:
        return None
    physical = locations[0].get("physicalLocation")
    if not isinstance(physical, Mapping):
        return None
    where_physical = f"{where}.locations[0].physicalLocation"
    region = optional(physical, "region", dict, where_physical, {})
    line = optional(region, "startLine", int, f"{where_physical}.region", 0)
    artifact = optional(physical, "artifactLocation", dict, where_physical, {})
    if not line or "uri" not in artifact:
        return None
    path = path_from_uri(run.uri(artifact, f"{where_physical}.artifactLocation"))
    if path is None:
        return None
    named = optional(result, "ruleId", str, where, "") or optional(
        _reference(result, where), "id", str, f"{where}.rule", ""
    )
    rule = run.rule(result, named, where)
    rule_id = named or optional(rule, "id", str, f"{where} rule", "")
    if not rule_id:
        raise FindingsError(f"{where} names no rule (no ruleId, rule.id or rule index)")
    end_column = optional(region, "endColumn", int, f"{where_physical}.region", 0)
    # SARIF: an absent endLine means the region ends on its start line.
    end_line = optional(
        region, "endLine", int, f"{where_physical}.region", line if end_column else 0
    )
    return Finding(
        rule_id=rule_id,
        path=project_path(path, root),
        line=line,
        column=optional(region, "startColumn", int, f"{where_physical}.region", 0),
        end_line=end_line,
        end_column=end_column,
        severity=_severity(run, rule_id, rule, result, where),
        message=_message(result, rule, rule_id, where),
        source=run.source,
    )


def read_sarif(data: dict[str, Any], root: Path) -> list[Finding]:
    """Findings from every run of a SARIF 2.1.0 log."""
    version = optional(data, "version", str, "SARIF log", "")
    if version != SARIF_VERSION:
        raise FindingsError(
            f"SARIF version {version!r} is not supported (harden reads {SARIF_VERSION})"
        )
    findings = []
    for run_index, run_data in enumerate(
        objects(required(data, "runs", list, "SARIF log"), "SARIF runs")
    ):
        where = f"SARIF runs[{run_index}]"
        run = _read_run(run_data, where)
        for index, result in enumerate(object_list(run_data, "results", where)):
            finding = _read_result(run, result, root, f"{where}.results[{index}]")
            if finding is not None:
                findings.append(finding)
    return findings

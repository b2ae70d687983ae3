"""Per control, whether the logs say its enforcement switch can be flipped, and what to change.

A control is ready when the logs cover its observation window (the phase's `watch_days`) and
hold none of its warn-only events; it needs review when they hold some (each listed with its
callers and the smallest [tool.harden] change that would exempt it); otherwise there is not
enough data. Coverage comes from the logs' own timestamps, never from the clock, so a verdict
depends only on the lines read. It judges counters only and must never see a logged value.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from harden.logs.stats import LogStats, Occurrences
from harden.phases import PHASES

READY = "ready to enforce"
REVIEW = "review"
NOT_ENOUGH = "not enough data"
DAY = 86_400.0
RPM_HEADROOM = 3  # the suggested limit is this many times the p95 per-caller minute

# rule -> the [tool.harden.validate] key whose entry exempts it; a placeholder stands for what
# the logs cannot say (the runtime never logs the path or the host).
_EXEMPTIONS = {
    "path_outside_roots": ("allowed_roots", "<directory the {tool} calls use>"),
    "ssrf": ("allowed_hosts", "<host the {tool} calls reach>"),
}


@dataclass(frozen=True)
class Control:
    name: str  # what --check takes
    phase: int
    switch: str
    event: str
    also: str = ""  # a second event the control watches

    @property
    def events(self) -> tuple[str, ...]:
        return (self.event, self.also) if self.also else (self.event,)

    @property
    def window_days(self) -> int:
        return PHASES[self.phase].watch_days or 0


CONTROLS = (
    Control("validation", 2, "ENFORCE_VALIDATION", "VALIDATION_WOULD_REJECT"),
    Control("rate-limit", 3, "ENFORCE_RATE_LIMITS", "RATE_LIMIT_WOULD_THROTTLE"),
    Control("auth", 4, "AUTH_MODE=enforce", "AUTH_WOULD_REJECT"),
    Control("shell-free", 5, "ENFORCE_SHELL_FREE", "CMD_VALUE_SPLIT", "CMD_SHELL_FEATURE_DETECTED"),
    Control("secret-masking", 5, "ENFORCE_SECRET_MASKING", "SECRET_WOULD_REDACT"),
    Control("permissions", 6, "ENFORCE_PERMISSIONS", "PERMISSION_WOULD_DENY"),
)
CONTROL_NAMES = tuple(control.name for control in CONTROLS)


@dataclass(frozen=True)
class Exemption:
    """The [tool.harden.<table>] entry that would stop a pattern of events."""

    table: str
    key: str
    value: str | int

    @property
    def toml(self) -> str:
        return _toml(
            {self.table: {self.key: self.value if isinstance(self.value, int) else [self.value]}}
        )


@dataclass(frozen=True)
class Finding:
    """One pattern of warn-only events: where, how often, from whom, and its exemption."""

    tool: str | None
    what: str  # "path_traversal on path", "over the limit", "site server:42"
    count: int
    callers: dict[str, int]
    first: float
    last: float
    exemption: Exemption | None


@dataclass(frozen=True)
class Verdict:
    control: Control
    verdict: str
    reason: str
    covered_days: float
    findings: list[Finding] = field(default_factory=list)
    snippet: str = ""  # every exemption as one [tool.harden] TOML document

    @property
    def ready(self) -> bool:
        return self.verdict == READY


def suggested_rpm(stats: LogStats) -> int | None:
    """RATE_LIMIT_RPM for these logs: RPM_HEADROOM times the busiest tool's p95 of calls one
    caller made in a minute (the limit is one number for every tool). None with no calls."""
    busiest = max((tool.p95_per_minute for tool in stats.tools.values()), default=0)
    return RPM_HEADROOM * busiest if busiest else None


def verdicts(stats: LogStats) -> list[Verdict]:
    return [_verdict(control, stats) for control in CONTROLS]


def _verdict(control: Control, stats: LogStats) -> Verdict:
    if control.name == "shell-free":
        # words() runs outside tool calls too: any line shows the runtime was running.
        span = stats.last - stats.first
        findings = [_occurred(None, f"site {site}", o, None) for site, o in _sorted(stats)]
        findings += [
            _occurred(tool or None, f"{feature} needs /bin/sh", o, None)
            for (tool, feature), o in sorted(
                stats.shell_features.items(), key=lambda item: (-item[1].count, item[0])
            )
        ]
    else:
        span = stats.last_call - stats.first_call
        findings = _FINDINGS[control.name](stats)
    covered = max(span, 0.0) / DAY if math.isfinite(span) else 0.0
    window = control.window_days
    snippet = _snippet(findings)
    if findings:
        total = sum(finding.count for finding in findings)
        events = " or ".join(dict.fromkeys(control.events))
        reason = f"{total} {events} line(s) in {covered:.1f} days"
        return Verdict(control, REVIEW, reason, covered, findings, snippet)
    if not math.isfinite(span) or (control.name != "shell-free" and not stats.tools):
        return Verdict(control, NOT_ENOUGH, "no tool was called in these logs", 0.0)
    if control.name == "permissions" and not any(t.observed_calls for t in stats.tools.values()):
        reason = "no tool_call line records its uses (the runtime's audit hook came in phase 6)"
        return Verdict(control, NOT_ENOUGH, reason, covered)
    if covered < window:
        reason = f"the logs cover {covered:.1f} of the {window} days to watch"
        return Verdict(control, NOT_ENOUGH, reason, covered)
    reason = f"no {' or '.join(control.events)} line in {covered:.1f} days (window {window})"
    return Verdict(control, READY, reason, covered)


def _sorted(stats: LogStats) -> list[tuple[str, Occurrences]]:
    return sorted(stats.value_splits.items(), key=lambda item: (-item[1].count, item[0]))


def _validation_findings(stats: LogStats) -> list[Finding]:
    found = []
    for name, tool in sorted(stats.tools.items()):
        for (rule, param), occurrences in sorted(tool.would_reject.items()):
            key, value = _EXEMPTIONS.get(rule, ("skip_params", f"{name}:{param}"))
            exemption = Exemption("validate", key, value.format(tool=name))
            found.append(_occurred(name, f"{rule} on {param}", occurrences, exemption))
    return found


def _rate_findings(stats: LogStats) -> list[Finding]:
    rpm = suggested_rpm(stats)
    found = []
    for name, tool in sorted(stats.tools.items()):
        if tool.would_throttle.count:
            # Enough for this tool's busiest caller-minute: a lower limit would throttle it again.
            needed = max(rpm or 0, tool.peak_per_minute + 1)
            exemption = Exemption("rate_limit", "rpm", needed)
            found.append(_occurred(name, "over the limit", tool.would_throttle, exemption))
    return found


def _auth_findings(stats: LogStats) -> list[Finding]:
    # No exemption: what stops these is giving the callers a token, not a setting.
    return [
        _occurred(name, f"{reason} token", occurrences, None)
        for name, tool in sorted(stats.tools.items())
        for reason, occurrences in sorted(tool.auth_would_reject.items())
    ]


def _secret_findings(stats: LogStats) -> list[Finding]:
    # No exemption: a secret in a result is for the tool's author to remove; a value that is no
    # secret goes in HARDEN_SECRET_ALLOW, where the deployment sets it.
    return [
        _occurred(name, f"value of {variable}" if kind == "env" else kind, occurrences, None)
        for name, tool in sorted(stats.tools.items())
        for (kind, variable), occurrences in sorted(tool.secret_would_redact.items())
    ]


def _permission_findings(stats: LogStats) -> list[Finding]:
    # No exemption: a use the policy lacks goes in the tool's @permissions(uses=...), where it
    # is reviewed with the code, or in HARDEN_ALLOWED_PROGRAMS / HARDEN_ALLOWED_EGRESS.
    return [
        _occurred(name, capability, occurrences, None)
        for name, tool in sorted(stats.tools.items())
        for capability, occurrences in sorted(tool.permission_would_deny.items())
    ]


_FINDINGS = {
    "validation": _validation_findings,
    "rate-limit": _rate_findings,
    "auth": _auth_findings,
    "secret-masking": _secret_findings,
    "permissions": _permission_findings,
}


def _occurred(
    tool: str | None, what: str, occurrences: Occurrences, exemption: Exemption | None
) -> Finding:
    callers = dict(occurrences.callers.most_common())
    return Finding(
        tool, what, occurrences.count, callers, occurrences.first, occurrences.last, exemption
    )


def _snippet(findings: list[Finding]) -> str:
    tables: dict[str, dict[str, list[str] | int]] = {}
    for finding in findings:
        exemption = finding.exemption
        if exemption is None:
            continue
        table = tables.setdefault(exemption.table, {})
        value, before = exemption.value, table.get(exemption.key)
        if isinstance(value, int):
            table[exemption.key] = max(value, before if isinstance(before, int) else 0)
        elif isinstance(before, list):
            if value not in before:
                before.append(value)
        else:
            table[exemption.key] = [value]
    return _toml(tables) if tables else ""


def _toml(tables: dict[str, dict[str, list[str] | int]]) -> str:
    lines = []
    for table, values in tables.items():
        lines.append(f"[tool.harden.{table}]")
        for key, value in values.items():
            # JSON strings are valid TOML basic strings.
            text = str(value) if isinstance(value, int) else json.dumps(value)
            lines.append(f"{key} = {text}")
    return "\n".join(lines) + "\n"

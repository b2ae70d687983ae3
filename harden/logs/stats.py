"""Fold a stream of harden log records into per-tool counters, in bounded memory.

Memory grows with the number of distinct tools, callers, rules, command sites and days, never
with the number of lines: durations go into a log-scale histogram (percentiles within 2%), calls
per minute into a histogram of counts, and each (tool, caller) keeps only its current minute.
It must never keep a line, nor any field but the ones it counts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harden.logs.read import Event

WOULD_REJECT = "VALIDATION_WOULD_REJECT"
REJECTED = "VALIDATION_REJECTED"
WOULD_THROTTLE = "RATE_LIMIT_WOULD_THROTTLE"
THROTTLED = "RATE_LIMIT_ENFORCED"
VALUE_SPLIT = "CMD_VALUE_SPLIT"
SHELL_FEATURE = "CMD_SHELL_FEATURE_DETECTED"
TOOL_CALL = "tool_call"
_RATIO = 1.02  # neighbouring duration buckets differ by 2%


class DurationHistogram:
    """Durations (ms) in buckets growing by 2%: percentiles within 2% from a few hundred ints."""

    def __init__(self) -> None:
        self.buckets: Counter[int] = Counter()
        self.count = 0

    def add(self, value: float) -> None:
        # Durations under a microsecond share the lowest bucket: below the clock's resolution.
        self.buckets[math.floor(math.log(max(value, 0.001), _RATIO))] += 1
        self.count += 1

    def percentile(self, q: float) -> float | None:
        bucket = _nearest_rank(self.buckets, self.count, q)
        # The middle of the bucket, so the error is at most half its width either way.
        return None if bucket is None else round(_RATIO ** (bucket + 0.5), 3)


def _nearest_rank(counts: Counter[int], total: int, q: float) -> int | None:
    """The smallest key with at least q% of the total at or below it."""
    if total == 0:
        return None
    rank = max(1, math.ceil(q / 100 * total))
    seen = 0
    for key in sorted(counts):
        seen += counts[key]
        if seen >= rank:
            return key
    return None


@dataclass
class Occurrences:
    """How often something happened, to whom, and when first and last."""

    count: int = 0
    callers: Counter[str] = field(default_factory=Counter)
    first: float = math.inf
    last: float = -math.inf

    def add(self, when: float, caller: str) -> None:
        self.count += 1
        self.callers[caller] += 1
        self.first = min(self.first, when)
        self.last = max(self.last, when)


@dataclass
class ToolStats:
    calls: int = 0
    errors: int = 0
    callers: set[str] = field(default_factory=set)
    durations: DurationHistogram = field(default_factory=DurationHistogram)
    # How many calls one caller made in one calendar minute (UTC), over every busy minute.
    per_minute: Counter[int] = field(default_factory=Counter)
    open_minutes: dict[str, list[int]] = field(default_factory=dict)  # caller -> [minute, calls]
    first: float = math.inf
    last: float = -math.inf
    would_reject: dict[tuple[str, str], Occurrences] = field(default_factory=dict)  # rule, param
    rejected: int = 0
    would_throttle: Occurrences = field(default_factory=Occurrences)
    throttled: int = 0
    # Per UTC day (days since the epoch): calls, and warn-only events (would reject or throttle)
    calls_by_day: Counter[int] = field(default_factory=Counter)
    warnings_by_day: Counter[int] = field(default_factory=Counter)

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0

    @property
    def peak_per_minute(self) -> int:
        return max(self.per_minute, default=0)

    @property
    def p95_per_minute(self) -> int:
        return _nearest_rank(self.per_minute, self.per_minute.total(), 95) or 0

    def count_call(self, when: float, caller: str) -> None:
        minute = int(when // 60)
        current = self.open_minutes.get(caller)
        if current is not None and current[0] == minute:
            current[1] += 1
            return
        # Lines arrive in time order (read_events merges files), so a caller's earlier minute is
        # complete once a later one starts.
        if current is not None:
            self.per_minute[current[1]] += 1
        self.open_minutes[caller] = [minute, 1]

    def close_minutes(self) -> None:
        for _, calls in self.open_minutes.values():
            self.per_minute[calls] += 1
        self.open_minutes.clear()


@dataclass
class LogStats:
    tools: dict[str, ToolStats] = field(default_factory=dict)
    value_splits: dict[str, Occurrences] = field(default_factory=dict)  # site -> occurrences
    # (tool, or "" outside a tool call; feature) -> occurrences of a command needing /bin/sh
    shell_features: dict[tuple[str, str], Occurrences] = field(default_factory=dict)
    first: float = math.inf  # of any harden line in the window
    last: float = -math.inf
    first_call: float = math.inf  # of tool calls: the span validation and rate limits watched
    last_call: float = -math.inf
    events: int = 0
    oldest_version: int | None = None

    def tool(self, name: str) -> ToolStats:
        stats = self.tools.get(name)
        if stats is None:
            stats = self.tools[name] = ToolStats()
        return stats


def aggregate(
    events: Iterable[Event], since: float | None = None, until: float | None = None
) -> LogStats:
    """Counters for the events with since <= time < until."""
    stats = LogStats()
    low = -math.inf if since is None else since
    high = math.inf if until is None else until
    for when, record in events:
        if not low <= when < high:
            continue
        _count(stats, when, record)
    for tool in stats.tools.values():
        tool.close_minutes()
    return stats


def _count(stats: LogStats, when: float, record: dict[str, Any]) -> None:
    stats.events += 1
    stats.first = min(stats.first, when)
    stats.last = max(stats.last, when)
    version = record.get("v", 0)
    if isinstance(version, int) and (
        stats.oldest_version is None or version < stats.oldest_version
    ):
        stats.oldest_version = version
    event = record["event"]
    caller = str(record.get("caller", "unknown"))
    if event == VALUE_SPLIT:
        site = str(record.get("site", "unknown"))
        stats.value_splits.setdefault(site, Occurrences()).add(when, caller)
        return
    if event == SHELL_FEATURE:
        tool_name = record.get("tool")
        features = record.get("features")
        for feature in features if isinstance(features, list) and features else ["unknown"]:
            key = (tool_name if isinstance(tool_name, str) else "", str(feature))
            stats.shell_features.setdefault(key, Occurrences()).add(when, caller)
        return
    name = record.get("tool")
    if not isinstance(name, str):
        return
    tool = stats.tool(name)
    tool.first = min(tool.first, when)
    tool.last = max(tool.last, when)
    day = int(when // 86400)
    if event == TOOL_CALL:
        tool.calls_by_day[day] += 1
        stats.first_call = min(stats.first_call, when)
        stats.last_call = max(stats.last_call, when)
        tool.calls += 1
        tool.errors += record.get("isError") is True
        tool.callers.add(caller)
        duration = record.get("duration_ms")
        if isinstance(duration, (int, float)):
            tool.durations.add(duration)
        tool.count_call(when, caller)
    elif event == WOULD_REJECT:
        tool.warnings_by_day[day] += 1
        key = (str(record.get("rule", "unknown")), str(record.get("param", "unknown")))
        tool.would_reject.setdefault(key, Occurrences()).add(when, caller)
    elif event == REJECTED:
        tool.rejected += 1
    elif event == WOULD_THROTTLE:
        tool.warnings_by_day[day] += 1
        tool.would_throttle.add(when, caller)
    elif event == THROTTLED:
        tool.throttled += 1

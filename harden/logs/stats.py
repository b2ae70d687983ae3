"""What `harden report` knows of the logs: per-tool counters, filled by the report's queries
(query.py), read by the verdicts and the renderers.

Its size grows with the number of distinct tools, callers, rules, command sites and days,
never with the number of lines: durations are a log-scale histogram (percentiles within 2%),
calls per minute a histogram of counts. It never holds a line, nor any field but the ones it
counts.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

_RATIO = 1.02  # neighbouring duration buckets differ by 2% (query.py counts them)


class DurationHistogram:
    """Durations (ms) in buckets growing by 2%: percentiles within 2% from a few hundred ints."""

    def __init__(self) -> None:
        self.buckets: Counter[int] = Counter()
        self.count = 0

    def add_bucket(self, bucket: int, count: int) -> None:
        """`count` durations whose log to base 1.02 rounds down to `bucket`."""
        self.buckets[bucket] += count
        self.count += count

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

    def add(self, caller: str, count: int, first: float, last: float) -> None:
        """`count` occurrences from `caller`, the first and last at these times."""
        self.count += count
        self.callers[caller] += count
        self.first = min(self.first, first)
        self.last = max(self.last, last)


@dataclass
class ToolStats:
    calls: int = 0
    errors: int = 0
    callers: set[str] = field(default_factory=set)
    durations: DurationHistogram = field(default_factory=DurationHistogram)
    # How many calls one caller made in one calendar minute (UTC), over every busy minute.
    per_minute: Counter[int] = field(default_factory=Counter)
    first: float = math.inf
    last: float = -math.inf
    would_reject: dict[tuple[str, str], Occurrences] = field(default_factory=dict)  # rule, param
    rejected: int = 0
    would_throttle: Occurrences = field(default_factory=Occurrences)
    throttled: int = 0
    auth_would_reject: dict[str, Occurrences] = field(default_factory=dict)  # by reason
    # Results that carried a secret, by (kind, variable name or "unknown")
    secret_would_redact: dict[tuple[str, str], Occurrences] = field(default_factory=dict)
    # What the calls did (phase 6): the calls whose line records uses, and per use the calls
    # that did it; uses outside the tool's policy, by capability.
    observed_calls: int = 0
    uses: Counter[str] = field(default_factory=Counter)
    permission_would_deny: dict[str, Occurrences] = field(default_factory=dict)
    permission_denied: dict[str, Occurrences] = field(default_factory=dict)  # enforced
    # Per UTC day (days since the epoch): calls, and warn-only events (would reject, throttle,
    # refuse the caller's token, redact a secret or deny a use)
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

"""The named normalisation rules that make volatile text in call results comparable.

Each rule rewrites the parts of a string that differ from run to run (a harden error ref, a
timestamp, the random part of a temporary path, a duration) into a fixed placeholder, on both
sides of a comparison, so that only what a client could rely on is compared. A rule hides a
difference, so each hides as little as it can: a timestamp keeps its UTC offset (`Z`,
`+02:00`), a temporary path keeps everything but the temporary directory and the names a
temp-name generator made (a file name stays). `duration` is off unless asked for (`--normalise
duration`): `retry in 5 s` against `500 s` is a real difference as often as `took 0.52s` is
noise. A user switches each rule on or off by name. This module must never touch listings (they
are compared exactly) nor decide what a difference means: it only rewrites strings.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# The text phase 5 puts where an exception's text was (harden/runtime.py, error_ref()).
REF_PATTERN = re.compile(r"internal error \(ref ([0-9a-f]{12})\)")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    description: str
    pattern: re.Pattern[str]
    placeholder: str | Callable[[re.Match[str]], str]
    default: bool = True  # False: applied only when switched on by name

    def apply(self, text: str) -> str:
        return self.pattern.sub(self.placeholder, text)


def _temp_roots() -> str:
    roots = {tempfile.gettempdir(), "/tmp", "/var/tmp"}
    # Longest first: /tmp/xyz as the temp dir must win over /tmp.
    return "|".join(re.escape(root.rstrip("/")) for root in sorted(roots, key=len, reverse=True))


_PATH_END = r"\s'\"`,;:)\]}"  # characters that end a path written in a text
# A temporary directory (macOS's per-user one under /var/folders included), not part of a
# longer name (/home/me/tmp, /tmpl); the path below it, if any.
_TEMP_PATH = re.compile(
    rf"(?<![\w.~/-])(?:{_temp_roots()}|/(?:private/)?var/folders/[^/{_PATH_END}]+/"
    rf"[^/{_PATH_END}]+/[TC])(?![^/{_PATH_END}])(?P<below>/[^{_PATH_END}]*)?"
)
# pytest's base temporary directories, one per user and run: /tmp/pytest-of-me/pytest-12.
_PYTEST_BASE = re.compile(r"/pytest-of-[^/]+(?:/pytest-(?:\d+|current))?")
# What Python's tempfile puts between a name's prefix (`tmp`, or one ending in -, _ or .) and
# its suffix: 8 characters of [a-z0-9_].
_RANDOM_NAME = re.compile(r"(?:(?<=/tmp)|(?<=[-_.]))[a-z0-9_]{8}(?=[./]|$)")


def _temp_path(match: re.Match[str]) -> str:
    below = match["below"] or ""
    pytest_base = _PYTEST_BASE.match(below)
    if pytest_base:
        below = below[pytest_base.end() :]
    return "<tmp>" + _RANDOM_NAME.sub("<random>", below)


RULES: tuple[Rule, ...] = (
    Rule(
        "error-ref",
        "harden's error refs: `internal error (ref 3f9c2a1b4d5e)` -> `internal error (ref <ref>)`",
        REF_PATTERN,
        "internal error (ref <ref>)",
    ),
    Rule(
        "timestamp",
        "ISO 8601 dates with a time, the UTC offset kept: `2026-12-07T05:22:10.75Z` -> "
        "`<timestamp>Z`",
        re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"),
        "<timestamp>",
    ),
    Rule(
        "temp-path",
        "the temporary directory (/tmp, /var/tmp, $TMPDIR, macOS's /var/folders/../T, pytest's "
        "base) and tempfile's random names below it: `/tmp/tmpab12cd34/out.txt` -> "
        "`<tmp>/tmp<random>/out.txt`",
        _TEMP_PATH,
        _temp_path,
    ),
    Rule(
        "duration",
        "durations: `0.52s`, `12 ms`, `3 seconds` -> `<duration>` (only when switched on)",
        re.compile(
            r"\b\d+(?:\.\d+)?\s?(?:ns|us|µs|ms|s|sec|secs|seconds?|milliseconds?|microseconds?)\b"
        ),
        "<duration>",
        default=False,
    ),
)
RULE_NAMES: tuple[str, ...] = tuple(rule.name for rule in RULES)


class UnknownRule(ValueError):
    pass


def chosen_rules(
    switched_on: Iterable[str] = (), switched_off: Iterable[str] = ()
) -> tuple[Rule, ...]:
    """The default rules with those named on added and those named off removed; a name that is
    no rule, or one named both on and off, is refused (a typo would otherwise leave a rule as
    it was)."""
    on, off = set(switched_on), set(switched_off)
    unknown = sorted((on | off) - set(RULE_NAMES))
    if unknown:
        raise UnknownRule(
            f"no normalisation rule {', '.join(unknown)} (the rules: {', '.join(RULE_NAMES)})"
        )
    both = sorted(on & off)
    if both:
        raise UnknownRule(f"normalisation rule {', '.join(both)} switched both on and off")
    return tuple(
        rule for rule in RULES if (rule.default or rule.name in on) and rule.name not in off
    )


def normalised_text(text: str, rules: Iterable[Rule]) -> str:
    for rule in rules:
        text = rule.apply(text)
    return text


def normalised(value: Any, rules: tuple[Rule, ...]) -> Any:
    """`value` (JSON) with every string rewritten by the rules; keys and structure unchanged."""
    if isinstance(value, str):
        return normalised_text(value, rules)
    if isinstance(value, list):
        return [normalised(item, rules) for item in value]
    if isinstance(value, dict):
        return {key: normalised(item, rules) for key, item in value.items()}
    return value

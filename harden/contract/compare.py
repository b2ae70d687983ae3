"""Compare a recorded contract with a live snapshot: the differences, and phase 5's expected ones.

Listings must be identical; server info (its instructions may name a workspace) and call
results are compared leaf by leaf after the normalisation rules; `isError` must match.

Phase 5 replaces only an exception's text, so a string of a call's result where the live server
has harden's `internal error (ref ...)` and the recorded one had other text is an expected
change (reported with its ref, not a failure) in two cases only:

- part of the text was replaced: the text around each ref is the recorded text's own, in order,
  from its start to its end (`Error executing tool x: <ref>`, `{"error": "<ref>"}`);
- the whole text was replaced, and the recorded text was visibly an exception's: the recorded
  result was an error (isError true, or a JSON-RPC error answer), or the string sat under a key
  that names an error (`error`, `exception`, `traceback`, `detail`, ...), or it read as an error
  (`Traceback (most recent call last)`, `[Errno 2] ...`, `ValueError: ...`, `Error: ...`).

A successful result whose whole text became a ref is a failure: it is what a call that now fails
into `error_ref(e)` looks like. This module decides what differs and nothing else: it never
talks to a server or formats a report.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harden.contract.model import JSON, LISTINGS, Contract, is_failure
from harden.contract.normalise import REF_PATTERN, Rule, normalised, normalised_text


class _Missing:
    """Where one side has nothing: an item or key only the other side has."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class Difference:
    section: str  # "server", a listing ("tools", ...), or "calls"
    item: str  # the tool's name, resource's URI, call's id ("" for the server)
    path: str  # inside the item: "inputSchema.properties.text", "content[0].text" ("": whole)
    before: JSON  # the recorded value, or MISSING
    after: JSON  # the live value, or MISSING
    ref: str | None = None  # set for an expected change: the ref phase 5 put in

    @property
    def where(self) -> str:
        return ".".join(part for part in (self.section, self.item) if part) + (
            f" {self.path}" if self.path else ""
        )


@dataclass(slots=True)
class Comparison:
    failures: list[Difference] = field(default_factory=list)
    expected: list[Difference] = field(default_factory=list)
    calls: int = 0  # calls compared
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (call id, why)
    rules: tuple[str, ...] = ()  # the normalisation rules applied

    @property
    def passed(self) -> bool:
        return not self.failures


def compare(recorded: Contract, live: Contract, rules: tuple[Rule, ...]) -> Comparison:
    result = Comparison(rules=tuple(rule.name for rule in rules))
    # Server info may quote the environment (instructions naming its workspace): normalised.
    server = (normalised(recorded.server, rules), normalised(live.server, rules))
    result.failures += _section("server", "", *server)
    for listing, key in LISTINGS.items():
        before = {str(item.get(key)): item for item in recorded.listings.get(listing, [])}
        after = {str(item.get(key)): item for item in live.listings.get(listing, [])}
        for name in sorted(before.keys() | after.keys()):
            result.failures += _section(
                listing, name, before.get(name, MISSING), after.get(name, MISSING)
            )
    for call in recorded.calls:
        if call.id not in live.results:
            continue  # not made against this server (skipped by the caller, with its reason)
        result.calls += 1
        for difference in _call_differences(
            call.id, recorded.results[call.id], live.results[call.id], rules
        ):
            (result.expected if difference.ref else result.failures).append(difference)
    return result


def _section(section: str, item: str, before: JSON, after: JSON) -> list[Difference]:
    return [Difference(section, item, path, b, a) for path, b, a in leaf_differences(before, after)]


def _call_differences(
    call_id: str, before: JSON, after: JSON, rules: tuple[Rule, ...]
) -> Iterator[Difference]:
    was_error = is_failure(before)
    for path, _, _ in leaf_differences(normalised(before, rules), normalised(after, rules)):
        raw_old, raw_new = _at(before, path), _at(after, path)
        ref = replaced_by_ref(raw_old, raw_new, rules, was_error=was_error, key=_last_key(path))
        yield Difference("calls", call_id, path, raw_old, raw_new, ref)


def leaf_differences(before: JSON, after: JSON, path: str = "") -> Iterator[tuple[str, JSON, JSON]]:
    """(path, before, after) for each place the two JSON values differ, deepest first: a key
    or list item only one side has is one difference; a value of another type is one."""
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(before.keys() | after.keys()):
            yield from leaf_differences(
                before.get(key, MISSING), after.get(key, MISSING), _join(path, key)
            )
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            yield from leaf_differences(
                before[index] if index < len(before) else MISSING,
                after[index] if index < len(after) else MISSING,
                f"{path}[{index}]",
            )
    elif before is MISSING or after is MISSING or type(before) is not type(after):
        if before is not after:
            yield path, before, after
    elif before != after:
        yield path, before, after


def _join(path: str, key: str) -> str:
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key)
    return (f"{path}.{key}" if path else key) if plain else f"{path}[{key!r}]"


_STEP = re.compile(
    r"\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\]"
)


def _at(value: JSON, path: str) -> JSON:
    """The value at `path` (as leaf_differences writes it), or MISSING."""
    for match in _STEP.finditer(path):
        name, index, quoted = match.groups()
        if index is not None:
            value = (
                value[int(index)]
                if isinstance(value, list) and int(index) < len(value)
                else MISSING
            )
        else:
            key = name if name is not None else ast.literal_eval(quoted)
            value = value.get(key, MISSING) if isinstance(value, dict) else MISSING
    return value


def _last_key(path: str) -> str | None:
    """The name of the key `path` ends under (list indexes skipped), or None."""
    key = None
    for match in _STEP.finditer(path):
        name, _, quoted = match.groups()
        if name is not None or quoted is not None:
            key = name if name is not None else ast.literal_eval(quoted)
    return key


# A key under which a result states an error: its whole text was an exception's.
_ERROR_KEY = re.compile(r"error|exception|traceback|^(?:err|exc|details?|reason|stderr)$", re.I)
# How the text of an error starts: a traceback, an OSError's, `ValueError: ...`, `Error: ...`.
_ERROR_TEXT = re.compile(
    r"\s*(?:Traceback \(most recent call last\)|\[Errno -?\d+\]|[\w.]*(?:error|exception)\b)",
    re.I,
)


def replaced_by_ref(
    before: JSON,
    after: JSON,
    rules: tuple[Rule, ...],
    *,
    was_error: bool = False,
    key: str | None = None,
) -> str | None:
    """The ref, when `after` is `before` with an exception's text replaced by harden's
    `internal error (ref <id>)` (the module's rule: part of the text, or the whole text of a
    recorded error); else None. `was_error`: the recorded result was an error; `key`: the
    key the string is under."""
    if not isinstance(before, str) or not isinstance(after, str):
        return None
    refs = REF_PATTERN.findall(after)
    if not refs or REF_PATTERN.search(before):
        return None
    # The rules still apply to the text around a ref, so a timestamp there does not spoil it.
    pieces = [normalised_text(piece, rules) for piece in REF_PATTERN.split(after)[::2]]
    if not "".join(pieces).strip():
        recorded_error = (
            was_error or bool(key and _ERROR_KEY.search(key)) or bool(_ERROR_TEXT.match(before))
        )
        return refs[0] if recorded_error else None
    return refs[0] if _in_order(pieces, normalised_text(before, rules)) else None


def _in_order(pieces: list[str], text: str) -> bool:
    """Whether `text` starts with the first piece, ends with the last and holds the others in
    order between them: what stood where the refs stand is free. Plain `str.find`, left to
    right: a regular expression with a group per ref backtracks for minutes on long texts."""
    first, *middle, last = pieces
    if len(first) + len(last) > len(text) or not (text.startswith(first) and text.endswith(last)):
        return False
    position, end = len(first), len(text) - len(last)
    for piece in middle:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True

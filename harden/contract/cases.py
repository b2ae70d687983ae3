"""The cases file a user writes (`.harden/contract-cases.toml`): the calls a contract makes.

    safe = ["search_notes"]   # tools --generate may call though not annotated readOnlyHint

    [[call]]
    tool = "word_count"
    arguments = { text = "one two" }

    [[call]]
    id = "missing file"       # optional; default: tool:<name>, tool:<name>#2, ...
    tool = "stat_file"
    arguments = { path = "/no/such/file" }
    expect_error = true       # optional: record refuses a result whose isError differs

    [[resource]]
    uri = "config://version"

    [[prompt]]
    name = "review"
    arguments = { code = "print(1)" }

This module only reads and checks the file: it never calls a server. Anything it does not know
(a misspelt key, a value of the wrong type) is refused with its place, never ignored.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harden.contract.model import Call, CallKind

DEFAULT_PATH = Path(".harden") / "contract-cases.toml"

# table name -> (the call kind, the key naming its target, the keys it may hold)
_TABLES: dict[str, tuple[CallKind, str, frozenset[str]]] = {
    "call": ("tool", "tool", frozenset({"id", "tool", "arguments", "expect_error"})),
    "resource": ("resource", "uri", frozenset({"id", "uri", "expect_error"})),
    "prompt": ("prompt", "name", frozenset({"id", "name", "arguments", "expect_error"})),
}


class CasesError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Cases:
    calls: tuple[Call, ...] = ()
    safe: frozenset[str] = frozenset()  # tools --generate may call


def load_cases(path: Path) -> Cases:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise CasesError(f"{path}: {error}") from None
    unknown = sorted(set(data) - {"safe", *_TABLES})
    if unknown:
        raise CasesError(
            f"{path}: unknown key {unknown[0]!r} (known: safe, call, resource, prompt)"
        )
    safe = data.get("safe", [])
    if not isinstance(safe, list) or not all(isinstance(name, str) for name in safe):
        raise CasesError(f"{path}: `safe` is a list of tool names")
    calls = [
        _call(path, table, index, entry)
        for table in _TABLES
        for index, entry in enumerate(_entries(path, data, table), start=1)
    ]
    return Cases(_unique_ids(path, calls), frozenset(safe))


def _entries(path: Path, data: dict[str, Any], table: str) -> list[dict[str, Any]]:
    entries = data.get(table, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise CasesError(f"{path}: `{table}` must be an array of tables ([[{table}]])")
    return entries


def _call(path: Path, table: str, index: int, entry: dict[str, Any]) -> Call:
    kind, target_key, allowed = _TABLES[table]
    where = f"{path}: [[{table}]] number {index}"
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise CasesError(
            f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})"
        )
    target = entry.get(target_key)
    if not isinstance(target, str) or not target:
        raise CasesError(f"{where}: `{target_key}` (a string) is required")
    arguments = entry.get("arguments", {})
    if not isinstance(arguments, dict):
        raise CasesError(f"{where}: `arguments` is a table")
    expect_error = entry.get("expect_error")
    if expect_error is not None and not isinstance(expect_error, bool):
        raise CasesError(f"{where}: `expect_error` is true or false")
    given_id = entry.get("id")
    if given_id is not None and (not isinstance(given_id, str) or not given_id):
        raise CasesError(f"{where}: `id` is a non-empty string")
    return Call(given_id or f"{kind}:{target}", kind, target, arguments, "cases", expect_error)


def _unique_ids(path: Path, calls: list[Call]) -> tuple[Call, ...]:
    """Derived ids get #2, #3, ... for repeats; an id the user gave twice is refused."""
    given = Counter(call.id for call in calls)
    seen: Counter[str] = Counter()
    unique = []
    for call in calls:
        seen[call.id] += 1
        if seen[call.id] == 1:
            unique.append(call)
            continue
        if not call.id.startswith(f"{call.kind}:"):
            raise CasesError(f"{path}: the id {call.id!r} is given {given[call.id]} times")
        unique.append(replace(call, id=f"{call.id}#{seen[call.id]}"))
    return tuple(unique)

"""The contract: what a server said (its info, listings and call results), and the file it lives in.

A contract is JSON a reviewer can read in a pull request: two-space indented, keys sorted,
listings sorted by name (or URI), calls in the order they were made, so recording an unchanged
server again rewrites the same bytes. This module only holds and (de)serialises the data: it
never talks to a server and never judges a difference.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

FORMAT = "harden-contract/1"
DEFAULT_PATH = Path(".harden") / "contract.json"

JSON = Any
CallKind = Literal["tool", "resource", "prompt"]
CALL_KINDS: tuple[CallKind, ...] = ("tool", "resource", "prompt")
# Each listing, by its key in the contract, and the field that names an item in it.
LISTINGS: dict[str, str] = {
    "tools": "name",
    "resources": "uri",
    "resourceTemplates": "uriTemplate",
    "prompts": "name",
}


def is_failure(result: JSON) -> bool:
    """Whether a recorded result is an error: isError, a JSON-RPC error answer, or one the
    SDK's client refused."""
    return bool(result.get("isError")) or "error" in result or "clientError" in result


class ContractFileError(Exception):
    """A contract file that is missing or not one harden wrote."""


@dataclass(frozen=True, slots=True)
class Call:
    """One request a contract replays: a tool call, a resource read or a prompt get."""

    id: str  # unique in the contract: the case's `id`, else derived from the name
    kind: CallKind
    name: str  # the tool's or prompt's name, or the resource's URI
    arguments: dict[str, JSON] = field(default_factory=dict)
    source: Literal["cases", "generated"] = "cases"
    expect_error: bool | None = None  # the case says whether it must fail; None: no claim

    def as_json(self) -> dict[str, JSON]:
        data: dict[str, JSON] = {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "arguments": self.arguments,
            "source": self.source,
        }
        if self.expect_error is not None:
            data["expectError"] = self.expect_error
        return data

    @classmethod
    def from_json(cls, data: dict[str, JSON]) -> Call:
        return cls(
            id=data["id"],
            kind=data["kind"],
            name=data["name"],
            arguments=data.get("arguments", {}),
            source=data.get("source", "cases"),
            expect_error=data.get("expectError"),
        )


@dataclass(slots=True)
class Contract:
    server: dict[str, JSON]  # serverInfo, protocolVersion, capabilities, instructions
    listings: dict[str, list[dict[str, JSON]]]  # LISTINGS' keys -> items
    calls: list[Call]
    results: dict[str, JSON]  # call id -> the result the client received
    # Tools the user declared safe to call with generated arguments (cases file, --safe).
    safe: frozenset[str] = frozenset()

    def as_json(self) -> dict[str, JSON]:
        listings = {
            key: sorted(
                (_sorted_keys(item) for item in self.listings.get(key, [])),
                key=lambda item, k=name: str(item.get(k)),
            )
            for key, name in LISTINGS.items()
        }
        return {
            "format": FORMAT,
            "server": _sorted_keys(self.server),
            **listings,
            "safe": sorted(self.safe),
            "calls": [
                _sorted_keys({**call.as_json(), "result": self.results[call.id]}, top=False)
                for call in self.calls
            ],
        }

    def dumps(self) -> str:
        """The file's text: members in a fixed order, what the server sent with sorted keys."""
        return json.dumps(self.as_json(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, data: JSON) -> Contract:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ContractFileError(f'not a harden contract (no "format": "{FORMAT}")')
        try:
            calls = [Call.from_json(item) for item in data["calls"]]
            results = {item["id"]: item["result"] for item in data["calls"]}
            listings = {key: list(data[key]) for key in LISTINGS}
            safe = frozenset(data.get("safe", []))
            return cls(dict(data["server"]), listings, calls, results, safe)
        except (KeyError, TypeError) as error:
            raise ContractFileError(f"a contract without {error}") from None


def _sorted_keys(value: JSON, top: bool = True) -> JSON:
    """`value` with every object's keys sorted (`top=False`: all but its own)."""
    if isinstance(value, dict):
        items = sorted(value.items()) if top else value.items()
        return {key: _sorted_keys(item) for key, item in items}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def load(path: Path) -> Contract:
    if not path.is_file():
        raise ContractFileError(
            f"{path}: no contract recorded (run `harden contract record` first)"
        )
    try:
        return Contract.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, ContractFileError) as error:
        raise ContractFileError(f"{path}: {error}") from None


def save(contract: Contract, path: Path) -> None:
    """Write atomically: an interrupted record never leaves half a contract behind."""
    write_atomically(path, contract.dumps())


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, staged = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(staged, path)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise

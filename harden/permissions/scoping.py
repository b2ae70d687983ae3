"""What phase 6 writes for each tool, decided once per run from the inventory: the policy (the
uses its calls made in the logs) and the annotation changes the logs prove, or why none.

Plain data, handed to the phase 6 codemod in every file's task (so picklable, and part of the
result cache's key). It never reads a log or a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harden.permissions.inventory import ToolInventory


@dataclass(frozen=True, slots=True)
class ToolScope:
    name: str
    uses: tuple[str, ...] | None  # the policy to write; None: the logs cannot give one
    calls: int  # the calls whose uses the logs recorded
    reason: str  # why there is no policy ("" when there is one)
    hints: tuple[tuple[str, bool], ...]  # the annotation changes the logs prove
    # For a tool a low-level server serves: its call_tool handler (path, function name).
    handler: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Scoping:
    tools: tuple[ToolScope, ...]
    window: str  # what the logs covered, for the reviewer: "31 calls, 2026-11-20 to 2026-12-04"

    def get(self, name: str) -> ToolScope | None:
        return next((tool for tool in self.tools if tool.name == name and not tool.handler), None)

    def served_by(self, path: str, function: str) -> list[ToolScope]:
        """The tools the low-level call_tool handler `function` of `path` serves."""
        return [tool for tool in self.tools if tool.handler == (path, function)]


def scoping(entries: list[ToolInventory], window: str) -> Scoping:
    tools = []
    for entry in entries:
        source = entry.source
        if source is None:
            continue  # nothing to write it on
        reason = ""
        if not entry.calls:
            reason = "no call of this tool in the logs given"
        elif not entry.covered:
            reason = (
                f"its {entry.calls} call(s) in the logs record no uses (the runtime's audit hook "
                "came with phase 6's observation: apply phase 1 again and let it run)"
            )
        tools.append(
            ToolScope(
                name=entry.name,
                uses=None if reason else tuple(entry.observed),
                calls=entry.observed_calls,
                reason=reason,
                hints=tuple(sorted(entry.hints.items())),
                handler=(source.path, source.function) if source.lowlevel else None,
            )
        )
    return Scoping(tuple(tools), window)

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
    handler: tuple[str, str]  # (path, function name) of its handler (a low-level call_tool's)
    lowlevel: bool = False  # served by a low-level server's call_tool handler


@dataclass(frozen=True, slots=True)
class Scoping:
    tools: tuple[ToolScope, ...]
    window: str  # what the logs covered, for the reviewer: "31 calls, 2026-11-20 to 2026-12-04"

    def get(self, name: str, path: str, function: str) -> ToolScope | None:
        """The tool `name` whose handler is `function` of `path`."""
        return next(
            (
                tool
                for tool in self.tools
                if tool.name == name and tool.handler == (path, function) and not tool.lowlevel
            ),
            None,
        )

    def served_by(self, path: str, function: str) -> list[ToolScope]:
        """The tools the low-level call_tool handler `function` of `path` serves."""
        return [tool for tool in self.tools if tool.lowlevel and tool.handler == (path, function)]


def scoping(entries: list[ToolInventory], window: str) -> Scoping:
    tools = []
    for entry in entries:
        for namesake in entry.namesakes:
            reason = (
                f"{len(entry.namesakes)} handlers are registered as `{entry.name}`: the logs "
                "cannot tell which one they saw"
            )
            handler = (namesake.path, namesake.function)
            tools.append(ToolScope(entry.name, None, 0, reason, (), handler, namesake.lowlevel))
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
                handler=(source.path, source.function),
                lowlevel=source.lowlevel,
            )
        )
    return Scoping(tuple(tools), window)

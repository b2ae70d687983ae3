"""What the code says of each tool: where it is, the annotations it declares, the policy phase 6
wrote for it, and what its code can do statically.

Collected once per run from the project's files (`tool_sources`): the handlers and their static
uses as static.py finds them (harden.mcp's discovery, with the project index's facts), and, in
the modules it parsed, the annotations as annotations.py reads them and the policy as policy.py
reads it. A low-level server's tools are those its module
constructs as `types.Tool(name="<literal>", ...)`, served by its call_tool handler. It never
writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harden.mcp import HandlerKind
from harden.permissions.annotations import Declared, declared, lowlevel_tools
from harden.permissions.policy import policy_decorator, read_policy
from harden.permissions.static import StaticUse, project_handlers


@dataclass(frozen=True, slots=True)
class ToolSource:
    name: str  # as clients call it, and as the logs name it
    path: str
    function: str  # the handler's function (for a low-level server, its call_tool handler)
    line: int  # of its `def`
    lowlevel: bool  # served by a low-level server's call_tool handler
    hints: Mapping[str, bool]  # the annotations it declares with a literal, by MCP name
    # Whether its annotations are in a form harden reads and can change (not a variable).
    hints_readable: bool
    unknown_hints: frozenset[str]  # set to something that is not a literal
    policy: tuple[str, ...] | None  # its @harden_runtime.permissions(uses=...), if any
    static: tuple[StaticUse, ...]  # what its code (and its helpers') can do


def tool_sources(files: Sequence[tuple[str, str]]) -> list[ToolSource]:
    """Every tool of the project given as (relative POSIX path, text), sorted by name."""
    found: list[ToolSource] = []
    # The static reading found every handler, in modules it parsed once: read the rest there.
    for source in project_handlers(files):
        handler, module = source.registration, source.module
        qualified = module.qualified
        decorator = policy_decorator(handler.function, qualified)
        policy = read_policy(decorator) if decorator is not None else None
        place = _Place(source.path, source.function, source.line, source.uses)
        if handler.kind is HandlerKind.TOOL:
            name = handler.name or source.function
            own = policy if policy is None or isinstance(policy, tuple) else None
            found.append(place.tool(name, False, declared(handler, qualified), own))
        elif handler.kind is HandlerKind.LOWLEVEL_CALL_TOOL:
            served = lowlevel_tools(module.wrapper.module, qualified, handler.frameworks)
            for name, tool in served.items():
                own = policy.get(name) if isinstance(policy, Mapping) else None
                found.append(place.tool(name, True, declared(tool, qualified), own))
    return sorted(found, key=lambda source: (source.name, source.path, source.line))


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a handler is, and what its code can do: shared by the tools it serves."""

    path: str
    function: str
    line: int
    static: tuple[StaticUse, ...]

    def tool(
        self, name: str, lowlevel: bool, hints: Declared, policy: tuple[str, ...] | None
    ) -> ToolSource:
        return ToolSource(
            name=name,
            path=self.path,
            function=self.function,
            line=self.line,
            lowlevel=lowlevel,
            hints=dict(hints.hints),
            hints_readable=hints.readable,
            unknown_hints=hints.unknown,
            policy=policy,
            static=self.static,
        )

"""What the code says of each tool: where it is, the annotations it declares, the policy phase 6
wrote for it, and what its code can do statically.

Collected once per run from the project's files (`tool_sources`): handlers as harden.mcp proves
them (with the project index's facts), annotations as annotations.py reads them, the policy as
policy.py reads it, static uses from static.py. A low-level server's tools are those its module
constructs as `types.Tool(name="<literal>", ...)`, served by its call_tool handler. It never
writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider

from harden.mcp import HandlerKind, may_hold_handlers
from harden.mcp.facts import NO_FACTS
from harden.mcp.handlers import HandlerProvider, find_handlers
from harden.mcp.project import index_project
from harden.permissions.annotations import Declared, declared, lowlevel_tools
from harden.permissions.policy import policy_decorator, read_policy
from harden.permissions.static import StaticUse, project_handlers
from harden.vendoring import is_runtime


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


def qualified_names(wrapper: MetadataWrapper) -> Callable[[cst.CSTNode], set[str]]:
    """A node's qualified names in the wrapper's module (what a planner's `_qualified` gives)."""
    names = wrapper.resolve(QualifiedNameProvider)

    def qualified(node: cst.CSTNode) -> set[str]:
        found = names.get(node, set())
        # libcst resolves some lazily: the value is then a callable giving the set.
        return {q.name for q in (found() if callable(found) else found)}

    return qualified


def tool_sources(files: Sequence[tuple[str, str]]) -> list[ToolSource]:
    """Every tool of the project given as (relative POSIX path, text), sorted by name."""
    static = {(h.path, h.line): h.uses for h in project_handlers(files)}
    facts = index_project(files)
    found: list[ToolSource] = []
    for path, text in files:
        if is_runtime(path) or not (may_hold_handlers(text) or path in facts):
            continue
        try:
            module = cst.parse_module(text)
        except cst.ParserSyntaxError:
            continue  # harden scan reports it; nothing here to read
        wrapper = MetadataWrapper(module, cache={HandlerProvider: facts.get(path, NO_FACTS)})
        discovery = find_handlers(wrapper)
        qualified = qualified_names(wrapper)
        lines = wrapper.resolve(PositionProvider)
        for function, handlers in discovery.by_function.items():
            line = lines[function.name].start.line
            uses = static.get((path, line), ())
            decorator = policy_decorator(function, qualified)
            policy = read_policy(decorator) if decorator is not None else None
            place = _Place(path, function.name.value, line, uses)
            for handler in handlers:
                if handler.kind is HandlerKind.TOOL:
                    name = handler.name or function.name.value
                    own = policy if policy is None or isinstance(policy, tuple) else None
                    found.append(place.tool(name, False, declared(handler, qualified), own))
                elif handler.kind is HandlerKind.LOWLEVEL_CALL_TOOL:
                    served = lowlevel_tools(wrapper.module, qualified, handler.frameworks)
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

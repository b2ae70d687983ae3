"""What each MCP handler's code can do, read statically: write files, run programs, use the
network. `harden inventory` sets it beside what the logs show and what the tool declares.

`project_handlers(files)` finds every handler of a project as harden.mcp proves them (the
project index's facts, then each module's discovery: registrations in other modules, register
functions taking the server, factories, classes, fastmcp's `Tool.from_function`, the low-level
server's call_tool), then reads the handler's body, and the bodies of the project's functions
and methods it calls (in its module or another, transitively; each function is read once and
cycles end), for the calls that can write files, run programs or use the network: what counts
is sinks.py's, which function a call runs is resolution.py's.

This is a hint for review, not a proof. A call it cannot resolve is ignored (a function held in
a container, a method of an object whose class it cannot trace, getattr, inheritance from
outside the project, super()), as is what C extensions and child processes do: a handler may
do more than it says. And a call it counts may never run. It reads texts only: it never imports
or runs the code, and never writes a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst

from harden.ast_names import parse as parse_ast
from harden.mcp.facts import NO_FACTS
from harden.mcp.frameworks import Framework, HandlerKind, may_hold_handlers
from harden.mcp.gate import may_register_handlers
from harden.mcp.handlers import Handler, find_handlers
from harden.mcp.project import index_project
from harden.permissions.parsed_modules import ParsedModule, ParsedModules
from harden.permissions.resolution import Function, Resolver
from harden.permissions.sinks import TRACED_CLASSES, call_uses, passed_use
from harden.vendoring import is_runtime


@dataclass(frozen=True, slots=True)
class StaticUse:
    kind: str  # FS_WRITE, EXEC or NET
    program: str | None  # exec only: the program's basename when a literal says it, else None
    path: str  # where the call is (file, relative POSIX)
    line: int
    via: str  # "" when in the handler itself, else the helper's dotted name ("pkg.store.save")


@dataclass(frozen=True, slots=True)
class HandlerSource:
    name: str | None  # Handler.name: the registered name; None when not literal / low-level
    function: str  # the function's name
    path: str  # where the function is defined
    line: int  # the line of its `def`
    kind: HandlerKind
    frameworks: frozenset[Framework]
    uses: tuple[StaticUse, ...]  # sorted, deduplicated
    # The registration and the module it was found in (parsed once, with its metadata), for
    # what else the code says of the handler (tool_sources.py): not part of its identity.
    registration: Handler = field(compare=False, repr=False)
    module: ParsedModule = field(compare=False, repr=False)


def project_handlers(files: Sequence[tuple[str, str]]) -> list[HandlerSource]:
    """Every MCP handler of the project given as (relative POSIX path, text), with what its
    code can do; sorted by path and line."""
    return _Project(files).handlers()


_Use = tuple[str, str | None, int]  # kind, program, line


@dataclass(frozen=True, slots=True)
class _Summary:
    uses: tuple[_Use, ...]
    callees: tuple[Function, ...]


class _Project:
    def __init__(self, files: Sequence[tuple[str, str]]) -> None:
        # harden's vendored runtime is no project code: its runners are what is looked for.
        self.modules = ParsedModules(
            {path: text for path, text in files if path.endswith(".py") and not is_runtime(path)}
        )
        self.summaries: dict[cst.FunctionDef, _Summary] = {}
        self.resolver = Resolver(self.modules, TRACED_CLASSES)

    def handlers(self) -> list[HandlerSource]:
        texts = self.modules.texts
        facts = index_project(list(texts.items()))
        # The engine's own narrowing: the text prefilter, then registration shapes in `ast`
        # (a tenth of libcst's cost); and the modules whose functions others register.
        candidates = sorted(
            {path for path, text in texts.items() if _may_register(text)}
            | {path for path, found in facts.items() if found.elsewhere}
        )
        # Discovery first, in every module with its facts; helpers are parsed when followed.
        found: list[tuple[ParsedModule, Handler]] = []
        for path in candidates:
            module = self.modules.get(path, facts.get(path, NO_FACTS))
            if module is not None:
                found += [(module, handler) for handler in find_handlers(module.wrapper).handlers]
        sources = {
            HandlerSource(
                handler.name,
                handler.function.name.value,
                module.path,
                module.line(handler.function),
                handler.kind,
                handler.frameworks,
                self.uses(Function(module, handler.function)),
                handler,
                module,
            )
            for module, handler in found
        }
        return sorted(
            sources,
            key=lambda s: (s.path, s.line, s.kind, s.name is not None, s.name or "", s.function),
        )

    def uses(self, handler: Function) -> tuple[StaticUse, ...]:
        """What the handler's code and the project's functions it reaches can do."""
        found: set[StaticUse] = set()
        seen = {handler.node}
        pending = [handler]
        while pending:
            function = pending.pop()
            via = "" if function == handler else function.module.dotted_of(function.node)
            summary = self.summary(function)
            for kind, program, line in summary.uses:
                found.add(StaticUse(kind, program, function.module.path, line, via))
            for callee in summary.callees:
                if callee.node not in seen:
                    seen.add(callee.node)
                    pending.append(callee)
        return tuple(sorted(found, key=_use_order))

    def summary(self, function: Function) -> _Summary:
        if function.node not in self.summaries:
            self.summaries[function.node] = self._summarize(function)
        return self.summaries[function.node]

    def _summarize(self, function: Function) -> _Summary:
        """What the function's own calls can do, and the project functions they run."""
        module = function.module
        uses: list[_Use] = []
        callees: list[Function] = []
        for call in module.bodies[function.node].calls:
            found = call_uses(self.resolver, module, call)
            if found:
                line = module.line(call)
                uses += [(kind, program, line) for kind, program in found]
                continue
            callees += self.resolver.callees(module, call)
            # A function passed to a call is passed to be called: asyncio.to_thread(save, x),
            # run_in_executor(None, shutil.rmtree, path), Thread(target=work).
            for arg in call.args:
                if not isinstance(arg.value, cst.Name | cst.Attribute):
                    continue
                passed = passed_use(module.qualified(arg.value))
                if passed is not None:
                    uses.append((*passed, module.line(arg)))
                    continue
                callees += [
                    t for t in self.resolver.what(module, arg.value) if isinstance(t, Function)
                ]
        return _Summary(tuple(uses), tuple(callees))


def _may_register(text: str) -> bool:
    if not may_hold_handlers(text):
        return False
    tree = parse_ast(text)
    return tree is not None and may_register_handlers(tree)


def _use_order(use: StaticUse) -> tuple[str, bool, str, str, int, str]:
    # StaticUse's own order compares a None program with a str: sorted() would raise.
    return (use.kind, use.program is not None, use.program or "", use.path, use.line, use.via)

"""The project index: MCP servers and handler registrations across the modules of a project.

Handler discovery (handlers.py) proves handlers inside one module with libcst's scopes. Real
servers span modules: tools in `tools/*.py` decorate a server imported from `app.py`, a
`register(server)` function takes the server as a parameter, a factory builds it, a module
registers functions it imports. This index follows names across modules with the standard
library's `ast` (a tenth of libcst's cost), over the files that mention MCP and the modules they
import, and gives each module's discovery the facts only other modules show (facts.py).

It decides only module-level questions (what an import binds, which functions make servers,
take one, or are registered elsewhere); what happens inside a module stays handlers.py's.
It never imports or runs the code, never changes it, and never guesses: a name it cannot follow
is UNKNOWN with the reason, which discovery reports.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from harden.ast_names import dotted_name
from harden.mcp.client_errors import ClientErrors
from harden.mcp.facts import Kind, ModuleFacts, Remote, Symbol
from harden.mcp.frameworks import (
    BOUND_DECORATOR,
    CONSTRUCTOR_KEYWORDS,
    REGISTRARS,
    TOOL_CLASSES,
    Framework,
    HandlerKind,
    may_hold_handlers,
)
from harden.mcp.scopes import Loop, Param, Scope
from harden.mcp.symbols import (
    OTHER,
    Module,
    Symbols,
    bindings_seen_from,
    is_class,
    is_top_level,
)

# Rounds of "a parameter every caller passes a server": a server handed down N functions deep
# needs N rounds; real projects stop at two.
_ROUNDS = 4


def index_project(
    files: Sequence[tuple[str, str]], seeds: Iterable[str] | None = None
) -> dict[str, ModuleFacts]:
    """The facts of every module the index looked at (files mentioning MCP, and the modules
    they lead to), by path."""
    return ProjectIndex(files).facts(seeds)


# Lines that may hold a registration of a function passed to it, or a decorator registering one.
_SHAPE_LINES = re.compile(
    r"\.(?:tool|prompt|resource|call_tool|add_tool)\b|\b(?:tools|on_call_tool)\s*="
)


_SDK_PACKAGES = frozenset({"mcp", "fastmcp"})
_BOUND_DECORATOR_LINES = re.compile(BOUND_DECORATOR)


@dataclass(frozen=True, slots=True)
class _Registration:
    """A call that registers functions, found in `module`: the receiver (None for a constructor
    keyword, whose class is the callee), the expression naming the functions, and the
    arguments naming them."""

    module: Module
    scope: Scope
    call: ast.Call
    receiver: ast.expr | None
    kind: HandlerKind
    forms: frozenset[Framework]
    functions: ast.expr
    naming: tuple[ast.expr | ast.keyword, ...]
    name_index: int | None


class ProjectIndex:
    def __init__(self, files: Sequence[tuple[str, str]]) -> None:
        self.symbols = Symbols(files)
        self.client_errors = ClientErrors(self.symbols)

    def facts(self, seeds: Iterable[str] | None = None) -> dict[str, ModuleFacts]:
        """The facts of the `seeds` (default: the files whose text may hold MCP handlers) and of
        the modules whose functions they register."""
        if seeds is None:
            seeds = [p for p, text in self.symbols.texts.everything() if may_hold_handlers(text)]
        modules = [m for m in (self.symbols.module(path) for path in seeds) if m is not None]
        modules += self._settle_server_params(modules)
        remote: dict[str, dict[str, list[Remote]]] = {}
        unproven: dict[str, dict[str, str]] = {}
        registers: dict[str, dict[str, str]] = {}
        registering: set[str] = set()  # modules with a registration shape: handlers may be here
        for module in modules:
            for registration in self._shapes(module):
                registering.add(module.path)
                self._link(registration, remote, unproven, registers)
            for receiver, scope in _decorator_receivers(module):
                registering.add(module.path)
                self.symbols.value(module, receiver, scope)  # what discovery will ask
        paths = {m.path for m in modules} | set(remote) | set(unproven)
        return {
            path: self._module_facts(
                path,
                remote.get(path, {}),
                unproven.get(path, {}),
                registers.get(path, {}),
                handlers=(path in registering or path in remote or path in unproven)
                and not self._sdk_module(path),
            )
            for path in sorted(paths)
            if self.symbols.module(path) is not None
        }

    def _sdk_module(self, path: str) -> bool:
        """A module of an MCP SDK itself, read because the tree holds it (site-packages)."""
        return self.symbols.layout.dotted_name(path).split(".")[0] in _SDK_PACKAGES

    # -- parameters every caller passes a server -------------------------------------------------

    def _server_param_uses(self, modules: Iterable[Module]) -> set[tuple[str, str]]:
        """(module path, top-level function) whose parameters are registration receivers with no
        server class annotation: only their callers can tell what they are."""
        wanted: set[tuple[str, str]] = set()
        for module in modules:
            receivers = [
                (r.receiver, r.scope) for r in self._shapes(module) if r.receiver is not None
            ]
            receivers += _decorator_receivers(module)
            for receiver, scope in receivers:
                wanted |= _parameter_of(module, scope, receiver)
        return wanted

    def _settle_server_params(self, modules: list[Module]) -> list[Module]:
        """Find the parameters of top-level functions that every call in the project passes a
        server: those used as registration receivers, and those passed on to one (a server
        handed down). Returns the modules it read to find their callers."""
        wanted = self._server_param_uses(modules)
        callers: list[Module] = []
        sites: list[tuple[Module, ast.Call, Scope]] = []
        searched: set[str] = set()
        for _ in range(_ROUNDS):
            names = {name for _, name in wanted} - searched
            if names:
                searched |= names
                found = self._modules_calling(names, {m.path for m in (*modules, *callers)})
                callers += found
                calling = re.compile("|".join(rf"\b{re.escape(name)}\s*\(" for name in names))
                for module in (*modules, *callers):
                    lines = module.lines_matching(calling)
                    sites += [(module, c, scope) for c, scope in module.scopes.calls_on(lines)]
            passed: dict[tuple[str, str, str], list[Symbol]] = {}
            for module, call, scope in sites:
                callee = self.symbols.value(module, call.func, scope)
                if callee.kind is not Kind.FUNCTION or (callee.path, callee.name) not in wanted:
                    continue
                defined = self.symbols.module(callee.path)
                assert defined is not None
                for param, argument in _arguments(defined, callee.name, call):
                    key = (callee.path, callee.name, param)
                    found_value = self.symbols.value(module, argument, scope) if argument else OTHER
                    passed.setdefault(key, []).append(found_value)
                    wanted |= _parameter_of(module, scope, argument)  # handed down
            settled = {
                key: frozenset().union(*(s.frameworks for s in symbols))
                for key, symbols in passed.items()
                if all(s.kind is Kind.SERVER for s in symbols)
            }
            unsearched = {name for _, name in wanted} - searched
            if settled == self.symbols.server_params and not unsearched:
                break
            self.symbols.server_params = settled
            self.symbols.forget()  # what followed from the old answers may change
        return callers

    def _modules_calling(self, names: set[str], known: set[str]) -> list[Module]:
        """Modules not yet read whose text calls one of `names` (they need not mention MCP)."""
        found = []
        for path, _ in self.symbols.texts.containing(f"{name}(" for name in names):
            if path not in known:
                module = self.symbols.module(path)
                if module is not None:
                    found.append(module)
        return found

    # -- registrations of functions defined in other modules ------------------------------------

    def _shapes(self, module: Module) -> Iterator[_Registration]:
        """Every call shaped like a registration of a function passed to it: `s.tool(...)(fn)`,
        `s.add_tool(fn)`, `s.tool(fn)`, `Server(on_call_tool=fn)`, `FastMCP(tools=[...])`."""
        calls = list(module.scopes.calls_on(module.lines_matching(_SHAPE_LINES)))
        factories = {id(call.func) for call, _ in calls if isinstance(call.func, ast.Call)}
        for call, scope in calls:
            func = call.func
            inner = func.func if isinstance(func, ast.Call) else None
            if isinstance(inner, ast.Attribute) and inner.attr in REGISTRARS:
                assert isinstance(func, ast.Call)
                registrar = REGISTRARS[inner.attr]
                if registrar.factory and len(call.args) == 1 and not call.keywords:
                    yield _Registration(
                        module, scope, call, inner.value, registrar.kind, registrar.factory,
                        call.args[0], (*func.args, *func.keywords), registrar.name_index,
                    )  # fmt: skip
            elif (
                isinstance(func, ast.Attribute)
                and func.attr in REGISTRARS
                and REGISTRARS[func.attr].direct
                and id(call) not in factories
                and call.args
                and not isinstance(call.args[0], ast.Starred)
                and _literal(call.args[0]) is None
            ):
                registrar = REGISTRARS[func.attr]
                yield _Registration(
                    module, scope, call, func.value, registrar.kind, registrar.direct,
                    call.args[0], (*call.args[1:], *call.keywords), registrar.name_index,
                )  # fmt: skip
            for keyword in call.keywords:
                if keyword.arg in CONSTRUCTOR_KEYWORDS:
                    constructor = CONSTRUCTOR_KEYWORDS[keyword.arg]
                    yield _Registration(
                        module, scope, call, None, constructor.kind, constructor.frameworks,
                        keyword.value, (), None,
                    )  # fmt: skip

    def _link(
        self,
        registration: _Registration,
        remote: dict[str, dict[str, list[Remote]]],
        unproven: dict[str, dict[str, str]],
        registers: dict[str, dict[str, str]],
    ) -> None:
        """Record what `registration` registers of other modules' functions."""
        module, scope, call = registration.module, registration.scope, registration.call
        if registration.receiver is None:
            made = self.symbols.value(module, call.func, scope)
            server = Symbol(Kind.SERVER, made.frameworks) if is_class(made) else OTHER
        else:
            server = self.symbols.value(module, registration.receiver, scope)
        frameworks = server.frameworks & registration.forms
        if server.kind is not Kind.UNKNOWN and not frameworks:
            return  # not a server of a framework that registers this way
        for written, function, naming in self._registered(registration):
            if function.kind is not Kind.FUNCTION or function.path == module.path:
                continue  # not a project function, or one handlers.py finds in its own module
            where = f"{module.path}:{call.lineno}"
            if server.kind is Kind.UNKNOWN:
                reason = f"{server.reason} (where `{module.path}` registers it, line {call.lineno})"
                unproven.setdefault(function.path, {})[function.name] = reason
                registers.setdefault(module.path, {})[written] = server.reason
                continue
            name, named = _registered_name(registration, naming)
            entry = Remote(registration.kind, frameworks, name, named, where)
            remote.setdefault(function.path, {}).setdefault(function.name, []).append(entry)
            registers.setdefault(module.path, {}).setdefault(written, "")

    def _registered(
        self, registration: _Registration
    ) -> Iterator[tuple[str, Symbol, tuple[ast.expr | ast.keyword, ...]]]:
        """(the expression as written, what it is, the arguments naming it) for each function
        the registration passes: a name, a literal list, a loop variable over one,
        `Tool.from_function(fn, name=...)`."""
        module, scope = registration.module, registration.scope
        pending: list[tuple[ast.expr, tuple[ast.expr | ast.keyword, ...]]] = [
            (registration.functions, registration.naming)
        ]
        while pending:
            expression, naming = pending.pop()
            if isinstance(expression, ast.List | ast.Tuple | ast.Set):
                pending += [(e, naming) for e in reversed(expression.elts)]
                continue
            if isinstance(expression, ast.Call) and self._from_function(module, expression, scope):
                first, *rest = expression.args
                pending.append((first, (*rest, *expression.keywords)))
                continue
            if isinstance(expression, ast.Name):
                listed = _literal_list(scope, expression.id)
                if listed is not None:
                    pending += [(e, naming) for e in reversed(listed)]
                    continue
            written = dotted_name(expression)
            if written is not None:
                yield written, self.symbols.value(module, expression, scope), naming

    def _from_function(self, module: Module, call: ast.Call, scope: Scope) -> bool:
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "from_function" and call.args):
            return False
        tool_class = self.symbols.value(module, func.value, scope)
        return tool_class.kind is Kind.EXTERNAL and tool_class.name in TOOL_CLASSES

    # -- the facts of one module -----------------------------------------------------------------

    def _module_facts(
        self,
        path: str,
        remote: dict[str, list[Remote]],
        unproven: dict[str, str],
        registers: dict[str, str],
        *,
        handlers: bool,
    ) -> ModuleFacts:
        module = self.symbols.module(path)
        assert module is not None
        factories = {}
        for name in module.scopes.module.bindings:
            known = self.symbols.known(path, name)  # only those resolving the rest needed
            if known is not None and known.kind is Kind.FUNCTION and known.frameworks:
                factories[name] = known.frameworks
        params = {
            (function, param): frameworks
            for (where, function, param), frameworks in self.symbols.server_params.items()
            if where == path
        }
        return ModuleFacts(
            names=dict(self.symbols.touched.get(path, {})),
            factories=factories,
            server_params=params,
            registered={name: tuple(entries) for name, entries in remote.items()},
            unproven=unproven,
            registers=registers,
            # Only where handlers may be: the proof reads the whole project for each class.
            client_errors=self.client_errors.names_in(path) if handlers else frozenset(),
            kept_at_run_time=self.client_errors.kept_at_run_time(path) if handlers else frozenset(),
        )


# -- helpers --------------------------------------------------------------------------------------


def _decorator_receivers(module: Module) -> Iterator[tuple[ast.expr, Scope]]:
    """The `s` of every registering decorator, `@s.tool` / `@s.tool(...)`, and of every one
    held in a variable, `t = s.tool(...)` (then `@t` or `t(fn)`)."""
    for decorator, scope in module.scopes.decorators():
        receiver = _registrar_receiver(decorator)
        if receiver is not None:
            yield receiver, scope
    for call, scope in module.scopes.calls_on(module.lines_matching(_BOUND_DECORATOR_LINES)):
        func = call.func
        registrar = REGISTRARS.get(func.attr) if isinstance(func, ast.Attribute) else None
        if registrar is not None and registrar.factory:
            assert isinstance(func, ast.Attribute)
            yield func.value, scope


def _registrar_receiver(decorator: ast.expr) -> ast.expr | None:
    """The `s` of a decorator `@s.tool` / `@s.tool(...)` (any registrar method)."""
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    if isinstance(decorator, ast.Attribute) and decorator.attr in REGISTRARS:
        return decorator.value
    return None


def _literal_list(scope: Scope, name: str) -> list[ast.expr] | None:
    """The elements of the literal list a loop variable goes over (`for fn in [a, b]`; a list
    held in a variable may be filled at run time)."""
    bindings = bindings_seen_from(scope, name)
    if len(bindings) == 1 and isinstance(bindings[0], Loop):
        iterable = bindings[0].iterable
        if isinstance(iterable, ast.List | ast.Tuple | ast.Set):
            return list(iterable.elts)
    return None


def _parameter_of(
    module: Module, scope: Scope, expression: ast.expr | None
) -> set[tuple[str, str]]:
    """{(module path, top-level function)} when `expression` is a parameter of that function,
    whose callers then decide what it is; else nothing."""
    if not isinstance(expression, ast.Name):
        return set()
    found: set[tuple[str, str]] = set()
    for binding in bindings_seen_from(scope, expression.id):
        if isinstance(binding, Param):
            owner = module.scopes.functions.get(binding.function)
            if owner is not None and is_top_level(owner):
                found.add((module.path, binding.function.name))
    return found


def _arguments(
    module: Module, function: str, call: ast.Call
) -> Iterator[tuple[str, ast.expr | None]]:
    """(parameter, the argument `call` passes it, None if none) for each parameter of the
    top-level function `function` of `module`."""
    defined = [
        b
        for b in module.scopes.module.bindings.get(function, [])
        if isinstance(b, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    if len(defined) != 1:
        return
    arguments = defined[0].args
    positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
    given = {k.arg: k.value for k in call.keywords if k.arg is not None}
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return  # *args or **kwargs: which parameter gets what is not visible
    for index, param in enumerate(positional):
        yield param, call.args[index] if index < len(call.args) else given.get(param)
    for arg in arguments.kwonlyargs:
        yield arg.arg, given.get(arg.arg)


def _registered_name(
    registration: _Registration, naming: tuple[ast.expr | ast.keyword, ...]
) -> tuple[str | None, bool]:
    """(the registered name, whether the registration gives one), as handlers.py reads it."""
    if registration.kind is HandlerKind.LOWLEVEL_CALL_TOOL:
        return None, True
    for argument in naming:
        if isinstance(argument, ast.keyword) and argument.arg == "name":
            return _literal(argument.value), True
    positional = [a for a in naming if not isinstance(a, ast.keyword | ast.Starred)]
    index = registration.name_index
    if index is not None and len(positional) > index:
        return _literal(positional[index]), True
    return None, False


def _literal(expression: ast.expr | ast.keyword) -> str | None:
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return expression.value
    return None

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
import builtins
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from harden.ast_names import dotted_name
from harden.ast_names import parse as parse_ast
from harden.mcp.facts import Kind, ModuleFacts, Remote, Symbol
from harden.mcp.frameworks import (
    CONSTRUCTOR_KEYWORDS,
    REGISTRARS,
    SERVER_CLASSES,
    TOOL_CLASSES,
    Framework,
    HandlerKind,
    may_hold_handlers,
)
from harden.mcp.modules import INIT, Layout
from harden.mcp.scopes import (
    Function,
    Imported,
    Loop,
    Param,
    Scope,
    Scopes,
    Value,
    scopes_of,
)

_NONE = Symbol(Kind.OTHER, name="None")
_OTHER = Symbol(Kind.OTHER)
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


@dataclass(slots=True)
class _Module:
    path: str
    text: str
    scopes: Scopes

    def lines_matching(self, pattern: re.Pattern[str]) -> set[int]:
        lines: set[int] = set()
        line, position = 1, 0
        for match in pattern.finditer(self.text):
            line += self.text.count("\n", position, match.start())
            position = match.start()
            lines.add(line)
        return lines


@dataclass(frozen=True, slots=True)
class _Registration:
    """A call that registers functions, found in `module`: the receiver (None for a constructor
    keyword, whose class is the callee), the expression naming the functions, and the
    arguments naming them."""

    module: _Module
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
        self._texts = dict(files)
        self.layout = Layout(self._texts)
        self._modules: dict[str, _Module | None] = {}
        self._symbols: dict[tuple[str, str], Symbol] = {}
        self._factories: dict[Function, frozenset[Framework]] = {}
        self._busy: set[object] = set()  # what is being resolved: a cycle resolves to UNKNOWN
        # (module path, top-level function, parameter) -> the frameworks every caller's server has
        self._server_params: dict[tuple[str, str, str], frozenset[Framework]] = {}
        # What discovery in each module will ask: the names written there that resolving its
        # registrations went through an import for (`mcp`, `s.mcp`, `create_server`).
        self._touched: dict[str, dict[str, Symbol]] = {}

    # -- which modules ---------------------------------------------------------------------------

    def module(self, path: str) -> _Module | None:
        """The module at `path`, parsed on first need (None: not a file, or not parsable)."""
        if path not in self._modules:
            text = self._texts.get(path)
            tree = parse_ast(text) if text is not None else None
            self._modules[path] = _Module(path, text, scopes_of(tree)) if tree else None
        return self._modules[path]

    def facts(self, seeds: Iterable[str] | None = None) -> dict[str, ModuleFacts]:
        """The facts of the `seeds` (default: the files whose text may hold MCP handlers) and of
        the modules whose functions they register."""
        if seeds is None:
            seeds = [path for path, text in self._texts.items() if may_hold_handlers(text)]
        modules = [m for m in (self.module(path) for path in seeds) if m is not None]
        modules += self._settle_server_params(modules)
        remote: dict[str, dict[str, list[Remote]]] = {}
        unproven: dict[str, dict[str, str]] = {}
        registers: dict[str, dict[str, str]] = {}
        for module in modules:
            for registration in self._shapes(module):
                self._link(registration, remote, unproven, registers)
            for decorator, scope in module.scopes.decorators():
                receiver = _registrar_receiver(decorator)
                if receiver is not None:
                    self.value(module, receiver, scope)  # what discovery will ask about
        paths = {m.path for m in modules} | set(remote) | set(unproven)
        return {
            path: self._module_facts(
                path, remote.get(path, {}), unproven.get(path, {}), registers.get(path, {})
            )
            for path in sorted(paths)
            if self.module(path) is not None
        }

    # -- what a name is --------------------------------------------------------------------------

    def symbol(self, path: str, name: str) -> Symbol:
        """What top-level name `name` of module `path` is."""
        key = (path, name)
        if key in self._symbols:
            return self._symbols[key]
        if key in self._busy:
            return Symbol(Kind.UNKNOWN, reason=f"`{name}` is defined in terms of itself")
        self._busy.add(key)
        try:
            found = self._top_level(path, name)
        finally:
            self._busy.discard(key)
        self._symbols[key] = found
        return found

    def _top_level(self, path: str, name: str) -> Symbol:
        qualified = f"{self.layout.dotted_name(path)}.{name}"
        if qualified in SERVER_CLASSES or qualified in TOOL_CLASSES:
            return _external(qualified)  # a framework's own module, read as part of the tree
        module = self.module(path) if not path.endswith("/") else None
        bindings = module.scopes.module.bindings.get(name, []) if module else []
        if not bindings:
            submodule = self.layout.submodule(path, name) if _is_package(path) else None
            if submodule is not None:
                return Symbol(Kind.MODULE, path=submodule)
            if module is not None and module.scopes.module.star_imports:
                return Symbol(Kind.UNKNOWN, reason=f"`{name}` may come from an `import *`")
            return Symbol(Kind.UNKNOWN, reason=f"`{name}` is not defined in `{path}`")
        assert module is not None
        scope = module.scopes.module
        found = _combine(name, [self._bound(module, scope, name, b) for b in bindings])
        self._touch(path, name, bindings, found)
        return found

    def _touch(self, path: str, written: str, bindings: Sequence[object], found: Symbol) -> None:
        """Remember what a name bound by an import in `path` is, for that module's facts."""
        if any(isinstance(b, Imported) for b in bindings) and found.kind is not Kind.EXTERNAL:
            self._touched.setdefault(path, {})[written] = found

    def _bound(self, module: _Module, scope: Scope, name: str, binding: object) -> Symbol:
        """What one binding of `name` in `scope` gives it."""
        match binding:
            case Imported():
                return self._imported(module.path, binding)
            case Value(value=value, annotation=annotation):
                declared = self._annotation(module, annotation, scope)
                if declared:
                    return Symbol(Kind.SERVER, declared)
                if value is None:
                    return Symbol(Kind.UNKNOWN, reason=f"`{name}` is declared but not assigned")
                return self.value(module, value, scope)
            case Param(arg=arg, function=function):
                return self._param(module, scope, arg, function)
            case ast.FunctionDef() | ast.AsyncFunctionDef():
                if scope.parent is not None:
                    return _OTHER  # a nested function: handlers.py sees it in its module
                return Symbol(Kind.FUNCTION, self._factory(module, binding), module.path, name)
            case ast.ClassDef():
                bases = [self.value(module, base, scope) for base in binding.bases]
                servers = frozenset().union(*(b.frameworks for b in bases if _is_class(b)))
                return Symbol(Kind.SERVER_CLASS, servers) if servers else _OTHER
            case Loop():
                return Symbol(Kind.UNKNOWN, reason=f"`{name}` is a loop variable")
        return Symbol(Kind.UNKNOWN, reason=f"`{name}` is bound in a way harden does not follow")

    def _imported(self, path: str, imported: Imported) -> Symbol:
        dots = "." * imported.level
        if imported.name is None:  # import a.b [as c]
            assert imported.module is not None
            target = self.layout.resolve(path, imported.module, 0)
            return Symbol(Kind.MODULE, path=target) if target else _external(imported.module)
        source = f"{dots}{imported.module or ''}"
        qualified = f"{imported.module}.{imported.name}"
        if not imported.level and (qualified in SERVER_CLASSES or qualified in TOOL_CLASSES):
            return _external(qualified)
        target = self.layout.resolve(path, imported.module, imported.level)
        if target is None:
            if imported.level:
                return Symbol(
                    Kind.UNKNOWN,
                    reason=f"`{imported.name}` is imported from `{source}`, "
                    "which is not in the files harden read",
                )
            return _external(qualified)
        if _is_package(target):
            # `from . import server`: the submodule, unless the package binds the name itself.
            submodule = self.layout.submodule(target, imported.name)
            defined = self.module(target) if not target.endswith("/") else None
            binds = defined is not None and imported.name in defined.scopes.module.bindings
            if submodule is not None and (target == path or not binds):
                return Symbol(Kind.MODULE, path=submodule)
        return self.symbol(target, imported.name)

    def value(self, module: _Module, expression: ast.expr, scope: Scope) -> Symbol:
        """What evaluating `expression` in `scope` of `module` gives."""
        match expression:
            case ast.Constant(value=None):
                return _NONE
            case ast.Name(id=name):
                return self._name(module, scope, name)
            case ast.Attribute(value=base, attr=attribute):
                owner = self.value(module, base, scope)
                if owner.kind is Kind.MODULE:
                    found = self.symbol(owner.path, attribute)
                    written = dotted_name(expression)
                    if written is not None and found.kind is not Kind.EXTERNAL:
                        self._touched.setdefault(module.path, {})[written] = found
                    return found
                if owner.kind is Kind.EXTERNAL:
                    return _external(f"{owner.name}.{attribute}")
                return Symbol(
                    Kind.UNKNOWN,
                    reason=f"`{ast.unparse(expression)}` is an attribute harden cannot follow",
                )
            case ast.Subscript(value=generic):  # FastMCP[Any]: the class itself
                found = self.value(module, generic, scope)
                return found if _is_class(found) else _OTHER
            case ast.Call(func=callee):
                made = self.value(module, callee, scope)
                if _is_class(made) or (made.kind is Kind.FUNCTION and made.frameworks):
                    return Symbol(Kind.SERVER, made.frameworks)
                if made.kind is Kind.UNKNOWN:
                    return made
                return Symbol(
                    Kind.UNKNOWN,
                    reason=f"the server comes from `{ast.unparse(callee)}(...)`, "
                    "which is not a known MCP server class",
                )
        return Symbol(
            Kind.UNKNOWN, reason=f"`{ast.unparse(expression)}` is not a name harden can follow"
        )

    def _name(self, module: _Module, scope: Scope, name: str) -> Symbol:
        inner: Scope | None = scope
        while inner is not None and inner.parent is not None:
            if name in inner.bindings and name not in inner.declared_global:
                key = (inner.node, name)
                if key in self._busy:
                    return Symbol(Kind.UNKNOWN, reason=f"`{name}` is defined in terms of itself")
                self._busy.add(key)
                bindings = inner.bindings[name]
                try:
                    found = _combine(name, [self._bound(module, inner, name, b) for b in bindings])
                finally:
                    self._busy.discard(key)
                self._touch(module.path, name, bindings, found)
                return found
            inner = inner.parent
        top = module.scopes.module
        if name in _BUILTINS and name not in top.bindings and not top.star_imports:
            return _OTHER
        return self.symbol(module.path, name)

    def _param(self, module: _Module, scope: Scope, arg: ast.arg, function: Function) -> Symbol:
        declared = self._annotation(module, arg.annotation, scope.parent or scope)
        if declared:
            return Symbol(Kind.SERVER, declared)
        passed = self._server_params.get((module.path, function.name, arg.arg))
        if passed and _is_top_level(scope):
            return Symbol(Kind.SERVER, passed)
        return Symbol(
            Kind.UNKNOWN,
            reason=f"`{arg.arg}` is a parameter of `{function.name}()` not annotated with a "
            "known MCP server class",
        )

    def _annotation(
        self, module: _Module, annotation: ast.expr | None, scope: Scope
    ) -> frozenset[Framework]:
        """The frameworks of the server class an annotation names: `FastMCP`, `"FastMCP"`
        (a string annotation, as with `if TYPE_CHECKING:` imports), `FastMCP[Any]`,
        `FastMCP | None`."""
        match annotation:
            case None | ast.Constant(value=None):
                return frozenset()
            case ast.Constant(value=str(text)):
                parsed = parse_ast(text)
                body = parsed.body if parsed is not None else []
                if len(body) == 1 and isinstance(body[0], ast.Expr):
                    return self._annotation(module, body[0].value, scope)
                return frozenset()
            case ast.Subscript(value=generic):
                return self._annotation(module, generic, scope)
            case ast.BinOp(op=ast.BitOr(), left=left, right=right):
                return self._annotation(module, left, scope) | self._annotation(
                    module, right, scope
                )
        found = self.value(module, annotation, scope)
        return found.frameworks if _is_class(found) else frozenset()

    def _factory(self, module: _Module, function: Function) -> frozenset[Framework]:
        """The frameworks of the server a top-level function returns: by its return annotation,
        or because every `return` in it gives a server."""
        if function in self._factories:
            return self._factories[function]
        if function in self._busy:
            return frozenset()
        self._busy.add(function)
        try:
            scope = module.scopes.functions[function]
            made = self._annotation(module, function.returns, scope.parent or scope)
            if not made and scope.returns:
                returned = [self.value(module, value, scope) for value in scope.returns]
                if all(r.kind is Kind.SERVER for r in returned if r is not _NONE):
                    made = frozenset().union(*(r.frameworks for r in returned))
        finally:
            self._busy.discard(function)
        self._factories[function] = made
        return made

    # -- parameters every caller passes a server -------------------------------------------------

    def _server_param_uses(self, modules: Iterable[_Module]) -> set[tuple[str, str]]:
        """(module path, top-level function) whose parameters are registration receivers with no
        server class annotation: only their callers can tell what they are."""
        wanted: set[tuple[str, str]] = set()
        for module in modules:
            receivers = [
                (r.receiver, r.scope) for r in self._shapes(module) if r.receiver is not None
            ]
            for decorator, scope in module.scopes.decorators():
                receiver = _registrar_receiver(decorator)
                if receiver is not None:
                    receivers.append((receiver, scope))
            for receiver, scope in receivers:
                wanted |= _parameter_of(module, scope, receiver)
        return wanted

    def _settle_server_params(self, modules: list[_Module]) -> list[_Module]:
        """Find the parameters of top-level functions that every call in the project passes a
        server: those used as registration receivers, and those passed on to one (a server
        handed down). Returns the modules it read to find their callers."""
        wanted = self._server_param_uses(modules)
        callers: list[_Module] = []
        sites: list[tuple[_Module, ast.Call, Scope]] = []
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
                callee = self.value(module, call.func, scope)
                if callee.kind is not Kind.FUNCTION or (callee.path, callee.name) not in wanted:
                    continue
                defined = self.module(callee.path)
                assert defined is not None
                for param, argument in _arguments(defined, callee.name, call):
                    key = (callee.path, callee.name, param)
                    found_value = self.value(module, argument, scope) if argument else _OTHER
                    passed.setdefault(key, []).append(found_value)
                    wanted |= _parameter_of(module, scope, argument)  # handed down
            settled = {
                key: frozenset().union(*(s.frameworks for s in symbols))
                for key, symbols in passed.items()
                if all(s.kind is Kind.SERVER for s in symbols)
            }
            if settled == self._server_params and not ({name for _, name in wanted} - searched):
                break
            self._server_params = settled
            # What was derived from the old answers may change with the new ones.
            self._symbols.clear()
            self._factories.clear()
            self._touched.clear()
        return callers

    def _modules_calling(self, names: set[str], known: set[str]) -> list[_Module]:
        """Modules not yet read whose text calls one of `names` (they need not mention MCP)."""
        found = []
        for path, text in self._texts.items():
            if path not in known and any(f"{name}(" in text for name in names):
                module = self.module(path)
                if module is not None:
                    found.append(module)
        return found

    # -- registrations of functions defined in other modules ------------------------------------

    def _shapes(self, module: _Module) -> Iterator[_Registration]:
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
            made = self.value(module, call.func, scope)
            server = Symbol(Kind.SERVER, made.frameworks) if _is_class(made) else _OTHER
        else:
            server = self.value(module, registration.receiver, scope)
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
                yield written, self.value(module, expression, scope), naming

    def _from_function(self, module: _Module, call: ast.Call, scope: Scope) -> bool:
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "from_function" and call.args):
            return False
        tool_class = self.value(module, func.value, scope)
        return tool_class.kind is Kind.EXTERNAL and tool_class.name in TOOL_CLASSES

    # -- the facts of one module -----------------------------------------------------------------

    def _module_facts(
        self,
        path: str,
        remote: dict[str, list[Remote]],
        unproven: dict[str, str],
        registers: dict[str, str],
    ) -> ModuleFacts:
        module = self.module(path)
        assert module is not None
        factories = {}
        for name in module.scopes.module.bindings:
            known = self._symbols.get((path, name))  # only those resolving the rest needed
            if known is not None and known.kind is Kind.FUNCTION and known.frameworks:
                factories[name] = known.frameworks
        params = {
            (function, param): frameworks
            for (where, function, param), frameworks in self._server_params.items()
            if where == path
        }
        return ModuleFacts(
            names=dict(self._touched.get(path, {})),
            factories=factories,
            server_params=params,
            registered={name: tuple(entries) for name, entries in remote.items()},
            unproven=unproven,
            registers=registers,
        )


# -- helpers --------------------------------------------------------------------------------------

_BUILTINS = frozenset(dir(builtins))


def _external(qualified: str) -> Symbol:
    frameworks = SERVER_CLASSES.get(qualified)
    if frameworks:
        return Symbol(Kind.SERVER_CLASS, frameworks, name=qualified)
    return Symbol(Kind.EXTERNAL, name=qualified)


def _is_class(symbol: Symbol) -> bool:
    return symbol.kind is Kind.SERVER_CLASS


def _is_package(path: str) -> bool:
    return path.endswith("/") or path.endswith(f"/{INIT}") or path == INIT


def _is_top_level(scope: Scope) -> bool:
    """Whether `scope` is a module-level function's (not a method's, not a nested one's)."""
    return scope.parent is not None and scope.parent.parent is None and not scope.method


def _combine(name: str, found: Sequence[Symbol]) -> Symbol:
    """One answer for a name bound several times (`try: import` / `except ImportError:`, an
    `if`), as handlers.py combines them."""
    found = [s for s in found if s is not _NONE]
    if not found:
        return Symbol(Kind.UNKNOWN, reason=f"`{name}` is only ever None")
    unknown = [s for s in found if s.kind is Kind.UNKNOWN]
    if unknown:
        return unknown[0]
    if len(found) == 1:
        return found[0]
    kinds = {s.kind for s in found}
    if kinds == {Kind.SERVER} or kinds == {Kind.SERVER_CLASS}:
        return replace(found[0], frameworks=frozenset().union(*(s.frameworks for s in found)))
    if Kind.SERVER in kinds:
        return Symbol(
            Kind.UNKNOWN, reason=f"`{name}` is bound both to a server and to something else"
        )
    if len({(s.kind, s.path, s.name) for s in found}) == 1:
        return found[0]
    return _OTHER


def _registrar_receiver(decorator: ast.expr) -> ast.expr | None:
    """The `s` of a decorator `@s.tool` / `@s.tool(...)` (any registrar method)."""
    if isinstance(decorator, ast.Call):
        decorator = decorator.func
    if isinstance(decorator, ast.Attribute) and decorator.attr in REGISTRARS:
        return decorator.value
    return None


def _bindings_seen_from(scope: Scope, name: str) -> list[object]:
    inner: Scope | None = scope
    while inner is not None:
        if name in inner.bindings:
            return list(inner.bindings[name])
        inner = inner.parent
    return []


def _literal_list(scope: Scope, name: str) -> list[ast.expr] | None:
    """The elements of the literal list a loop variable goes over (`for fn in [a, b]`; a list
    held in a variable may be filled at run time)."""
    bindings = _bindings_seen_from(scope, name)
    if len(bindings) == 1 and isinstance(bindings[0], Loop):
        iterable = bindings[0].iterable
        if isinstance(iterable, ast.List | ast.Tuple | ast.Set):
            return list(iterable.elts)
    return None


def _parameter_of(
    module: _Module, scope: Scope, expression: ast.expr | None
) -> set[tuple[str, str]]:
    """{(module path, top-level function)} when `expression` is a parameter of that function,
    whose callers then decide what it is; else nothing."""
    if not isinstance(expression, ast.Name):
        return set()
    found: set[tuple[str, str]] = set()
    for binding in _bindings_seen_from(scope, expression.id):
        if isinstance(binding, Param):
            owner = module.scopes.functions.get(binding.function)
            if owner is not None and _is_top_level(owner):
                found.add((module.path, binding.function.name))
    return found


def _arguments(
    module: _Module, function: str, call: ast.Call
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

"""What a name is across the modules of a project: a server, a server class, a factory of
servers, a function or module of the project, something from outside it, or unknown (and why).

The project index (project.py) asks it about the names it meets. It follows a module-level name
through imports (relative, absolute, re-exports through `__init__.py`), assignments, annotations
(also as strings, as under `if TYPE_CHECKING:`), class bases and the `return`s of functions,
reading each module with the standard library's `ast` on first need (scopes.py). It remembers
what it found, and which import-bound names of each module it went through, for that module's
facts. It never imports or runs the code and never guesses.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from harden.ast_names import dotted_name
from harden.ast_names import parse as parse_ast
from harden.mcp.facts import Kind, Symbol
from harden.mcp.frameworks import SERVER_CLASSES, TOOL_CLASSES, Framework
from harden.mcp.modules import INIT, Layout
from harden.mcp.scopes import Function, Imported, Loop, Param, Scope, Scopes, Value, scopes_of
from harden.mcp.texts import ProjectTexts
from harden.vendoring import RUNTIME_MODULE, RUNTIME_PUBLISHED

NONE = Symbol(Kind.OTHER, name="None")
OTHER = Symbol(Kind.OTHER)


@dataclass(slots=True)
class Module:
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


class Symbols:
    def __init__(self, files: Sequence[tuple[str, str]]) -> None:
        self.texts = ProjectTexts(files)
        self.layout = Layout(self.texts.paths())
        self.modules: dict[str, Module | None] = {}
        self._symbols: dict[tuple[str, str], Symbol] = {}
        self._factories: dict[Function, frozenset[Framework]] = {}
        self._busy: set[object] = set()  # what is being resolved: a cycle resolves to UNKNOWN
        # (module path, top-level function, parameter) -> the frameworks every caller's server
        # has; the index settles it (project.py)
        self.server_params: dict[tuple[str, str, str], frozenset[Framework]] = {}
        # What discovery in each module will ask: the names written there that resolving went
        # through an import for (`mcp`, `s.mcp`, `create_server`).
        self.touched: dict[str, dict[str, Symbol]] = {}

    def module(self, path: str) -> Module | None:
        """The module at `path`, parsed on first need (None: not a file, or not parsable)."""
        if path not in self.modules:
            text = self.texts.get(path)
            tree = parse_ast(text) if text is not None else None
            self.modules[path] = Module(path, text, scopes_of(tree)) if tree else None
        return self.modules[path]

    def known(self, path: str, name: str) -> Symbol | None:
        """What top-level name `name` of `path` was found to be, if it was looked up."""
        return self._symbols.get((path, name))

    def forget(self) -> None:
        """Forget every answer (the server parameters changed, and answers may follow)."""
        self._symbols.clear()
        self._factories.clear()
        self.touched.clear()

    # -- what a name is ----------------------------------------------------------------------------

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
            return external(qualified)  # a framework's own module, read as part of the tree
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
            self.touched.setdefault(path, {})[written] = found

    def _bound(self, module: Module, scope: Scope, name: str, binding: object) -> Symbol:
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
                    return OTHER  # a nested function: handlers.py sees it in its module
                return Symbol(Kind.FUNCTION, self._factory(module, binding), module.path, name)
            case ast.ClassDef():
                bases = [self.value(module, base, scope) for base in binding.bases]
                servers = frozenset().union(*(b.frameworks for b in bases if is_class(b)))
                return Symbol(Kind.SERVER_CLASS, servers) if servers else OTHER
            case Loop():
                return Symbol(Kind.UNKNOWN, reason=f"`{name}` is a loop variable")
        return Symbol(Kind.UNKNOWN, reason=f"`{name}` is bound in a way harden does not follow")

    def _imported(self, path: str, imported: Imported) -> Symbol:
        dots = "." * imported.level
        if imported.name is None:  # import a.b [as c]
            assert imported.module is not None
            target = self.layout.resolve(path, imported.module, 0)
            return Symbol(Kind.MODULE, path=target) if target else external(imported.module)
        source = f"{dots}{imported.module or ''}"
        qualified = f"{imported.module}.{imported.name}"
        if not imported.level and (qualified in SERVER_CLASSES or qualified in TOOL_CLASSES):
            return external(qualified)
        target = self.layout.resolve(path, imported.module, imported.level)
        if target is None:
            if imported.level:
                return Symbol(
                    Kind.UNKNOWN,
                    reason=f"`{imported.name}` is imported from `{source}`, "
                    "which is not in the files harden read",
                )
            return external(qualified)
        if _is_package(target):
            # `from . import server`: the submodule, unless the package binds the name itself.
            submodule = self.layout.submodule(target, imported.name)
            defined = self.module(target) if not target.endswith("/") else None
            binds = defined is not None and imported.name in defined.scopes.module.bindings
            if submodule is not None and (target == path or not binds):
                return Symbol(Kind.MODULE, path=submodule)
        return self.symbol(target, imported.name)

    def value(self, module: Module, expression: ast.expr, scope: Scope) -> Symbol:
        """What evaluating `expression` in `scope` of `module` gives."""
        match expression:
            case ast.Constant(value=None):
                return NONE
            case ast.Name(id=name):
                return self._name(module, scope, name)
            case ast.Attribute(value=base, attr=attribute):
                owner = self.value(module, base, scope)
                if owner.kind is Kind.MODULE:
                    found = self.symbol(owner.path, attribute)
                    written = dotted_name(expression)
                    if written is not None and found.kind is not Kind.EXTERNAL:
                        self.touched.setdefault(module.path, {})[written] = found
                    return found
                if owner.kind is Kind.EXTERNAL:
                    return external(f"{owner.name}.{attribute}")
                return Symbol(
                    Kind.UNKNOWN,
                    reason=f"`{ast.unparse(expression)}` is an attribute harden cannot follow",
                )
            case ast.Subscript(value=generic):  # FastMCP[Any]: the class itself
                found = self.value(module, generic, scope)
                return found if is_class(found) else OTHER
            case ast.Call(
                func=ast.Attribute(value=ast.Name(id=runtime), attr=function),
                args=[served],
                keywords=[],
            ) if (runtime, function) == (RUNTIME_MODULE, RUNTIME_PUBLISHED) and not isinstance(
                served, ast.Starred
            ):
                return self.value(module, served, scope)  # phase 4's wrapper: the server itself
            case ast.Call(func=callee):
                made = self.value(module, callee, scope)
                if is_class(made) or (made.kind is Kind.FUNCTION and made.frameworks):
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

    def _name(self, module: Module, scope: Scope, name: str) -> Symbol:
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
            return OTHER
        return self.symbol(module.path, name)

    def _param(self, module: Module, scope: Scope, arg: ast.arg, function: Function) -> Symbol:
        declared = self._annotation(module, arg.annotation, scope.parent or scope)
        if declared:
            return Symbol(Kind.SERVER, declared)
        passed = self.server_params.get((module.path, function.name, arg.arg))
        if passed and is_top_level(scope):
            return Symbol(Kind.SERVER, passed)
        return Symbol(
            Kind.UNKNOWN,
            reason=f"`{arg.arg}` is a parameter of `{function.name}()` not annotated with a "
            "known MCP server class",
        )

    def _annotation(
        self, module: Module, annotation: ast.expr | None, scope: Scope
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
        return found.frameworks if is_class(found) else frozenset()

    def _factory(self, module: Module, function: Function) -> frozenset[Framework]:
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
                if all(r.kind is Kind.SERVER for r in returned if r is not NONE):
                    made = frozenset().union(*(r.frameworks for r in returned))
        finally:
            self._busy.discard(function)
        self._factories[function] = made
        return made


# -- helpers ------------------------------------------------------------------------------------

_BUILTINS = frozenset(dir(builtins))


def external(qualified: str) -> Symbol:
    frameworks = SERVER_CLASSES.get(qualified)
    if frameworks:
        return Symbol(Kind.SERVER_CLASS, frameworks, name=qualified)
    return Symbol(Kind.EXTERNAL, name=qualified)


def is_class(symbol: Symbol) -> bool:
    return symbol.kind is Kind.SERVER_CLASS


def _is_package(path: str) -> bool:
    return path.endswith("/") or path.endswith(f"/{INIT}") or path == INIT


def is_top_level(scope: Scope) -> bool:
    """Whether `scope` is a module-level function's (not a method's, not a nested one's)."""
    return scope.parent is not None and scope.parent.parent is None and not scope.method


def _combine(name: str, found: Sequence[Symbol]) -> Symbol:
    """One answer for a name bound several times (`try: import` / `except ImportError:`, an
    `if`), as handlers.py combines them."""
    found = [s for s in found if s is not NONE]
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
    return OTHER


def bindings_seen_from(scope: Scope, name: str) -> list[object]:
    inner: Scope | None = scope
    while inner is not None:
        if name in inner.bindings:
            return list(inner.bindings[name])
        inner = inner.parent
    return []

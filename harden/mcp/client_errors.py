"""The project's own exception classes whose every message is written for the client.

Phase 5 hides an exception's text from the client because it is written for the developer:
paths, SQL, hosts, secrets. A project's own exception raised with a policy message
(`raise CommandSecurityError("rm is not allowed")`) is different: its text is the answer the
client needs. This module proves that, project-wide, with the standard library's `ast`, for the
classes a module's `except` clauses name. A class is proven when:

- it is defined in the project, at a module's top level, deriving only from builtin exceptions
  or from classes proven in turn, with no metaclass;
- its body defines no method and computes nothing (a docstring, `pass`, literal attributes), so
  only what a raise passes becomes its text;
- every construction of it, and of every class deriving from it, anywhere in the project, passes
  only literals and the raising function's own parameters annotated as plain data (`str`,
  `int`, `Literal[...]`, ...; never reassigned there), joined by f-strings, `+`, `%` or
  `.format`; and the class is never handed around as a value (only raised, called, caught,
  derived from or tested with isinstance).

Anything else (a local variable, a call's result, another exception's text) and the class is
not proven. Classes are matched by name across the project, so two classes sharing a name must
both be proven. It never imports or runs the code, and never changes it.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator
from dataclasses import dataclass

from harden.ast_names import parse as parse_ast
from harden.mcp.scopes import Function, Imported
from harden.mcp.symbols import Symbols

_METHODS_OF_TEXT = frozenset({"str", "repr", "int", "float", "len"})
_PLAIN_TYPES = frozenset({"str", "int", "float", "bool", "bytes", "Path", "PurePath", "None"})
_CHECKS = frozenset({"isinstance", "issubclass"})
_FOLLOWED_IMPORTS = 4  # re-exports followed to reach a class's definition


class ClientErrors:
    """Answers, per module, which names its `except` clauses catch are client-meant classes."""

    def __init__(self, symbols: Symbols) -> None:
        self.symbols = symbols
        self._proven: dict[tuple[str, str], bool] = {}
        self._names: dict[str, bool] = {}  # class name -> its constructions are all clean
        self._caught: dict[str, frozenset[str]] = {}
        self._raises: dict[str, set[str]] = {}
        self._uses: dict[str, _Uses] = {}

    def names_in(self, path: str) -> frozenset[str]:
        """The names module `path` catches (`except Name`) that are proven client-meant."""
        if path not in self._caught:
            self._caught[path] = self._names_caught(path)
        return self._caught[path]

    def _names_caught(self, path: str) -> frozenset[str]:
        tree = self._tree(path)
        if tree is None:
            return frozenset()
        caught = {
            name.id
            for handler in ast.walk(tree)
            if isinstance(handler, ast.ExceptHandler) and handler.type is not None
            for name in _caught(handler.type)
        }
        return frozenset(
            name
            for name in caught
            if (found := self._definition(path, name, 0)) is not None and self._is_proven(found)
        )

    def kept_at_run_time(self, path: str) -> frozenset[str]:
        """The proven classes a handler of module `path` may let out: those it catches or
        raises, and those the project modules it imports raise. Each is named by its file's
        path and its name (`src.pkg.errors.PolicyError`): the runtime lets an exception of a
        class whose module and name end that path through mask_errors unchanged."""
        tree = self._tree(path)
        module = self.symbols.module(path)
        if tree is None or module is None:
            return frozenset()
        wanted = [(path, set(self.names_in(path)) | self._raised(path))]
        targets = {
            self.symbols.layout.resolve(path, imported.module, imported.level)
            for binding in module.scopes.module.bindings.values()
            for imported in binding
            if isinstance(imported, Imported)
        }
        wanted += [(t, self._raised(t)) for t in targets if t and not t.endswith("/")]
        kept = set()
        for where, names in wanted:
            for name in names:
                found_class = self._definition(where, name, 0)
                if found_class is not None and self._is_proven(found_class):
                    kept.add(_path_name(*found_class))
        return frozenset(kept)

    # -- where a class is defined -------------------------------------------------------------

    def _definition(self, path: str, name: str, depth: int) -> tuple[str, str] | None:
        """(module path, class name) of the project class `name` stands for in `path`."""
        module = self.symbols.module(path)
        bindings = module.scopes.module.bindings.get(name, []) if module else []
        if len(bindings) != 1 or depth > _FOLLOWED_IMPORTS:
            return None
        (binding,) = bindings
        if isinstance(binding, ast.ClassDef):
            return path, name
        if isinstance(binding, Imported) and binding.name is not None:
            target = self.symbols.layout.resolve(path, binding.module, binding.level)
            if target is not None and not target.endswith("/"):
                return self._definition(target, binding.name, depth + 1)
        return None

    # -- what proves a class ------------------------------------------------------------------

    def _is_proven(self, where: tuple[str, str]) -> bool:
        return self._plain(where) and self._clean_family(where[1])

    def _plain(self, where: tuple[str, str]) -> bool:
        """Whether the class is defined once, computes nothing, and derives only from builtin
        exceptions and classes that are plain in turn."""
        if where not in self._proven:
            self._proven[where] = False  # a cycle through bases proves nothing
            self._proven[where] = self._check_definition(*where)
        return self._proven[where]

    def _check_definition(self, path: str, name: str) -> bool:
        tree = self._tree(path)
        classes = [
            node
            for node in (tree.body if tree else [])
            if isinstance(node, ast.ClassDef) and node.name == name
        ]
        if len(classes) != 1:
            return False
        (cls,) = classes
        if cls.keywords or cls.decorator_list or not all(map(_plain_statement, cls.body)):
            return False
        for base in cls.bases:
            if isinstance(base, ast.Name) and _builtin_exception(base.id):
                continue
            found = self._definition(path, base.id, 0) if isinstance(base, ast.Name) else None
            if found is None or not self._plain(found):
                return False
        return True

    def _clean_family(self, name: str) -> bool:
        """Whether every use of classes named `name` in the project raises, catches or derives
        from them with clean messages only, and so does every class deriving from them."""
        if name in self._names:
            return self._names[name]
        self._names[name] = True  # met again while deriving classes are judged: no new use
        word = re.compile(rf"\b{re.escape(name)}\b")
        clean = True
        for path, text in self.symbols.texts.containing([name]):
            tree = self._tree(path) if word.search(text) else None
            if tree is None:
                continue
            namesakes = [
                node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == name
            ]
            clean = (
                self._uses_of(path, tree).clean(name)
                and all(self._plain((path, name)) for _ in namesakes[:1])
                and all(
                    self._plain((path, sub)) and self._clean_family(sub)
                    for sub in self._uses_of(path, tree).subclasses(name)
                )
            )
            if not clean:
                break
        self._names[name] = clean
        return clean

    def _raised(self, path: str) -> set[str]:
        """The names module `path` raises: `raise Name(...)` and `raise Name`."""
        if path not in self._raises:
            text = self.symbols.texts.get(path) or ""
            tree = self._tree(path) if "raise" in text else None
            self._raises[path] = _raised(tree) if tree is not None else set()
        return self._raises[path]

    def _uses_of(self, path: str, tree: ast.Module) -> _Uses:
        if path not in self._uses:
            self._uses[path] = _Uses.of(tree)
        return self._uses[path]

    def _tree(self, path: str) -> ast.Module | None:
        """The module's tree, parsed once for the whole index (symbols.py parses it)."""
        module = self.symbols.module(path)
        tree = module.scopes.module.node if module is not None else None
        return tree if isinstance(tree, ast.Module) else None


def _raised(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name):
                found.add(exc.id)
    return found


def _path_name(path: str, name: str) -> str:
    """`src.pkg.errors.PolicyError` for class PolicyError of src/pkg/errors.py."""
    dotted = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    return f"{dotted}.{name}"


def _caught(expression: ast.expr) -> Iterator[ast.Name]:
    if isinstance(expression, ast.Tuple):
        for element in expression.elts:
            yield from _caught(element)
    elif isinstance(expression, ast.Name):
        yield expression


def _plain_statement(statement: ast.stmt) -> bool:
    """A docstring, `pass`, `...`, or an attribute given a literal."""
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr):
        return isinstance(statement.value, ast.Constant)
    if isinstance(statement, ast.Assign | ast.AnnAssign):
        return statement.value is None or isinstance(statement.value, ast.Constant)
    return False


def _builtin_exception(name: str) -> bool:
    value = getattr(builtins, name, None)
    return isinstance(value, type) and issubclass(value, BaseException)


@dataclass(slots=True)
class _Uses:
    """Where a module reads each name: the Name or Attribute nodes (by identifier), with their
    parent and enclosing function; and what its `from ... import x as y` rename."""

    reads: dict[str, list[tuple[ast.expr, ast.AST, Function | None]]]
    parents: dict[ast.AST, ast.AST]
    renamed: dict[str, set[str]]

    @classmethod
    def of(cls, tree: ast.Module) -> _Uses:
        uses = cls({}, {}, {})
        stack: list[tuple[ast.AST, Function | None]] = [(tree, None)]
        while stack:
            node, function = stack.pop()
            inner = node if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.asname:
                        uses.renamed.setdefault(alias.name, set()).add(alias.asname)
            for child in ast.iter_child_nodes(node):
                uses.parents[child] = node
                stack.append((child, inner))
                identifier = (
                    child.id
                    if isinstance(child, ast.Name)
                    else child.attr
                    if isinstance(child, ast.Attribute)
                    else None
                )
                if identifier is not None and not isinstance(child.ctx, ast.Store):  # type: ignore[union-attr]
                    assert isinstance(child, ast.expr)
                    uses.reads.setdefault(identifier, []).append((child, node, inner))
        return uses

    def subclasses(self, name: str) -> list[str]:
        """The classes of the module deriving from `name` (`class X(name)`, `X(m.name)`)."""
        return [
            parent.name
            for node, parent, _ in self.reads.get(name, ())
            if isinstance(parent, ast.ClassDef) and node in parent.bases
        ]

    def clean(self, name: str) -> bool:
        """Whether every read of `name` (or an import alias of it) is a clean construction, a
        bare raise, a catch, a base, or an isinstance/issubclass test."""
        return all(
            _clean_use(node, parent, self.parents, function)
            for alias in {name} | self.renamed.get(name, set())
            for node, parent, function in self.reads.get(alias, ())
        )


def _clean_use(
    node: ast.expr,
    parent: ast.AST,
    parents: dict[ast.AST, ast.AST],
    function: Function | None,
) -> bool:
    if isinstance(parent, ast.Call) and parent.func is node:
        arguments = [*parent.args, *(keyword.value for keyword in parent.keywords)]
        return all(_clean(argument, function) for argument in arguments)
    if isinstance(parent, ast.Raise) and parent.exc is node:
        return True
    if isinstance(parent, ast.ClassDef) and node in parent.bases:
        return True
    holder = parents.get(parent) if isinstance(parent, ast.Tuple) else parent
    if isinstance(holder, ast.ExceptHandler):
        return True
    return (
        isinstance(holder, ast.Call)
        and isinstance(holder.func, ast.Name)
        and holder.func.id in _CHECKS
    )


def _clean(expression: ast.expr, function: Function | None) -> bool:
    """Built only from literals and `function`'s own parameters (never reassigned in it)."""
    match expression:
        case ast.Constant():
            return True
        case ast.JoinedStr(values=values):
            return all(_clean(value, function) for value in values)
        case ast.FormattedValue(value=value, format_spec=spec):
            return _clean(value, function) and (spec is None or _clean(spec, function))
        case ast.BinOp(op=ast.Add() | ast.Mod(), left=left, right=right):
            return _clean(left, function) and _clean(right, function)
        case ast.Tuple(elts=elements) | ast.List(elts=elements):
            return all(_clean(element, function) for element in elements)
        case ast.Call(func=ast.Attribute(value=ast.Constant(value=str()), attr="format")):
            arguments = [*expression.args, *(k.value for k in expression.keywords)]
            return all(_clean(argument, function) for argument in arguments)
        case ast.Call(func=ast.Name(id=builtin), args=arguments, keywords=[]):
            return builtin in _METHODS_OF_TEXT and all(_clean(a, function) for a in arguments)
        case ast.Name(id=name):
            return function is not None and _parameter(function, name)
    return False


def _parameter(function: Function, name: str) -> bool:
    """Whether `name` is a parameter of `function` holding plain data (annotated `str`, `int`,
    ...: an exception or an object could carry the developer's text) that its body never
    rebinds."""
    arguments = function.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    found = [argument for argument in every if argument.arg == name]
    if not found or found[0].annotation is None or not _plain_data(found[0].annotation):
        return False
    return not any(
        isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store)
        for statement in function.body
        for node in ast.walk(statement)
    )


def _plain_data(annotation: ast.expr) -> bool:
    """`str`, `int | None`, `Optional[str]`, `Literal["a", "b"]`, `Path`, `"str"`."""
    match annotation:
        case ast.Constant(value=str() as text):
            parsed = parse_ast(text)
            body = parsed.body if parsed is not None else []
            return len(body) == 1 and isinstance(body[0], ast.Expr) and _plain_data(body[0].value)
        case ast.Constant(value=None):
            return True
        case ast.Name(id=name) | ast.Attribute(attr=name):
            return name in _PLAIN_TYPES
        case ast.BinOp(op=ast.BitOr(), left=left, right=right):
            return _plain_data(left) and _plain_data(right)
        case ast.Subscript(value=ast.Name(id="Literal") | ast.Attribute(attr="Literal")):
            return True
        case ast.Subscript(value=ast.Name(id="Optional") | ast.Attribute(attr="Optional")):
            return _plain_data(annotation.slice)
    return False

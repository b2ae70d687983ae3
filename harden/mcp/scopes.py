"""The names a module and each of its functions bind, read from the standard library's `ast`.

The project index (project.py) follows a name to what it was bound to, across functions and
modules. This module records, per scope (the module, each function), the bindings of every name
that statements make: an import, a value (with its annotation), a loop variable, a parameter, a
`def`, a `class`, or some other form the index does not follow. Module-level bindings include
those inside `if`/`try`/`with` blocks (`if TYPE_CHECKING:` imports) and the assignments of
functions that declare the name `global`.

It walks statements, not expressions (a tenth of the nodes), so a big module costs little: the
calls the index needs are found on the lines it asks for (`calls_on`). Names bound inside an
expression (`:=`) are not seen. It never evaluates anything.
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True, slots=True)
class Imported:
    module: str | None  # `import a.b as c`: "a.b"; `from .x import y`: "x"
    level: int  # the leading dots of a relative import
    name: str | None  # `from ... import name`; None for `import module`


@dataclass(frozen=True, slots=True)
class Value:
    value: ast.expr | None  # None: an annotation alone
    annotation: ast.expr | None


@dataclass(frozen=True, slots=True)
class Loop:
    iterable: ast.expr


@dataclass(frozen=True, slots=True)
class Param:
    arg: ast.arg
    function: Function


@dataclass(frozen=True, slots=True)
class Other:
    """A binding the index does not follow (a `with ... as`, an `except ... as`, unpacking)."""


Binding = Imported | Value | Loop | Param | Function | ast.ClassDef | Other


@dataclass(slots=True)
class Scope:
    node: ast.Module | Function
    parent: Scope | None
    method: bool = False  # a function defined in a class body
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    declared_global: set[str] = field(default_factory=set)
    returns: list[ast.expr] = field(default_factory=list)  # a function's `return <value>`s
    star_imports: bool = False

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)


@dataclass(slots=True)
class Scopes:
    """Every scope of one module, and each statement with the scope it runs in."""

    module: Scope
    functions: dict[Function, Scope] = field(default_factory=dict)
    # (first line, last line, statement, its scope), ordered by first line.
    statements: list[tuple[int, int, ast.stmt, Scope]] = field(default_factory=list)

    def calls_on(self, lines: Collection[int]) -> Iterator[tuple[ast.Call, Scope]]:
        """Every call in the statements that span one of `lines` (in a compound statement,
        only its own parts: decorators, conditions, iterables, not its body), with its scope."""
        wanted = sorted(lines)
        for first, last, statement, scope in self.statements:
            index = bisect.bisect_left(wanted, first)
            if index == len(wanted) or wanted[index] > last:
                continue
            for part in _own_expressions(statement):
                for node in ast.walk(part):
                    if isinstance(node, ast.Call):
                        yield node, scope

    def decorators(self) -> Iterator[tuple[ast.expr, Scope]]:
        """Each decorator of a function, with the scope it is evaluated in."""
        for function, scope in self.functions.items():
            for decorator in function.decorator_list:
                assert scope.parent is not None
                yield decorator, scope.parent


def scopes_of(tree: ast.Module) -> Scopes:
    module = Scope(tree, None)
    result = Scopes(module)
    _fill(result, module, tree.body, in_class=False)
    result.statements.sort(key=lambda entry: entry[0])
    return result


def _fill(result: Scopes, scope: Scope, body: list[ast.stmt], *, in_class: bool) -> None:
    """Record the bindings of `body`'s statements in `scope` (a class body's in the scope
    around the class, whose names its methods do not see, so only its methods are kept)."""
    for statement in body:
        result.statements.append((statement.lineno, statement.end_lineno or 0, statement, scope))
        match statement:
            case ast.FunctionDef() | ast.AsyncFunctionDef():
                if not in_class:
                    scope.bind(statement.name, statement)
                inner = Scope(statement, scope, method=in_class)
                result.functions[statement] = inner
                _params(inner, statement)
                _fill(result, inner, statement.body, in_class=False)
                _hoist_globals(inner)
            case ast.ClassDef():
                if not in_class:
                    scope.bind(statement.name, statement)
                _fill(result, scope, statement.body, in_class=True)
            case _ if in_class:
                for inner_body in _blocks(statement):
                    _fill(result, scope, inner_body, in_class=True)
            case _:
                _record(scope, statement)
                for inner_body in _blocks(statement):
                    _fill(result, scope, inner_body, in_class=False)


def _blocks(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists nested in a compound statement (not a function's or class's)."""
    for name in ("body", "orelse", "finalbody"):
        block = getattr(statement, name, None)
        if isinstance(block, list):
            yield block
    for handler in getattr(statement, "handlers", ()):
        yield handler.body
    for case in getattr(statement, "cases", ()):
        yield case.body


def _params(scope: Scope, function: Function) -> None:
    arguments = function.args
    for arg in (
        *arguments.posonlyargs,
        *arguments.args,
        *arguments.kwonlyargs,
        *(a for a in (arguments.vararg, arguments.kwarg) if a is not None),
    ):
        scope.bind(arg.arg, Param(arg, function))


def _hoist_globals(scope: Scope) -> None:
    """A function's assignments to names it declares `global` bind them at module level."""
    module = scope
    while module.parent is not None:
        module = module.parent
    for name in scope.declared_global:
        for binding in scope.bindings.get(name, ()):
            if isinstance(binding, Value):
                module.bind(name, binding)


def _record(scope: Scope, statement: ast.stmt) -> None:
    match statement:
        case ast.Import():
            for alias in statement.names:
                if alias.asname:
                    scope.bind(alias.asname, Imported(alias.name, 0, None))
                else:
                    first = alias.name.partition(".")[0]
                    scope.bind(first, Imported(first, 0, None))
        case ast.ImportFrom():
            for alias in statement.names:
                if alias.name == "*":
                    scope.star_imports = True
                else:
                    imported = Imported(statement.module, statement.level, alias.name)
                    scope.bind(alias.asname or alias.name, imported)
        case ast.Assign():
            for target in statement.targets:
                _target(scope, target, Value(statement.value, None))
        case ast.AnnAssign():
            _target(scope, statement.target, Value(statement.value, statement.annotation))
        case ast.AugAssign():
            _target(scope, statement.target, Other())
        case ast.For() | ast.AsyncFor():
            _target(scope, statement.target, Loop(statement.iter))
        case ast.With() | ast.AsyncWith():
            for item in statement.items:
                if item.optional_vars is not None:
                    _target(scope, item.optional_vars, Other())
        case ast.Try() | ast.TryStar():
            for handler in statement.handlers:
                if handler.name:
                    scope.bind(handler.name, Other())
        case ast.Global():
            scope.declared_global.update(statement.names)
        case ast.Return() if statement.value is not None:
            scope.returns.append(statement.value)


def _target(scope: Scope, target: ast.expr, binding: Binding) -> None:
    if isinstance(target, ast.Name):
        scope.bind(target.id, binding)
    elif isinstance(target, ast.Tuple | ast.List | ast.Starred):
        for element in ast.walk(target):
            if isinstance(element, ast.Name):
                scope.bind(element.id, Other())


def _own_expressions(statement: ast.stmt) -> Iterator[ast.AST]:
    """The parts of a statement evaluated where it stands (not its nested statements)."""
    for name, value in ast.iter_fields(statement):
        if name in ("body", "orelse", "finalbody", "handlers", "cases"):
            continue
        if isinstance(value, list):
            yield from (v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            yield value

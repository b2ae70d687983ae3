"""Module-level names a command is built from, followed where the whole module proves their
value: constants, helpers that return a command, and the callers of a private runner.

A module-level constant is a name the call site reads from the module (no enclosing function
assigns it) that is assigned exactly once in the whole module, by a plain `NAME = <string form>`
statement at the top level above the statement holding the read, never declared `global`, never
deleted, in a module without `from ... import *`; its value may use other such constants only.
Its text is then fixed by the time any code reads it.

A call of a helper, `build(host, 3)`, is followed when `build` is bound the same way (one
undecorated, synchronous `def` at the top level above the reader) and its body is a docstring at
most and one `return` of a string form built only from its parameters, with plain parameters
only, each given by the call (no default used, no `*`/`**`), and side-effect-free arguments: the
arguments then stand where the returned command reads the parameters (a literal argument as its
text), evaluated at the call, possibly more or less often than once, in another order.

A command that is a parameter of the function running it, `_run(cmd)`, is followed to the
callers when that function is private (`_run`, not a dunder), bound the same way (one
undecorated `def` at the top level), its name appears nowhere else in the module (not as a
string, so not in `__all__`) nor in any other module of the project (`named_elsewhere`, which
the engine finds in their text), and it is only ever called, never passed or aliased, and every
call passes that parameter, by position or keyword: the trace then gives what each call passes,
for the codemod to convert at each call.

Only the whole module shows every binding of a name, so with `whole_module=False` every question
here raises NeedsWholeModule. Anything else raises Untraceable with the reason; nothing here
changes code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import libcst as cst
from libcst.metadata import ClassScope, FunctionScope, GlobalScope

from harden.shell.expressions import (
    Substitute,
    assigned_value,
    code,
    grouped,
    is_pure,
    literal_str,
    names_in,
    returned,
)
from harden.shell.tree import Tree
from harden.shell.untraceable import NeedsWholeModule, Untraceable, check_depth
from harden.shell.words import Piece

# The tracer's reading of a string-building expression into pieces, at a depth.
PiecesOf = Callable[[cst.BaseExpression, int], list[Piece]]


@dataclass(frozen=True, slots=True)
class _ModuleFacts:
    """What may rebind a module-level name without showing up as one of its assignments."""

    declared_global: frozenset[str]
    deleted: frozenset[str]
    star_import: bool
    texts: frozenset[str]  # string literals: `__all__`, `globals()["..."]`, getattr(...)


class ModuleNames:
    """Answers about module-level names; `pieces` reads a command a constant or helper holds."""

    def __init__(
        self,
        tree: Tree,
        pieces: PiecesOf,
        *,
        whole_module: bool,
        named_elsewhere: frozenset[str] = frozenset(),
    ) -> None:
        self._tree = tree
        self._pieces = pieces
        self._whole_module = whole_module
        self._named_elsewhere = named_elsewhere
        self._facts: _ModuleFacts | None = None

    def reads_module_level(self, name: cst.Name) -> bool:
        """Whether `name` is looked up in the module: no enclosing function assigns it."""
        scope = self._tree.scope(name)
        if isinstance(scope, ClassScope):
            return False  # a class body's own names come first
        while isinstance(scope, FunctionScope | ClassScope):
            # Lookups from a method skip the class body.
            if isinstance(scope, FunctionScope) and scope.assignments[name.value]:
                return False
            scope = scope.parent
        return isinstance(scope, GlobalScope)

    def constant(self, name: cst.Name, depth: int) -> str:
        """The text of module-level constant `name` (see the module docstring)."""
        key = name.value
        target = self._binding(name, depth)
        statement = self._tree.simple_statement(target) if isinstance(target, cst.Name) else None
        if statement is None or isinstance(statement.body[0], cst.AugAssign):
            raise Untraceable(f"module-level `{key}` is assigned in a way harden cannot follow")
        self._check_above(statement, name)
        text = ""
        for piece in self._pieces(assigned_value(statement), depth + 1):
            if isinstance(piece, str):
                text += piece
            elif (
                isinstance(piece.value, cst.Name)
                and piece.conversion in ("", "s")
                and not piece.format_spec
            ):
                text += self.constant(piece.value, depth + 1)
            else:
                raise Untraceable(
                    f"module-level `{key}` is built from `{code(piece.value)}`, "
                    "which is no string constant"
                )
        return text

    def helper(self, call: cst.Call, depth: int) -> list[Piece] | None:
        """The command a module-level function returns, its parameters replaced by the call's
        arguments (see the module docstring); None if `call` calls no function of the module."""
        func = call.func
        assert isinstance(func, cst.Name)
        if not self._whole_module:
            raise NeedsWholeModule(func.value)
        scope = self._tree.scope(func)
        assert scope is not None
        key = func.value
        if not any(isinstance(a.node, cst.FunctionDef) for a in scope.globals.assignments[key]):
            return None
        definition = self._binding(func, depth)
        assert isinstance(definition, cst.FunctionDef)
        self._check_above(definition, func)
        given = self._arguments(call, definition)
        value = returned(definition)
        pieces: list[Piece] = []
        for piece in self._pieces(value, depth + 1):
            if isinstance(piece, str):
                pieces.append(piece)
                continue
            if not is_pure(piece.value):
                raise Untraceable(
                    f"`{key}` builds the command with `{code(piece.value)}`, which harden would "
                    "have to move to the call"
                )
            by_name: dict[cst.CSTNode, cst.BaseExpression] = {}
            for name in names_in(piece.value):
                param = self._tree.parameter(name)
                if param is None or param not in definition.params.params:
                    raise Untraceable(
                        f"`{key}` builds the command from `{name.value}`, not only from its "
                        "parameters"
                    )
                argument = given[name.value]
                by_name[name] = argument if name is piece.value else grouped(argument)
            argument = by_name.get(piece.value)
            text = literal_str(argument) if argument is not None else None
            if text is not None and not piece.conversion and not piece.format_spec:
                pieces.append(text)  # a literal argument: sh's words are known exactly
                continue
            items = piece.items
            if items is not None:
                items = items.visit(Substitute(by_name))
            pieces.append(replace(piece, value=piece.value.visit(Substitute(by_name)), items=items))
        return pieces

    def _arguments(
        self, call: cst.Call, definition: cst.FunctionDef
    ) -> dict[str, cst.BaseExpression]:
        """The argument the call passes for each of the function's parameters."""
        key = definition.name.value
        params = definition.params
        if (
            params.posonly_params
            or params.kwonly_params
            or isinstance(params.star_arg, cst.Param | cst.ParamStar)
            or params.star_kwarg is not None
        ):
            raise Untraceable(
                f"`{key}` takes `*`, `**`, keyword-only or positional-only parameters"
            )
        names = [param.name.value for param in params.params]
        given: dict[str, cst.BaseExpression] = {}
        for index, arg in enumerate(call.args):
            if arg.star:
                raise Untraceable(f"`{key}` is called with `*` or `**` arguments")
            if arg.keyword is not None:
                name = arg.keyword.value
            else:
                name = names[index] if index < len(names) else ""
            if name not in names or name in given:
                raise Untraceable(f"the call of `{key}` does not match its parameters")
            if not is_pure(arg.value):
                raise Untraceable(
                    f"`{code(arg.value)}` is passed to `{key}`, and harden would have to "
                    "evaluate it where the command uses it"
                )
            given[name] = arg.value
        if len(given) != len(names):
            raise Untraceable(f"the call of `{key}` leaves a parameter to its default")
        return given

    def passed_arguments(self, name: cst.Name, param: cst.Param) -> tuple[cst.BaseExpression, ...]:
        """What every call of the function passes for `param`, which `name` reads, in the
        order of the calls (see the module docstring)."""
        refused = f"the command comes from parameter `{name.value}`"
        scope = self._tree.scope(name)
        definition = scope.node if isinstance(scope, FunctionScope) else None
        if not isinstance(definition, cst.FunctionDef) or param not in (
            *definition.params.posonly_params,
            *definition.params.params,
        ):
            raise Untraceable(refused)  # a lambda's, `*args`, keyword-only, or a closure's
        key = definition.name.value
        if not key.startswith("_") or key.startswith("__"):
            # Any code may call it (an MCP client, for a tool) with any string.
            raise Untraceable(refused)
        if not self._whole_module:
            raise NeedsWholeModule(name.value)
        module, top = self._tree.top_level(definition)
        outer = self._tree.scope(definition)
        assignments = list(outer.assignments[key]) if isinstance(outer, GlobalScope) else []
        facts = self._module_facts(module)
        if (
            top is not definition
            or definition.decorators
            or len(assignments) != 1
            or key in facts.declared_global | facts.deleted | facts.texts
            or facts.star_import
        ):
            raise Untraceable(
                f"{refused}, and harden cannot see every use of `{key}`: it is not one "
                "undecorated `def` at the top level, or its name is also bound or written as text"
            )
        if key in self._named_elsewhere:
            raise Untraceable(f"{refused}, and another module of the project names `{key}`")
        calls = []
        for access in assignments[0].references:
            call = self._tree.parent(access.node)
            if not isinstance(call, cst.Call) or call.func is not access.node:
                raise Untraceable(f"{refused}, and `{key}` is used other than by calling it")
            calls.append(call)
        if not calls:
            raise Untraceable(f"{refused}, and `{key}` is never called in this module")
        positional = [*definition.params.posonly_params, *definition.params.params]
        index = positional.index(param)
        keyword = param.name.value if param in definition.params.params else None
        passed: list[cst.BaseExpression] = []
        for call in sorted(calls, key=self._tree.start):
            given = None
            for position, arg in enumerate(call.args):
                if arg.star:
                    raise Untraceable(f"{refused}, and `{key}` is called with `*` or `**`")
                if (arg.keyword is None and position == index) or (
                    arg.keyword is not None and arg.keyword.value == keyword
                ):
                    given = arg.value
            if given is None:
                raise Untraceable(f"{refused}, and a call of `{key}` leaves it to its default")
            passed.append(given)
        return tuple(passed)

    def _binding(self, name: cst.Name, depth: int) -> cst.CSTNode:
        """What binds module-level `name`, checked to be its only binding in the module."""
        if not self._whole_module:
            raise NeedsWholeModule(name.value)
        check_depth(depth)
        key = name.value
        scope = self._tree.scope(name)
        assert scope is not None
        facts = self._module_facts(self._tree.top_level(name)[0])
        if key in facts.declared_global:
            raise Untraceable(f"`{key}` is declared `global` in a function, which may rebind it")
        if key in facts.deleted:
            raise Untraceable(f"`{key}` is deleted somewhere in the module")
        if facts.star_import:
            raise Untraceable(f"a `from ... import *` in the module may rebind `{key}`")
        assignments = list(scope.globals.assignments[key])
        if not assignments:
            raise Untraceable(f"`{key}` is never assigned in this module")
        if len(assignments) > 1:
            raise Untraceable(f"module-level `{key}` is assigned more than once")
        return assignments[0].node

    def _check_above(self, statement: cst.CSTNode, reader: cst.Name) -> None:
        """`statement` runs unconditionally before any code that reads `reader` can run."""
        module, top = self._tree.top_level(reader)
        if self._tree.parent(statement) is not module:
            raise Untraceable(
                f"module-level `{reader.value}` is defined conditionally (in a block)"
            )
        if self._tree.start(statement) >= self._tree.start(top):
            raise Untraceable(
                f"module-level `{reader.value}` is defined below the code that reads it"
            )

    def _top_level(self, node: cst.CSTNode) -> tuple[cst.Module, cst.CSTNode]:
        """The module holding `node`, and its top-level statement that holds `node`."""
        child, parent = node, self._tree.parent(node)
        while not isinstance(parent, cst.Module):
            assert parent is not None
            child, parent = parent, self._tree.parent(parent)
        return parent, child

    def _module_facts(self, module: cst.Module) -> _ModuleFacts:
        if self._facts is None:
            declared: set[str] = set()
            deleted: set[str] = set()
            texts: set[str] = set()
            star = False

            class Collector(cst.CSTVisitor):
                def visit_Global(self, node: cst.Global) -> None:
                    declared.update(item.name.value for item in node.names)

                def visit_Del(self, node: cst.Del) -> None:
                    # Only a bare name is unbound; `del a.b` and `del a[0]` change an object.
                    targets = [node.target]
                    while targets:
                        target = targets.pop()
                        if isinstance(target, cst.Name):
                            deleted.add(target.value)
                        elif isinstance(target, cst.Tuple | cst.List):
                            targets.extend(e.value for e in target.elements)

                def visit_ImportStar(self, node: cst.ImportStar) -> None:
                    nonlocal star
                    star = True

                def visit_SimpleString(self, node: cst.SimpleString) -> None:
                    value = node.evaluated_value
                    if isinstance(value, str):
                        texts.add(value)

            module.visit(Collector())
            self._facts = _ModuleFacts(
                frozenset(declared), frozenset(deleted), star, frozenset(texts)
            )
        return self._facts

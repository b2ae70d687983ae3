"""Trace where a command string comes from and turn it into pieces: literal text and placeholders.

Followed: a string literal, implicit concatenation, an f-string, `+`, `%` formatting (tuple and
mapping), `.format` (positional and named), `" ".join([...])`, a local variable assigned once
(or built by `+=`) in the same function before the call, on every path to it, and a module-level
constant. Anything else in the middle of a command (a parameter, a call, an attribute) becomes a
placeholder.

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
string, so not in `__all__`) and is only ever called, never passed or aliased, and every call
passes that parameter a string literal, by position or keyword: the trace then gives those
literals, for the codemod to check that `shlex.split` at run time makes each one's words.

Only the whole module shows every binding of a name, so a tracer given part of it
(`whole_module=False`) raises NeedsWholeModule when a command reads a module-level name.

It never guesses: a command whose text cannot be followed with certainty raises Untraceable with
the reason the report shows. Placeholder expressions taken from a variable's definition are
later evaluated at the call instead, so they must be free of side effects and their names must
not change in between; otherwise the command is Untraceable.
"""

from __future__ import annotations

import ast
import re
import string
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import libcst as cst
from libcst.metadata import (
    ClassScope,
    CodeRange,
    FunctionScope,
    GlobalScope,
    ParentNodeProvider,
    PositionProvider,
    Scope,
    ScopeProvider,
)

from harden.shell.words import Piece, Placeholder, Splitting

GetMetadata = Callable[..., Any]

_WORDS_NAME = re.compile(
    r"^(args|argv|arguments|flags|options|opts|params|extra|extras)$"
    r"|_(args|argv|arguments|flags|options|opts|params)$|^(extra|additional)_"
)
_COMMAND_NAME = re.compile(
    r"^(cmd|command|cmdline|command_line|script|shell_command)$|_(cmd|command)$"
)
_STR_BUILTINS = frozenset({"str", "repr", "ascii", "format", "hex", "oct", "bin", "chr"})
_PURE_BUILTINS = _STR_BUILTINS | {"int", "float", "len", "abs", "round", "min", "max"}
_STR_METHODS = frozenset(
    {"strip", "lstrip", "rstrip", "lower", "upper", "title", "casefold", "replace", "join"}
    | {"format", "removeprefix", "removesuffix", "zfill", "ljust", "rjust", "center"}
)
_PERCENT = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?(?P<spec>[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?)(?P<conv>.)",
    re.S,
)
_MAX_DEPTH = 8


class Untraceable(Exception):
    """The command's text cannot be followed with certainty; the message says why."""


class NeedsWholeModule(Exception):
    """The command reads a module-level name, and the module traced is only part of the file."""


@dataclass(frozen=True, slots=True)
class _ModuleFacts:
    """What may rebind a module-level name without showing up as one of its assignments."""

    declared_global: frozenset[str]
    deleted: frozenset[str]
    star_import: bool
    texts: frozenset[str]  # string literals: `__all__`, `globals()["..."]`, getattr(...)


@dataclass(slots=True)
class Traced:
    """A command's pieces, and the statements that built the variable it came from."""

    pieces: list[Piece]
    definitions: list[cst.SimpleStatementLine] = field(default_factory=list)
    variable: str = ""
    # For a command that is a parameter: what each call in the module passes for it.
    literals: tuple[str, ...] = ()


class OriginTracer:
    """Follows command strings inside one module; needs Scope, Parent and Position metadata."""

    def __init__(self, get_metadata: GetMetadata, *, whole_module: bool = True) -> None:
        self._meta = get_metadata
        self._whole_module = whole_module
        self._facts: _ModuleFacts | None = None

    def trace(self, expr: cst.BaseExpression) -> Traced:
        param = self._parameter(expr) if isinstance(expr, cst.Name) else None
        if param is not None:
            assert isinstance(expr, cst.Name)
            placeholder = Placeholder(expr, name=expr.value, is_str=True, splitting=Splitting.WORDS)
            return Traced([placeholder], literals=self._passed_literals(expr, param))
        if isinstance(expr, cst.Name):
            pieces, definitions = self._variable(expr, expr, depth=0)
            return Traced(pieces, definitions, expr.value)
        return Traced(self._pieces(expr, depth=0))

    # -- the string-building forms -------------------------------------------------------

    def _pieces(self, expr: cst.BaseExpression, depth: int) -> list[Piece]:
        if depth > _MAX_DEPTH:
            raise Untraceable("the command is built through too many steps to follow")
        if isinstance(expr, cst.SimpleString):
            value = expr.evaluated_value
            if isinstance(value, bytes):
                raise Untraceable("the command is a bytes literal")
            return [value]
        if isinstance(expr, cst.ConcatenatedString):
            return self._pieces(expr.left, depth) + self._pieces(expr.right, depth)
        if isinstance(expr, cst.FormattedString):
            return self._fstring(expr)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            return self._operand(expr.left, depth) + self._operand(expr.right, depth)
        if (
            isinstance(expr, cst.BinaryOperation)
            and isinstance(expr.operator, cst.Modulo)
            and isinstance(expr.left, cst.SimpleString | cst.ConcatenatedString)
        ):
            return self._percent(expr.left, expr.right, depth)
        method = _string_method(expr)
        if method is not None:
            assert isinstance(expr, cst.Call)
            if method == "format":
                return self._format(expr, depth)
            if method == "join":
                return self._join(expr, depth)
        if isinstance(expr, cst.Name):
            return self._variable(expr, expr, depth)[0]
        if (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Name)
            and self._reads_module_level(expr.func)
        ):
            pieces = self._helper(expr, depth)
            if pieces is not None:
                return pieces
        raise Untraceable(f"the command comes from `{_code(expr)}`, whose text harden cannot see")

    def _operand(self, expr: cst.BaseExpression, depth: int) -> list[Piece]:
        """Part of a larger string: followed if it is a string form, else a placeholder."""
        if isinstance(expr, cst.Name) and self._reads_module_level(expr):
            try:
                return [self._constant(expr, depth + 1)]
            except Untraceable:
                return [self._placeholder(expr)]  # read at the call, as before
        if _is_string_form(expr) or (isinstance(expr, cst.Name) and self._is_local_string(expr)):
            return self._pieces(expr, depth + 1)
        return [self._placeholder(expr)]

    def _fstring(self, expr: cst.FormattedString) -> list[Piece]:
        raw = "r" in expr.prefix.lower()
        pieces: list[Piece] = []
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                pieces.append(_fstring_text(part.value, raw))
                continue
            assert isinstance(part, cst.FormattedStringExpression)
            if part.equal is not None:
                raise Untraceable("the f-string uses the `=` debugging form")
            spec = ""
            for spec_part in part.format_spec or ():
                if not isinstance(spec_part, cst.FormattedStringText):
                    raise Untraceable("an f-string format spec holds a nested value")
                spec += spec_part.value
            pieces.append(
                self._placeholder(
                    part.expression, conversion=part.conversion or "", format_spec=spec
                )
            )
        return pieces

    def _percent(
        self,
        template: cst.SimpleString | cst.ConcatenatedString,
        values: cst.BaseExpression,
        depth: int,
    ) -> list[Piece]:
        text = _template_text(template)
        positional: list[cst.BaseExpression] = []
        named: dict[str, cst.BaseExpression] = {}
        if isinstance(values, cst.Tuple):
            positional = [_plain_element(e) for e in values.elements]
        elif isinstance(values, cst.Dict):
            for element in values.elements:
                key = element.key if isinstance(element, cst.DictElement) else None
                if not isinstance(key, cst.SimpleString) or not isinstance(
                    key.evaluated_value, str
                ):
                    raise Untraceable("a %-format mapping has a key that is not a string literal")
                named[key.evaluated_value] = element.value
        else:
            positional = [values]
        pieces: list[Piece] = []
        last = 0
        used = 0
        for match in _PERCENT.finditer(text):
            pieces.append(text[last : match.start()])
            last = match.end()
            key, spec, conv = match.group("key"), match.group("spec"), match.group("conv")
            if conv == "%":
                pieces.append("%")
                continue
            if "*" in spec:
                raise Untraceable("a %-format width comes from a value (`*`)")
            if key is not None:
                if key not in named:
                    raise Untraceable(f"%-format key `{key}` is not in the mapping")
                value = named[key]
            else:
                if used >= len(positional):
                    raise Untraceable("the %-format has more fields than values")
                value = positional[used]
                used += 1
            pieces.append(self._percent_value(value, spec, conv))
        pieces.append(text[last:])
        if used != len(positional):
            raise Untraceable("the %-format has fewer fields than values")
        return [p for p in pieces if p != ""]

    def _percent_value(self, value: cst.BaseExpression, spec: str, conv: str) -> Piece:
        if not spec and conv in "sra":
            return self._placeholder(value, conversion="" if conv == "s" else conv)
        formatted = cst.BinaryOperation(
            cst.SimpleString(repr(f"%{spec}{conv}")),
            cst.Modulo(),
            cst.Tuple([cst.Element(value)]),
        )
        hint = self._placeholder(value)
        return Placeholder(formatted, name=hint.name, is_str=True, splitting=hint.splitting)

    def _format(self, call: cst.Call, depth: int) -> list[Piece]:
        text = _template_text(call.func.value)  # type: ignore[attr-defined]
        positional: list[cst.BaseExpression] = []
        named: dict[str, cst.BaseExpression] = {}
        for arg in call.args:
            if arg.star:
                raise Untraceable("`.format` receives `*` or `**` arguments")
            if arg.keyword is None:
                positional.append(arg.value)
            else:
                named[arg.keyword.value] = arg.value
        pieces: list[Piece] = []
        auto = 0
        numbered = False
        try:
            fields = list(string.Formatter().parse(text))
        except ValueError as error:
            raise Untraceable(f"`.format` template does not parse: {error}") from None
        for literal, field_name, spec, conversion in fields:
            if literal:
                pieces.append(literal)
            if field_name is None:
                continue
            if "{" in (spec or "") or "[" in field_name:
                raise Untraceable("a `.format` field uses nesting or indexing")
            head, *attrs = field_name.split(".")
            numbered = numbered or head.isdigit()
            if head == "":
                head, auto = str(auto), auto + 1
            if auto and numbered:
                # str.format raises ValueError here; the rewrite must not make it run.
                raise Untraceable("the `.format` template mixes `{}` and numbered fields")
            source = positional if head.isdigit() else named
            key: int | str = int(head) if head.isdigit() else head
            try:
                value = source[key]  # type: ignore[index]
            except (IndexError, KeyError):
                raise Untraceable(f"`.format` field `{field_name}` has no argument") from None
            for attr in attrs:
                value = cst.Attribute(value, cst.Name(attr))
            pieces.append(
                self._placeholder(value, conversion=conversion or "", format_spec=spec or "")
            )
        return pieces

    def _join(self, call: cst.Call, depth: int) -> list[Piece]:
        separator = call.func.value.evaluated_value  # type: ignore[attr-defined]
        if len(call.args) != 1 or call.args[0].star or not isinstance(separator, str):
            raise Untraceable("an unusual `.join` call")
        items = call.args[0].value
        if isinstance(items, cst.List | cst.Tuple):
            pieces: list[Piece] = []
            for index, element in enumerate(items.elements):
                if index:
                    pieces.append(separator)
                pieces.extend(self._operand(_plain_element(element), depth))
            return pieces
        if separator == " ":
            return [
                Placeholder(
                    call, name=_name_of(items), is_str=True, splitting=Splitting.LIST, items=items
                )
            ]
        return [Placeholder(call, name=_name_of(items), is_str=True)]

    # -- placeholders ------------------------------------------------------------------------

    def _placeholder(
        self, expr: cst.BaseExpression, *, conversion: str = "", format_spec: str = ""
    ) -> Placeholder:
        name = _name_of(expr)
        param = self._parameter(expr) if isinstance(expr, cst.Name) else None
        if isinstance(expr, cst.IfExp) or (param is not None and _empty_default(param)):
            # An empty or multi-flag value is the point here: sh drops an empty word, so keep
            # sh's splitting exactly.
            splitting = Splitting.WORDS
        elif _COMMAND_NAME.search(name):
            splitting = Splitting.COMMAND
        elif _WORDS_NAME.search(name):
            splitting = Splitting.WORDS
        else:
            splitting = Splitting.ONE
        return Placeholder(
            expr,
            name=name,
            is_str=self._is_str(expr, param),
            conversion=conversion,
            format_spec=format_spec,
            splitting=splitting,
        )

    def _is_str(self, expr: cst.BaseExpression, param: cst.Param | None) -> bool:
        if _is_string_form(expr):
            return True
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Name):
                return func.value in _STR_BUILTINS
            return isinstance(func, cst.Attribute) and func.attr.value in _STR_METHODS
        if param is not None and param.annotation is not None:
            return _annotation_is_str(param.annotation.annotation)
        return False

    def _parameter(self, name: cst.Name) -> cst.Param | None:
        scope = self._scope(name)
        if scope is None:
            return None
        params = [
            a.node for a in scope[name.value] if isinstance(getattr(a, "node", None), cst.Param)
        ]
        return params[0] if len(params) == 1 and len(scope[name.value]) == 1 else None

    # -- local variables -----------------------------------------------------------------------

    def _is_local_string(self, name: cst.Name) -> bool:
        """Whether `name` is a local variable whose definitions are all string-building forms."""
        try:
            statements = self._definitions(name, name)
        except Untraceable:
            return False
        return all(_is_string_form(_assigned_value(s)) for s in statements)

    def _variable(
        self, name: cst.Name, site: cst.CSTNode, depth: int
    ) -> tuple[list[Piece], list[cst.SimpleStatementLine]]:
        if self._reads_module_level(name):
            return [self._constant(name, depth)], []
        statements = self._definitions(name, site)
        pieces: list[Piece] = []
        for index, statement in enumerate(statements):
            value = _assigned_value(statement)
            # `cmd += path` extends the text: like `+`, a value that is no string form is a
            # placeholder, while the first assignment must be the command itself.
            new = self._operand(value, depth) if index else self._pieces(value, depth + 1)
            for piece in new:
                if isinstance(piece, Placeholder):
                    self._check_movable(piece.value, statement, site)
            pieces.extend(new)
        return pieces, statements

    def _definitions(self, name: cst.Name, site: cst.CSTNode) -> list[cst.SimpleStatementLine]:
        """The statements that build local `name` before `site`, in order, on every path to it."""
        scope = self._scope(name)
        if not isinstance(scope, FunctionScope):
            raise Untraceable(f"`{name.value}` is not a local variable of the function")
        assignments = list(scope[name.value])
        if not assignments:
            raise Untraceable(f"`{name.value}` is never assigned in this function")
        if all(assignment.scope is not scope for assignment in assignments):
            raise Untraceable(f"`{name.value}` is not assigned in this function")
        site_start = self._start(site)
        site_suites = set(self._suites_of(site))
        statements: list[tuple[tuple[int, int], cst.SimpleStatementLine]] = []
        for assignment in assignments:
            node = getattr(assignment, "node", None)
            if isinstance(node, cst.Param):
                raise Untraceable(f"the command comes from parameter `{name.value}`")
            if assignment.scope is not scope or not isinstance(node, cst.Name):
                raise Untraceable(f"`{name.value}` is assigned in a way harden cannot follow")
            statement = self._simple_statement(node)
            if statement is None:
                raise Untraceable(f"`{name.value}` is assigned in a way harden cannot follow")
            start = self._start(statement)
            if start >= site_start:
                raise Untraceable(f"`{name.value}` is assigned again after the call")
            if self._parent(statement) not in site_suites:
                raise Untraceable(f"`{name.value}` is built conditionally (inside a block)")
            statements.append((start, statement))
        statements.sort(key=lambda item: item[0])
        ordered = [s for _, s in statements]
        if not isinstance(ordered[0].body[0], cst.Assign | cst.AnnAssign):
            raise Untraceable(f"`{name.value}` is extended before it is assigned")
        if any(not isinstance(s.body[0], cst.AugAssign) for s in ordered[1:]):
            raise Untraceable(f"`{name.value}` is assigned more than once")
        loops = self._repeating_apart(site, ordered[0])
        if any(self._within(s, loop) for s in ordered[1:] for loop in loops):
            raise Untraceable(f"`{name.value}` is extended in a loop, so it grows on every pass")
        return ordered

    # -- module-level constants -------------------------------------------------------------

    def _reads_module_level(self, name: cst.Name) -> bool:
        """Whether `name` is looked up in the module: no enclosing function assigns it."""
        scope = self._scope(name)
        if isinstance(scope, ClassScope):
            return False  # a class body's own names come first
        while isinstance(scope, FunctionScope | ClassScope):
            # Lookups from a method skip the class body.
            if isinstance(scope, FunctionScope) and scope.assignments[name.value]:
                return False
            scope = scope.parent
        return isinstance(scope, GlobalScope)

    def _constant(self, name: cst.Name, depth: int) -> str:
        """The text of module-level constant `name` (see the module docstring)."""
        key = name.value
        target = self._binding(name, depth)
        statement = self._simple_statement(target) if isinstance(target, cst.Name) else None
        if statement is None or isinstance(statement.body[0], cst.AugAssign):
            raise Untraceable(f"module-level `{key}` is assigned in a way harden cannot follow")
        self._check_above(statement, name)
        text = ""
        for piece in self._pieces(_assigned_value(statement), depth + 1):
            if isinstance(piece, str):
                text += piece
            elif (
                isinstance(piece.value, cst.Name)
                and piece.conversion in ("", "s")
                and not piece.format_spec
            ):
                text += self._constant(piece.value, depth + 1)
            else:
                raise Untraceable(
                    f"module-level `{key}` is built from `{_code(piece.value)}`, "
                    "which is no string constant"
                )
        return text

    def _helper(self, call: cst.Call, depth: int) -> list[Piece] | None:
        """The command a module-level function returns, its parameters replaced by the call's
        arguments (see the module docstring); None if `call` calls no function of the module."""
        func = call.func
        assert isinstance(func, cst.Name)
        if not self._whole_module:
            raise NeedsWholeModule(func.value)
        scope = self._scope(func)
        assert scope is not None
        key = func.value
        if not any(isinstance(a.node, cst.FunctionDef) for a in scope.globals.assignments[key]):
            return None
        definition = self._binding(func, depth)
        assert isinstance(definition, cst.FunctionDef)
        self._check_above(definition, func)
        given = self._arguments(call, definition)
        value = _returned(definition)
        pieces: list[Piece] = []
        for piece in self._pieces(value, depth + 1):
            if isinstance(piece, str):
                pieces.append(piece)
                continue
            if not _is_pure(piece.value):
                raise Untraceable(
                    f"`{key}` builds the command with `{_code(piece.value)}`, which harden would "
                    "have to move to the call"
                )
            by_name: dict[cst.CSTNode, cst.BaseExpression] = {}
            for name in _names_in(piece.value):
                param = self._parameter(name)
                if param is None or param not in definition.params.params:
                    raise Untraceable(
                        f"`{key}` builds the command from `{name.value}`, not only from its "
                        "parameters"
                    )
                argument = given[name.value]
                by_name[name] = argument if name is piece.value else _grouped(argument)
            argument = by_name.get(piece.value)
            text = _literal_text(argument) if argument is not None else None
            if text is not None and not piece.conversion and not piece.format_spec:
                pieces.append(text)  # a literal argument: sh's words are known exactly
                continue
            items = piece.items
            if items is not None:
                items = items.visit(_Substitute(by_name))
            pieces.append(
                replace(piece, value=piece.value.visit(_Substitute(by_name)), items=items)
            )
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
            if not _is_pure(arg.value):
                raise Untraceable(
                    f"`{_code(arg.value)}` is passed to `{key}`, and harden would have to "
                    "evaluate it where the command uses it"
                )
            given[name] = arg.value
        if len(given) != len(names):
            raise Untraceable(f"the call of `{key}` leaves a parameter to its default")
        return given

    def _passed_literals(self, name: cst.Name, param: cst.Param) -> tuple[str, ...]:
        """The string literal every call of the function passes for `param`, which `name`
        reads (see the module docstring)."""
        refused = f"the command comes from parameter `{name.value}`"
        scope = self._scope(name)
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
        module, top = self._top_level(definition)
        outer = self._scope(definition)
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
        calls = []
        for access in assignments[0].references:
            call = self._parent(access.node)
            if not isinstance(call, cst.Call) or call.func is not access.node:
                raise Untraceable(f"{refused}, and `{key}` is used other than by calling it")
            calls.append(call)
        if not calls:
            raise Untraceable(f"{refused}, and `{key}` is never called in this module")
        positional = [*definition.params.posonly_params, *definition.params.params]
        index = positional.index(param)
        keyword = param.name.value if param in definition.params.params else None
        literals: list[str] = []
        for call in sorted(calls, key=self._start):
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
            text = (
                given.evaluated_value
                if isinstance(given, cst.SimpleString | cst.ConcatenatedString)
                else None
            )
            if not isinstance(text, str):
                raise Untraceable(f"{refused}, and `{key}` is called with `{_code(given)}`")
            literals.append(text)
        return tuple(literals)

    def _binding(self, name: cst.Name, depth: int) -> cst.CSTNode:
        """What binds module-level `name`, checked to be its only binding in the module."""
        if not self._whole_module:
            raise NeedsWholeModule(name.value)
        if depth > _MAX_DEPTH:
            raise Untraceable("the command is built through too many steps to follow")
        key = name.value
        scope = self._scope(name)
        assert scope is not None
        facts = self._module_facts(self._top_level(name)[0])
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
        module, top = self._top_level(reader)
        if self._parent(statement) is not module:
            raise Untraceable(
                f"module-level `{reader.value}` is defined conditionally (in a block)"
            )
        if self._start(statement) >= self._start(top):
            raise Untraceable(
                f"module-level `{reader.value}` is defined below the code that reads it"
            )

    def _top_level(self, node: cst.CSTNode) -> tuple[cst.Module, cst.CSTNode]:
        """The module holding `node`, and its top-level statement that holds `node`."""
        child, parent = node, self._parent(node)
        while not isinstance(parent, cst.Module):
            assert parent is not None
            child, parent = parent, self._parent(parent)
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

    def _simple_statement(self, target: cst.Name) -> cst.SimpleStatementLine | None:
        """The one-statement line `target = ...`, `target: T = ...` or `target += ...`."""
        parent = self._parent(target)
        if isinstance(parent, cst.AssignTarget):
            assign = self._parent(parent)
            if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
                return None
        elif (isinstance(parent, cst.AnnAssign) and parent.value is not None) or (
            isinstance(parent, cst.AugAssign) and isinstance(parent.operator, cst.AddAssign)
        ):
            assign = parent
        else:
            return None
        line = self._parent(assign)
        if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
            return line
        return None

    def _check_movable(
        self, expr: cst.BaseExpression, definition: cst.CSTNode, site: cst.CSTNode
    ) -> None:
        """A value from a definition is evaluated at the call instead: it must not change."""
        if not _is_pure(expr):
            raise Untraceable(
                f"the command includes `{_code(expr)}`, which harden would have to move to the call"
            )
        begin, end = self._start(definition), self._start(site)
        built = self._end(definition)
        loops = self._repeating_apart(site, definition)

        def in_between(node: cst.CSTNode, after: tuple[int, int]) -> bool:
            # Between the definition and the call, or anywhere in a loop that runs the call
            # again without building the command again.
            return after < self._start(node) < end or any(
                self._within(node, loop) for loop in loops
            )

        for name in _names_in(expr):
            scope = self._scope(name)
            if scope is None:
                continue
            if any(
                assignment.scope is scope
                and (node := getattr(assignment, "node", None)) is not None
                and not isinstance(node, cst.Param)
                and in_between(node, begin)
                for assignment in scope[name.value]
            ):
                raise Untraceable(
                    f"`{name.value}` changes between where the command is built and where it runs"
                )
            for access in scope.accesses[name.value]:
                if in_between(access.node, built) and (change := self._mutation(access.node)):
                    raise Untraceable(
                        f"`{_code(change)}` may change `{name.value}` between where the command "
                        "is built and where it runs"
                    )

    def _mutation(self, name: cst.CSTNode) -> cst.CSTNode | None:
        """The statement part that changes the object `name` refers to: `d[k] = v`, `xs.append(v)`.

        Only what the code shows: a function the object is passed to may change it unseen.
        """
        node, parent = name, self._parent(name)
        while isinstance(parent, cst.Attribute | cst.Subscript) and parent.value is node:
            node, parent = parent, self._parent(parent)
        if node is name:
            return None  # a plain read; rebinding the name is an assignment, checked apart
        if isinstance(parent, cst.AssignTarget | cst.AugAssign | cst.AnnAssign | cst.Del):
            return node if parent.target is node else None
        if isinstance(parent, cst.Call) and parent.func is node:
            return parent
        return None

    def _repeating_apart(self, site: cst.CSTNode, definition: cst.CSTNode) -> list[cst.CSTNode]:
        """The loops that run `site` again without running `definition` again."""
        around_definition = list(self._loops_around(definition))
        return [loop for loop in self._loops_around(site) if loop not in around_definition]

    def _loops_around(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """The loops whose repeated part (body, while-test) holds `node`, within its function."""
        child, current = node, self._parent(node)
        while current is not None and not isinstance(current, cst.FunctionDef | cst.Lambda):
            if (isinstance(current, cst.For) and child is current.body) or (
                isinstance(current, cst.While) and child in (current.body, current.test)
            ):
                yield current
            child, current = current, self._parent(current)

    def _within(self, node: cst.CSTNode, ancestor: cst.CSTNode) -> bool:
        current: cst.CSTNode | None = node
        while current is not None and current is not ancestor:
            current = self._parent(current)
        return current is ancestor

    # -- metadata helpers -----------------------------------------------------------------------

    def _scope(self, node: cst.CSTNode) -> Scope | None:
        return self._meta(ScopeProvider, node, None)

    def _parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._meta(ParentNodeProvider, node, None)

    def _start(self, node: cst.CSTNode) -> tuple[int, int]:
        position: CodeRange = self._meta(PositionProvider, node)
        return (position.start.line, position.start.column)

    def _end(self, node: cst.CSTNode) -> tuple[int, int]:
        position: CodeRange = self._meta(PositionProvider, node)
        return (position.end.line, position.end.column)

    def _suites_of(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        """The blocks enclosing `node`, innermost first, up to its function's body."""
        current = self._parent(node)
        while current is not None:
            if isinstance(current, cst.IndentedBlock | cst.SimpleStatementSuite | cst.Module):
                yield current
            if isinstance(current, cst.FunctionDef | cst.Lambda):
                return
            current = self._parent(current)


def _assigned_value(statement: cst.SimpleStatementLine) -> cst.BaseExpression:
    node = statement.body[0]
    assert isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign)
    assert node.value is not None
    return node.value


def _returned(definition: cst.FunctionDef) -> cst.BaseExpression:
    """What a helper returns: its body must be a docstring at most and one `return`."""
    key = definition.name.value
    if definition.decorators:
        raise Untraceable(f"`{key}` is decorated, so calling it may run other code")
    if definition.asynchronous is not None:
        raise Untraceable(f"`{key}` is asynchronous")
    body = definition.body
    small: list[cst.BaseSmallStatement] = []
    for line in body.body if isinstance(body, cst.IndentedBlock) else [body]:
        if not isinstance(line, cst.SimpleStatementLine | cst.SimpleStatementSuite):
            raise Untraceable(f"`{key}` does more than return the command")
        small.extend(line.body)
    if isinstance(small[0], cst.Expr) and isinstance(
        small[0].value, cst.SimpleString | cst.ConcatenatedString
    ):
        small = small[1:]  # the docstring
    if len(small) != 1 or not isinstance(small[0], cst.Return) or small[0].value is None:
        raise Untraceable(f"`{key}` does more than return the command")
    return small[0].value


class _Substitute(cst.CSTTransformer):
    """Puts the call's arguments where a helper's command reads its parameters."""

    def __init__(self, by_name: dict[cst.CSTNode, cst.BaseExpression]) -> None:
        super().__init__()
        self._by_name = by_name

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self._by_name.get(original_node, updated_node)


def _grouped(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`expr` parenthesized unless it binds at least as tightly as an attribute's value."""
    atoms = (
        cst.Name,
        cst.Attribute,
        cst.Subscript,
        cst.Call,
        cst.SimpleString,
        cst.FormattedString,
        cst.Integer,
        cst.Float,
        cst.List,
        cst.Tuple,
        cst.Dict,
    )
    if isinstance(expr, atoms) or expr.lpar:
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _literal_text(expr: cst.BaseExpression) -> str | None:
    """The text of a string or integer literal, as str() or an f-string gives it."""
    if isinstance(expr, cst.SimpleString | cst.ConcatenatedString):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(expr, cst.Integer):
        return str(expr.evaluated_value)
    return None


def _is_string_form(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString):
        return True
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add | cst.Modulo):
        return _is_string_form(expr.left) or (
            isinstance(expr.operator, cst.Add) and _is_string_form(expr.right)
        )
    return _string_method(expr) in ("format", "join")


def _string_method(expr: cst.BaseExpression) -> str | None:
    """`m` for a call of a method of a string literal, `"...".m(...)`; else None."""
    if (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and isinstance(expr.func.value, cst.SimpleString | cst.ConcatenatedString)
    ):
        return expr.func.attr.value
    return None


def _is_pure(expr: cst.CSTNode) -> bool:
    """No side effects and no dependence on when it runs, beyond the names it reads."""
    if isinstance(expr, cst.Name | cst.SimpleString | cst.Integer | cst.Float):
        return True
    if isinstance(expr, cst.Attribute):
        return _is_pure(expr.value)
    if isinstance(expr, cst.Tuple | cst.List):  # e.g. the (value,) of a `%d` harden builds
        return all(
            not isinstance(e, cst.StarredElement) and _is_pure(e.value) for e in expr.elements
        )
    if isinstance(expr, cst.Subscript):
        return _is_pure(expr.value) and all(
            isinstance(s.slice, cst.Index) and _is_pure(s.slice.value) for s in expr.slice
        )
    if isinstance(expr, cst.Call):
        func = expr.func
        pure_func = (isinstance(func, cst.Name) and func.value in _PURE_BUILTINS) or (
            isinstance(func, cst.Attribute)
            and func.attr.value in _STR_METHODS
            and _is_pure(func.value)
        )
        return pure_func and all(not a.star and _is_pure(a.value) for a in expr.args)
    if isinstance(expr, cst.IfExp):
        return all(_is_pure(e) for e in (expr.test, expr.body, expr.orelse))
    if isinstance(expr, cst.BinaryOperation):
        return _is_pure(expr.left) and _is_pure(expr.right)
    if isinstance(expr, cst.UnaryOperation):
        return _is_pure(expr.expression)
    if isinstance(expr, cst.BooleanOperation):
        return _is_pure(expr.left) and _is_pure(expr.right)
    if isinstance(expr, cst.Comparison):
        return _is_pure(expr.left) and all(_is_pure(c.comparator) for c in expr.comparisons)
    if isinstance(expr, cst.FormattedString | cst.ConcatenatedString):
        return all(_is_pure(e.expression) for e in _replacement_fields(expr))
    if isinstance(expr, cst.FormattedStringExpression):
        return _is_pure(expr.expression)
    return False


def _names_in(expr: cst.CSTNode) -> list[cst.Name]:
    """Names read by an expression (not attribute names)."""
    names: list[cst.Name] = []

    class Collector(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            names.append(node)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

    expr.visit(Collector())
    return names


def _name_of(expr: cst.BaseExpression) -> str:
    """The identifier a value is known by: `path`, `self.namespace` → namespace, `a["path"]`."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1:
        index = expr.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            value = index.value.evaluated_value
            return value if isinstance(value, str) else ""
    if isinstance(expr, cst.Call) and expr.args:
        if isinstance(expr.func, cst.Name) and expr.func.value in _PURE_BUILTINS:
            return _name_of(expr.args[0].value)
        if isinstance(expr.func, cst.Attribute):
            return _name_of(expr.func.value)
    return ""


def _replacement_fields(
    expr: cst.FormattedString | cst.ConcatenatedString,
) -> list[cst.FormattedStringExpression]:
    """The `{...}` fields of an f-string or of the f-strings concatenated in `expr`."""
    if isinstance(expr, cst.ConcatenatedString):
        return [
            field
            for side in (expr.left, expr.right)
            if isinstance(side, cst.FormattedString | cst.ConcatenatedString)
            for field in _replacement_fields(side)
        ]
    return [part for part in expr.parts if isinstance(part, cst.FormattedStringExpression)]


def _annotation_is_str(annotation: cst.BaseExpression) -> bool:
    if isinstance(annotation, cst.Name):
        return annotation.value == "str"
    if isinstance(annotation, cst.SimpleString):  # a quoted annotation: "str"
        return annotation.evaluated_value == "str"
    if isinstance(annotation, cst.Subscript) and _name_of(annotation.value) == "Annotated":
        first = annotation.slice[0].slice
        return isinstance(first, cst.Index) and _annotation_is_str(first.value)
    return False


def _empty_default(param: cst.Param) -> bool:
    return isinstance(param.default, cst.SimpleString) and param.default.evaluated_value in (
        "",
        b"",
    )


def _plain_element(element: cst.BaseElement) -> cst.BaseExpression:
    if isinstance(element, cst.StarredElement):
        raise Untraceable("a starred element in the command's pieces")
    return element.value


def _template_text(template: cst.SimpleString | cst.ConcatenatedString) -> str:
    """The text of a `%` or `.format` template literal."""
    text = template.evaluated_value
    if isinstance(text, bytes):
        raise Untraceable("the command is a bytes literal")
    if text is None:  # libcst gives no value for a concatenation holding an f-string
        raise Untraceable("the format template is glued to an f-string")
    return text


def _fstring_text(source: str, raw: bool) -> str:
    """The value of an f-string's literal text, given as written (escapes, doubled braces)."""
    source = source.replace("{{", "{").replace("}}", "}")
    if raw:
        return source
    # A triple-quoted f-string may hold bare quotes; escaped, the text evaluates in any quotes.
    escaped = re.sub(
        r"\\.|['\"]", lambda m: m[0] if len(m[0]) == 2 else "\\" + m[0], source, flags=re.S
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes: the source itself warns already
            value = ast.literal_eval(f'"""{escaped}"""')
    except (SyntaxError, ValueError):
        raise Untraceable("an f-string's text holds an escape harden cannot read") from None
    assert isinstance(value, str)
    return value


def _code(node: cst.CSTNode) -> str:
    code = cst.Module([]).code_for_node(node)
    return code if len(code) <= 60 else code[:57] + "..."

"""Trace where a command string comes from and turn it into pieces: literal text and placeholders.

Followed: a string literal, implicit concatenation, an f-string, `+`, `%` formatting (tuple and
mapping), `.format` (positional and named), both also on a module-level template constant,
`" ".join([...])`, a local variable assigned once (or built by `+=`) in the same function before
the call, on every path to it, and what module_names.py follows: a module-level constant, a
helper returning the command, the literals the callers of a private runner pass. Anything else
in the middle of a command (a parameter, a call, an attribute) becomes a placeholder, whose
splitting arity.py decides. A tracer given only part of the module (`whole_module=False`)
raises NeedsWholeModule when the command, or what a value can be, depends on a module-level
name. A local variable built otherwise (`+=` in blocks or loops) is given as its fragments
(`built`), each statement's text on its own, for the codemod to turn into a list built the same
way.

It never guesses: a command whose text cannot be followed with certainty raises Untraceable with
the reason the report shows. Placeholder expressions taken from a variable's definition are
later evaluated at the call instead, so they must be free of side effects and their names must
not change in between (movable.py); otherwise the command is Untraceable.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import FunctionScope

from harden.shell.arity import Arity
from harden.shell.expressions import (
    STR_BUILTINS,
    STR_METHODS,
    annotated_as,
    assigned_value,
    code,
    fstring_text,
    is_string_form,
    name_of,
    plain_element,
    string_literal,
    string_method,
    template_text,
)
from harden.shell.module_names import ModuleNames
from harden.shell.movable import check_movable
from harden.shell.tree import GetMetadata, Tree
from harden.shell.untraceable import Untraceable, check_depth
from harden.shell.words import Piece, Placeholder, Splitting

_PERCENT = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?(?P<spec>[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?)(?P<conv>.)",
    re.S,
)


@dataclass(slots=True)
class Traced:
    """A command's pieces, and the statements that built the variable it came from."""

    pieces: list[Piece]
    definitions: list[cst.SimpleStatementLine] = field(default_factory=list)
    variable: str = ""
    # For a command that is a parameter: the text each call in the module passes for it,
    # when every call passes a literal; else what each passes (`callers`).
    literals: tuple[str, ...] = ()
    callers: tuple[cst.BaseExpression, ...] = ()
    parameter: cst.Param | None = None  # with `callers`: the parameter they pass


@dataclass(frozen=True, slots=True)
class Fragment:
    """A statement building a command variable: `cmd = ...` starts a command line (`starts`),
    `cmd += ...` appends text to it; `pieces` is the text the statement gives."""

    statement: cst.Assign | cst.AnnAssign | cst.AugAssign
    pieces: list[Piece]
    starts: bool


class OriginTracer:
    """Follows command strings inside one module; needs Scope, Parent and Position metadata."""

    def __init__(
        self,
        get_metadata: GetMetadata,
        *,
        whole_module: bool = True,
        named_elsewhere: frozenset[str] = frozenset(),
    ) -> None:
        self._tree = Tree(get_metadata)
        self._names = ModuleNames(
            self._tree, self._pieces, whole_module=whole_module, named_elsewhere=named_elsewhere
        )
        self._arity = Arity(self._tree, self._names)

    def trace(self, expr: cst.BaseExpression) -> Traced:
        param = self._tree.parameter(expr) if isinstance(expr, cst.Name) else None
        if param is not None:
            assert isinstance(expr, cst.Name)
            placeholder = Placeholder(expr, name=expr.value, is_str=True, splitting=Splitting.WORDS)
            passed = self._names.passed_arguments(expr, param)
            texts = tuple(
                arg.evaluated_value
                if isinstance(arg, cst.SimpleString | cst.ConcatenatedString)
                else None
                for arg in passed
            )
            if all(isinstance(text, str) for text in texts):
                return Traced([placeholder], literals=texts)  # type: ignore[arg-type]
            if not self._read_only_here(expr):
                raise Untraceable(
                    f"the command comes from parameter `{expr.value}`, which is also read "
                    "other than by this call"
                )
            return Traced([placeholder], callers=passed, parameter=param)
        if isinstance(expr, cst.Name):
            pieces, definitions = self._variable(expr, expr, depth=0)
            return Traced(pieces, definitions, expr.value)
        return Traced(self._pieces(expr, depth=0))

    def taking(self, expr: cst.BaseExpression | None) -> str:
        """The function whose parameter `expr` is (its only binding there), or ""."""
        if not isinstance(expr, cst.Name) or self._tree.parameter(expr) is None:
            return ""
        function = getattr(self._tree.scope(expr), "node", None)
        return function.name.value if isinstance(function, cst.FunctionDef) else ""

    def _read_only_here(self, name: cst.Name) -> bool:
        """Whether the variable `name` reads is read nowhere else."""
        scope = self._tree.scope(name)
        assert scope is not None
        return all(
            access.node is name
            for assignment in scope[name.value]
            for access in assignment.references
        )

    def built(self, name: cst.Name) -> list[Fragment]:
        """The statements building local `name`, which `trace` cannot follow as one text (it is
        built in blocks or loops, or assigned more than once), in the order written: the call
        at `name` must be the variable's only reader, so each statement can hold its own part
        of the argument list. Untraceable otherwise."""
        scope = self._tree.scope(name)
        if not isinstance(scope, FunctionScope):
            raise Untraceable(f"`{name.value}` is not a local variable of the function")
        if not self._read_only_here(name):
            raise Untraceable(f"`{name.value}` is read elsewhere too, not only by the call")
        fragments: list[tuple[tuple[int, int], Fragment]] = []
        for assignment in scope[name.value]:
            node = getattr(assignment, "node", None)
            if assignment.scope is not scope or not isinstance(node, cst.Name):
                raise Untraceable(f"`{name.value}` is assigned in a way harden cannot follow")
            statement = self._assigning(node)
            if statement is None:
                raise Untraceable(f"`{name.value}` is assigned in a way harden cannot follow")
            starts = not isinstance(statement, cst.AugAssign)
            assert statement.value is not None
            pieces = (
                self._pieces(statement.value, 1) if starts else self._operand(statement.value, 1)
            )
            fragments.append((self._tree.start(statement), Fragment(statement, pieces, starts)))
        return [fragment for _, fragment in sorted(fragments, key=lambda item: item[0])]

    def _assigning(self, target: cst.Name) -> cst.Assign | cst.AnnAssign | cst.AugAssign | None:
        """The statement `target = ...`, `target: T = ...` or `target += ...`."""
        parent = self._tree.parent(target)
        if isinstance(parent, cst.AssignTarget):
            assign = self._tree.parent(parent)
            if isinstance(assign, cst.Assign) and len(assign.targets) == 1:
                return assign
        elif (isinstance(parent, cst.AnnAssign) and parent.value is not None) or (
            isinstance(parent, cst.AugAssign) and isinstance(parent.operator, cst.AddAssign)
        ):
            return parent
        return None

    # -- the string-building forms -------------------------------------------------------

    def _pieces(self, expr: cst.BaseExpression, depth: int) -> list[Piece]:
        check_depth(depth)
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
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Modulo):
            template = self._template(expr.left, depth)
            if template is not None:
                return self._percent(template, expr.right, depth)
        method = string_method(expr)
        if method is not None:
            assert isinstance(expr, cst.Call)
            if method == "format":
                return self._format(template_text(expr.func.value), expr, depth)  # type: ignore[attr-defined]
            if method == "join":
                return self._join(expr, depth)
        if (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Attribute)
            and expr.func.attr.value == "format"
        ):
            template = self._template(expr.func.value, depth)
            if template is not None:
                return self._format(template, expr, depth)
        if isinstance(expr, cst.Name):
            return self._variable(expr, expr, depth)[0]
        if (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Name)
            and self._names.reads_module_level(expr.func)
        ):
            pieces = self._names.helper(expr, depth)
            if pieces is not None:
                return pieces
        raise Untraceable(f"the command comes from `{code(expr)}`, whose text harden cannot see")

    def _operand(self, expr: cst.BaseExpression, depth: int) -> list[Piece]:
        """Part of a larger string: followed if it is a string form, else a placeholder."""
        if isinstance(expr, cst.Name) and self._names.reads_module_level(expr):
            try:
                return [self._names.constant(expr, depth + 1)]
            except Untraceable:
                return [self._placeholder(expr)]  # read at the call, as before
        if is_string_form(expr) or (isinstance(expr, cst.Name) and self._is_local_string(expr)):
            return self._pieces(expr, depth + 1)
        return [self._placeholder(expr)]

    def _fstring(self, expr: cst.FormattedString) -> list[Piece]:
        raw = "r" in expr.prefix.lower()
        pieces: list[Piece] = []
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                pieces.append(fstring_text(part.value, raw))
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

    def _template(self, expr: cst.BaseExpression, depth: int) -> str | None:
        """The text of a `%` or `.format` template: a string literal, or a module-level
        constant (`COUNT = "grep -c {} notes.txt"`, then `COUNT.format(word)`); None for
        anything else."""
        if isinstance(expr, cst.SimpleString | cst.ConcatenatedString):
            return template_text(expr)
        if isinstance(expr, cst.Name) and self._names.reads_module_level(expr):
            return self._names.constant(expr, depth + 1)
        return None

    def _percent(self, text: str, values: cst.BaseExpression, depth: int) -> list[Piece]:
        positional: list[cst.BaseExpression] = []
        named: dict[str, cst.BaseExpression] = {}
        if isinstance(values, cst.Tuple):
            positional = [plain_element(e) for e in values.elements]
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
            string_literal(f"%{spec}{conv}"),
            cst.Modulo(),
            cst.Tuple([cst.Element(value)]),
        )
        hint = self._placeholder(value)
        splitting, evidence = self._arity.of_percent((hint.splitting, hint.evidence), spec, conv)
        return Placeholder(
            formatted, name=hint.name, is_str=True, splitting=splitting, evidence=evidence
        )

    def _format(self, text: str, call: cst.Call, depth: int) -> list[Piece]:
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
                pieces.extend(self._operand(plain_element(element), depth))
            return pieces
        if separator == " ":
            return [
                Placeholder(
                    call, name=name_of(items), is_str=True, splitting=Splitting.LIST, items=items
                )
            ]
        return [Placeholder(call, name=name_of(items), is_str=True)]

    # -- placeholders ------------------------------------------------------------------------

    def _placeholder(
        self, expr: cst.BaseExpression, *, conversion: str = "", format_spec: str = ""
    ) -> Placeholder:
        param = self._tree.parameter(expr) if isinstance(expr, cst.Name) else None
        splitting, evidence = self._arity.of(expr, param, conversion, format_spec)
        return Placeholder(
            expr,
            name=name_of(expr),
            is_str=self._is_str(expr, param),
            conversion=conversion,
            format_spec=format_spec,
            splitting=splitting,
            evidence=evidence,
        )

    def _is_str(self, expr: cst.BaseExpression, param: cst.Param | None) -> bool:
        if is_string_form(expr):
            return True
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Name):
                return func.value in STR_BUILTINS
            return isinstance(func, cst.Attribute) and func.attr.value in STR_METHODS
        if param is not None and param.annotation is not None:
            return annotated_as(param.annotation.annotation, frozenset({"str"}))
        return self._arity.only_strings(expr)

    # -- local variables -----------------------------------------------------------------------

    def _is_local_string(self, name: cst.Name) -> bool:
        """Whether `name` is a local variable whose definitions are all string-building forms."""
        try:
            statements = self._definitions(name, name)
        except Untraceable:
            return False
        return all(is_string_form(assigned_value(s)) for s in statements)

    def _variable(
        self, name: cst.Name, site: cst.CSTNode, depth: int
    ) -> tuple[list[Piece], list[cst.SimpleStatementLine]]:
        if self._names.reads_module_level(name):
            return [self._names.constant(name, depth)], []
        statements = self._definitions(name, site)
        pieces: list[Piece] = []
        for index, statement in enumerate(statements):
            value = assigned_value(statement)
            # `cmd += path` extends the text: like `+`, a value that is no string form is a
            # placeholder, while the first assignment must be the command itself.
            new = self._operand(value, depth) if index else self._pieces(value, depth + 1)
            for piece in new:
                if isinstance(piece, Placeholder):
                    check_movable(self._tree, piece.value, statement, site)
            pieces.extend(new)
        return pieces, statements

    def _definitions(self, name: cst.Name, site: cst.CSTNode) -> list[cst.SimpleStatementLine]:
        """The statements that build local `name` before `site`, in order, on every path to it."""
        scope = self._tree.scope(name)
        if not isinstance(scope, FunctionScope):
            raise Untraceable(f"`{name.value}` is not a local variable of the function")
        assignments = list(scope[name.value])
        if not assignments:
            raise Untraceable(f"`{name.value}` is never assigned in this function")
        if all(assignment.scope is not scope for assignment in assignments):
            raise Untraceable(f"`{name.value}` is not assigned in this function")
        site_start = self._tree.start(site)
        site_suites = set(self._tree.suites_of(site))
        statements: list[tuple[tuple[int, int], cst.SimpleStatementLine]] = []
        for assignment in assignments:
            node = getattr(assignment, "node", None)
            if isinstance(node, cst.Param):
                raise Untraceable(f"the command comes from parameter `{name.value}`")
            if assignment.scope is not scope or not isinstance(node, cst.Name):
                raise Untraceable(f"`{name.value}` is assigned in a way harden cannot follow")
            statement = self._tree.simple_statement(node)
            if statement is None:
                raise Untraceable(f"`{name.value}` is assigned in a way harden cannot follow")
            start = self._tree.start(statement)
            if start >= site_start:
                raise Untraceable(f"`{name.value}` is assigned again after the call")
            if self._tree.parent(statement) not in site_suites:
                raise Untraceable(f"`{name.value}` is built conditionally (inside a block)")
            statements.append((start, statement))
        statements.sort(key=lambda item: item[0])
        ordered = [s for _, s in statements]
        if not isinstance(ordered[0].body[0], cst.Assign | cst.AnnAssign):
            raise Untraceable(f"`{name.value}` is extended before it is assigned")
        if any(not isinstance(s.body[0], cst.AugAssign) for s in ordered[1:]):
            raise Untraceable(f"`{name.value}` is assigned more than once")
        loops = self._tree.repeating_apart(site, ordered[0])
        if any(self._tree.within(s, loop) for s in ordered[1:] for loop in loops):
            raise Untraceable(f"`{name.value}` is extended in a loop, so it grows on every pass")
        return ordered

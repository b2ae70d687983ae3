"""Facts about libcst expressions that need no metadata: what a string-building form is, which
expressions are free of side effects, the name a value is known by, literal texts.

Pure functions of the nodes they are given: nothing here resolves a name or reads a scope
(tree.py does), and nothing here changes code, except `Substitute`, which builds a copy.
"""

from __future__ import annotations

import ast
import re
import warnings

import libcst as cst

from harden.shell.untraceable import Untraceable

STR_BUILTINS = frozenset({"str", "repr", "ascii", "format", "hex", "oct", "bin", "chr"})
PURE_BUILTINS = STR_BUILTINS | {"int", "float", "len", "abs", "round", "min", "max"}
STR_METHODS = frozenset(
    {"strip", "lstrip", "rstrip", "lower", "upper", "title", "casefold", "replace", "join"}
    | {"format", "removeprefix", "removesuffix", "zfill", "ljust", "rjust", "center"}
)


def string_literal(text: str) -> cst.SimpleString:
    """A Python string literal for `text`, in double quotes where that needs no escaping."""
    body = repr(text)
    if body.startswith("'") and '"' not in text and "'" not in text:
        body = '"' + body[1:-1] + '"'
    return cst.SimpleString(body)


def assigned_value(statement: cst.SimpleStatementLine) -> cst.BaseExpression:
    node = statement.body[0]
    assert isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign)
    assert node.value is not None
    return node.value


def returned(definition: cst.FunctionDef) -> cst.BaseExpression:
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


class Substitute(cst.CSTTransformer):
    """Puts the call's arguments where a helper's command reads its parameters."""

    def __init__(self, by_name: dict[cst.CSTNode, cst.BaseExpression]) -> None:
        super().__init__()
        self._by_name = by_name

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self._by_name.get(original_node, updated_node)


def grouped(expr: cst.BaseExpression) -> cst.BaseExpression:
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


def literal_str(expr: cst.BaseExpression) -> str | None:
    """The text of a string or number literal, as str() or an f-string gives it."""
    if isinstance(expr, cst.SimpleString | cst.ConcatenatedString):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(expr, cst.Integer | cst.Float):
        return str(expr.evaluated_value)
    return None


def is_string_form(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString):
        return True
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add | cst.Modulo):
        return is_string_form(expr.left) or (
            isinstance(expr.operator, cst.Add) and is_string_form(expr.right)
        )
    return string_method(expr) in ("format", "join")


def string_method(expr: cst.BaseExpression) -> str | None:
    """`m` for a call of a method of a string literal, `"...".m(...)`; else None."""
    if (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and isinstance(expr.func.value, cst.SimpleString | cst.ConcatenatedString)
    ):
        return expr.func.attr.value
    return None


def is_pure(expr: cst.CSTNode) -> bool:
    """No side effects and no dependence on when it runs, beyond the names it reads."""
    if isinstance(expr, cst.Name | cst.SimpleString | cst.Integer | cst.Float):
        return True
    if isinstance(expr, cst.Attribute):
        return is_pure(expr.value)
    if isinstance(expr, cst.Tuple | cst.List):  # e.g. the (value,) of a `%d` harden builds
        return all(
            not isinstance(e, cst.StarredElement) and is_pure(e.value) for e in expr.elements
        )
    if isinstance(expr, cst.Subscript):
        return is_pure(expr.value) and all(
            isinstance(s.slice, cst.Index) and is_pure(s.slice.value) for s in expr.slice
        )
    if isinstance(expr, cst.Call):
        func = expr.func
        pure_func = (isinstance(func, cst.Name) and func.value in PURE_BUILTINS) or (
            isinstance(func, cst.Attribute)
            and func.attr.value in STR_METHODS
            and is_pure(func.value)
        )
        return pure_func and all(not a.star and is_pure(a.value) for a in expr.args)
    if isinstance(expr, cst.IfExp):
        return all(is_pure(e) for e in (expr.test, expr.body, expr.orelse))
    if isinstance(expr, cst.BinaryOperation):
        return is_pure(expr.left) and is_pure(expr.right)
    if isinstance(expr, cst.UnaryOperation):
        return is_pure(expr.expression)
    if isinstance(expr, cst.BooleanOperation):
        return is_pure(expr.left) and is_pure(expr.right)
    if isinstance(expr, cst.Comparison):
        return is_pure(expr.left) and all(is_pure(c.comparator) for c in expr.comparisons)
    if isinstance(expr, cst.FormattedString | cst.ConcatenatedString):
        return all(is_pure(e.expression) for e in replacement_fields(expr))
    if isinstance(expr, cst.FormattedStringExpression):
        return is_pure(expr.expression)
    return False


def names_in(expr: cst.CSTNode) -> list[cst.Name]:
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


def name_of(expr: cst.BaseExpression) -> str:
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
        if isinstance(expr.func, cst.Name) and expr.func.value in PURE_BUILTINS:
            return name_of(expr.args[0].value)
        if isinstance(expr.func, cst.Attribute):
            return name_of(expr.func.value)
    return ""


def replacement_fields(
    expr: cst.FormattedString | cst.ConcatenatedString,
) -> list[cst.FormattedStringExpression]:
    """The `{...}` fields of an f-string or of the f-strings concatenated in `expr`."""
    if isinstance(expr, cst.ConcatenatedString):
        return [
            field
            for side in (expr.left, expr.right)
            if isinstance(side, cst.FormattedString | cst.ConcatenatedString)
            for field in replacement_fields(side)
        ]
    return [part for part in expr.parts if isinstance(part, cst.FormattedStringExpression)]


def annotated_as(annotation: cst.BaseExpression, types: frozenset[str]) -> bool:
    """Whether the annotation names one of `types` (`int`), also quoted or in `Annotated`."""
    if isinstance(annotation, cst.Name):
        return annotation.value in types
    if isinstance(annotation, cst.SimpleString):  # a quoted annotation: "str"
        return annotation.evaluated_value in types
    if isinstance(annotation, cst.Subscript) and name_of(annotation.value) == "Annotated":
        first = annotation.slice[0].slice
        return isinstance(first, cst.Index) and annotated_as(first.value, types)
    return False


def empty_default(param: cst.Param) -> bool:
    return isinstance(param.default, cst.SimpleString) and param.default.evaluated_value in (
        "",
        b"",
    )


def plain_element(element: cst.BaseElement) -> cst.BaseExpression:
    if isinstance(element, cst.StarredElement):
        raise Untraceable("a starred element in the command's pieces")
    return element.value


def template_text(template: cst.SimpleString | cst.ConcatenatedString) -> str:
    """The text of a `%` or `.format` template literal."""
    text = template.evaluated_value
    if isinstance(text, bytes):
        raise Untraceable("the command is a bytes literal")
    if text is None:  # libcst gives no value for a concatenation holding an f-string
        raise Untraceable("the format template is glued to an f-string")
    return text


def fstring_text(source: str, raw: bool) -> str:
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


def code(node: cst.CSTNode) -> str:
    code = cst.Module([]).code_for_node(node)
    return code if len(code) <= 60 else code[:57] + "..."

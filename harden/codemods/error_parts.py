"""What carries an exception's text to an MCP client, and the rewrite of such a message.

The error-messages planner (error_leaks.py) finds the places; this module holds what it finds —
the leaves that show an exception's text, the message around them, the ways they reach the
client — and builds the rewrite, in which each leaf becomes `harden_runtime.error_ref(...)` and
every other part of the message stays as written. It never decides what leaks.
"""

from __future__ import annotations

import string
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum

import libcst as cst

from harden.codemods.base import Replacements
from harden.codemods.runtime_import import RUNTIME_MODULE

GENERIC = "internal error (ref <id>)"


class Sink(Enum):
    RETURN = "returned"
    RAISE = "raised"
    LOG = "sent as a log notification"


class Verdict(Enum):
    """Whether a name holds an exception wherever it is read."""

    NO = 0
    YES = 1
    MIXED = 2  # on some paths only: a parameter some callers give something else


@dataclass(slots=True)
class Body:
    """What one function holds that may carry text to a client."""

    returns: list[cst.BaseExpression] = field(default_factory=list)
    raises: list[cst.BaseExpression] = field(default_factory=list)
    calls: list[cst.Call] = field(default_factory=list)
    # name -> every value put into it: `x = v`, `x: T = v`, `x += v`, `(x := v)`, `x[k] = v`,
    # `x.append(v)`
    bindings: dict[str, list[cst.BaseExpression]] = field(default_factory=lambda: defaultdict(list))


@dataclass(slots=True)
class Leaf:
    """One place showing an exception's text, and what error_ref() gets there."""

    node: cst.BaseExpression
    exception: str | None  # the variable holding the exception; None: the one being handled
    detail: cst.BaseExpression | None = None  # the part of it shown, when not all of it
    in_list: bool = False  # traceback.format_exception() gives a list of lines
    traceback: bool = False
    refusal: str = ""

    def replacement(self) -> cst.BaseExpression:
        args = [cst.Arg(cst.Name(self.exception))] if self.exception else []
        if self.detail is not None:
            args.append(cst.Arg(self.detail.deep_clone()))
        call = cst.Call(cst.Attribute(cst.Name(RUNTIME_MODULE), cst.Name("error_ref")), args)
        return cst.List([cst.Element(call)]) if self.in_list else call


@dataclass(slots=True)
class Message:
    """A message (an f-string, a concatenation, a `%` or `.format`, or a lone `str(e)`) that
    carries exception text to the client, with every leaf in it."""

    node: cst.BaseExpression
    function: cst.FunctionDef
    sinks: set[Sink] = field(default_factory=set)
    leaves: dict[cst.CSTNode, Leaf] = field(default_factory=dict)
    refusal: str = ""


def builder(
    message: cst.BaseExpression,
    leaves: dict[cst.CSTNode, Leaf],
    spine: frozenset[cst.CSTNode],
) -> Callable[[Replacements], cst.CSTNode]:
    """The rewrite of `message`: each leaf becomes error_ref(); an f-string's `!r` on it goes
    (error_ref already gives text); nested rewrites beside the leaves are kept."""

    def build(replaced: Replacements) -> cst.CSTNode:
        class Rewrite(cst.CSTTransformer):
            def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
                leaf = leaves.get(original)
                if leaf is not None:
                    return leaf.replacement()
                if (
                    isinstance(original, cst.FormattedStringExpression)
                    and original.expression in leaves
                    and isinstance(updated, cst.FormattedStringExpression)
                ):
                    return updated.with_changes(conversion=None)
                # `replaced` also holds plain copies the applier made of unchanged nodes: on
                # the way from a leaf up, only this rewrite's own result counts.
                return updated if original in spine else replaced.get(original, updated)

        return message.visit(Rewrite())

    return build


def text_leaf(
    node: cst.BaseExpression,
    exception: cst.Name,
    verdict: Verdict,
    shown: cst.BaseExpression | None = None,
) -> Leaf:
    """The leaf at `node`, which shows `shown` (by default itself) of `exception`."""
    shown = shown or node
    leaf = Leaf(node, exception.value, None if shown is exception else shown)
    if verdict is Verdict.MIXED:
        leaf.refusal = (
            f"`{exception.value}` holds an exception only on some paths (callers pass other "
            "values too), so harden cannot tell which text is meant for the client"
        )
    return leaf


def combine(found: set[Verdict]) -> Verdict:
    if found == {Verdict.YES}:
        return Verdict.YES
    if found & {Verdict.YES, Verdict.MIXED}:
        return Verdict.MIXED
    return Verdict.NO


def is_format_call(call: cst.CSTNode) -> bool:
    return (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "format"
    )


def format_fields(template: str) -> Iterator[str]:
    """The field names of a str.format template, automatic numbering resolved."""
    automatic = 0
    for _, field_name, _, _ in string.Formatter().parse(template):
        if field_name is None:
            continue
        if field_name[:1] in ("", ".", "["):
            field_name = f"{automatic}{field_name}"
            automatic += 1
        yield field_name


def slots(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The values a message interpolates: f-string fields, `+` operands, `%` and `.format`
    arguments; a lone value is its own slot."""
    if isinstance(node, cst.FormattedString):
        for part in node.parts:
            if isinstance(part, cst.FormattedStringExpression):
                yield from slots(part.expression)
    elif isinstance(node, cst.ConcatenatedString):
        yield from slots(node.left)
        yield from slots(node.right)
    elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add | cst.Modulo):
        yield from slots(node.left)
        right = node.right
        if isinstance(node.operator, cst.Modulo) and isinstance(right, cst.Tuple | cst.Dict):
            for element in right.elements:
                if isinstance(element, cst.Element | cst.DictElement):
                    yield element.value
        else:
            yield from slots(right)
    elif is_format_call(node):
        assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
        yield from slots(node.func.value)
        yield from (arg.value for arg in node.args)
    elif not isinstance(node, cst.SimpleString):
        yield node


def descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    yield node
    for child in node.children:
        yield from descendants(child)


def value_names(node: cst.CSTNode) -> Iterator[cst.Name]:
    """The names an expression reads (not attribute or keyword names)."""
    if isinstance(node, cst.Name):
        yield node
    elif isinstance(node, cst.Attribute | cst.Arg):
        yield from value_names(node.value)
    else:
        for child in node.children:
            yield from value_names(child)


def is_name(node: cst.CSTNode, value: str) -> bool:
    return isinstance(node, cst.Name) and node.value == value


def code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)

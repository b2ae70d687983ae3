"""How to set MCP tool annotations where a tool's registration writes them (`with_hints`).

An edit is the node to replace, its replacement, and the import the replacement needs. It edits
the site and form annotations.py reads (which also says how each SDK line takes the hints): a
hint already written gets its new value in place, a new one is spelled like those already there,
else as the tool's SDK line documents it.

It never guesses: an edit it cannot make safely is refused with the reason. It only builds nodes;
it never changes a module itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import libcst as cst

from harden.codemods.base import Qualified
from harden.mcp.handlers import Handler
from harden.permissions.annotations import (
    HINTS,
    SNAKE,
    Form,
    LowLevelTool,
    Nowhere,
    Site,
    form_at,
    site_of,
)

_IMPORT = ("mcp.types", "ToolAnnotations")  # (module, name): the same class in mcp 1.x and 2.x


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace `node` with `replacement` (and add `imports`) to set the hints asked for."""

    node: cst.CSTNode
    replacement: cst.CSTNode
    imports: tuple[tuple[str, str], ...] = ()  # (module, name)


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str


def with_hints(
    target: Handler | LowLevelTool, changes: Mapping[str, bool], qualified: Qualified
) -> Edit | Refused | None:
    """How to make the registration of `target` declare `changes` (hint -> value, by MCP
    name), keeping every other argument and hint as written; None when it already does.

    A hint already written is given the new value where it is; a new one is spelled like the
    hints already there, else as the SDK line documents it: a dict for fastmcp's `tool`
    decorators (no import needed), else `ToolAnnotations(...)`, snake_case for mcp 2.x.
    """
    unknown = set(changes) - set(HINTS)
    if unknown:
        raise ValueError(f"not MCP tool hints: {sorted(unknown)}")
    site = site_of(target, qualified)
    if isinstance(site, Nowhere):
        return Refused(site.reason)
    form = form_at(site, qualified)
    if isinstance(form, str):
        return Refused(form)
    wanted = {h: changes[h] for h in HINTS if h in changes and form.declared.value(h) != changes[h]}
    if not wanted:
        return None
    unreadable = [form.unknown[h] for h in wanted if h in form.unknown]
    if unreadable:
        return Refused("; ".join(unreadable) + ": change it by hand")
    if form.value is None:
        return _new_annotations(site, form, wanted)
    return Edit(form.value, _set(form, wanted))


# -- building the edit ---------------------------------------------------------------------------


def _new_annotations(site: Site, form: Form, wanted: Mapping[str, bool]) -> Edit:
    """The edit giving a site that declares nothing (or `annotations=None`) the hints."""
    if site.takes_dict:
        # fastmcp reads a dict through the ToolAnnotations of its mcp: camelCase is the hint on
        # every line.
        items = ", ".join(f'"{hint}": {wanted[hint]}' for hint in wanted)
        value: cst.BaseExpression = cst.parse_expression(f"{{{items}}}")
        imports: tuple[tuple[str, str], ...] = ()
    else:
        keywords = ", ".join(f"{_spelled(hint, form.snake)}={wanted[hint]}" for hint in wanted)
        value = cst.parse_expression(f"{_IMPORT[1]}({keywords})")
        imports = (_IMPORT,)
    if form.arg is not None:  # annotations=None
        return Edit(form.arg.value, value, imports)
    arg = cst.Arg(
        value,
        keyword=cst.Name("annotations"),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )
    node = site.node
    if isinstance(node, cst.Call):
        args = _appended(node.args, arg, node.whitespace_before_args)
        return Edit(node, node.with_changes(args=args), imports)
    return Edit(node, cst.Call(node, [arg]), imports)


def _set(form: Form, wanted: Mapping[str, bool]) -> cst.Dict | cst.Call:
    """The form's dict or ToolAnnotations(...) with `wanted` set: in place where written, else
    appended, spelled like the hints already there."""
    value = form.value
    assert value is not None
    replaced: dict[cst.CSTNode, cst.CSTNode] = {
        form.entries[hint]: form.entries[hint].with_changes(value=cst.Name(str(wanted[hint])))
        for hint in wanted
        if hint in form.entries
    }
    added = [hint for hint in wanted if hint not in form.entries]
    if isinstance(value, cst.Dict):
        elements = [replaced.get(e, e) for e in value.elements]
        quote = _quote(value)
        for hint in added:
            key = cst.SimpleString(f"{quote}{_spelled(hint, form.snake)}{quote}")
            element = cst.DictElement(key, cst.Name(str(wanted[hint])))
            elements = _appended(elements, element, value.lbrace.whitespace_after)
        return value.with_changes(elements=elements)
    args = [replaced.get(a, a) for a in value.args]
    for hint in added:
        arg = cst.Arg(
            cst.Name(str(wanted[hint])),
            keyword=cst.Name(_spelled(hint, form.snake)),
            equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
        )
        args = _appended(args, arg, value.whitespace_before_args)
    return value.with_changes(args=args)


def _spelled(hint: str, snake: bool) -> str:
    return SNAKE[hint] if snake else hint


def _quote(value: cst.Dict) -> str:
    """The quote the dict's string keys use (`"` when it has none)."""
    for element in value.elements:
        if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
            quote = element.key.quote
            if quote in ('"', "'"):
                return quote
    return '"'


_Item = TypeVar("_Item", cst.Arg, cst.DictElement)


def _appended(
    items: Sequence[_Item], new: _Item, opening: cst.BaseParenthesizableWhitespace
) -> list[_Item]:
    """`items` with `new` after them, laid out like them: a trailing comma stays trailing, and
    the separator before `new` copies the one between the last two items (or, after a lone
    item, the line break that follows the opening bracket)."""
    if not items:
        return [new]
    last = items[-1]
    if len(items) > 1 and isinstance(items[-2].comma, cst.Comma):
        separator = items[-2].comma
    elif isinstance(opening, cst.ParenthesizedWhitespace):
        separator = cst.Comma(whitespace_after=opening)
    else:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if isinstance(last.comma, cst.Comma):  # a trailing comma: it goes after the new item
        return [*items[:-1], last.with_changes(comma=separator), new.with_changes(comma=last.comma)]
    if isinstance(last, cst.Arg) and isinstance(new, cst.Arg):
        # What followed the last argument (a line break before `)`) follows the new one.
        new = new.with_changes(whitespace_after_arg=last.whitespace_after_arg)
        last = last.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    return [*items[:-1], last.with_changes(comma=separator), new]

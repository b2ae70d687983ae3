"""MCP tool annotations as a tool's code declares them: where they are written, and what they say.

A tool's hints (readOnlyHint, destructiveHint, idempotentHint, openWorldHint) are written where
the tool is registered: the `annotations=` of `@mcp.tool(...)`, `mcp.add_tool(fn, ...)`,
fastmcp's `Tool.from_function(fn, ...)` and standalone `@tool(...)`, or, on a low-level server,
of each `types.Tool(name=..., ...)` its list_tools handler returns (`lowlevel_tools` finds them).
`declared` reads them there; `site_of` and `form_at` say where that is and how it is written,
for the edits of annotation_edits.py. How each SDK line takes them (checked in the installed
sources):

- mcp 1.x (FastMCP, low-level): a `ToolAnnotations` (mcp/types.py) with camelCase fields; a dict
  works too, through pydantic's coercion, though the signatures say `ToolAnnotations`; a
  snake_case name is kept as an extra field, listed as written: it is no hint.
- mcp 2.x (MCPServer, low-level): `ToolAnnotations` (mcp_types/_types.py, re-exported as
  mcp.types) with snake_case fields and camelCase aliases: both spellings are the hint.
- fastmcp: `FastMCP.tool` and the standalone `tool` take a ToolAnnotations or a dict, made into
  `ToolAnnotations(**d)`, so its keys follow the mcp line installed (camelCase everywhere,
  snake_case only with mcp 2.x: fastmcp 4). `Tool.from_function` takes a ToolAnnotations;
  `add_tool` and the constructor's `tools=` take none (a function decorated with the standalone
  `@tool` brings its own).

It never guesses: a value it cannot read makes the declaration unreadable (or the hint
unknown), with the reason. It only reads nodes: it never builds or changes code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import libcst as cst

from harden.codemods.base import Qualified
from harden.mcp.frameworks import (
    LOW_LEVEL,
    STANDALONE_TOOL_DECORATORS,
    TOOL_CLASSES,
    Framework,
    HandlerKind,
)
from harden.mcp.handlers import Handler
from harden.mcp.receivers import code

HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")  # MCP names
DEFAULTS: Mapping[str, bool] = {
    "readOnlyHint": False,
    "destructiveHint": True,
    "idempotentHint": False,
    "openWorldHint": True,
}
SNAKE: Mapping[str, str] = {
    "readOnlyHint": "read_only_hint",
    "destructiveHint": "destructive_hint",
    "idempotentHint": "idempotent_hint",
    "openWorldHint": "open_world_hint",
}
_FROM_SNAKE = {snake: hint for hint, snake in SNAKE.items()}


# mcp_types exists only with mcp 2.x, whose ToolAnnotations reads snake_case names.
_TOOL_ANNOTATIONS_V2 = "mcp_types.ToolAnnotations"
_TOOL_ANNOTATIONS = frozenset({"mcp.types.ToolAnnotations", _TOOL_ANNOTATIONS_V2})
_TOOL_TYPES = frozenset({"mcp.types.Tool", "mcp_types.Tool"})

_MCP1_LINES = frozenset({Framework.MCP1_FASTMCP, Framework.LOWLEVEL_V1})
_MCP2_LINES = frozenset({Framework.MCP2_MCPSERVER, Framework.LOWLEVEL_V2})
# More positional arguments than a function and a name: `annotations` may be one of them (mcp's
# `tool(name, title, description, annotations)`, fastmcp 2's `from_function(fn, ..., annotations)`).
_POSITIONAL = 2


@dataclass(frozen=True, slots=True)
class Declared:
    """What a registration declares."""

    hints: Mapping[str, bool]  # by MCP name, only those the code sets to a literal bool
    # Hints set to something that cannot be read: not a literal, set twice, or spelled in
    # snake_case where whether that is the hint depends on the SDK version installed.
    unknown: frozenset[str]
    # False when `annotations=` is not a form this module can read (a variable, a call), or is
    # not written in this module (another module registers the tool).
    readable: bool

    def value(self, hint: str) -> bool | None:
        """The literal the code declares for `hint`; None when it sets none it can read."""
        return self.hints.get(hint)


@dataclass(frozen=True, slots=True)
class LowLevelTool:
    """A tool a low-level server lists: its `types.Tool(name="<literal>", ...)` constructions."""

    name: str
    calls: tuple[cst.Call, ...]  # more than one: which the server lists is not known
    frameworks: frozenset[Framework]  # of the server's call_tool handler (LOW_LEVEL: unknown)


def lowlevel_tools(
    module: cst.Module, qualified: Qualified, frameworks: frozenset[Framework] = LOW_LEVEL
) -> Mapping[str, LowLevelTool]:
    """Every `mcp.types.Tool(name="<literal>", ...)` constructed in `module`, by tool name."""
    finder = _ToolConstructions(qualified)
    module.visit(finder)
    return {
        name: LowLevelTool(name, tuple(calls), frameworks) for name, calls in finder.found.items()
    }


def declared(target: Handler | LowLevelTool, qualified: Qualified) -> Declared:
    """The hints the registration of `target` declares."""
    site = site_of(target, qualified)
    if isinstance(site, Nowhere):
        return Declared({}, frozenset(), True) if site.empty else _UNREADABLE
    form = form_at(site, qualified)
    return _UNREADABLE if isinstance(form, str) else form.declared


# -- where the annotations of a registration are written -----------------------------------------


@dataclass(frozen=True, slots=True)
class Site:
    """The expression that takes a tool's `annotations=`: a call, or a bare decorator (`@s.tool`,
    `@tool`) that becomes one."""

    node: cst.Call | cst.Attribute | cst.Name
    frameworks: frozenset[Framework]
    takes_dict: bool  # its signature takes a dict as well as a ToolAnnotations


@dataclass(frozen=True, slots=True)
class Nowhere:
    """No place in this module sets the tool's annotations, and why."""

    reason: str
    empty: bool = False  # the registration takes none: the tool declares no hint


def site_of(target: Handler | LowLevelTool, qualified: Qualified) -> Site | Nowhere:
    """Where `target`'s annotations are written, or why there is no such place here."""
    if isinstance(target, LowLevelTool):
        if len(target.calls) > 1:
            return Nowhere(
                f"`types.Tool(name={target.name!r})` is constructed {len(target.calls)} times: "
                "which one the server lists is not known"
            )
        return Site(target.calls[0], target.frameworks, False)
    if target.kind is HandlerKind.LOWLEVEL_CALL_TOOL:
        return Nowhere(
            "a low-level call_tool handler: each tool's annotations are in the `types.Tool(...)` "
            "its list_tools handler returns"
        )
    if target.kind is not HandlerKind.TOOL:
        return Nowhere(f"a {target.kind.value}, not a tool: only tools have annotations")
    frameworks = target.frameworks
    fastmcp = Framework.FASTMCP in frameworks
    standalone = _standalone(target.function, qualified) if fastmcp else None
    registration = target.registration
    node: cst.BaseExpression | None = None
    takes_dict = frameworks == {Framework.FASTMCP}
    if isinstance(registration, cst.Decorator):
        node = registration.decorator
    elif isinstance(registration, cst.Call):
        node = registration.func if isinstance(registration.func, cst.Call) else registration
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        if method == "add_tool" and fastmcp:
            if frameworks != {Framework.FASTMCP}:
                return Nowhere(
                    "the server may be fastmcp's, whose add_tool takes no annotations, or mcp's, "
                    "whose add_tool does"
                )
            return _added_by_fastmcp(target, registration, standalone, qualified)
    elif standalone is not None:  # fastmcp's `tools=[fn]`, or registered in another module
        return Site(standalone, frameworks, True)
    elif isinstance(registration, cst.Arg):
        return Nowhere(
            "registered in the server constructor's `tools=` list, which takes no annotations (a "
            "function decorated with fastmcp's `@tool(...)` brings its own)",
            empty=True,
        )
    else:
        return Nowhere(f"registered in {target.elsewhere}: its annotations are written there")
    if isinstance(node, cst.Call) and not isinstance(node.func, cst.Attribute):
        node = node.func  # `deco(fn)`, `deco` being `s.tool(...)` held in a variable
    if isinstance(node, cst.Call | cst.Attribute):
        return Site(node, frameworks, takes_dict)
    return Nowhere(
        f"registered by `{code(node)}`, a decorator held in a variable that may register several "
        "tools: set the annotations where it is made"
    )


def _added_by_fastmcp(
    handler: Handler,
    call: cst.Call,
    standalone: cst.Call | cst.Name | cst.Attribute | None,
    qualified: Qualified,
) -> Site | Nowhere:
    """The site of `s.add_tool(...)` on fastmcp: `Tool.from_function(fn, ...)` given to it, or
    the standalone `@tool` of the function (which `Tool.from_function(fn)` alone also reads)."""
    first = call.args[0].value
    if (
        isinstance(first, cst.Call)
        and isinstance(first.func, cst.Attribute)
        and first.func.attr.value == "from_function"
        and qualified(first.func.value) & TOOL_CLASSES
    ):
        if len(first.args) == 1 and standalone is not None:
            return Site(standalone, handler.frameworks, True)
        return Site(first, handler.frameworks, False)
    if standalone is not None:
        return Site(standalone, handler.frameworks, True)
    return Nowhere(
        f"fastmcp's add_tool takes no annotations, and `{handler.function.name.value}` has no "
        "`@tool` from fastmcp.tools to carry them: register it with `@mcp.tool(...)` or decorate "
        "it with `@tool(...)`",
        empty=True,
    )


def _standalone(
    function: cst.FunctionDef, qualified: Qualified
) -> cst.Call | cst.Name | cst.Attribute | None:
    """fastmcp 3+'s standalone `@tool` / `@tool(...)` on `function`, if it has one."""
    for decorator in function.decorators:
        expression = decorator.decorator
        named = expression.func if isinstance(expression, cst.Call) else expression
        if isinstance(expression, cst.Call | cst.Name | cst.Attribute) and (
            qualified(named) & STANDALONE_TOOL_DECORATORS
        ):
            return expression
    return None


# -- what the site holds -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Form:
    """A readable `annotations=` (or its absence) at a site."""

    declared: Declared
    arg: cst.Arg | None  # the `annotations=` argument; None when there is none
    value: cst.Dict | cst.Call | None  # its dict or ToolAnnotations(...); None: none, or None
    entries: Mapping[str, cst.Arg | cst.DictElement]  # hint -> where the code sets it
    snake: bool  # new hints are spelled in snake_case
    unknown: Mapping[str, str] = field(default_factory=dict)  # hint -> why it cannot be read


_UNREADABLE = Declared({}, frozenset(), False)


def form_at(site: Site, qualified: Qualified) -> Form | str:
    """What the site's `annotations=` holds; why it cannot be read when it cannot."""
    call = site.node
    if not isinstance(call, cst.Call):
        return Form(Declared({}, frozenset(), True), None, None, {}, _snake_line(site))
    arg = next(
        (a for a in call.args if a.keyword is not None and a.keyword.value == "annotations"), None
    )
    if arg is None:
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if any(a.star for a in call.args):
            return f"`{code(call.func)}(...)` is given `*`/`**` arguments: annotations may be one"
        if len(positional) > _POSITIONAL:
            return (
                f"`{code(call.func)}(...)` is given {len(positional)} positional arguments: "
                "annotations may be one of them"
            )
        return Form(Declared({}, frozenset(), True), None, None, {}, _snake_line(site))
    value = arg.value
    if isinstance(value, cst.Name) and value.value == "None":
        return Form(Declared({}, frozenset(), True), arg, None, {}, _snake_line(site))
    keyed = _keyed(value, qualified)
    if keyed is None and isinstance(value, cst.Name | cst.Attribute):
        return (
            f"annotations= is `{code(value)}`, a variable that several tools may share: set the "
            "hints where it is defined, or give this tool annotations of its own"
        )
    if keyed is None:
        return (
            f"annotations= is `{code(value)}`, not a dict literal or a ToolAnnotations(...) call "
            "with keywords: harden cannot read it"
        )
    assert isinstance(value, cst.Dict | cst.Call)
    v2 = isinstance(value, cst.Call) and _TOOL_ANNOTATIONS_V2 in qualified(value.func)
    snake_is_hint = True if v2 else _snake_is_hint(site.frameworks)
    hints: dict[str, bool] = {}
    unknown: dict[str, str] = {}  # hint -> why it cannot be read
    entries: dict[str, cst.Arg | cst.DictElement] = {}
    spelled_snake: bool | None = None
    for key, expression, element in keyed:
        hint = key if key in HINTS else _FROM_SNAKE.get(key)
        if hint is None or (hint != key and snake_is_hint is False):
            continue  # not a hint: `title`, or a snake_case name mcp 1.x keeps as an extra field
        if spelled_snake is None:
            spelled_snake = hint != key
        literal = _literal_bool(expression)
        if hint in entries:
            unknown[hint] = f"{hint} is set twice"
        elif hint != key and snake_is_hint is None:
            unknown[hint] = (
                f"`{key}` is {hint} only where fastmcp runs on mcp 2.x (fastmcp 4): elsewhere it "
                "is listed as an extra field"
            )
        elif literal is None:
            unknown[hint] = f"{hint} is `{code(expression)}`, not a literal True or False"
        else:
            hints[hint] = literal
        entries[hint] = element
    snake = spelled_snake if spelled_snake is not None else v2 or _snake_line(site)
    declared = Declared(
        {h: v for h, v in hints.items() if h not in unknown}, frozenset(unknown), True
    )
    return Form(declared, arg, value, entries, snake, unknown)


def _keyed(
    value: cst.BaseExpression, qualified: Qualified
) -> list[tuple[str, cst.BaseExpression, cst.Arg | cst.DictElement]] | None:
    """(key, value, element) of a dict literal with string keys or of a `ToolAnnotations(...)`
    call with keywords only; None for anything else."""
    found: list[tuple[str, cst.BaseExpression, cst.Arg | cst.DictElement]] = []
    if isinstance(value, cst.Dict):
        for element in value.elements:
            if not isinstance(element, cst.DictElement):
                return None  # `**other`: anything may come with it
            key = element.key
            text = (
                key.evaluated_value
                if isinstance(key, cst.SimpleString | cst.ConcatenatedString)
                else None
            )
            if not isinstance(text, str):
                return None
            found.append((text, element.value, element))
        return found
    if isinstance(value, cst.Call) and qualified(value.func) & _TOOL_ANNOTATIONS:
        for arg in value.args:
            if arg.keyword is None:
                return None
            found.append((arg.keyword.value, arg.value, arg))
        return found
    return None


def _literal_bool(expression: cst.BaseExpression) -> bool | None:
    if isinstance(expression, cst.Name) and expression.value in ("True", "False"):
        return expression.value == "True"
    return None


def _snake_is_hint(frameworks: frozenset[Framework]) -> bool | None:
    """Whether a snake_case name is the hint: yes with mcp 2.x, no with mcp 1.x, and not known
    for fastmcp (whose ToolAnnotations is that of the mcp installed with it)."""
    if frameworks and frameworks <= _MCP2_LINES:
        return True
    if frameworks and frameworks <= _MCP1_LINES:
        return False
    return None


def _snake_line(site: Site) -> bool:
    """Whether the SDK line of `site` documents snake_case hints (mcp 2.x only)."""
    return bool(site.frameworks) and site.frameworks <= _MCP2_LINES


# -- the tools a low-level server constructs -----------------------------------------------------


class _ToolConstructions(cst.CSTVisitor):
    def __init__(self, qualified: Qualified) -> None:
        super().__init__()
        self.qualified = qualified
        self.found: dict[str, list[cst.Call]] = {}

    def visit_Call(self, node: cst.Call) -> None:
        if not self.qualified(node.func) & _TOOL_TYPES:
            return
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == "name":
                name = arg.value
                if isinstance(name, cst.SimpleString | cst.ConcatenatedString):
                    text = name.evaluated_value
                    if isinstance(text, str):
                        self.found.setdefault(text, []).append(node)

"""Tool annotations read and set at each registration form of each SDK line.

Each source is parsed and its handlers discovered as harden does; the tests state what
`declared` reads there, the exact module an edit from `with_hints` gives (the replacement put in
place, the import added), why an edit is refused, and that asking again changes nothing.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Mapping

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, QualifiedNameProvider

from harden.mcp import Framework
from harden.mcp.facts import NO_FACTS
from harden.mcp.handlers import Handler, HandlerProvider
from harden.mcp.project import index_project
from harden.permissions.annotations import (
    DEFAULTS,
    HINTS,
    Declared,
    Edit,
    LowLevelTool,
    Qualified,
    Refused,
    declared,
    lowlevel_tools,
    with_hints,
)

MCP1 = "from mcp.server.fastmcp import FastMCP\nfrom mcp.types import ToolAnnotations\n\n"
MCP1 += 'mcp = FastMCP("s")\n'
MCP2 = "from mcp.server.mcpserver import MCPServer\nfrom mcp.types import ToolAnnotations\n\n"
MCP2 += 'mcp = MCPServer("s")\n'
FASTMCP = "from fastmcp import FastMCP\nfrom fastmcp.tools import Tool, tool\n"
FASTMCP += "from mcp.types import ToolAnnotations\n\n"
FASTMCP += 'mcp = FastMCP("s")\n'


class Parsed:
    """A module as the codemods see it: its handlers and its nodes' qualified names."""

    def __init__(self, text: str, facts: object = NO_FACTS) -> None:
        self.wrapper = MetadataWrapper(cst.parse_module(text), cache={HandlerProvider: facts})
        self.discovery = self.wrapper.resolve(HandlerProvider)[self.wrapper.module]
        names = self.wrapper.resolve(QualifiedNameProvider)

        def qualified(node: cst.CSTNode) -> set[str]:
            found = names.get(node, set())
            return {q.name for q in (found() if callable(found) else found)}

        self.qualified: Qualified = qualified

    @property
    def module(self) -> cst.Module:
        return self.wrapper.module

    def handler(self, name: str) -> Handler:
        [found] = [h for h in self.discovery.handlers if (h.name or h.function.name.value) == name]
        return found

    def lowlevel(self, name: str, frameworks: frozenset[Framework] | None = None) -> LowLevelTool:
        tools = (
            lowlevel_tools(self.module, self.qualified)
            if frameworks is None
            else lowlevel_tools(self.module, self.qualified, frameworks)
        )
        return tools[name]


def applied(module: cst.Module, edits: Iterable[Edit]) -> str:
    """The module's code with every edit made and its imports added."""
    edits = list(edits)
    replacements = {edit.node: edit.replacement for edit in edits}

    class Replace(cst.CSTTransformer):
        def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def]
            return replacements.get(original_node, updated_node)

    context = CodemodContext()
    for edit in edits:
        for module_name, name in edit.imports:
            AddImportsVisitor.add_needed_import(context, module_name, name)
    return AddImportsVisitor(context).transform_module(module.visit(Replace())).code


def source(header: str, body: str) -> str:
    return header + "\n\n" + textwrap.dedent(body)


def hints(**values: bool) -> dict[str, bool]:
    return values


# -- reading -------------------------------------------------------------------------------------

READ = [
    pytest.param(
        MCP1, "@mcp.tool()\ndef t(): ...\n", "t", Declared({}, frozenset(), True), id="mcp1-nothing"
    ),
    pytest.param(
        MCP1,
        '@mcp.tool(title="T", annotations=ToolAnnotations(title="x", readOnlyHint=True, '
        "openWorldHint=False))\ndef t(): ...\n",
        "t",
        Declared(hints(readOnlyHint=True, openWorldHint=False), frozenset(), True),
        id="mcp1-ToolAnnotations",
    ),
    pytest.param(
        "import mcp.types as types\nfrom mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('s')\n",
        "@mcp.tool(annotations=types.ToolAnnotations(destructiveHint=False))\ndef t(): ...\n",
        "t",
        Declared(hints(destructiveHint=False), frozenset(), True),
        id="mcp1-types-module",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations={'idempotentHint': True, 'title': 'x'})\ndef t(): ...\n",
        "t",
        Declared(hints(idempotentHint=True), frozenset(), True),
        id="mcp1-dict",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations=ToolAnnotations(read_only_hint=True))\ndef t(): ...\n",
        "t",
        Declared({}, frozenset(), True),
        id="mcp1-snake-is-an-extra-field",
    ),
    pytest.param(
        MCP1,
        "def t(): ...\nmcp.add_tool(t, name='n', annotations=ToolAnnotations(readOnlyHint=True))\n",
        "n",
        Declared(hints(readOnlyHint=True), frozenset(), True),
        id="mcp1-add_tool",
    ),
    pytest.param(
        MCP1,
        "def t(): ...\nmcp.tool(annotations=ToolAnnotations(openWorldHint=True))(t)\n",
        "t",
        Declared(hints(openWorldHint=True), frozenset(), True),
        id="mcp1-factory-call",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations=None)\ndef t(): ...\n",
        "t",
        Declared({}, frozenset(), True),
        id="mcp1-None",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations=ToolAnnotations(readOnlyHint=flag, destructiveHint=False))\n"
        "def t(): ...\n",
        "t",
        Declared(hints(destructiveHint=False), frozenset({"readOnlyHint"}), True),
        id="mcp1-not-a-literal",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations={'readOnlyHint': True, 'readOnlyHint': False})\ndef t(): ...\n",
        "t",
        Declared({}, frozenset({"readOnlyHint"}), True),
        id="mcp1-set-twice",
    ),
    pytest.param(
        MCP2,
        "@mcp.tool(annotations=ToolAnnotations(read_only_hint=True, idempotent_hint=False))\n"
        "def t(): ...\n",
        "t",
        Declared(hints(readOnlyHint=True, idempotentHint=False), frozenset(), True),
        id="mcp2-snake",
    ),
    pytest.param(
        MCP2,
        "@mcp.tool(annotations=ToolAnnotations(openWorldHint=False))\ndef t(): ...\n",
        "t",
        Declared(hints(openWorldHint=False), frozenset(), True),
        id="mcp2-camel-alias",
    ),
    pytest.param(
        MCP2,
        "@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True, read_only_hint=False))\n"
        "def t(): ...\n",
        "t",
        Declared({}, frozenset({"readOnlyHint"}), True),
        id="mcp2-both-spellings",
    ),
    pytest.param(
        "from mcp_types import ToolAnnotations\nfrom mcp.server import MCPServer\n\n"
        "mcp = MCPServer('s')\n",
        "@mcp.tool(annotations=ToolAnnotations(destructive_hint=True))\ndef t(): ...\n",
        "t",
        Declared(hints(destructiveHint=True), frozenset(), True),
        id="mcp2-mcp_types",
    ),
    pytest.param(
        FASTMCP,
        "@mcp.tool\ndef t(): ...\n",
        "t",
        Declared({}, frozenset(), True),
        id="fastmcp-bare",
    ),
    pytest.param(
        FASTMCP,
        "@mcp.tool('n', annotations={\"readOnlyHint\": False})\ndef t(): ...\n",
        "n",
        Declared(hints(readOnlyHint=False), frozenset(), True),
        id="fastmcp-dict",
    ),
    pytest.param(
        FASTMCP,
        "def t(): ...\nmcp.tool(t, annotations=ToolAnnotations(readOnlyHint=True))\n",
        "t",
        Declared(hints(readOnlyHint=True), frozenset(), True),
        id="fastmcp-direct-call",
    ),
    pytest.param(
        FASTMCP,
        "@mcp.tool(annotations={'read_only_hint': True, 'openWorldHint': False})\ndef t(): ...\n",
        "t",
        Declared(hints(openWorldHint=False), frozenset({"readOnlyHint"}), True),
        id="fastmcp-snake-depends-on-its-mcp",
    ),
    pytest.param(
        "from fastmcp import FastMCP\nfrom mcp_types import ToolAnnotations\n\n"
        "mcp = FastMCP('s')\n",
        "@mcp.tool(annotations=ToolAnnotations(read_only_hint=True))\ndef t(): ...\n",
        "t",
        Declared(hints(readOnlyHint=True), frozenset(), True),
        id="fastmcp-mcp_types-snake",
    ),
    pytest.param(
        FASTMCP,
        "def t(): ...\nmcp.add_tool(Tool.from_function(t, name='n', "
        "annotations=ToolAnnotations(idempotentHint=True)))\n",
        "n",
        Declared(hints(idempotentHint=True), frozenset(), True),
        id="fastmcp-from_function",
    ),
    pytest.param(
        FASTMCP,
        "@tool(annotations={'readOnlyHint': True})\ndef t(): ...\nmcp.add_tool(t)\n",
        "t",
        Declared(hints(readOnlyHint=True), frozenset(), True),
        id="fastmcp-standalone-add_tool",
    ),
    pytest.param(
        FASTMCP,
        "@tool(annotations={'readOnlyHint': True})\ndef t(): ...\n"
        "mcp.add_tool(Tool.from_function(t))\n",
        "t",
        Declared(hints(readOnlyHint=True), frozenset(), True),
        id="fastmcp-from_function-reads-the-standalone-tool",
    ),
    pytest.param(
        FASTMCP,
        "@tool(annotations={'readOnlyHint': True})\ndef t(): ...\n"
        "mcp.add_tool(Tool.from_function(t, name='n'))\n",
        "n",
        Declared({}, frozenset(), True),
        id="fastmcp-from_function-with-arguments-ignores-it",
    ),
    pytest.param(
        FASTMCP,
        "def t(): ...\nmcp.add_tool(t)\n",
        "t",
        Declared({}, frozenset(), True),
        id="fastmcp-add_tool-takes-none",
    ),
    pytest.param(
        "from fastmcp import FastMCP\n\n",
        "def t(): ...\nmcp = FastMCP('s', tools=[t])\n",
        "t",
        Declared({}, frozenset(), True),
        id="fastmcp-tools-list",
    ),
    pytest.param(
        "from fastmcp import FastMCP\nfrom fastmcp.tools import tool\n\n",
        "@tool(annotations={'openWorldHint': False})\ndef t(): ...\n"
        "mcp = FastMCP('s', tools=[t])\n",
        "t",
        Declared(hints(openWorldHint=False), frozenset(), True),
        id="fastmcp-tools-list-standalone",
    ),
]


@pytest.mark.parametrize(("header", "body", "name", "expected"), READ)
def test_what_each_form_declares(header: str, body: str, name: str, expected: Declared) -> None:
    parsed = Parsed(source(header, body))
    assert declared(parsed.handler(name), parsed.qualified) == expected


UNREADABLE = [
    pytest.param(
        MCP1,
        "SHARED = ToolAnnotations(readOnlyHint=True)\n\n"
        "@mcp.tool(annotations=SHARED)\ndef t(): ...\n",
        id="variable",
    ),
    pytest.param(MCP1, "@mcp.tool(annotations=make())\ndef t(): ...\n", id="call"),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations={**BASE, 'readOnlyHint': True})\ndef t(): ...\n",
        id="dict-expansion",
    ),
    pytest.param(MCP1, "@mcp.tool(annotations={KEY: True})\ndef t(): ...\n", id="dict-key"),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations=ToolAnnotations(**opts))\ndef t(): ...\n",
        id="ToolAnnotations-expansion",
    ),
    pytest.param(MCP1, "@mcp.tool(**options)\ndef t(): ...\n", id="registration-expansion"),
    pytest.param(
        MCP1,
        "@mcp.tool('t', 'T', 'd', ToolAnnotations(readOnlyHint=True))\ndef t(): ...\n",
        id="positional",
    ),
    pytest.param(MCP1, "register = mcp.tool()\n\n@register\ndef t(): ...\n", id="named-decorator"),
]


@pytest.mark.parametrize(("header", "body"), UNREADABLE)
def test_what_cannot_be_read(header: str, body: str) -> None:
    parsed = Parsed(source(header, body))
    assert declared(parsed.handler("t"), parsed.qualified) == Declared({}, frozenset(), False)


def test_only_tools_declare_hints() -> None:
    parsed = Parsed(
        source(
            "from mcp.server.lowlevel import Server\nfrom mcp.server.fastmcp import FastMCP\n\n"
            "server = Server('low')\nmcp = FastMCP('s')\n",
            """\
            @server.call_tool()
            async def call(name, arguments): ...

            @mcp.resource("r://x")
            def r(): ...
            """,
        )
    )
    [call] = [h for h in parsed.discovery.handlers if h.function.name.value == "call"]
    assert declared(call, parsed.qualified).readable is False
    assert declared(parsed.handler("r"), parsed.qualified).readable is False
    assert with_hints(call, {"readOnlyHint": True}, parsed.qualified) == Refused(
        "a low-level call_tool handler: each tool's annotations are in the `types.Tool(...)` "
        "its list_tools handler returns"
    )
    assert with_hints(parsed.handler("r"), {"readOnlyHint": True}, parsed.qualified) == Refused(
        "a resource, not a tool: only tools have annotations"
    )


def test_value_is_the_literal_or_none() -> None:
    found = Declared(hints(readOnlyHint=False), frozenset({"openWorldHint"}), True)
    assert [found.value(h) for h in HINTS] == [False, None, None, None]
    assert dict(DEFAULTS) == hints(
        readOnlyHint=False, destructiveHint=True, idempotentHint=False, openWorldHint=True
    )


# -- editing -------------------------------------------------------------------------------------

EDITS = [
    pytest.param(
        MCP1,
        "@mcp.tool()\ndef t(): ...\n",
        "t",
        hints(readOnlyHint=True),
        "@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))\ndef t(): ...\n",
        id="mcp1-new",
    ),
    pytest.param(
        MCP1,
        '@mcp.tool(name="n", annotations=ToolAnnotations(title="T", readOnlyHint=True))\n'
        "def t(): ...\n",
        "n",
        hints(readOnlyHint=False, destructiveHint=False),
        '@mcp.tool(name="n", annotations=ToolAnnotations(title="T", readOnlyHint=False, '
        "destructiveHint=False))\ndef t(): ...\n",
        id="mcp1-change-and-add",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations=ToolAnnotations(read_only_hint=True))\ndef t(): ...\n",
        "t",
        hints(readOnlyHint=True),
        "@mcp.tool(annotations=ToolAnnotations(read_only_hint=True, readOnlyHint=True))\n"
        "def t(): ...\n",
        id="mcp1-beside-an-extra-field",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations={'idempotentHint': True})\ndef t(): ...\n",
        "t",
        hints(readOnlyHint=True),
        "@mcp.tool(annotations={'idempotentHint': True, 'readOnlyHint': True})\ndef t(): ...\n",
        id="mcp1-dict-keeps-its-quotes",
    ),
    pytest.param(
        MCP1,
        "def t(): ...\nmcp.add_tool(t, name='n')\n",
        "n",
        hints(openWorldHint=False),
        "def t(): ...\n"
        "mcp.add_tool(t, name='n', annotations=ToolAnnotations(openWorldHint=False))\n",
        id="mcp1-add_tool",
    ),
    pytest.param(
        MCP1,
        "def t(): ...\nmcp.tool(\n    name='n'\n)(t)\n",
        "n",
        hints(readOnlyHint=True),
        "def t(): ...\nmcp.tool(\n    name='n',\n"
        "    annotations=ToolAnnotations(readOnlyHint=True)\n)(t)\n",
        id="mcp1-factory-call-on-lines",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(\n    name='n',\n    title='T',\n)\ndef t(): ...\n",
        "n",
        hints(readOnlyHint=True),
        "@mcp.tool(\n    name='n',\n    title='T',\n"
        "    annotations=ToolAnnotations(readOnlyHint=True),\n)\ndef t(): ...\n",
        id="mcp1-trailing-comma",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations=None)\ndef t(): ...\n",
        "t",
        hints(destructiveHint=False),
        "@mcp.tool(annotations=ToolAnnotations(destructiveHint=False))\ndef t(): ...\n",
        id="mcp1-None",
    ),
    pytest.param(
        MCP2,
        "@mcp.tool()\ndef t(): ...\n",
        "t",
        hints(readOnlyHint=True, openWorldHint=False),
        "@mcp.tool(annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False))\n"
        "def t(): ...\n",
        id="mcp2-new-snake",
    ),
    pytest.param(
        MCP2,
        "@mcp.tool(annotations=ToolAnnotations(title='T'))\ndef t(): ...\n",
        "t",
        hints(readOnlyHint=True),
        "@mcp.tool(annotations=ToolAnnotations(title='T', read_only_hint=True))\ndef t(): ...\n",
        id="mcp2-first-hint-snake",
    ),
    pytest.param(
        MCP2,
        "@mcp.tool(annotations=ToolAnnotations(openWorldHint=True))\ndef t(): ...\n",
        "t",
        hints(openWorldHint=False, readOnlyHint=True),
        "@mcp.tool(annotations=ToolAnnotations(openWorldHint=False, readOnlyHint=True))\n"
        "def t(): ...\n",
        id="mcp2-camel-kept",
    ),
    pytest.param(
        FASTMCP,
        "@mcp.tool\ndef t(): ...\n",
        "t",
        hints(readOnlyHint=True),
        '@mcp.tool(annotations={"readOnlyHint": True})\ndef t(): ...\n',
        id="fastmcp-bare",
    ),
    pytest.param(
        FASTMCP,
        "@mcp.tool('n')\ndef t(): ...\n",
        "n",
        hints(readOnlyHint=True, idempotentHint=True),
        '@mcp.tool(\'n\', annotations={"readOnlyHint": True, "idempotentHint": True})\n'
        "def t(): ...\n",
        id="fastmcp-named",
    ),
    pytest.param(
        FASTMCP,
        "@mcp.tool(annotations={\n    'openWorldHint': False,\n})\ndef t(): ...\n",
        "t",
        hints(readOnlyHint=True),
        "@mcp.tool(annotations={\n    'openWorldHint': False,\n    'readOnlyHint': True,\n})\n"
        "def t(): ...\n",
        id="fastmcp-dict-on-lines",
    ),
    pytest.param(
        FASTMCP,
        "def t(): ...\nmcp.tool(t, annotations=ToolAnnotations(openWorldHint=False))\n",
        "t",
        hints(openWorldHint=True),
        "def t(): ...\nmcp.tool(t, annotations=ToolAnnotations(openWorldHint=True))\n",
        id="fastmcp-direct-call",
    ),
    pytest.param(
        FASTMCP,
        "def t(): ...\nmcp.add_tool(Tool.from_function(t, name='n'))\n",
        "n",
        hints(readOnlyHint=True),
        "def t(): ...\nmcp.add_tool(Tool.from_function(t, name='n', "
        "annotations=ToolAnnotations(readOnlyHint=True)))\n",
        id="fastmcp-from_function",
    ),
    pytest.param(
        FASTMCP,
        "@tool\ndef t(): ...\nmcp.add_tool(t)\n",
        "t",
        hints(readOnlyHint=True),
        '@tool(annotations={"readOnlyHint": True})\ndef t(): ...\nmcp.add_tool(t)\n',
        id="fastmcp-standalone-bare",
    ),
    pytest.param(
        FASTMCP,
        "@tool(name='n', annotations={'readOnlyHint': False})\ndef t(): ...\n"
        "mcp.add_tool(Tool.from_function(t))\n",
        "n",
        hints(readOnlyHint=True),
        "@tool(name='n', annotations={'readOnlyHint': True})\ndef t(): ...\n"
        "mcp.add_tool(Tool.from_function(t))\n",
        id="fastmcp-standalone-through-from_function",
    ),
]


@pytest.mark.parametrize(("header", "body", "name", "changes", "expected"), EDITS)
def test_each_edit_and_asking_again_changes_nothing(
    header: str, body: str, name: str, changes: Mapping[str, bool], expected: str
) -> None:
    parsed = Parsed(source(header, body))
    edit = with_hints(parsed.handler(name), changes, parsed.qualified)
    assert isinstance(edit, Edit), edit
    text = applied(parsed.module, [edit])
    # A new ToolAnnotations needs its import, which these modules already have.
    assert text == source(header, expected)
    ast.parse(text)
    again = Parsed(text)
    assert with_hints(again.handler(name), changes, again.qualified) is None
    after = declared(again.handler(name), again.qualified)
    assert {hint: after.value(hint) for hint in changes} == dict(changes)


def test_a_new_ToolAnnotations_brings_its_import() -> None:
    parsed = Parsed(
        "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('s')\n\n"
        "@mcp.tool()\ndef t(): ...\n"
    )
    edit = with_hints(parsed.handler("t"), hints(readOnlyHint=True), parsed.qualified)
    assert isinstance(edit, Edit)
    assert edit.imports == (("mcp.types", "ToolAnnotations"),)
    assert applied(parsed.module, [edit]) == (
        "from mcp.server.fastmcp import FastMCP\nfrom mcp.types import ToolAnnotations\n\n"
        "mcp = FastMCP('s')\n\n@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))\n"
        "def t(): ...\n"
    )


def test_a_fastmcp_dict_needs_no_import_and_the_edit_is_the_smallest_node() -> None:
    parsed = Parsed(
        source(FASTMCP, "@mcp.tool(annotations={'readOnlyHint': False})\ndef t(): ...\n")
    )
    edit = with_hints(parsed.handler("t"), hints(readOnlyHint=True), parsed.qualified)
    assert isinstance(edit, Edit)
    assert edit.imports == ()
    assert isinstance(edit.node, cst.Dict)  # the dict, not the decorator or the function


def test_nothing_to_change() -> None:
    parsed = Parsed(source(MCP1, "@mcp.tool(annotations={'readOnlyHint': True})\ndef t(): ...\n"))
    assert with_hints(parsed.handler("t"), hints(readOnlyHint=True), parsed.qualified) is None
    assert with_hints(parsed.handler("t"), {}, parsed.qualified) is None


def test_a_hint_not_declared_is_written_even_at_its_default() -> None:
    parsed = Parsed(source(MCP1, "@mcp.tool()\ndef t(): ...\n"))
    edit = with_hints(parsed.handler("t"), hints(destructiveHint=True), parsed.qualified)
    assert isinstance(edit, Edit)
    assert "destructiveHint=True" in applied(parsed.module, [edit])


def test_not_a_hint() -> None:
    parsed = Parsed(source(MCP1, "@mcp.tool()\ndef t(): ...\n"))
    with pytest.raises(ValueError, match="title"):
        with_hints(parsed.handler("t"), {"title": True}, parsed.qualified)


REFUSED = [
    pytest.param(
        MCP1,
        "SHARED = ToolAnnotations(readOnlyHint=True)\n\n@mcp.tool(annotations=SHARED)\n"
        "def t(): ...\n",
        "annotations= is `SHARED`, a variable that several tools may share: set the hints where "
        "it is defined, or give this tool annotations of its own",
        id="variable",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations=make())\ndef t(): ...\n",
        "annotations= is `make()`, not a dict literal or a ToolAnnotations(...) call with "
        "keywords: harden cannot read it",
        id="call",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(**options)\ndef t(): ...\n",
        "`mcp.tool(...)` is given `*`/`**` arguments: annotations may be one",
        id="expansion",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool('t', 'T', 'd', ToolAnnotations(readOnlyHint=True))\ndef t(): ...\n",
        "`mcp.tool(...)` is given 4 positional arguments: annotations may be one of them",
        id="positional",
    ),
    pytest.param(
        MCP1,
        "register = mcp.tool()\n\n@register\ndef t(): ...\n",
        "registered by `register`, a decorator held in a variable that may register several "
        "tools: set the annotations where it is made",
        id="named-decorator",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations=ToolAnnotations(readOnlyHint=flag))\ndef t(): ...\n",
        "readOnlyHint is `flag`, not a literal True or False: change it by hand",
        id="not-a-literal",
    ),
    pytest.param(
        MCP1,
        "@mcp.tool(annotations={'readOnlyHint': True, 'readOnlyHint': True})\ndef t(): ...\n",
        "readOnlyHint is set twice: change it by hand",
        id="set-twice",
    ),
    pytest.param(
        FASTMCP,
        "@mcp.tool(annotations=ToolAnnotations(read_only_hint=False))\ndef t(): ...\n",
        "`read_only_hint` is readOnlyHint only where fastmcp runs on mcp 2.x (fastmcp 4): "
        "elsewhere it is listed as an extra field: change it by hand",
        id="fastmcp-snake",
    ),
    pytest.param(
        FASTMCP,
        "def t(): ...\nmcp.add_tool(t)\n",
        "fastmcp's add_tool takes no annotations, and `t` has no `@tool` from fastmcp.tools to "
        "carry them: register it with `@mcp.tool(...)` or decorate it with `@tool(...)`",
        id="fastmcp-add_tool",
    ),
    pytest.param(
        "from fastmcp import FastMCP\n\n",
        "def t(): ...\nmcp = FastMCP('s', tools=[t])\n",
        "registered in the server constructor's `tools=` list, which takes no annotations (a "
        "function decorated with fastmcp's `@tool(...)` brings its own)",
        id="fastmcp-tools-list",
    ),
]


@pytest.mark.parametrize(("header", "body", "reason"), REFUSED)
def test_refusals_say_why(header: str, body: str, reason: str) -> None:
    parsed = Parsed(source(header, body))
    assert with_hints(parsed.handler("t"), hints(readOnlyHint=True), parsed.qualified) == Refused(
        reason
    )


def test_only_the_hints_asked_for_need_to_be_readable() -> None:
    parsed = Parsed(
        source(MCP1, "@mcp.tool(annotations=ToolAnnotations(readOnlyHint=flag))\ndef t(): ...\n")
    )
    edit = with_hints(parsed.handler("t"), hints(openWorldHint=False), parsed.qualified)
    assert isinstance(edit, Edit)
    assert "ToolAnnotations(readOnlyHint=flag, openWorldHint=False)" in applied(
        parsed.module, [edit]
    )


def test_a_tool_registered_in_another_module() -> None:
    server = "from fastmcp import FastMCP\nfrom tools import a, b\n\nmcp = FastMCP('s')\n"
    server += "mcp.add_tool(a)\nmcp.add_tool(b)\n"
    tools = "from fastmcp.tools import tool\n\n@tool(annotations={'readOnlyHint': True})\n"
    tools += "def a(): ...\n\ndef b(): ...\n"
    facts = index_project([("server.py", server), ("tools.py", tools)])
    parsed = Parsed(tools, facts["tools.py"])
    a, b = parsed.handler("a"), parsed.handler("b")
    assert (a.registration, a.elsewhere) == (None, "server.py:5")
    # The standalone @tool written here carries a's annotations.
    assert declared(a, parsed.qualified) == Declared(hints(readOnlyHint=True), frozenset(), True)
    edit = with_hints(a, hints(openWorldHint=False), parsed.qualified)
    assert isinstance(edit, Edit)
    assert "@tool(annotations={'readOnlyHint': True, 'openWorldHint': False})" in applied(
        parsed.module, [edit]
    )
    # b's registration, in server.py, is where its annotations would be.
    assert declared(b, parsed.qualified).readable is False
    assert with_hints(b, hints(readOnlyHint=True), parsed.qualified) == Refused(
        "registered in server.py:6: its annotations are written there"
    )


# -- the low-level server ------------------------------------------------------------------------

LOWLEVEL = """\
import mcp.types as types
from mcp.server.lowlevel import Server
from mcp_types import ToolAnnotations as Hints

server = Server("low")

TOOLS = [
    types.Tool(name="plain", inputSchema={}),
    types.Tool(name="hinted", inputSchema={}, annotations=types.ToolAnnotations(readOnlyHint=True)),
    types.Tool(name="v2", input_schema={}, annotations=Hints(open_world_hint=False)),
    types.Tool(name="twice", inputSchema={}),
    types.Tool(name="twice", inputSchema={}),
    types.Tool(name=NAME, inputSchema={}),
    Tool(name="not-mcp", inputSchema={}),
]
"""


def test_lowlevel_tools_are_the_literal_names_constructed() -> None:
    parsed = Parsed(LOWLEVEL)
    tools = lowlevel_tools(parsed.module, parsed.qualified)
    assert sorted(tools) == ["hinted", "plain", "twice", "v2"]
    assert len(tools["twice"].calls) == 2
    assert declared(tools["hinted"], parsed.qualified) == Declared(
        hints(readOnlyHint=True), frozenset(), True
    )
    assert declared(tools["v2"], parsed.qualified) == Declared(
        hints(openWorldHint=False), frozenset(), True
    )
    assert declared(tools["twice"], parsed.qualified).readable is False
    assert with_hints(tools["twice"], hints(readOnlyHint=True), parsed.qualified) == Refused(
        "`types.Tool(name='twice')` is constructed 2 times: which one the server lists is not known"
    )


@pytest.mark.parametrize(
    ("frameworks", "written"),
    [
        (None, "readOnlyHint=True"),  # the line is not known: camelCase, read by both
        (frozenset({Framework.LOWLEVEL_V1}), "readOnlyHint=True"),
        (frozenset({Framework.LOWLEVEL_V2}), "read_only_hint=True"),
    ],
)
def test_lowlevel_edits(frameworks: frozenset[Framework] | None, written: str) -> None:
    parsed = Parsed(LOWLEVEL)
    plain = with_hints(
        parsed.lowlevel("plain", frameworks), hints(readOnlyHint=True), parsed.qualified
    )
    hinted = with_hints(
        parsed.lowlevel("hinted", frameworks), hints(readOnlyHint=False), parsed.qualified
    )
    v2 = with_hints(parsed.lowlevel("v2", frameworks), hints(idempotentHint=True), parsed.qualified)
    assert isinstance(plain, Edit) and isinstance(hinted, Edit) and isinstance(v2, Edit)
    text = applied(parsed.module, [plain, hinted, v2])
    expected = LOWLEVEL.replace(
        'name="plain", inputSchema={})',
        f'name="plain", inputSchema={{}}, annotations=ToolAnnotations({written}))',
    )
    expected = expected.replace(
        "annotations=types.ToolAnnotations(readOnlyHint=True)",
        "annotations=types.ToolAnnotations(readOnlyHint=False)",
    )
    expected = expected.replace(
        "Hints(open_world_hint=False)", "Hints(open_world_hint=False, idempotent_hint=True)"
    )
    expected = expected.replace(
        "from mcp_types import ToolAnnotations as Hints\n",
        "from mcp_types import ToolAnnotations as Hints\nfrom mcp.types import ToolAnnotations\n",
    )
    assert text == expected
    again = Parsed(text)
    assert (
        with_hints(again.lowlevel("plain", frameworks), hints(readOnlyHint=True), again.qualified)
        is None
    )

"""Tool annotations read and set at each registration form of each SDK line.

Each source is parsed and its handlers discovered as harden does; the tests state what
`declared` reads there, the exact module an edit from `with_hints` gives (the replacement put in
place, the import added), why an edit is refused, and that asking again changes nothing.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Mapping

import libcst as cst
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper

from harden.mcp import Framework
from harden.mcp.facts import NO_FACTS
from harden.mcp.handlers import Handler, HandlerProvider
from harden.mcp.project import index_project
from harden.permissions.annotation_edits import Edit, Refused, with_hints
from harden.permissions.annotations import (
    DEFAULTS,
    HINTS,
    Declared,
    LowLevelTool,
    declared,
    lowlevel_tools,
)
from harden.permissions.parsed_modules import ParsedModule

MCP1 = "from mcp.server.fastmcp import FastMCP\nfrom mcp.types import ToolAnnotations\n\n"
MCP1 += 'mcp = FastMCP("s")\n'
MCP2 = "from mcp.server.mcpserver import MCPServer\nfrom mcp.types import ToolAnnotations\n\n"
MCP2 += 'mcp = MCPServer("s")\n'
FASTMCP = "from fastmcp import FastMCP\nfrom fastmcp.tools import Tool, tool\n"
FASTMCP += "from mcp.types import ToolAnnotations\n\n"
FASTMCP += 'mcp = FastMCP("s")\n'

Target = Handler | LowLevelTool


class Parsed:
    """A module as the codemods see it: its handlers and its nodes' qualified names.

    A tool is given as the name a handler is registered under, or as the target itself."""

    def __init__(self, text: str, facts: object = NO_FACTS) -> None:
        self.wrapper = MetadataWrapper(cst.parse_module(text), cache={HandlerProvider: facts})
        self.discovery = self.wrapper.resolve(HandlerProvider)[self.wrapper.module]
        self.qualified = ParsedModule("module.py", "module", self.wrapper).qualified

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

    def target(self, tool: str | Target) -> Target:
        return self.handler(tool) if isinstance(tool, str) else tool

    def declared(self, tool: str | Target) -> Declared:
        return declared(self.target(tool), self.qualified)

    def with_hints(self, tool: str | Target, changes: Mapping[str, bool]) -> Edit | Refused | None:
        return with_hints(self.target(tool), changes, self.qualified)

    def edit(self, tool: str | Target, changes: Mapping[str, bool]) -> Edit:
        """The edit `with_hints` gives, which must be one."""
        edit = self.with_hints(tool, changes)
        assert isinstance(edit, Edit), edit
        return edit

    def applied(self, *edits: Edit) -> str:
        """The module's code with every edit made and its imports added."""
        replacements = {edit.node: edit.replacement for edit in edits}

        class Replace(cst.CSTTransformer):
            def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def]
                return replacements.get(original_node, updated_node)

        context = CodemodContext()
        for edit in edits:
            for module_name, name in edit.imports:
                AddImportsVisitor.add_needed_import(context, module_name, name)
        return AddImportsVisitor(context).transform_module(self.module.visit(Replace())).code


def source(header: str, body: str) -> str:
    return header + "\n\n" + textwrap.dedent(body)


def hints(**values: bool) -> dict[str, bool]:
    return values


def decorated(decorator: str, after: str = "") -> str:
    """The tool `t`, under `@decorator`, then the lines `after`."""
    return f"@{decorator}\ndef t(): ...\n{after}"


def called(registration: str) -> str:
    """The tool `t`, then the call that registers it."""
    return f"def t(): ...\n{registration}\n"


# -- reading -------------------------------------------------------------------------------------


def reads(id: str, header: str, body: str, *unknown: str, name: str = "t", **found: bool) -> object:
    """A case of READ: `declared` reads `found` at the tool `name`, and cannot read `unknown`."""
    return pytest.param(header, body, name, Declared(found, frozenset(unknown), True), id=id)


# Forms `declared` cannot read (all of the tool `t`, under MCP1), by id.
UNREADABLE = {
    "variable": "SHARED = ToolAnnotations(readOnlyHint=True)\n\n"
    + decorated("mcp.tool(annotations=SHARED)"),
    "call": decorated("mcp.tool(annotations=make())"),
    "dict-expansion": decorated("mcp.tool(annotations={**BASE, 'readOnlyHint': True})"),
    "dict-key": decorated("mcp.tool(annotations={KEY: True})"),
    "ToolAnnotations-expansion": decorated("mcp.tool(annotations=ToolAnnotations(**opts))"),
    "registration-expansion": decorated("mcp.tool(**options)"),
    "positional": decorated("mcp.tool('t', 'T', 'd', ToolAnnotations(readOnlyHint=True))"),
    "named-decorator": "register = mcp.tool()\n\n" + decorated("register"),
}

READ = [
    reads("mcp1-nothing", MCP1, decorated("mcp.tool()")),
    reads(
        "mcp1-ToolAnnotations",
        MCP1,
        decorated(
            'mcp.tool(title="T", annotations=ToolAnnotations(title="x", readOnlyHint=True, '
            "openWorldHint=False))"
        ),
        readOnlyHint=True,
        openWorldHint=False,
    ),
    reads(
        "mcp1-types-module",
        "import mcp.types as types\nfrom mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('s')\n",
        decorated("mcp.tool(annotations=types.ToolAnnotations(destructiveHint=False))"),
        destructiveHint=False,
    ),
    reads(
        "mcp1-dict",
        MCP1,
        decorated("mcp.tool(annotations={'idempotentHint': True, 'title': 'x'})"),
        idempotentHint=True,
    ),
    reads(
        "mcp1-snake-is-an-extra-field",
        MCP1,
        decorated("mcp.tool(annotations=ToolAnnotations(read_only_hint=True))"),
    ),
    reads(
        "mcp1-add_tool",
        MCP1,
        called("mcp.add_tool(t, name='n', annotations=ToolAnnotations(readOnlyHint=True))"),
        name="n",
        readOnlyHint=True,
    ),
    reads(
        "mcp1-factory-call",
        MCP1,
        called("mcp.tool(annotations=ToolAnnotations(openWorldHint=True))(t)"),
        openWorldHint=True,
    ),
    reads("mcp1-None", MCP1, decorated("mcp.tool(annotations=None)")),
    reads(
        "mcp1-not-a-literal",
        MCP1,
        decorated(
            "mcp.tool(annotations=ToolAnnotations(readOnlyHint=flag, destructiveHint=False))"
        ),
        "readOnlyHint",
        destructiveHint=False,
    ),
    reads(
        "mcp1-set-twice",
        MCP1,
        decorated("mcp.tool(annotations={'readOnlyHint': True, 'readOnlyHint': False})"),
        "readOnlyHint",
    ),
    reads(
        "mcp2-snake",
        MCP2,
        decorated(
            "mcp.tool(annotations=ToolAnnotations(read_only_hint=True, idempotent_hint=False))"
        ),
        readOnlyHint=True,
        idempotentHint=False,
    ),
    reads(
        "mcp2-camel-alias",
        MCP2,
        decorated("mcp.tool(annotations=ToolAnnotations(openWorldHint=False))"),
        openWorldHint=False,
    ),
    reads(
        "mcp2-both-spellings",
        MCP2,
        decorated("mcp.tool(annotations=ToolAnnotations(readOnlyHint=True, read_only_hint=False))"),
        "readOnlyHint",
    ),
    reads(
        "mcp2-mcp_types",
        "from mcp_types import ToolAnnotations\nfrom mcp.server import MCPServer\n\n"
        "mcp = MCPServer('s')\n",
        decorated("mcp.tool(annotations=ToolAnnotations(destructive_hint=True))"),
        destructiveHint=True,
    ),
    reads("fastmcp-bare", FASTMCP, decorated("mcp.tool")),
    reads(
        "fastmcp-dict",
        FASTMCP,
        decorated("mcp.tool('n', annotations={\"readOnlyHint\": False})"),
        name="n",
        readOnlyHint=False,
    ),
    reads(
        "fastmcp-direct-call",
        FASTMCP,
        called("mcp.tool(t, annotations=ToolAnnotations(readOnlyHint=True))"),
        readOnlyHint=True,
    ),
    reads(
        "fastmcp-snake-depends-on-its-mcp",
        FASTMCP,
        decorated("mcp.tool(annotations={'read_only_hint': True, 'openWorldHint': False})"),
        "readOnlyHint",
        openWorldHint=False,
    ),
    reads(
        "fastmcp-mcp_types-snake",
        "from fastmcp import FastMCP\nfrom mcp_types import ToolAnnotations\n\n"
        "mcp = FastMCP('s')\n",
        decorated("mcp.tool(annotations=ToolAnnotations(read_only_hint=True))"),
        readOnlyHint=True,
    ),
    reads(
        "fastmcp-from_function",
        FASTMCP,
        called(
            "mcp.add_tool(Tool.from_function(t, name='n', "
            "annotations=ToolAnnotations(idempotentHint=True)))"
        ),
        name="n",
        idempotentHint=True,
    ),
    reads(
        "fastmcp-standalone-add_tool",
        FASTMCP,
        decorated("tool(annotations={'readOnlyHint': True})", "mcp.add_tool(t)\n"),
        readOnlyHint=True,
    ),
    reads(
        "fastmcp-from_function-reads-the-standalone-tool",
        FASTMCP,
        decorated(
            "tool(annotations={'readOnlyHint': True})", "mcp.add_tool(Tool.from_function(t))\n"
        ),
        readOnlyHint=True,
    ),
    reads(
        "fastmcp-from_function-with-arguments-ignores-it",
        FASTMCP,
        decorated(
            "tool(annotations={'readOnlyHint': True})",
            "mcp.add_tool(Tool.from_function(t, name='n'))\n",
        ),
        name="n",
    ),
    reads("fastmcp-add_tool-takes-none", FASTMCP, called("mcp.add_tool(t)")),
    reads(
        "fastmcp-tools-list",
        "from fastmcp import FastMCP\n\n",
        called("mcp = FastMCP('s', tools=[t])"),
    ),
    reads(
        "fastmcp-tools-list-standalone",
        "from fastmcp import FastMCP\nfrom fastmcp.tools import tool\n\n",
        decorated("tool(annotations={'openWorldHint': False})", "mcp = FastMCP('s', tools=[t])\n"),
        openWorldHint=False,
    ),
    *(
        pytest.param(MCP1, body, "t", Declared({}, frozenset(), False), id=f"unreadable-{id}")
        for id, body in UNREADABLE.items()
    ),
]


@pytest.mark.parametrize(("header", "body", "name", "expected"), READ)
def test_what_each_form_declares(header: str, body: str, name: str, expected: Declared) -> None:
    assert Parsed(source(header, body)).declared(name) == expected


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
    assert parsed.declared(call).readable is False
    assert parsed.declared("r").readable is False
    assert parsed.with_hints(call, {"readOnlyHint": True}) == Refused(
        "a low-level call_tool handler: each tool's annotations are in the `types.Tool(...)` "
        "its list_tools handler returns"
    )
    assert parsed.with_hints("r", {"readOnlyHint": True}) == Refused(
        "a resource, not a tool: only tools have annotations"
    )


def test_value_is_the_literal_or_none() -> None:
    found = Declared(hints(readOnlyHint=False), frozenset({"openWorldHint"}), True)
    assert [found.value(h) for h in HINTS] == [False, None, None, None]
    assert dict(DEFAULTS) == hints(
        readOnlyHint=False, destructiveHint=True, idempotentHint=False, openWorldHint=True
    )


# -- editing -------------------------------------------------------------------------------------


def edits(id: str, header: str, diff: str, *, name: str = "t", **changes: bool) -> object:
    """A case of EDITS: asking the tool `name` for `changes` turns the module's `diff`, written
    as `git diff --word-diff` does, from its [-removed-] text to its {+added+} text."""
    removed, added = re.compile(r"\[-(.*?)-\]", re.S), re.compile(r"\{\+(.*?)\+\}", re.S)

    def side(kept: re.Pattern[str], dropped: re.Pattern[str]) -> str:
        return kept.sub(r"\1", dropped.sub("", diff))

    return pytest.param(header, side(removed, added), name, changes, side(added, removed), id=id)


EDITS = [
    edits(
        "mcp1-new",
        MCP1,
        decorated("mcp.tool({+annotations=ToolAnnotations(readOnlyHint=True)+})"),
        readOnlyHint=True,
    ),
    edits(
        "mcp1-change-and-add",
        MCP1,
        decorated(
            'mcp.tool(name="n", annotations=ToolAnnotations(title="T", '
            "readOnlyHint=[-True-]{+False, destructiveHint=False+}))"
        ),
        name="n",
        readOnlyHint=False,
        destructiveHint=False,
    ),
    edits(
        "mcp1-beside-an-extra-field",
        MCP1,
        decorated(
            "mcp.tool(annotations=ToolAnnotations(read_only_hint=True{+, readOnlyHint=True+}))"
        ),
        readOnlyHint=True,
    ),
    edits(
        "mcp1-dict-keeps-its-quotes",
        MCP1,
        decorated("mcp.tool(annotations={'idempotentHint': True{+, 'readOnlyHint': True+}})"),
        readOnlyHint=True,
    ),
    edits(
        "mcp1-add_tool",
        MCP1,
        called("mcp.add_tool(t, name='n'{+, annotations=ToolAnnotations(openWorldHint=False)+})"),
        name="n",
        openWorldHint=False,
    ),
    edits(
        "mcp1-factory-call-on-lines",
        MCP1,
        called(
            "mcp.tool(\n    name='n'{+,\n    annotations=ToolAnnotations(readOnlyHint=True)+}\n)(t)"
        ),
        name="n",
        readOnlyHint=True,
    ),
    edits(
        "mcp1-trailing-comma",
        MCP1,
        decorated(
            "mcp.tool(\n    name='n',\n    title='T',\n"
            "{+    annotations=ToolAnnotations(readOnlyHint=True),\n+})"
        ),
        name="n",
        readOnlyHint=True,
    ),
    edits(
        "mcp1-None",
        MCP1,
        decorated("mcp.tool(annotations=[-None-]{+ToolAnnotations(destructiveHint=False)+})"),
        destructiveHint=False,
    ),
    edits(
        "mcp2-new-snake",
        MCP2,
        decorated(
            "mcp.tool({+annotations=ToolAnnotations(read_only_hint=True, open_world_hint=False)+})"
        ),
        readOnlyHint=True,
        openWorldHint=False,
    ),
    edits(
        "mcp2-first-hint-snake",
        MCP2,
        decorated("mcp.tool(annotations=ToolAnnotations(title='T'{+, read_only_hint=True+}))"),
        readOnlyHint=True,
    ),
    edits(
        "mcp2-camel-kept",
        MCP2,
        decorated(
            "mcp.tool(annotations=ToolAnnotations("
            "openWorldHint=[-True-]{+False, readOnlyHint=True+}))"
        ),
        openWorldHint=False,
        readOnlyHint=True,
    ),
    edits(
        "fastmcp-bare",
        FASTMCP,
        decorated('mcp.tool{+(annotations={"readOnlyHint": True})+}'),
        readOnlyHint=True,
    ),
    edits(
        "fastmcp-named",
        FASTMCP,
        decorated(
            'mcp.tool(\'n\'{+, annotations={"readOnlyHint": True, "idempotentHint": True}+})'
        ),
        name="n",
        readOnlyHint=True,
        idempotentHint=True,
    ),
    edits(
        "fastmcp-dict-on-lines",
        FASTMCP,
        decorated(
            "mcp.tool(annotations={\n    'openWorldHint': False,\n{+    'readOnlyHint': True,\n+}})"
        ),
        readOnlyHint=True,
    ),
    edits(
        "fastmcp-direct-call",
        FASTMCP,
        called("mcp.tool(t, annotations=ToolAnnotations(openWorldHint=[-False-]{+True+}))"),
        openWorldHint=True,
    ),
    edits(
        "fastmcp-from_function",
        FASTMCP,
        called(
            "mcp.add_tool(Tool.from_function(t, name='n'"
            "{+, annotations=ToolAnnotations(readOnlyHint=True)+}))"
        ),
        name="n",
        readOnlyHint=True,
    ),
    edits(
        "fastmcp-standalone-bare",
        FASTMCP,
        decorated('tool{+(annotations={"readOnlyHint": True})+}', "mcp.add_tool(t)\n"),
        readOnlyHint=True,
    ),
    edits(
        "fastmcp-standalone-through-from_function",
        FASTMCP,
        decorated(
            "tool(name='n', annotations={'readOnlyHint': [-False-]{+True+}})",
            "mcp.add_tool(Tool.from_function(t))\n",
        ),
        name="n",
        readOnlyHint=True,
    ),
]


@pytest.mark.parametrize(("header", "body", "name", "changes", "expected"), EDITS)
def test_each_edit_and_asking_again_changes_nothing(
    header: str, body: str, name: str, changes: Mapping[str, bool], expected: str
) -> None:
    parsed = Parsed(source(header, body))
    text = parsed.applied(parsed.edit(name, changes))
    # A new ToolAnnotations needs its import, which these modules already have.
    assert text == source(header, expected)
    ast.parse(text)
    again = Parsed(text)
    assert again.with_hints(name, changes) is None
    after = again.declared(name)
    assert {hint: after.value(hint) for hint in changes} == dict(changes)


def test_a_new_ToolAnnotations_brings_its_import() -> None:
    parsed = Parsed(
        "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('s')\n\n"
        "@mcp.tool()\ndef t(): ...\n"
    )
    edit = parsed.edit("t", hints(readOnlyHint=True))
    assert edit.imports == (("mcp.types", "ToolAnnotations"),)
    assert parsed.applied(edit) == (
        "from mcp.server.fastmcp import FastMCP\nfrom mcp.types import ToolAnnotations\n\n"
        "mcp = FastMCP('s')\n\n@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))\n"
        "def t(): ...\n"
    )


def test_a_fastmcp_dict_needs_no_import_and_the_edit_is_the_smallest_node() -> None:
    parsed = Parsed(source(FASTMCP, decorated("mcp.tool(annotations={'readOnlyHint': False})")))
    edit = parsed.edit("t", hints(readOnlyHint=True))
    assert edit.imports == ()
    assert isinstance(edit.node, cst.Dict)  # the dict, not the decorator or the function


def test_nothing_to_change() -> None:
    parsed = Parsed(source(MCP1, decorated("mcp.tool(annotations={'readOnlyHint': True})")))
    assert parsed.with_hints("t", hints(readOnlyHint=True)) is None
    assert parsed.with_hints("t", {}) is None


def test_a_hint_not_declared_is_written_even_at_its_default() -> None:
    parsed = Parsed(source(MCP1, decorated("mcp.tool()")))
    assert "destructiveHint=True" in parsed.applied(parsed.edit("t", hints(destructiveHint=True)))


def test_not_a_hint() -> None:
    parsed = Parsed(source(MCP1, decorated("mcp.tool()")))
    with pytest.raises(ValueError, match="title"):
        parsed.with_hints("t", {"title": True})


REFUSED = [
    pytest.param(
        MCP1,
        UNREADABLE["variable"],
        "annotations= is `SHARED`, a variable that several tools may share: set the hints where "
        "it is defined, or give this tool annotations of its own",
        id="variable",
    ),
    pytest.param(
        MCP1,
        UNREADABLE["call"],
        "annotations= is `make()`, not a dict literal or a ToolAnnotations(...) call with "
        "keywords: harden cannot read it",
        id="call",
    ),
    pytest.param(
        MCP1,
        UNREADABLE["registration-expansion"],
        "`mcp.tool(...)` is given `*`/`**` arguments: annotations may be one",
        id="expansion",
    ),
    pytest.param(
        MCP1,
        UNREADABLE["positional"],
        "`mcp.tool(...)` is given 4 positional arguments: annotations may be one of them",
        id="positional",
    ),
    pytest.param(
        MCP1,
        UNREADABLE["named-decorator"],
        "registered by `register`, a decorator held in a variable that may register several "
        "tools: set the annotations where it is made",
        id="named-decorator",
    ),
    pytest.param(
        MCP1,
        decorated("mcp.tool(annotations=ToolAnnotations(readOnlyHint=flag))"),
        "readOnlyHint is `flag`, not a literal True or False: change it by hand",
        id="not-a-literal",
    ),
    pytest.param(
        MCP1,
        decorated("mcp.tool(annotations={'readOnlyHint': True, 'readOnlyHint': True})"),
        "readOnlyHint is set twice: change it by hand",
        id="set-twice",
    ),
    pytest.param(
        FASTMCP,
        decorated("mcp.tool(annotations=ToolAnnotations(read_only_hint=False))"),
        "`read_only_hint` is readOnlyHint only where fastmcp runs on mcp 2.x (fastmcp 4): "
        "elsewhere it is listed as an extra field: change it by hand",
        id="fastmcp-snake",
    ),
    pytest.param(
        FASTMCP,
        called("mcp.add_tool(t)"),
        "fastmcp's add_tool takes no annotations, and `t` has no `@tool` from fastmcp.tools to "
        "carry them: register it with `@mcp.tool(...)` or decorate it with `@tool(...)`",
        id="fastmcp-add_tool",
    ),
    pytest.param(
        "from fastmcp import FastMCP\n\n",
        called("mcp = FastMCP('s', tools=[t])"),
        "registered in the server constructor's `tools=` list, which takes no annotations (a "
        "function decorated with fastmcp's `@tool(...)` brings its own)",
        id="fastmcp-tools-list",
    ),
]


@pytest.mark.parametrize(("header", "body", "reason"), REFUSED)
def test_refusals_say_why(header: str, body: str, reason: str) -> None:
    parsed = Parsed(source(header, body))
    assert parsed.with_hints("t", hints(readOnlyHint=True)) == Refused(reason)


def test_only_the_hints_asked_for_need_to_be_readable() -> None:
    parsed = Parsed(
        source(MCP1, decorated("mcp.tool(annotations=ToolAnnotations(readOnlyHint=flag))"))
    )
    edit = parsed.edit("t", hints(openWorldHint=False))
    assert "ToolAnnotations(readOnlyHint=flag, openWorldHint=False)" in parsed.applied(edit)


def test_a_tool_registered_in_another_module() -> None:
    server = "from fastmcp import FastMCP\nfrom tools import a, b\n\nmcp = FastMCP('s')\n"
    server += "mcp.add_tool(a)\nmcp.add_tool(b)\n"
    tools = "from fastmcp.tools import tool\n\n@tool(annotations={'readOnlyHint': True})\n"
    tools += "def a(): ...\n\ndef b(): ...\n"
    facts = index_project([("server.py", server), ("tools.py", tools)])
    parsed = Parsed(tools, facts["tools.py"])
    a = parsed.handler("a")
    assert (a.registration, a.elsewhere) == (None, "server.py:5")
    # The standalone @tool written here carries a's annotations.
    assert parsed.declared(a) == Declared(hints(readOnlyHint=True), frozenset(), True)
    edit = parsed.edit(a, hints(openWorldHint=False))
    assert "@tool(annotations={'readOnlyHint': True, 'openWorldHint': False})" in parsed.applied(
        edit
    )
    # b's registration, in server.py, is where its annotations would be.
    assert parsed.declared("b").readable is False
    assert parsed.with_hints("b", hints(readOnlyHint=True)) == Refused(
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
    assert parsed.declared(tools["hinted"]) == Declared(hints(readOnlyHint=True), frozenset(), True)
    assert parsed.declared(tools["v2"]) == Declared(hints(openWorldHint=False), frozenset(), True)
    assert parsed.declared(tools["twice"]).readable is False
    assert parsed.with_hints(tools["twice"], hints(readOnlyHint=True)) == Refused(
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
    changes = {
        "plain": hints(readOnlyHint=True),
        "hinted": hints(readOnlyHint=False),
        "v2": hints(idempotentHint=True),
    }
    text = parsed.applied(
        *(parsed.edit(parsed.lowlevel(name, frameworks), asked) for name, asked in changes.items())
    )
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
    assert again.with_hints(again.lowlevel("plain", frameworks), hints(readOnlyHint=True)) is None

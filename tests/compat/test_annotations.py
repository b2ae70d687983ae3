"""Tool annotations set by harden.permissions.annotation_edits, against this environment's SDK.

A server of this SDK registers tools in each form its line allows (decorators with and without
annotations, a dict, `ToolAnnotations`, a call, `Tool.from_function`, fastmcp's standalone
`@tool`, and, on the mcp lines, a low-level server's `types.Tool` objects). Each tool is asked
for new hints; the edits `with_hints` gives are made to the source with libcst, and both
versions are imported and listed through the SDK's own in-memory client. Every listing must be
the same but for the annotations asked for, which must have the values set; a registration
whose edit is refused must list as it did. Asking again on the edited source changes nothing.
"""

from __future__ import annotations

import asyncio
import string
from collections.abc import Mapping
from pathlib import Path

import libcst as cst
import pytest
from compat_support import FAMILY, JSON, SDK, connect, load_module
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper

from harden.mcp import HandlerKind
from harden.mcp.handlers import Handler, find_handlers
from harden.permissions.annotation_edits import Edit, Refused, with_hints
from harden.permissions.annotations import LowLevelTool, declared, lowlevel_tools
from harden.permissions.parsed_modules import ParsedModule

# The tools every line registers alike: $server is the line's server class (from $module),
# $read_only and $open_world its spelling of those hints in ToolAnnotations(...), $renamed how its
# decorator is given a tool's name, and $forms the registration forms of that line alone.
HIGH_LEVEL = string.Template("""\
import mcp.types as types
from $module import $server

mcp = $server("annotated")
SHARED = types.ToolAnnotations($read_only=True)


@mcp.tool()
def fresh(text: str) -> str:
    return text


@mcp.tool(
    $renamed,
    annotations=types.ToolAnnotations(title="Kept", $read_only=True, $open_world=False),
)
def change_and_add(text: str) -> str:
    return text


@mcp.tool(annotations={"idempotentHint": True})
def as_dict(text: str) -> str:
    return text


@mcp.tool(annotations=SHARED)
def shared(text: str) -> str:
    return text
$forms""")

MCP_FORMS = """

@mcp.tool(description="No hints yet.", annotations=None)
def none_given(text: str) -> str:
    return text


def added(text: str) -> str:
    return text


mcp.add_tool(added, name="added_by_call", description="Added by a call.")


def made(text: str) -> str:
    return text


mcp.tool(name="made_by_factory")(made)
"""

FASTMCP_FORMS = """

from fastmcp.tools import Tool


@mcp.tool
def bare(text: str) -> str:
    return text


def direct(text: str) -> str:
    return text


mcp.tool(direct, annotations={"openWorldHint": True})


def built(text: str) -> str:
    return text


mcp.add_tool(Tool.from_function(built, name="built_from_function"))
"""

MODULE, SERVER, RENAMED, FORMS = {
    "mcp1": ("mcp.server.fastmcp", "FastMCP", 'name="renamed"', MCP_FORMS),
    "mcp2": ("mcp.server.mcpserver", "MCPServer", 'name="renamed"', MCP_FORMS),
    "fastmcp": ("fastmcp", "FastMCP", '"renamed"', FASTMCP_FORMS),
}[FAMILY]
# mcp 2.x writes ToolAnnotations' fields in snake_case; the other lines in camelCase.
READ_ONLY, OPEN_WORLD = (
    ("read_only_hint", "open_world_hint") if FAMILY == "mcp2" else ("readOnlyHint", "openWorldHint")
)

# fastmcp 3.x and later: the standalone @tool, which add_tool(fn) reads.
STANDALONE = """

from fastmcp.tools import tool


@tool
def standalone(text: str) -> str:
    return text


mcp.add_tool(standalone)


@tool(name="standalone_named", annotations={"openWorldHint": False})
def standalone_hinted(text: str) -> str:
    return text


mcp.add_tool(standalone_hinted)


def plain_added(text: str) -> str:
    return text


mcp.add_tool(plain_added)
"""

LOWLEVEL = {
    "mcp1": """

from mcp.server.lowlevel import Server

low = Server("annotated-low")
SCHEMA = {"type": "object", "properties": {}}


@low.list_tools()
async def list_low_tools() -> list[types.Tool]:
    return [
        types.Tool(name="low_plain", inputSchema=SCHEMA),
        types.Tool(
            name="low_hinted",
            inputSchema=SCHEMA,
            annotations=types.ToolAnnotations(readOnlyHint=True),
        ),
    ]


@low.call_tool()
async def call_low_tool(name: str, arguments: dict) -> list[types.TextContent]:
    return []
""",
    "mcp2": """

from mcp.server.lowlevel import Server

SCHEMA = {"type": "object", "properties": {}}


async def list_low_tools(ctx, params) -> types.ListToolsResult:
    return types.ListToolsResult(
        tools=[
            types.Tool(name="low_plain", input_schema=SCHEMA),
            types.Tool(
                name="low_hinted",
                input_schema=SCHEMA,
                annotations=types.ToolAnnotations(read_only_hint=True),
            ),
        ]
    )


async def call_low_tool(ctx, params) -> types.CallToolResult:
    return types.CallToolResult(content=[])


low = Server("annotated-low", on_list_tools=list_low_tools, on_call_tool=call_low_tool)
""",
}.get(FAMILY, "")

SOURCE = (
    HIGH_LEVEL.substitute(
        module=MODULE,
        server=SERVER,
        read_only=READ_ONLY,
        open_world=OPEN_WORLD,
        renamed=RENAMED,
        forms=FORMS,
    )
    + (STANDALONE if SDK in ("fastmcp3", "fastmcp4") else "")
    + LOWLEVEL
)

# Tool (as listed) -> the hints asked for it.
CHANGES: dict[str, dict[str, bool]] = {
    "fresh": {"readOnlyHint": True, "openWorldHint": False},
    "renamed": {"readOnlyHint": False, "destructiveHint": False},
    "as_dict": {"readOnlyHint": True},
    **(
        {
            "bare": {"readOnlyHint": True},
            "direct": {"openWorldHint": False, "idempotentHint": True},
            "built_from_function": {"readOnlyHint": True},
        }
        if FAMILY == "fastmcp"
        else {
            "none_given": {"destructiveHint": False},
            "added_by_call": {"idempotentHint": True},
            "made_by_factory": {"readOnlyHint": True},
            "low_plain": {"readOnlyHint": True},
            "low_hinted": {"readOnlyHint": False, "openWorldHint": False},
        }
    ),
    **(
        {"standalone": {"readOnlyHint": True}, "standalone_named": {"readOnlyHint": True}}
        if SDK in ("fastmcp3", "fastmcp4")
        else {}
    ),
}
# Tool -> the start of the reason its edit is refused (it must list as it did).
REFUSED: dict[str, str] = {
    "shared": "annotations= is `SHARED`, a variable that several tools may share",
    **(
        {"plain_added": "fastmcp's add_tool takes no annotations"}
        if SDK in ("fastmcp3", "fastmcp4")
        else {}
    ),
}
LOWLEVEL_TOOLS = ("low_plain", "low_hinted") if LOWLEVEL else ()


class Parsed:
    def __init__(self, text: str) -> None:
        self.wrapper = MetadataWrapper(cst.parse_module(text))
        self.discovery = find_handlers(self.wrapper)
        self.qualified = ParsedModule("server.py", "server", self.wrapper).qualified

    def targets(self) -> dict[str, Handler | LowLevelTool]:
        """Every tool by the name it is listed under: handlers, and low-level tools."""
        found: dict[str, Handler | LowLevelTool] = {
            h.name: h
            for h in self.discovery.handlers
            if h.kind is HandlerKind.TOOL and h.name is not None
        }
        calls = [h for h in self.discovery.handlers if h.kind is HandlerKind.LOWLEVEL_CALL_TOOL]
        if calls:
            tools = lowlevel_tools(self.wrapper.module, self.qualified, calls[0].frameworks)
            found.update(tools)
        return found


def edited(text: str) -> str:
    """The source with the edit of every tool in CHANGES made, and every refusal as expected."""
    parsed = Parsed(text)
    targets = parsed.targets()
    assert set(CHANGES) | set(REFUSED) <= set(targets), set(CHANGES) - set(targets)
    edits: list[Edit] = []
    for name, changes in CHANGES.items():
        edit = with_hints(targets[name], changes, parsed.qualified)
        assert isinstance(edit, Edit), (name, edit)
        edits.append(edit)
    for name, reason in REFUSED.items():
        refusal = with_hints(targets[name], {"readOnlyHint": False}, parsed.qualified)
        assert isinstance(refusal, Refused) and refusal.reason.startswith(reason), refusal
    replacements = {edit.node: edit.replacement for edit in edits}

    class Replace(cst.CSTTransformer):
        def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def]
            return replacements.get(original_node, updated_node)

    context = CodemodContext()
    for edit in edits:
        for module, name in edit.imports:
            AddImportsVisitor.add_needed_import(context, module, name)
    return AddImportsVisitor(context).transform_module(parsed.wrapper.module.visit(Replace())).code


async def _listing(server: object) -> dict[str, JSON]:
    async with connect(server) as session:
        return {tool["name"]: tool for tool in await session.list_tools()}


def listings(path: Path, label: str) -> dict[str, JSON]:
    module = load_module(path, label)
    found = asyncio.run(_listing(module.mcp))
    if LOWLEVEL:
        found.update(asyncio.run(_listing(module.low)))
    return found


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("annotations")
    paths = {"original": directory / "original.py", "edited": directory / "edited.py"}
    paths["original"].write_text(SOURCE)
    paths["edited"].write_text(edited(SOURCE))
    return paths


def without_annotations(tool: Mapping[str, object]) -> dict[str, object]:
    return {key: value for key, value in tool.items() if key != "annotations"}


def test_listings_differ_only_in_the_annotations_set(versions: dict[str, Path]) -> None:
    before = listings(versions["original"], "annotations_original")
    after = listings(versions["edited"], "annotations_edited")
    assert sorted(after) == sorted(before)
    assert set(CHANGES) | set(REFUSED) <= set(before)
    for name, tool in before.items():
        changed = after[name]
        assert without_annotations(changed) == without_annotations(tool), name
        expected = {**tool.get("annotations", {}), **CHANGES.get(name, {})}
        assert changed.get("annotations", {}) == expected, name
    # The test must start from tools without those values, or it proves nothing.
    for name, changes in CHANGES.items():
        assert before[name].get("annotations", {}) != {
            **before[name].get("annotations", {}),
            **changes,
        }, name


def test_the_edited_source_declares_them_and_asking_again_changes_nothing(
    versions: dict[str, Path],
) -> None:
    text = versions["edited"].read_text()
    parsed = Parsed(text)
    targets = parsed.targets()
    for name, changes in CHANGES.items():
        target = targets[name]
        found = declared(target, parsed.qualified)
        assert {hint: found.value(hint) for hint in changes} == changes, name
        assert with_hints(target, changes, parsed.qualified) is None, name

"""What harden knows about MCP server frameworks: each SDK's server classes, the server methods
and constructor keywords that register a handler, and a text prefilter for files that may hold
one.

Every fact here was checked against the frameworks' own sources (mcp 1.30 as installed for the
tests; mcp 2.x and standalone fastmcp from their repositories). This module is data only: it
never looks at code under analysis, and a fact goes in only once a framework's source shows it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Framework(StrEnum):
    MCP1_FASTMCP = "mcp1-fastmcp"  # mcp 1.x, mcp.server.fastmcp.FastMCP
    MCP2_MCPSERVER = "mcp2-mcpserver"  # mcp 2.x, mcp.server.mcpserver.MCPServer
    FASTMCP = "fastmcp"  # the standalone fastmcp package (2.x and later)
    LOWLEVEL_V1 = "mcp-lowlevel-v1"  # mcp.server.lowlevel.Server with decorator registration
    LOWLEVEL_V2 = "mcp-lowlevel-v2"  # the same class in mcp 2.x: handlers as constructor keywords


class HandlerKind(StrEnum):
    TOOL = "tool"
    RESOURCE = "resource"
    PROMPT = "prompt"
    # The low-level server's single handler that dispatches every tool call on the tool's name.
    LOWLEVEL_CALL_TOOL = "lowlevel_call_tool"


HIGH_LEVEL = frozenset({Framework.MCP1_FASTMCP, Framework.MCP2_MCPSERVER, Framework.FASTMCP})
# One class for both: mcp 1.x registers with decorators, mcp 2.x with constructor keywords, so
# the registration's form tells which.
LOW_LEVEL = frozenset({Framework.LOWLEVEL_V1, Framework.LOWLEVEL_V2})

# Qualified name of a server class -> the frameworks an instance of it may belong to.
SERVER_CLASSES: Mapping[str, frozenset[Framework]] = {
    "mcp.server.fastmcp.FastMCP": frozenset({Framework.MCP1_FASTMCP}),
    "mcp.server.fastmcp.server.FastMCP": frozenset({Framework.MCP1_FASTMCP}),
    "mcp.server.FastMCP": frozenset({Framework.MCP1_FASTMCP}),  # re-exported by mcp 1.x
    "mcp.server.mcpserver.MCPServer": frozenset({Framework.MCP2_MCPSERVER}),
    "mcp.server.mcpserver.server.MCPServer": frozenset({Framework.MCP2_MCPSERVER}),
    "mcp.server.MCPServer": frozenset({Framework.MCP2_MCPSERVER}),  # re-exported by mcp 2.x
    "fastmcp.FastMCP": frozenset({Framework.FASTMCP}),
    "fastmcp.server.FastMCP": frozenset({Framework.FASTMCP}),
    "fastmcp.server.server.FastMCP": frozenset({Framework.FASTMCP}),
    "mcp.server.lowlevel.Server": LOW_LEVEL,
    "mcp.server.lowlevel.server.Server": LOW_LEVEL,
    "mcp.server.Server": LOW_LEVEL,  # re-exported by mcp 1.x and 2.x
}


@dataclass(frozen=True, slots=True)
class Registrar:
    """A server method whose call registers a function as a handler.

    It has up to two forms. The factory form returns a decorator: `@s.tool(...)` or
    `s.tool(...)(fn)`. The direct form takes the function itself: a bare `@s.tool`,
    `s.tool(fn, ...)`, `s.add_tool(fn, ...)`. Each form registers only in the frameworks listed
    for it: mcp 1.x and 2.x raise TypeError for a bare `@s.tool` ("Did you forget to call it?").
    """

    kind: HandlerKind
    factory: frozenset[Framework]
    direct: frozenset[Framework]
    # Position of the registered name among the positional arguments other than the function
    # (None: the name can only be given as `name=`; a resource's first argument is its URI).
    name_index: int | None


REGISTRARS: Mapping[str, Registrar] = {
    "tool": Registrar(HandlerKind.TOOL, HIGH_LEVEL, frozenset({Framework.FASTMCP}), 0),
    "prompt": Registrar(HandlerKind.PROMPT, HIGH_LEVEL, frozenset({Framework.FASTMCP}), 0),
    "resource": Registrar(HandlerKind.RESOURCE, HIGH_LEVEL, frozenset(), None),
    # fastmcp's add_tool takes a Tool, or (3.x) a function decorated with fastmcp.tools.tool.
    "add_tool": Registrar(HandlerKind.TOOL, frozenset(), HIGH_LEVEL, 0),
    "call_tool": Registrar(
        HandlerKind.LOWLEVEL_CALL_TOOL, frozenset({Framework.LOWLEVEL_V1}), frozenset(), None
    ),
}


# fastmcp's tool classes: `Tool.from_function(fn, name=...)` wraps a function into the tool
# object that `server.add_tool(...)` registers (the only add_tool form fastmcp 2.x accepts).
TOOL_CLASSES: frozenset[str] = frozenset(
    {
        "fastmcp.tools.Tool",
        "fastmcp.tools.tool.Tool",  # 2.x module; kept importable as an alias in 3.x
        "fastmcp.tools.base.Tool",  # 3.x and 4.x
        "fastmcp.tools.FunctionTool",
        "fastmcp.tools.tool.FunctionTool",
        "fastmcp.tools.function_tool.FunctionTool",
    }
)

# fastmcp 3.x and 4.x's standalone `@tool` / `@tool("n")` / `@tool(name="n")`, which names a
# function's tool before `server.add_tool(fn)` registers it.
STANDALONE_TOOL_DECORATORS: frozenset[str] = frozenset(
    {"fastmcp.tools.tool", "fastmcp.tools.function_tool.tool"}
)


@dataclass(frozen=True, slots=True)
class ConstructorKeyword:
    """A server constructor keyword whose value is a handler function, or a list of them."""

    kind: HandlerKind
    frameworks: frozenset[Framework]


CONSTRUCTOR_KEYWORDS: Mapping[str, ConstructorKeyword] = {
    "on_call_tool": ConstructorKeyword(
        HandlerKind.LOWLEVEL_CALL_TOOL, frozenset({Framework.LOWLEVEL_V2})
    ),
    # fastmcp turns plain functions in `tools=[...]` into tools; mcp's FastMCP wants Tool objects.
    "tools": ConstructorKeyword(HandlerKind.TOOL, frozenset({Framework.FASTMCP})),
}

# A registering decorator held in a variable: `t = s.tool()`, then `@t` or `t(fn)`.
BOUND_DECORATOR = r"=\s*[\w.]+\.(?:tool|prompt|resource|call_tool)\("

# A file none of these match holds no MCP handler, and no registration worth reporting as
# unresolved. Every handler that can be resolved needs its server class named in the file (the
# first three patterns); the others catch registrations on a server imported from elsewhere, so
# that they can be reported. Each pattern starts with a literal, which Python's re searches fast.
PREFILTER: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        r"FastMCP",
        r"MCPServer",
        r"mcp\.server",  # the low-level Server's modules, and `import mcp.server.fastmcp as fm`
        r"@[\w.]+\.(?:tool|prompt|resource|call_tool)\b",
        r"\.add_tool\s*\(",
        r"\.(?:tool|prompt|resource|call_tool)\([^()\n]*\)\s*\(",  # s.tool(...)(fn)
        BOUND_DECORATOR,
    )
)


def may_hold_handlers(text: str) -> bool:
    """Whether a file's text can hold an MCP handler (or a registration to report)."""
    return any(pattern.search(text) for pattern in PREFILTER)

"""The text prefilter lets through every file that may hold an MCP handler, and little else."""

from __future__ import annotations

import re

import pytest

from harden.mcp import PREFILTER, may_hold_handlers


@pytest.mark.parametrize(
    "text",
    [
        "from mcp.server.fastmcp import FastMCP\n",
        "from fastmcp import FastMCP as Server\n",
        "from mcp.server.mcpserver import MCPServer\n",
        "from mcp.server.lowlevel import Server\n",
        "import mcp.server.fastmcp as fm\n",
        # a server imported from another module of the project
        "from .app import mcp\n\n@mcp.tool()\ndef f(): ...\n",
        "from .app import mcp\n\n@mcp.prompt\ndef f(): ...\n",
        "from .app import server\n\n@server.call_tool()\nasync def f(name, args): ...\n",
        "from .app import mcp\nmcp.add_tool(f)\n",
        "from .app import mcp\nmcp.tool(name='x')(f)\n",
        "from .app import mcp\ntool = mcp.tool()\n\n@tool\ndef f(): ...\n",
    ],
)
def test_may_hold_handlers(text: str) -> None:
    assert may_hold_handlers(text)


@pytest.mark.parametrize(
    "text",
    [
        "import subprocess\nsubprocess.run(['ls'])\n",
        "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/')\ndef root(): ...\n",
        # an MCP client, and code that merely mentions tools
        "result = await session.call_tool('search', {'q': q})\n",
        "for call in response.tool_calls:\n    print(call.tool, call.tools)\n",
    ],
)
def test_holds_no_handlers(text: str) -> None:
    assert not may_hold_handlers(text)


def test_every_pattern_starts_with_a_literal() -> None:
    # Python's re searches a pattern with a literal prefix fast; one starting with a class or
    # an alternation is tried at every position.
    for pattern in PREFILTER:
        assert re.match(r"\\\W|[\w@=]", pattern.pattern), pattern.pattern

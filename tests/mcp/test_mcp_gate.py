"""The engine's ast gate for handler files: every registration shape passes it, and a
`tools=` keyword passes only where the callee may be a server class.

(Soundness on every discovery test is checked by conftest.discover_source; these cases are the
narrowing that keeps the mcp SDK's own `ListToolsResult(tools=...)` modules away from libcst.)
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from harden.mcp.gate import may_register_handlers


def gate(source: str) -> bool:
    return may_register_handlers(ast.parse(textwrap.dedent(source)))


@pytest.mark.parametrize(
    "source",
    [
        "from fastmcp import FastMCP\nmcp = FastMCP('x', tools=[search])\n",
        "from fastmcp import FastMCP as App\nmcp = App('x', tools=[search])\n",
        "import fastmcp\nmcp = fastmcp.FastMCP('x', tools=[search])\n",
        "from mcp.server import Server\nserver = Server('x', on_call_tool=handle)\n",
        "from mcp.server import Server as Low\nserver = Low('x', on_call_tool=handle)\n",
        # both servers are generic classes
        "from typing import Any\nfrom fastmcp import FastMCP\nmcp = FastMCP[Any](tools=[f])\n",
        "import fastmcp\nmcp = fastmcp.FastMCP[None]('x', tools=[f])\n",
        "from mcp.server import Server\nserver = Server[Any]('x', on_call_tool=handle)\n",
        "import fastmcp.FastMCP as S\nmcp = S(tools=[f])\n",
        # a class of the module may derive from a server class the finder can trace
        "from .base import Base\nclass App(Base): ...\napp = App(tools=[search])\n",
        "@mcp.tool()\ndef search(q: str) -> str: ...\n",
        "mcp.add_tool(search)\n",
        "mcp.tool(name='s')(search)\n",
    ],
)
def test_registration_shapes_pass(source: str) -> None:
    assert gate(source)


@pytest.mark.parametrize(
    "source",
    [
        # the mcp SDK's result and capability types take `tools=` too
        "from mcp import types\nresult = types.ListToolsResult(tools=result)\n",
        "caps = ServerCapabilities(tools=ToolsCapability(listChanged=True))\n",
        "params = dict(tools=[search])\n",
        # a client calls tools; it registers none
        "result = await session.call_tool('search', {'q': q})\n",
        "from .app import helper\nhelper(on_call_tool=handle)\n",
    ],
)
def test_other_calls_do_not_pass(source: str) -> None:
    assert not gate(source)

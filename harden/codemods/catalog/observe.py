"""The observe codemod's metadata and examples (phase 1: every MCP handler call logged).

Data only: see catalog/__init__.py.
"""

from __future__ import annotations

from harden.codemods.info import CodemodInfo, Example
from harden.mcp import PREFILTER
from harden.mcp.gate import may_register_handlers

INFO = CodemodInfo(
    id="observe",
    phase=1,
    title="Every MCP handler call logged",
    rule="mcp-handler-unobserved",
    rationale=(
        "Enforcing validation, rate limits or auth without knowing who calls what breaks "
        "legitimate clients. The observe decorator records every call's shape (never its "
        "values) so that `harden report` can show, before any switch is flipped, which callers "
        "each later phase would affect."
    ),
    prefilter=PREFILTER,
    gate=may_register_handlers,
    on_handlers=True,
    examples=(
        Example(
            before=(
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("files")\n\n\n'
                "@mcp.tool()\n"
                "def read_file(path: str) -> str:\n"
                "    with open(path) as f:\n"
                "        return f.read()\n"
            ),
            after=(
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("files")\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.observe\n"
                "def read_file(path: str) -> str:\n"
                "    with open(path) as f:\n"
                "        return f.read()\n"
            ),
        ),
        Example(
            before=(
                "from fastmcp import FastMCP\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                '@mcp.tool(name="search-notes")\n'
                "async def search(query: str) -> list[str]:\n"
                "    return []\n\n\n"
                '@mcp.resource("notes://{name}")\n'
                "def note(name: str) -> str:\n"
                '    return ""\n'
            ),
            after=(
                "from fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                '@mcp.tool(name="search-notes")\n'
                '@harden_runtime.observe(tool="search-notes")\n'
                "async def search(query: str) -> list[str]:\n"
                "    return []\n\n\n"
                '@mcp.resource("notes://{name}")\n'
                "@harden_runtime.observe\n"
                "def note(name: str) -> str:\n"
                '    return ""\n'
            ),
        ),
        Example(
            before=(
                "from mcp.server.lowlevel import Server\n\n"
                'server = Server("ops")\n\n\n'
                "@server.call_tool()\n"
                "async def call_tool(name: str, arguments: dict) -> list:\n"
                "    return []\n"
            ),
            after=(
                "from mcp.server.lowlevel import Server\n"
                "import harden_runtime\n\n"
                'server = Server("ops")\n\n\n'
                "@server.call_tool()\n"
                "@harden_runtime.observe(lowlevel=True)\n"
                "async def call_tool(name: str, arguments: dict) -> list:\n"
                "    return []\n"
            ),
        ),
        Example.kept(
            'from .app import mcp\n\n\n@mcp.tool()\ndef ping() -> str:\n    return "pong"\n',
            "its class is not visible in this module",
        ),
    ),
)

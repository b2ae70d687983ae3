"""The authenticate codemod's metadata and examples (phase 4: tool calls over HTTP judged by
their bearer token, shadow mode).

Data only: see catalog/__init__.py.
"""

from __future__ import annotations

from harden.codemods.info import CodemodInfo, Example
from harden.mcp import PREFILTER
from harden.mcp.gate import may_register_handlers

INFO = CodemodInfo(
    id="authenticate",
    phase=4,
    title="Tool calls over HTTP judged by their bearer token, shadow mode",
    rule="mcp-tool-unauthenticated",
    rationale=(
        "An MCP server reachable over HTTP without authentication lets anyone who finds it "
        "call its tools. Switching authentication on at once breaks every client that does "
        "not send a token yet. The authenticate decorator judges each call's bearer token "
        "(static tokens by their SHA-256, HS256 JWTs with audience and expiry, or a verifier "
        "of your own) and logs AUTH_WOULD_REJECT with the reason, so the clients to update "
        "are known before AUTH_MODE=enforce refuses them. Over stdio nothing changes: the "
        "MCP authorization spec has such servers take credentials from the environment."
    ),
    prefilter=PREFILTER,
    gate=may_register_handlers,
    on_handlers=True,
    examples=(
        Example(
            before=(
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.observe\n"
                "@harden_runtime.rate_limit\n"
                "def read_note(name: str) -> str:\n"
                '    return open(f"notes/{name}").read()\n'
            ),
            after=(
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = harden_runtime.published(FastMCP("notes"))\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.observe\n"
                "@harden_runtime.authenticate\n"
                "@harden_runtime.rate_limit\n"
                "def read_note(name: str) -> str:\n"
                '    return open(f"notes/{name}").read()\n'
            ),
        ),
        Example(
            before=(
                "from fastmcp import FastMCP\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                '@mcp.tool(name="note")\n'
                "async def read_note(name: str) -> str:\n"
                '    return "milk"\n'
            ),
            after=(
                "from fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = harden_runtime.published(FastMCP("notes"))\n\n\n'
                '@mcp.tool(name="note")\n'
                '@harden_runtime.authenticate(tool="note")\n'
                "async def read_note(name: str) -> str:\n"
                '    return "milk"\n'
            ),
        ),
        Example(
            before=(
                "from mcp.server.lowlevel import Server\n\n\n"
                "async def handle_call(ctx, params):\n"
                "    return None\n\n\n"
                'server = Server("notes", on_call_tool=handle_call)\n'
            ),
            after=(
                "from mcp.server.lowlevel import Server\n"
                "import harden_runtime\n\n\n"
                "@harden_runtime.authenticate(lowlevel=True)\n"
                "async def handle_call(ctx, params):\n"
                "    return None\n\n\n"
                'server = harden_runtime.published(Server("notes", on_call_tool=handle_call))\n'
            ),
        ),
        Example(
            before=(
                "from mcp.server.mcpserver import MCPServer\n\n"
                'mcp = MCPServer("notes")\n\n\n'
                "@mcp.tool()\n"
                "def read_note(name: str) -> str:\n"
                '    return "milk"\n'
            ),
            after=(
                "from mcp.server.mcpserver import MCPServer\n"
                "import harden_runtime\n\n"
                'mcp = harden_runtime.published(MCPServer("notes"))\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.authenticate\n"
                "def read_note(name: str) -> str:\n"
                '    return "milk"\n'
            ),
        ),
        Example(
            before=(
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("notes", token_verifier=verifier, auth=settings)\n\n\n'
                "@mcp.tool()\n"
                "def read_note(name: str) -> str:\n"
                '    return "milk"\n'
            ),
            after=(
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("notes", token_verifier=verifier, auth=settings)\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.authenticate\n"
                "def read_note(name: str) -> str:\n"
                '    return "milk"\n'
            ),
            unfixed="configures its own authentication (`auth=`, `token_verifier=`)",
        ),
        Example.kept(
            "def register(mcp):\n"
            "    @mcp.tool()\n"
            "    def read_note(name: str) -> str:\n"
            '        return "milk"\n',
            "not annotated with a known MCP server class",
        ),
    ),
)

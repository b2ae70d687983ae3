"""The rate-limit codemod's metadata and examples (phase 3: tool calls rate-limited, warn-only).

Data only: see catalog/__init__.py.
"""

from __future__ import annotations

from harden.codemods.info import CodemodInfo, Example
from harden.mcp import PREFILTER
from harden.mcp.gate import may_register_handlers

INFO = CodemodInfo(
    id="rate-limit",
    phase=3,
    title="Tool calls rate-limited, warn-only",
    rule="mcp-tool-unlimited",
    rationale=(
        "An agent in a loop, or a prompt-injected one, can call an expensive or destructive "
        "tool thousands of times a minute. The rate_limit decorator measures each caller's "
        "rate per tool and logs who would be throttled, so the limit can be set from real "
        "traffic before ENFORCE_RATE_LIMITS=true enforces it."
    ),
    prefilter=PREFILTER,
    gate=may_register_handlers,
    on_handlers=True,
    examples=(
        Example(
            before=(
                "from mcp.server.fastmcp import Context, FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("ops")\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.observe\n"
                "@harden_runtime.validate\n"
                "async def restart(service: str, ctx: Context) -> str:\n"
                '    await ctx.info(f"restarting {service}")\n'
                '    return "ok"\n'
            ),
            after=(
                "from mcp.server.fastmcp import Context, FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("ops")\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.observe\n"
                "@harden_runtime.rate_limit\n"
                "@harden_runtime.validate\n"
                "async def restart(service: str, ctx: Context) -> str:\n"
                '    await ctx.info(f"restarting {service}")\n'
                '    return "ok"\n'
            ),
        ),
        Example(
            before=(
                "from mcp.server.lowlevel import Server\n\n\n"
                "async def handle_call(ctx, params):\n"
                "    return None\n\n\n"
                'server = Server("ops", on_call_tool=handle_call)\n'
            ),
            after=(
                "from mcp.server.lowlevel import Server\n"
                "import harden_runtime\n\n\n"
                "@harden_runtime.rate_limit(lowlevel=True)\n"
                "async def handle_call(ctx, params):\n"
                "    return None\n\n\n"
                'server = Server("ops", on_call_tool=handle_call)\n'
            ),
        ),
        Example.kept(
            (
                "def register(mcp):\n"
                "    @mcp.tool()\n"
                "    def restart(service: str) -> str:\n"
                '        return "ok"\n'
            ),
            "not annotated with a known MCP server class",
        ),
    ),
)

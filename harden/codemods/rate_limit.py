"""Phase 3 codemod: every MCP tool handler gets `@harden_runtime.rate_limit`, warn-only.

A sliding window per caller and tool (`RATE_LIMIT_RPM`, default 120 calls a minute) logs
`RATE_LIMIT_WOULD_THROTTLE` when a caller goes over; calls go through unchanged until
`ENFORCE_RATE_LIMITS=true`, when the client gets an isError result instead.
"""

from __future__ import annotations

from harden.codemods.base import PlannedCodemod
from harden.codemods.handler_decorators import TOOLS, Hardening, planner_for
from harden.codemods.info import CodemodInfo, Example
from harden.findings.model import Severity
from harden.mcp import PREFILTER
from harden.mcp.gate import may_register_handlers

HARDENING = Hardening(
    decorator="rate_limit",
    kinds=TOOLS,
    severity=Severity.LOW,
    lacks="rate limit (phase 3, rate_limit)",
    note=(
        "Counts calls per caller and tool in a one-minute sliding window and logs "
        "RATE_LIMIT_WOULD_THROTTLE above RATE_LIMIT_RPM (default 120); calls still go through. "
        "ENFORCE_RATE_LIMITS=true rejects them later."
    ),
)

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
        Example(
            before=(
                "def register(mcp):\n"
                "    @mcp.tool()\n"
                "    def restart(service: str) -> str:\n"
                '        return "ok"\n'
            ),
            after=(
                "def register(mcp):\n"
                "    @mcp.tool()\n"
                "    def restart(service: str) -> str:\n"
                '        return "ok"\n'
            ),
            unfixed="not annotated with a known MCP server class",
        ),
    ),
)


class RateLimit(PlannedCodemod):
    INFO = INFO
    PLANNER = planner_for(HARDENING)

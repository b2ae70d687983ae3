"""The permissions codemod's metadata and examples (phase 6: each tool held to what the logs
saw it do).

Data only: see catalog/__init__.py. Each example carries the log lines it is applied with.
"""

from __future__ import annotations

import json

from harden.codemods.info import CodemodInfo, Example
from harden.mcp import PREFILTER
from harden.mcp.gate import may_register_handlers


def _call(tool: str, *uses: str, day: int = 1) -> str:
    """A tool_call line as the runtime writes it."""
    record = {
        "v": 1,
        "ts": f"2026-11-{day:02d}T09:00:00.000Z",
        "event": "tool_call",
        "tool": tool,
        "caller": "desk",
        "duration_ms": 1.5,
        "params": {},
        "isError": False,
        "response_size": 10,
        "error": None,
        "uses": sorted(uses),
    }
    return json.dumps(record, separators=(",", ":"))


INFO = CodemodInfo(
    id="permissions",
    phase=6,
    title="Each tool held to what the logs saw it do",
    rule="mcp-tool-permissions-unscoped",
    rationale=(
        "A tool that may read any file, run any program and reach any host turns one injected "
        "argument into a breach. Phase 6 writes, above each tool the logs cover, the folders, "
        "programs and hosts its calls used, as `@harden_runtime.permissions(uses=...)`; a use "
        "outside it logs PERMISSION_WOULD_DENY, and is refused once ENFORCE_PERMISSIONS=true. "
        "Annotations change only where the logs prove it: a tool never seen writing, running a "
        "program or connecting, whose code shows none of that, is declared read-only; one seen "
        "writing loses a readOnlyHint."
    ),
    prefilter=PREFILTER,
    gate=may_register_handlers,
    on_handlers=True,
    examples=(
        Example(
            before=(
                "import subprocess\n\n"
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("repo")\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.observe\n"
                "def log(path: str) -> str:\n"
                '    return subprocess.run(["git", "log", path], capture_output=True).stdout\n'
            ),
            after=(
                "import subprocess\n\n"
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("repo")\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.observe\n"
                '@harden_runtime.permissions(uses=("exec:git", "fs:read:/srv"))\n'
                "def log(path: str) -> str:\n"
                '    return subprocess.run(["git", "log", path], capture_output=True).stdout\n'
            ),
            logs=(_call("log", "exec:git", "fs:read:/srv"), _call("log", "exec:git", day=9)),
        ),
        Example(
            before=(
                "from fastmcp import FastMCP\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                '@mcp.tool(name="count-notes")\n'
                "def count() -> int:\n"
                "    return 3\n"
            ),
            after=(
                "from fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                '@mcp.tool(name="count-notes", annotations={"readOnlyHint": True})\n'
                '@harden_runtime.permissions(uses=(), tool="count-notes")\n'
                "def count() -> int:\n"
                "    return 3\n"
            ),
            logs=(_call("count-notes"),),
        ),
        Example(
            before=(
                "from pathlib import Path\n\n"
                "from mcp.server.fastmcp import FastMCP\n"
                "from mcp.types import ToolAnnotations\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                "@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))\n"
                "def read_note(name: str) -> str:\n"
                '    Path("/var/cache/notes/last").write_text(name)\n'
                '    return Path("/srv/notes", name).read_text()\n'
            ),
            after=(
                "from pathlib import Path\n\n"
                "from mcp.server.fastmcp import FastMCP\n"
                "from mcp.types import ToolAnnotations\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                "@mcp.tool(annotations=ToolAnnotations(readOnlyHint=False))\n"
                '@harden_runtime.permissions(uses=("fs:read:/srv", "fs:write:/var"))\n'
                "def read_note(name: str) -> str:\n"
                '    Path("/var/cache/notes/last").write_text(name)\n'
                '    return Path("/srv/notes", name).read_text()\n'
            ),
            logs=(_call("read_note", "fs:read:/srv", "fs:write:/var"),),
        ),
        Example(
            before=(
                "import mcp.types as types\n"
                "from mcp.server.lowlevel import Server\n\n"
                'server = Server("desk")\n\n\n'
                "@server.list_tools()\n"
                "async def list_tools() -> list[types.Tool]:\n"
                '    return [types.Tool(name="stat", inputSchema={}), types.Tool(name="ping", '
                "inputSchema={})]\n\n\n"
                "@server.call_tool()\n"
                "async def call_tool(name: str, arguments: dict) -> list[types.TextContent]:\n"
                '    text = open(arguments["path"]).read() if name == "stat" else "pong"\n'
                '    return [types.TextContent(type="text", text=text)]\n'
            ),
            after=(
                "import mcp.types as types\n"
                "from mcp.server.lowlevel import Server\n"
                "from mcp.types import ToolAnnotations\n"
                "import harden_runtime\n\n"
                'server = Server("desk")\n\n\n'
                "@server.list_tools()\n"
                "async def list_tools() -> list[types.Tool]:\n"
                '    return [types.Tool(name="stat", inputSchema={}, '
                "annotations=ToolAnnotations(readOnlyHint=True)), "
                'types.Tool(name="ping", inputSchema={}, '
                "annotations=ToolAnnotations(readOnlyHint=True))]\n\n\n"
                "@server.call_tool()\n"
                '@harden_runtime.permissions(uses={"ping": (), "stat": ("fs:read:/srv",)}, '
                "lowlevel=True)\n"
                "async def call_tool(name: str, arguments: dict) -> list[types.TextContent]:\n"
                '    text = open(arguments["path"]).read() if name == "stat" else "pong"\n'
                '    return [types.TextContent(type="text", text=text)]\n'
            ),
            logs=(_call("stat", "fs:read:/srv"), _call("ping")),
        ),
        Example.kept(
            (
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                "@mcp.tool()\n"
                "def purge() -> None:\n"
                "    pass\n"
            ),
            "no call of this tool in the logs given",
            logs=(_call("other"),),
        ),
    ),
)

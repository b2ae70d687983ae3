"""The validate codemod's metadata and examples (phase 2: tool arguments validated, warn-only).

Data only: see catalog/__init__.py.
"""

from __future__ import annotations

from harden.codemods.info import CodemodInfo, Example
from harden.mcp import PREFILTER
from harden.mcp.gate import may_register_handlers

INFO = CodemodInfo(
    id="validate",
    phase=2,
    title="Tool arguments validated, warn-only",
    rule="mcp-tool-unvalidated",
    rationale=(
        "A tool that passes a client's path, URL or command fragment on unchecked is one "
        "prompt injection away from reading /etc/passwd or the cloud metadata service. The "
        "validate decorator flags such arguments in the logs first, so the rules can be tuned "
        "(allowed roots and hosts) before ENFORCE_VALIDATION=true turns them into rejections."
    ),
    prefilter=PREFILTER,
    gate=may_register_handlers,
    on_handlers=True,
    examples=(
        Example(
            before=(
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("files")\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.observe\n"
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
                "@harden_runtime.validate\n"
                "def read_file(path: str) -> str:\n"
                "    with open(path) as f:\n"
                "        return f.read()\n"
            ),
        ),
        # The folder the tool's own code reads paths under is allowed for it.
        Example(
            before=(
                "from pathlib import Path\n\n"
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("notes")\n'
                'NOTES = Path(__file__).parent / "notes"\n\n\n'
                "@mcp.tool()\n"
                "def read_note(name: str, path: str) -> str:\n"
                "    return (NOTES / path).read_text()\n"
            ),
            after=(
                "from pathlib import Path\n\n"
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("notes")\n'
                'NOTES = Path(__file__).parent / "notes"\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.validate(roots=(NOTES,))\n"
                "def read_note(name: str, path: str) -> str:\n"
                "    return (NOTES / path).read_text()\n"
            ),
        ),
        Example(
            before=(
                "from mcp.server.mcpserver import MCPServer\n\n"
                'mcp = MCPServer("web")\n\n\n'
                "@mcp.prompt()\n"
                "def summarize(url: str) -> str:\n"
                '    return f"Summarize {url}"\n\n\n'
                "def fetch(url: str) -> str:\n"
                '    return ""\n\n\n'
                'mcp.add_tool(fetch, name="fetch-url")\n'
            ),
            after=(
                "from mcp.server.mcpserver import MCPServer\n"
                "import harden_runtime\n\n"
                'mcp = MCPServer("web")\n\n\n'
                "@mcp.prompt()\n"
                "def summarize(url: str) -> str:\n"
                '    return f"Summarize {url}"\n\n\n'
                '@harden_runtime.validate(tool="fetch-url")\n'
                "def fetch(url: str) -> str:\n"
                '    return ""\n\n\n'
                'mcp.add_tool(fetch, name="fetch-url")\n'
            ),
        ),
        Example.kept(
            (
                "from myapp.server import make_server\n\n"
                "mcp = make_server()\n\n\n"
                "@mcp.tool()\n"
                "def fetch(url: str) -> str:\n"
                '    return ""\n'
            ),
            "is not a known MCP server class",
        ),
    ),
)

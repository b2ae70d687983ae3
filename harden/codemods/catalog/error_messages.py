"""The error-messages codemod's metadata and examples (phase 5: exception
text sent to clients becomes a reference).

Data only: see catalog/__init__.py.
"""

from __future__ import annotations

from harden.codemods.info import CodemodInfo, Example
from harden.mcp import PREFILTER
from harden.mcp.gate import may_register_handlers

INFO = CodemodInfo(
    id="error-messages",
    phase=5,
    title="Exception text sent to clients becomes a reference",
    rule="error-text-leak",
    rationale=(
        "The text of an exception is written for the developer: it names files, hosts, SQL, "
        "configuration and sometimes credentials. A tool that returns or raises it hands all "
        "of that to every client, and to the model reading the result. The rewrite keeps each "
        "message's own words and the result's shape, replaces only the exception's part with "
        "a reference, and logs the detail on the server under the same reference, so an "
        "operator can find what a user reports."
    ),
    prefilter=PREFILTER,
    gate=may_register_handlers,
    on_handlers=True,
    examples=(
        Example(
            before=(
                "import json\n\n"
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("db")\n\n\n'
                "@mcp.tool()\n"
                "def query(sql: str) -> str:\n"
                "    try:\n"
                "        return json.dumps(run(sql))\n"
                "    except Exception as e:\n"
                '        return json.dumps({"success": False, "error": f"Query failed: {e}"})\n'
            ),
            after=(
                "import json\n\n"
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("db")\n\n\n'
                "@mcp.tool()\n"
                "def query(sql: str) -> str:\n"
                "    try:\n"
                "        return json.dumps(run(sql))\n"
                "    except Exception as e:\n"
                '        return json.dumps({"success": False, "error": f"Query failed: '
                '{harden_runtime.error_ref(e)}"})\n'
            ),
        ),
        Example(
            before=(
                "from fastmcp import Context, FastMCP\n"
                "from fastmcp.exceptions import ToolError\n\n"
                'mcp = FastMCP("web")\n\n\n'
                "@mcp.tool()\n"
                "async def fetch(url: str, ctx: Context) -> str:\n"
                "    try:\n"
                "        return await get(url)\n"
                "    except OSError as e:\n"
                '        await ctx.error(f"fetching {url} failed: {e!r}")\n'
                "        raise ToolError(str(e)) from e\n"
            ),
            after=(
                "from fastmcp import Context, FastMCP\n"
                "from fastmcp.exceptions import ToolError\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("web")\n\n\n'
                "@mcp.tool()\n"
                "async def fetch(url: str, ctx: Context) -> str:\n"
                "    try:\n"
                "        return await get(url)\n"
                "    except OSError as e:\n"
                '        await ctx.error(f"fetching {url} failed: {harden_runtime.error_ref(e)}")\n'
                "        raise ToolError(harden_runtime.error_ref(e)) from e\n"
            ),
        ),
        Example(
            before=(
                "import traceback\n"
                "from mcp.server.lowlevel import Server\n"
                "from mcp.types import TextContent\n\n"
                'server = Server("ops")\n\n\n'
                "@server.call_tool()\n"
                "async def call_tool(name: str, arguments: dict) -> list[TextContent]:\n"
                "    try:\n"
                '        return [TextContent(type="text", text=run(name, arguments))]\n'
                "    except Exception:\n"
                '        return [TextContent(type="text", text=traceback.format_exc())]\n'
            ),
            after=(
                "from mcp.server.lowlevel import Server\n"
                "from mcp.types import TextContent\n"
                "import harden_runtime\n\n"
                'server = Server("ops")\n\n\n'
                "@server.call_tool()\n"
                "async def call_tool(name: str, arguments: dict) -> list[TextContent]:\n"
                "    try:\n"
                '        return [TextContent(type="text", text=run(name, arguments))]\n'
                "    except Exception:\n"
                '        return [TextContent(type="text", text=harden_runtime.error_ref())]\n'
            ),
        ),
        Example(
            before=(
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("files")\n\n\n'
                "def failure(error: Exception) -> dict:\n"
                '    return {"ok": False, "error": type(error).__name__ + ": " + str(error)}\n\n\n'
                "@mcp.tool()\n"
                "def read(path: str) -> dict:\n"
                "    try:\n"
                "        with open(path) as f:\n"
                '            return {"ok": True, "text": f.read()}\n'
                "    except OSError as e:\n"
                "        return failure(e)\n"
            ),
            after=(
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("files")\n\n\n'
                "def failure(error: Exception) -> dict:\n"
                '    return {"ok": False, "error": type(error).__name__ + ": " + '
                "harden_runtime.error_ref(error)}\n\n\n"
                "@mcp.tool()\n"
                "def read(path: str) -> dict:\n"
                "    try:\n"
                "        with open(path) as f:\n"
                '            return {"ok": True, "text": f.read()}\n'
                "    except OSError as e:\n"
                "        return failure(e)\n"
            ),
        ),
        Example.kept(
            (
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("files")\n\n\n'
                "@mcp.tool()\n"
                "def size(path: str) -> str:\n"
                "    try:\n"
                "        return str(os.path.getsize(path))\n"
                "    except OSError as e:\n"
                '        return "cannot stat {0.filename}: {0.strerror}".format(e)\n'
            ),
            "the format string reads `{0.filename}` from the exception",
        ),
        Example.kept(
            (
                "from .app import mcp\n\n\n"
                "@mcp.tool()\n"
                "def ping(host: str) -> str:\n"
                "    try:\n"
                "        return probe(host)\n"
                "    except Exception as e:\n"
                '        return f"Error: {e}"\n'
            ),
            "not provably an MCP handler",
        ),
    ),
)

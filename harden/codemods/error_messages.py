"""Phase 5 codemod: exception text a handler sends to its client becomes a reference.

In MCP handlers (tools, resources, prompts; found by harden.mcp) and in this module's functions
they call, the text of a caught exception that reaches the client — returned (`f"Error: {e}"`,
`{"error": str(e)}`, `TextContent(text=traceback.format_exc())`), raised
(`raise ToolError(str(e))`, `McpError(ErrorData(message=str(e)))`) or sent as a log
notification (`await ctx.error(f"... {e}")`) — becomes `harden_runtime.error_ref(e)`: the
client reads `internal error (ref 3f9c2a1b4d5e)` and the server's stderr gets the text and
traceback under the same ref. Only the exception's part of a message changes: the literal text
around it, the result's type and keys, the exception's type, and whether a result or an
exception reaches the client all stay. Other values in the same message are kept and named in
the review note. A helper that formats errors is rewritten once, in its own body.

It never touches a message with no exception text in it (what the author wrote for the
client), nor one that only goes to the server's own logs. A leak it cannot rewrite safely (in a
function it cannot prove to be a handler, a format string that reads the exception's
attributes, an exception handed to another module) is reported with the reason.
"""

from __future__ import annotations

from harden.codemods.base import PlannedCodemod
from harden.codemods.error_leaks import ErrorMessagePlanner
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
        Example(
            before=(
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("files")\n\n\n'
                "@mcp.tool()\n"
                "def size(path: str) -> str:\n"
                "    try:\n"
                "        return str(os.path.getsize(path))\n"
                "    except OSError as e:\n"
                '        return "cannot stat {0.filename}: {0.strerror}".format(e)\n'
            ),
            after=(
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("files")\n\n\n'
                "@mcp.tool()\n"
                "def size(path: str) -> str:\n"
                "    try:\n"
                "        return str(os.path.getsize(path))\n"
                "    except OSError as e:\n"
                '        return "cannot stat {0.filename}: {0.strerror}".format(e)\n'
            ),
            unfixed="the format string reads `{0.filename}` from the exception",
        ),
        Example(
            before=(
                "from .app import mcp\n\n\n"
                "@mcp.tool()\n"
                "def ping(host: str) -> str:\n"
                "    try:\n"
                "        return probe(host)\n"
                "    except Exception as e:\n"
                '        return f"Error: {e}"\n'
            ),
            after=(
                "from .app import mcp\n\n\n"
                "@mcp.tool()\n"
                "def ping(host: str) -> str:\n"
                "    try:\n"
                "        return probe(host)\n"
                "    except Exception as e:\n"
                '        return f"Error: {e}"\n'
            ),
            unfixed="not provably an MCP handler",
        ),
    ),
)


class ErrorMessages(PlannedCodemod):
    INFO = INFO
    PLANNER = ErrorMessagePlanner

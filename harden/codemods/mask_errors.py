"""Phase 5 codemod: every MCP tool handler gets `@harden_runtime.mask_errors`.

mcp 1.x and fastmcp (by default) send the text of any exception a tool raises to the client:
paths, SQL, hostnames, tokens. The decorator turns an exception the handler did not raise on
purpose into the framework's ToolError saying `internal error (ref <id>)`, and logs its text and
traceback on stderr with the same ref. A ToolError or McpError the author raised passes
unchanged, so messages written for the client stay. It never changes anything but decorator
lists (the placement rules are handler_decorators'); the exception text handlers build into
their own results is error_messages' part of the phase.
"""

from __future__ import annotations

from harden.codemods.base import PlannedCodemod
from harden.codemods.handler_decorators import TOOLS, Hardening, planner_for
from harden.codemods.info import CodemodInfo, Example
from harden.findings.model import Severity
from harden.mcp import PREFILTER, Framework
from harden.mcp.gate import may_register_handlers

_MCP2_NOTE = (
    "mcp 2.x already sends its own generic message for such exceptions (`Error executing tool "
    "x`, no ref) and publishes no request context by which the decorator could tell a client's "
    "call from a direct one, so there it changes nothing."
)

HARDENING = Hardening(
    decorator="mask_errors",
    kinds=TOOLS,
    severity=Severity.MEDIUM,
    lacks="masking of unexpected exception text (phase 5, mask_errors)",
    note=(
        "An exception the handler did not raise for the client now reaches it as "
        "`internal error (ref <id>)`, still an error result; its text and traceback go to "
        "stderr as a TOOL_ERROR_DETAIL line with the same ref. A ToolError or McpError raised "
        "on purpose passes unchanged, and a direct call of the function (a test) still gets "
        "the exception as raised. Any other exception raised with a message meant for the "
        "client (a ValueError) now reaches it as the reference too: raise ToolError to keep "
        "such a message."
    ),
    framework_notes=(
        (
            Framework.FASTMCP,
            "fastmcp can hide the text itself with `FastMCP(..., mask_error_details=True)` "
            "(or FASTMCP_MASK_ERROR_DETAILS=true), but logs no ref a client could quote; with "
            "the decorator either setting is fine.",
        ),
        (Framework.MCP2_MCPSERVER, _MCP2_NOTE),
        (Framework.LOWLEVEL_V2, _MCP2_NOTE),
    ),
    keeps_errors=True,
)

INFO = CodemodInfo(
    id="mask-errors",
    phase=5,
    title="Unexpected exceptions reach clients as a reference",
    rule="mcp-tool-error-unmasked",
    rationale=(
        "An exception a tool did not expect (a failed query, a missing file) carries whatever "
        "its library put in it: connection strings, paths, SQL, tokens. mcp 1.x and fastmcp "
        "send that text to the client as the tool's error. The mask_errors decorator sends a "
        "generic message with a reference instead and logs the detail under the same reference, "
        "so an operator can still find it; errors raised for the client pass unchanged."
    ),
    prefilter=PREFILTER,
    gate=may_register_handlers,
    on_handlers=True,
    examples=(
        Example(
            before=(
                "from mcp.server.fastmcp import FastMCP\n"
                "import sqlite3\n\n"
                'mcp = FastMCP("db")\n\n\n'
                "@mcp.tool()\n"
                "def count(table: str) -> int:\n"
                '    with sqlite3.connect("/srv/app.db") as db:\n'
                '        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]\n'
            ),
            after=(
                "from mcp.server.fastmcp import FastMCP\n"
                "import sqlite3\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("db")\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.mask_errors\n"
                "def count(table: str) -> int:\n"
                '    with sqlite3.connect("/srv/app.db") as db:\n'
                '        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]\n'
            ),
        ),
        Example(
            before=(
                "from fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                '@mcp.tool(name="read-note")\n'
                '@harden_runtime.observe(tool="read-note")\n'
                '@harden_runtime.validate(tool="read-note")\n'
                "def read(name: str) -> str:\n"
                "    with open(name) as f:\n"
                "        return f.read()\n"
            ),
            after=(
                "from fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                '@mcp.tool(name="read-note")\n'
                '@harden_runtime.observe(tool="read-note")\n'
                '@harden_runtime.validate(tool="read-note")\n'
                '@harden_runtime.mask_errors(tool="read-note")\n'
                "def read(name: str) -> str:\n"
                "    with open(name) as f:\n"
                "        return f.read()\n"
            ),
        ),
        Example(
            before=(
                'from .app import mcp\n\n\n@mcp.tool()\ndef ping() -> str:\n    return "pong"\n'
            ),
            after=(
                'from .app import mcp\n\n\n@mcp.tool()\ndef ping() -> str:\n    return "pong"\n'
            ),
            unfixed="its class is not visible in this module",
        ),
    ),
)


class MaskErrors(PlannedCodemod):
    INFO = INFO
    PLANNER = planner_for(HARDENING)

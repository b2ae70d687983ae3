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
from harden.codemods.catalog import mask_errors as catalog
from harden.codemods.handler_decorators import TOOLS, Hardening, planner_for
from harden.findings.model import Severity
from harden.mcp import Framework

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


class MaskErrors(PlannedCodemod):
    INFO = catalog.INFO
    PLANNER = planner_for(HARDENING)

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
from harden.codemods.catalog import error_messages as catalog
from harden.codemods.error_leaks import ErrorMessagePlanner


class ErrorMessages(PlannedCodemod):
    INFO = catalog.INFO
    PLANNER = ErrorMessagePlanner

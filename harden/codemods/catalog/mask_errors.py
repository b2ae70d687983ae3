"""The mask-errors codemod's metadata and examples (phase 5: unexpected
exceptions reach clients as a reference).

Data only: see catalog/__init__.py.
"""

from __future__ import annotations

from harden.codemods.info import CodemodInfo, Example
from harden.mcp import PREFILTER
from harden.mcp.gate import may_register_handlers

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
        Example.kept(
            'from .app import mcp\n\n\n@mcp.tool()\ndef ping() -> str:\n    return "pong"\n',
            "its class is not visible in this module",
        ),
    ),
)

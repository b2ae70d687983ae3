"""The mask-secrets codemod's metadata and examples (phase 5: secrets in results are logged,
and redacted under a switch).

Data only: see catalog/__init__.py.
"""

from __future__ import annotations

from harden.codemods.info import CodemodInfo, Example
from harden.mcp import PREFILTER
from harden.mcp.gate import may_register_handlers

INFO = CodemodInfo(
    id="mask-secrets",
    phase=5,
    title="Secrets in results are logged, and redacted when enforced",
    rule="mcp-result-secrets-unchecked",
    rationale=(
        "A tool that returns its configuration, the environment or a command's output can hand "
        "an API key or a database password to every client, and to the model reading the "
        "result. The mask_secrets decorator looks in each result for the values of the "
        "process's secret-looking environment variables and for credentials of well-known "
        "forms, logs SECRET_WOULD_REDACT (the tool, the kind and the variable's name, never "
        "the value) and, with ENFORCE_SECRET_MASKING=true, replaces each one with "
        "[redacted:NAME]."
    ),
    prefilter=PREFILTER,
    gate=may_register_handlers,
    on_handlers=True,
    examples=(
        Example(
            before=(
                "import os\n\n"
                "from fastmcp import FastMCP\n\n"
                'mcp = FastMCP("ops")\n\n\n'
                "@mcp.tool()\n"
                "def get_config() -> dict:\n"
                '    return {"region": os.environ["REGION"], "key": os.environ["API_KEY"]}\n'
            ),
            after=(
                "import os\n\n"
                "from fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("ops")\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.mask_secrets\n"
                "def get_config() -> dict:\n"
                '    return {"region": os.environ["REGION"], "key": os.environ["API_KEY"]}\n'
            ),
            unfixed="returns the secret variable API_KEY",
        ),
        Example(
            before=(
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                '@mcp.resource("notes://{name}")\n'
                "@harden_runtime.observe\n"
                "def note(name: str) -> str:\n"
                "    return open(name).read()\n"
            ),
            after=(
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("notes")\n\n\n'
                '@mcp.resource("notes://{name}")\n'
                "@harden_runtime.observe\n"
                "@harden_runtime.mask_secrets\n"
                "def note(name: str) -> str:\n"
                "    return open(name).read()\n"
            ),
        ),
        Example(
            before=(
                "import json\n"
                "import os\n\n"
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("ops")\n\n\n'
                "@mcp.tool()\n"
                "def settings() -> str:\n"
                "    env = os.environ.copy()\n"
                "    return json.dumps(env)\n"
            ),
            after=(
                "import json\n"
                "import os\n\n"
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("ops")\n\n\n'
                "@mcp.tool()\n"
                "@harden_runtime.mask_secrets\n"
                "def settings() -> str:\n"
                "    env = os.environ.copy()\n"
                "    return json.dumps(env)\n"
            ),
            unfixed="returns the process environment",
        ),
        Example.kept(
            'from .app import mcp\n\n\n@mcp.tool()\ndef ping() -> str:\n    return "pong"\n',
            "its class is not visible in this module",
        ),
    ),
)

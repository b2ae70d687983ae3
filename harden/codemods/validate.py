"""Phase 2 codemod: every MCP tool handler gets `@harden_runtime.validate`, warn-only.

It checks string arguments for path traversal, NUL bytes, requests to internal hosts (SSRF),
shell metacharacters in command-like parameters and overlong values, and logs
`VALIDATION_WOULD_REJECT` (rule and parameter name, never the value). Calls go through
unchanged until `ENFORCE_VALIDATION=true`; then the client gets an isError result.
"""

from __future__ import annotations

from harden.codemods.base import PlannedCodemod
from harden.codemods.catalog import validate as catalog
from harden.codemods.handler_decorators import TOOLS, Hardening, planner_for
from harden.findings.model import Severity

HARDENING = Hardening(
    decorator="validate",
    kinds=TOOLS,
    severity=Severity.MEDIUM,
    lacks="input validation (phase 2, validate)",
    note=(
        "Checks string arguments (path traversal, NUL, internal hosts, shell metacharacters, "
        "length) and logs VALIDATION_WOULD_REJECT; calls still go through. "
        "ENFORCE_VALIDATION=true rejects them later."
    ),
    infers_roots=True,
)


class Validate(PlannedCodemod):
    INFO = catalog.INFO
    PLANNER = planner_for(HARDENING)

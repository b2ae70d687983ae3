"""Phase 3 codemod: every MCP tool handler gets `@harden_runtime.rate_limit`, warn-only.

A sliding window per caller and tool (`RATE_LIMIT_RPM`, default 120 calls a minute) logs
`RATE_LIMIT_WOULD_THROTTLE` when a caller goes over; calls go through unchanged until
`ENFORCE_RATE_LIMITS=true`, when the client gets an isError result instead.
"""

from __future__ import annotations

from harden.codemods.base import PlannedCodemod
from harden.codemods.catalog import rate_limit as catalog
from harden.codemods.handler_decorators import TOOLS, Hardening, planner_for
from harden.findings.model import Severity

HARDENING = Hardening(
    decorator="rate_limit",
    kinds=TOOLS,
    severity=Severity.LOW,
    lacks="rate limit (phase 3, rate_limit)",
    note=(
        "Counts calls per caller and tool in a one-minute sliding window and logs "
        "RATE_LIMIT_WOULD_THROTTLE above RATE_LIMIT_RPM (default 120); calls still go through. "
        "ENFORCE_RATE_LIMITS=true rejects them later."
    ),
)


class RateLimit(PlannedCodemod):
    INFO = catalog.INFO
    PLANNER = planner_for(HARDENING)

"""Phase 1 codemod: every MCP tool, resource and prompt handler gets `@harden_runtime.observe`.

One JSON line per call on stderr (tool, caller, duration, parameter names and types but never
values, whether it failed, response size): what `harden report` reads to show which callers
later phases would affect. It changes no behaviour: results and exceptions pass unchanged.
"""

from __future__ import annotations

from harden.codemods.base import PlannedCodemod
from harden.codemods.catalog import observe as catalog
from harden.codemods.handler_decorators import EVERY_KIND, Hardening, planner_for
from harden.findings.model import Severity

HARDENING = Hardening(
    decorator="observe",
    kinds=EVERY_KIND,
    severity=Severity.LOW,
    lacks="call logging (phase 1, observe)",
    note=(
        "Logs one JSON line per call to stderr: tool, caller, duration, parameter names and "
        "types (never values), isError and response size. Nothing else changes."
    ),
)


class Observe(PlannedCodemod):
    INFO = catalog.INFO
    PLANNER = planner_for(HARDENING)

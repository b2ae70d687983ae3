"""Phase 4 codemod: every MCP tool handler gets `@harden_runtime.authenticate`, shadow mode.

Over HTTP, each call's bearer token is judged (the runtime's `authenticate`) and a missing or
bad one logs `AUTH_WOULD_REJECT` with the reason; the call goes through unchanged until
`AUTH_MODE=enforce`, when the client gets an error result instead. Over stdio nothing is
judged. It adds the decorator only: it never changes what a handler does or returns.
"""

from __future__ import annotations

from harden.codemods.base import PlannedCodemod
from harden.codemods.catalog import authenticate as catalog
from harden.codemods.handler_decorators import TOOLS, Hardening, planner_for
from harden.findings.model import Severity

HARDENING = Hardening(
    decorator="authenticate",
    kinds=TOOLS,
    severity=Severity.LOW,
    lacks="bearer-token check (phase 4, authenticate)",
    note=(
        "Over HTTP, judges each call's bearer token (HARDEN_AUTH_TOKENS as SHA-256 digests, "
        "HS256 JWTs with HARDEN_AUTH_JWT_SECRET and HARDEN_AUTH_AUDIENCE, or "
        "HARDEN_AUTH_VERIFIER) and logs AUTH_WOULD_REJECT with the reason; calls still go "
        "through. AUTH_MODE=enforce refuses them later, as a tool error. Over stdio nothing "
        "is judged (the MCP authorization spec has stdio servers take credentials from the "
        "environment). Listing tools and initializing are not judged: only tool calls."
    ),
)


class Authenticate(PlannedCodemod):
    INFO = catalog.INFO
    PLANNER = planner_for(HARDENING)

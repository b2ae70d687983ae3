"""Phase 4 codemod: every MCP tool handler gets `@harden_runtime.authenticate`, shadow mode.

Over HTTP, each call's bearer token is judged (the runtime's `authenticate`) and a missing or
bad one logs `AUTH_WOULD_REJECT` with the reason; the call goes through unchanged until
`AUTH_MODE=enforce`, when the client gets an error result instead. Over stdio nothing is
judged. mcp 2.x publishes no request context for a tool to find its HTTP request in, so the
construction of each server of a class that may be mcp 2.x's (`MCPServer`, the low-level
`Server`) is wrapped in `harden_runtime.published(...)`, which returns the same server with a
middleware recording the request. It never changes what a handler does or returns.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import QualifiedNameProvider

from harden.codemods.base import PlannedCodemod, Proposal
from harden.codemods.catalog import authenticate as catalog
from harden.codemods.handler_decorators import TOOLS, Hardening, planner_for
from harden.codemods.runtime_import import RUNTIME_MODULE
from harden.findings.model import Severity
from harden.mcp.frameworks import LOW_LEVEL, SERVER_CLASSES, Framework
from harden.vendoring import RUNTIME_PUBLISHED

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
# The server classes whose framework may publish no request context: mcp 2.x's.
_UNPUBLISHED = frozenset(
    name
    for name, frameworks in SERVER_CLASSES.items()
    if frameworks & {Framework.MCP2_MCPSERVER, *LOW_LEVEL}
)


class AuthenticatePlanner(planner_for(HARDENING)):  # type: ignore[misc]
    """The handler decorators, and `harden_runtime.published(...)` around the construction of
    each server whose framework may not publish the request."""

    def visit_Module(self, node: cst.Module) -> bool:
        super().visit_Module(node)
        constructions = _Constructions()
        node.visit(constructions)
        for call in constructions.calls:
            names = {q.name for q in self.get_metadata(QualifiedNameProvider, call.func, set())}
            if names & _UNPUBLISHED and call not in constructions.wrapped:
                self.plans.append(_published(call))
        return False


class _Constructions(cst.CSTVisitor):
    """The module's calls (those that construct a server among them), and the calls already
    wrapped in `harden_runtime.published(...)`."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[cst.Call] = []
        self.wrapped: set[cst.CSTNode] = set()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == RUNTIME_PUBLISHED
            and isinstance(func.value, cst.Name)
            and func.value.value == RUNTIME_MODULE
            and node.args
        ):
            self.wrapped.add(node.args[0].value)
        else:
            self.calls.append(node)  # the planner asks what it calls


def _published(call: cst.Call) -> Proposal:
    def build(_replaced: object) -> cst.CSTNode:
        runtime = cst.Attribute(cst.Name(RUNTIME_MODULE), cst.Name(RUNTIME_PUBLISHED))
        return cst.Call(runtime, [cst.Arg(call)])

    return Proposal(
        node=call,
        build=build,
        note=(
            "mcp 2.x publishes no request context, so the tool decorators could not find the "
            "HTTP request of a call: harden_runtime.published() returns the same server with "
            "a middleware that records it while a request is served. Nothing else changes; "
            "on mcp 1.x it does nothing."
        ),
        severity=Severity.LOW,
        message="an MCP server whose tool calls' HTTP requests harden_runtime cannot see",
        uses_runtime=True,
    )


class Authenticate(PlannedCodemod):
    INFO = catalog.INFO
    PLANNER = AuthenticatePlanner

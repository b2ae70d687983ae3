"""Phase 4 codemod: every MCP tool handler gets `@harden_runtime.authenticate`, shadow mode,
and every server construction is wrapped in `harden_runtime.published(...)`.

Over HTTP, each call's bearer token is judged (the runtime's `authenticate`) and a missing or
bad one logs `AUTH_WOULD_REJECT` with the reason; the call goes through unchanged until
`AUTH_MODE=enforce`. Over stdio nothing is judged. `published(...)` returns the same server,
whose HTTP apps then answer a bad token with HTTP 401/403 under enforce (and log the requests
other than tool calls in shadow), and which, on mcp 2.x (no request context published),
records each request for the decorators. A construction that configures the SDK's own
authentication (`auth=`, `token_verifier=`, `auth_server_provider=`) is left alone, and said
so. It never changes what a handler does or returns.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import QualifiedNameProvider

from harden.codemods.base import PlannedCodemod, Proposal
from harden.codemods.catalog import authenticate as catalog
from harden.codemods.handler_decorators import TOOLS, Hardening, planner_for
from harden.codemods.runtime_import import RUNTIME_MODULE
from harden.findings.model import Severity
from harden.mcp.frameworks import SERVER_CLASSES
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
        "through. AUTH_MODE=enforce refuses them later: with HTTP 401/403 where the server's "
        "HTTP app comes from the SDK (harden_runtime.published), else as a tool error. Over "
        "stdio nothing is judged (the MCP authorization spec has stdio servers take "
        "credentials from the environment)."
    ),
)
# The keywords that switch on a server's own authentication: it is left as it is.
_OWN_AUTH = frozenset({"auth", "token_verifier", "auth_server_provider"})


class AuthenticatePlanner(planner_for(HARDENING)):  # type: ignore[misc]
    """The handler decorators, and `harden_runtime.published(...)` around the construction of
    each server whose framework may not publish the request."""

    def visit_Module(self, node: cst.Module) -> bool:
        super().visit_Module(node)
        constructions = _Constructions()
        node.visit(constructions)
        for call in constructions.calls:
            names = {q.name for q in self.get_metadata(QualifiedNameProvider, call.func, set())}
            if not names & SERVER_CLASSES.keys() or call in constructions.wrapped:
                continue
            own = sorted(_OWN_AUTH.intersection(a.keyword.value for a in call.args if a.keyword))
            if own:
                self.kept[call] = (
                    f"this server configures its own authentication (`{'=`, `'.join(own)}=`): "
                    "phase 4 leaves it alone, and the tool decorators judge no request it let in"
                )
            else:
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
            "harden_runtime.published() returns the same server. Its HTTP apps answer a "
            "request without a good bearer token with HTTP 401 (403 for a missing scope) once "
            "AUTH_MODE=enforce, and log AUTH_WOULD_REJECT for every such request (initialize "
            "and listings too) before; on mcp 2.x, which publishes no request context, it also "
            "records each "
            "request for the tool decorators. Over stdio it changes nothing."
        ),
        severity=Severity.LOW,
        message="an MCP server whose HTTP requests no bearer-token check sees",
        uses_runtime=True,
    )


class Authenticate(PlannedCodemod):
    INFO = catalog.INFO
    PLANNER = AuthenticatePlanner

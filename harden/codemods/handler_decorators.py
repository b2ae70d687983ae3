"""What the phase 1-3 codemods share: put one runtime decorator on every MCP handler.

Each of `observe.py`, `validate.py` and `rate_limit.py` describes its decorator with a
`Hardening` and gets its planner from `planner_for`. The planner takes the handlers that
`harden.mcp` proves (by qualified name, in every SDK's registration forms) and, for each one
that lacks the decorator, proposes it directly below the registering decorator: placed above
`@mcp.tool()`, most SDKs would register the unwrapped function and the decorator would never
run. The runtime decorators keep one order, outermost first: observe, authenticate, rate_limit,
validate, mask_errors, mask_secrets (phase 5), permissions (phase 6); a handler that already
carries some of them gets the new one in its place among them.

A function registered by another module (the project index tells) gets the decorator where it
is defined, at the bottom of its decorators. A registration it cannot prove (a server from a
call it cannot follow, a function it cannot find) is reported with the reason, never guessed
at. It never changes anything but decorator lists, and never adds a decorator a handler already
has (applying a phase twice is a no-op).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import QualifiedNameProvider

from harden.codemods.base import Planner, Proposal, Refusal, Replacements, substitute
from harden.codemods.path_roots import inferred_roots
from harden.codemods.runtime_import import RUNTIME_MODULE, runtime_function
from harden.codemods.shown_hosts import shown_hosts
from harden.findings.model import Severity
from harden.mcp import Framework, HandlerKind
from harden.mcp.handlers import Handler, HandlerProvider

# Outermost first: observe sees every call, throttled or rejected ones included, and the rate
# limit counts calls before validation spends time on them; mask_errors sees only what the
# handler itself raised. (The runtime merges a stack into one wrapper: the order is for reading.)
ORDER = (
    "observe",
    "authenticate",
    "rate_limit",
    "validate",
    "mask_errors",
    "mask_secrets",
    "permissions",
)

TOOLS = frozenset({HandlerKind.TOOL, HandlerKind.LOWLEVEL_CALL_TOOL})
EVERY_KIND = frozenset(HandlerKind)


@dataclass(frozen=True, slots=True)
class Hardening:
    decorator: str  # the runtime function, one of ORDER
    kinds: frozenset[HandlerKind]  # the handlers that get it
    severity: Severity  # of a handler without it, in harden's scan
    lacks: str  # what a handler without it lacks: "input validation"
    note: str  # for the reviewer: what changes, and the switch that enforces it later
    # more for the reviewer when a handler is registered with one of these frameworks
    framework_notes: tuple[tuple[Framework, str], ...] = ()
    # The decorator takes `keep=`: the project's exception classes whose text is written for
    # the client (Discovery.kept_errors).
    keeps_errors: bool = False
    # The decorator takes `roots=` and `names_only=`: the folders the tool's code reads paths
    # under (path_roots.py), the hosts it only shows (shown_hosts.py).
    infers_roots: bool = False


def planner_for(hardening: Hardening) -> type[Planner]:
    """The planner class that adds `hardening`'s decorator."""
    return type(
        f"{hardening.decorator.title().replace('_', '')}Planner",
        (HandlerDecoratorPlanner,),
        {"HARDENING": hardening},
    )


class HandlerDecoratorPlanner(Planner):
    METADATA_DEPENDENCIES = (HandlerProvider, QualifiedNameProvider)
    HARDENING: Hardening
    kept_errors: frozenset[str] = frozenset()  # the module's (Discovery.kept_errors)
    module: cst.Module

    def visit_Module(self, node: cst.Module) -> bool:
        self.module = node
        discovery = self.get_metadata(HandlerProvider, node)
        self.kept_errors = discovery.kept_errors
        hardening = self.HARDENING
        for function, registrations in discovery.by_function.items():
            handlers = [h for h in registrations if h.kind in hardening.kinds]
            if not handlers:
                continue
            present = self._runtime_decorators(function)
            if hardening.decorator in present.values():
                continue
            index = place(hardening.decorator, present, discovery.insertion_index(function))
            self.plans.append(self._proposal(function, handlers, index))
        for unresolved in discovery.unresolved:
            self.plans.append(
                Refusal(
                    node=unresolved.node,
                    reason=f"not provably an MCP handler registration: {unresolved.reason}",
                    severity=Severity.LOW,
                    message=f"an MCP handler harden cannot see gets no {hardening.lacks}",
                )
            )
        return False  # the handler metadata says it all: no need to walk the module

    def _proposal(
        self, function: cst.FunctionDef, handlers: Sequence[Handler], index: int
    ) -> Proposal:
        hardening = self.HARDENING
        keep = sorted(self.kept_errors) if hardening.keeps_errors else []
        roots: list[tuple[str, str]] = []
        hosts: list[str] = []
        if hardening.infers_roots:
            roots = inferred_roots(function, self.module, self.get_metadata)
            hosts = shown_hosts(function, self.get_metadata)
        decorator, notes = _decorator(hardening.decorator, function, handlers, keep, roots, hosts)
        frameworks = frozenset().union(*(h.frameworks for h in handlers))
        notes += [note for framework, note in hardening.framework_notes if framework in frameworks]
        elsewhere = sorted({h.elsewhere for h in handlers if h.elsewhere})
        if elsewhere:
            notes.append(
                f"Registered in {', '.join(elsewhere)}; decorated here, where it is defined, so "
                "that every registration and every direct caller sees the same function."
            )
        note = " ".join([hardening.note, *notes])
        what = describe(function, handlers)
        return decorating(function, index, decorator, hardening, what, note)

    def _runtime_decorators(self, function: cst.FunctionDef) -> dict[int, str]:
        """Index -> runtime decorator name, for the decorators of `function` that are ours."""
        found = {}
        for index, decorator in enumerate(function.decorators):
            expression = decorator.decorator
            if isinstance(expression, cst.Call):
                expression = expression.func
            qualified = self.get_metadata(QualifiedNameProvider, expression, set())
            name = runtime_function({q.name for q in qualified})
            if name in ORDER:
                found[index] = name
        return found


def decorating(
    function: cst.FunctionDef,
    index: int,
    decorator: cst.Decorator,
    hardening: Hardening,
    what: str,
    note: str,
) -> Proposal:
    """The proposal that puts `hardening`'s `decorator` at `index` among `function`'s
    decorators, keeping what other accepted proposals rewrote inside it (a registration's
    annotations). `what` names the handler for the message."""

    def build(replaced: Replacements) -> cst.CSTNode:
        current = substitute(function, replaced)
        assert isinstance(current, cst.FunctionDef)
        decorators = list(current.decorators)
        decorators.insert(index, decorator)
        return current.with_changes(decorators=decorators)

    return Proposal(
        node=function,
        build=build,
        note=note,
        severity=hardening.severity,
        message=f"{what} has no {hardening.lacks}",
        uses_runtime=True,
    )


def place(name: str, present: dict[int, str], registered_below: int) -> int:
    """Where decorator `name` goes: among the runtime decorators already there, in ORDER;
    with none there, at `registered_below` (directly below the registration)."""
    if not present:
        return registered_below
    rank = ORDER.index(name)
    below = [index for index, other in present.items() if ORDER.index(other) > rank]
    if below:
        return min(below)
    return max(present) + 1


def _decorator(
    name: str,
    function: cst.FunctionDef,
    handlers: Sequence[Handler],
    keep: Sequence[str] = (),
    roots: Sequence[tuple[str, str]] = (),
    hosts: Sequence[str] = (),
) -> tuple[cst.Decorator, list[str]]:
    """`@harden_runtime.<name>`, with the arguments the runtime needs to name the tool (and the
    classes whose text mask_errors lets through, the folders validate allows paths under)."""
    arguments: list[str] = []
    notes: list[str] = []
    names = {h.name for h in handlers}
    registered = names.pop() if len(names) == 1 else None
    if any(h.kind is HandlerKind.LOWLEVEL_CALL_TOOL for h in handlers):
        arguments.append("lowlevel=True")
        notes.append("A low-level server's handler: the tool is the name each call asks for.")
    elif registered is None:
        notes.append(
            "The registered name is not one literal, so the logs name the tool "
            f"`{function.name.value}` after its function."
        )
    elif registered != function.name.value:
        arguments.append(f"tool={json.dumps(registered)}")
    if keep:
        arguments.append(f"keep={tuple_literal(json.dumps(k) for k in keep)}")
        classes = ", ".join(f"`{k.rpartition('.')[2]}`" for k in keep)
        notes.append(
            f"The text of {classes} still reaches the client: the project's own exception "
            "classes, raised everywhere only with messages built from literals and the raising "
            "function's arguments."
        )
    if roots:
        arguments.append(f"roots={tuple_literal(code for code, _ in roots)}")
        shown = "; ".join(f"`{code}` ({why})" for code, why in roots)
        notes.append(
            f"Paths under {shown} are allowed for this tool beside HARDEN_ALLOWED_ROOTS: its "
            "own code reads paths there."
        )
    if hosts:
        arguments.append(f"names_only={tuple_literal(json.dumps(host) for host in hosts)}")
        shown = ", ".join(f"`{host}`" for host in hosts)
        notes.append(
            f"{shown}: a name this tool only shows or resolves (its code makes no call that "
            "could connect), so not checked for SSRF; still for shell syntax."
        )
    text = f"{RUNTIME_MODULE}.{name}" + (f"({', '.join(arguments)})" if arguments else "")
    return cst.Decorator(cst.parse_expression(text)), notes


def tuple_literal(items: Iterable[str]) -> str:
    """A tuple literal of the expressions `items`: `(a,)`, `(a, b)`."""
    listed = list(items)
    return f"({listed[0]},)" if len(listed) == 1 else f"({', '.join(listed)})"


def describe(function: cst.FunctionDef, handlers: Sequence[Handler]) -> str:
    kind = handlers[0].kind
    if kind is HandlerKind.LOWLEVEL_CALL_TOOL:
        return f"the low-level call_tool handler `{function.name.value}`"
    name = handlers[0].name or function.name.value
    return f"MCP {kind.value} `{name}`"

"""Phase 6 codemod: each tool the logs cover gets `@harden_runtime.permissions(uses=(...))`, the
uses its calls made, and the annotation changes the logs prove.

The policy sits in the decorator stack, so it is reviewed in the same diff as the code it
governs. At run time a use outside it logs PERMISSION_WOULD_DENY; ENFORCE_PERMISSIONS=true
refuses it. What each tool gets is decided once per run from the logs (harden.permissions:
the planner only writes the run's `scoping`); a tool the logs do not cover is reported with the
reason and left alone, and so is one that has a policy already (the reviewed policy is the
user's). Without logs it plans nothing. It changes decorator lists and the annotations of a
tool's registration, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst

from harden.codemods.base import PlannedCodemod, Proposal, Refusal
from harden.codemods.catalog import permissions as catalog
from harden.codemods.handler_decorators import (
    TOOLS,
    HandlerDecoratorPlanner,
    Hardening,
    decorating,
    describe,
    place,
)
from harden.findings.model import Severity
from harden.mcp import HandlerKind
from harden.mcp.handlers import Handler, HandlerProvider
from harden.permissions.annotation_edits import Refused, with_hints
from harden.permissions.annotations import LowLevelTool, lowlevel_tools
from harden.permissions.policy import DECORATOR, Policy, build_decorator
from harden.permissions.scoping import Scoping, ToolScope
from harden.permissions.uses import FS_WRITE, NET, of_kind

HARDENING = Hardening(
    decorator=DECORATOR,
    kinds=TOOLS,
    severity=Severity.LOW,
    lacks="permission policy (phase 6, permissions)",
    note=(
        "The policy is what the tool's calls did in the logs: the folders it read and wrote "
        "(the allowed root or top folder), the programs it ran, the hosts it reached. A use "
        "outside it logs PERMISSION_WOULD_DENY (tool and capability, never a value) and goes "
        "ahead; ENFORCE_PERMISSIONS=true refuses it with PermissionError inside the tool. "
        "HARDEN_ALLOWED_PROGRAMS and HARDEN_ALLOWED_EGRESS extend every policy by hand."
    ),
)


class PermissionsPlanner(HandlerDecoratorPlanner):
    HARDENING = HARDENING

    def visit_Module(self, node: cst.Module) -> bool:
        self.module = node
        scoping = self.scoping
        if scoping is None:
            return False  # phase 6 is written from logs: without them there is nothing to say
        discovery = self.get_metadata(HandlerProvider, node)
        for function, registrations in discovery.by_function.items():
            handlers = [h for h in registrations if h.kind in TOOLS]
            if not handlers:
                continue
            lowlevel = next((h for h in handlers if h.kind is HandlerKind.LOWLEVEL_CALL_TOOL), None)
            name = _tool_name(function, handlers)
            if lowlevel is not None:
                scopes = scoping.served_by(self.path, function.name.value)
            else:
                scope = scoping.get(name, self.path, function.name.value)
                scopes = [] if scope is None else [scope]
            self._hints(function, handlers, lowlevel, scopes)
            present = self._runtime_decorators(function)
            if DECORATOR in present.values():
                self.kept[function] = "has a permission policy already: it is left as reviewed"
                continue
            index = place(DECORATOR, present, discovery.insertion_index(function))
            if lowlevel is not None:
                self._served(function, handlers, scopes, scoping, index)
            else:
                self._tool(function, handlers, name, scopes, scoping, index)
        return False

    def _hints(
        self,
        function: cst.FunctionDef,
        handlers: Sequence[Handler],
        lowlevel: Handler | None,
        scopes: Sequence[ToolScope],
    ) -> None:
        """Propose the annotation changes the logs prove, at each tool's registration (for a
        low-level server's tools, their `types.Tool(...)`)."""
        served: Mapping[str, LowLevelTool] = {}
        if lowlevel is not None:
            served = lowlevel_tools(self.module, self._qualified, lowlevel.frameworks)
        for scope in scopes:
            if not scope.hints:
                continue
            targets: Sequence[Handler | LowLevelTool] = (
                [served[scope.name]] if scope.name in served else handlers
            )
            for target in targets:
                edit = with_hints(target, dict(scope.hints), self._qualified)
                what = f"the annotations of MCP tool `{scope.name}`"
                if isinstance(edit, Refused):
                    where = target.registration if isinstance(target, Handler) else None
                    self.plans.append(
                        Refusal(
                            node=where or function.name,
                            reason=f"{_hint_text(scope)} is what the logs prove, but {edit.reason}",
                            severity=Severity.MEDIUM,
                            message=f"{what} say less than the logs show",
                        )
                    )
                elif edit is not None:
                    self.plans.append(
                        Proposal(
                            node=edit.node,
                            build=lambda _replaced, new=edit.replacement: new,
                            note=_hints_note(scope),
                            severity=Severity.MEDIUM,
                            message=f"{what} differ from what the logs show",
                            add_imports=tuple((m, n, None) for m, n in edit.imports),
                        )
                    )

    def _tool(
        self,
        function: cst.FunctionDef,
        handlers: Sequence[Handler],
        name: str,
        scopes: Sequence[ToolScope],
        scoping: Scoping,
        index: int,
    ) -> None:
        scope = scopes[0] if scopes else None
        if scope is None or scope.uses is None:
            reason = scope.reason if scope is not None else "the logs given never name this tool"
            self._uncovered(function, describe(function, handlers), reason)
            return
        tool = name if name != function.name.value else None
        decorator = build_decorator(scope.uses, tool)
        self._propose(function, handlers, decorator, index, [scope], scoping)

    def _served(
        self,
        function: cst.FunctionDef,
        handlers: Sequence[Handler],
        scopes: Sequence[ToolScope],
        scoping: Scoping,
        index: int,
    ) -> None:
        covered = [scope for scope in scopes if scope.uses is not None]
        if not covered:
            reasons = {scope.reason for scope in scopes} or {
                "the logs given name no tool this handler's list_tools declares"
            }
            self._uncovered(function, describe(function, handlers), "; ".join(sorted(reasons)))
            return
        policy: Policy = {scope.name: scope.uses or () for scope in covered}
        decorator = build_decorator(policy, lowlevel=True)
        self._propose(function, handlers, decorator, index, covered, scoping)
        left = [f"`{scope.name}`: {scope.reason}" for scope in scopes if scope.uses is None]
        if left:
            # On the name: the function itself carries the proposal.
            why = "; ".join(left) + " (a tool absent from the policy is not judged)"
            self._uncovered(function.name, describe(function, handlers), why)

    def _propose(
        self,
        function: cst.FunctionDef,
        handlers: Sequence[Handler],
        decorator: cst.Decorator,
        index: int,
        scopes: Sequence[ToolScope],
        scoping: Scoping,
    ) -> None:
        seen = "; ".join(
            f"`{scope.name}`: {', '.join(scope.uses or ()) or 'nothing'} ({scope.calls} call(s))"
            for scope in scopes
        )
        note = f"{HARDENING.note} Seen in {scoping.window}: {seen}."
        what = describe(function, handlers)
        self.plans.append(decorating(function, index, decorator, HARDENING, what, note))

    def _uncovered(self, node: cst.CSTNode, what: str, why: str) -> None:
        self.plans.append(
            Refusal(
                node=node,
                reason=f"no policy written: {why}",
                severity=HARDENING.severity,
                message=f"{what} has no {HARDENING.lacks}",
            )
        )


def _tool_name(function: cst.FunctionDef, handlers: Sequence[Handler]) -> str:
    """The name clients call the tool by, as the runtime logs it."""
    names = {h.name for h in handlers}
    registered = names.pop() if len(names) == 1 else None
    return registered or function.name.value


def _hint_text(scope: ToolScope) -> str:
    return ", ".join(f"{hint}={value}" for hint, value in scope.hints)


def _hints_note(scope: ToolScope) -> str:
    """Why the logs prove each change, for the reviewer."""
    uses = scope.uses or ()
    reasons = []
    for hint, value in scope.hints:
        if hint == "readOnlyHint" and value:
            reasons.append(
                f"readOnlyHint=True: its {scope.calls} call(s) wrote no file, ran no program and "
                "opened no connection, and its code (with the helpers it calls) shows no call "
                "that could"
            )
        elif hint == "readOnlyHint":
            writes = ", ".join(of_kind(uses, FS_WRITE))
            reasons.append(f"readOnlyHint=False: declared read-only, its calls wrote ({writes})")
        else:
            hosts = ", ".join(of_kind(uses, NET))
            reasons.append(
                f"openWorldHint=True: declared closed-world, its calls connected ({hosts})"
            )
    return "Annotations the logs prove: " + "; ".join(reasons) + ". Clients read them as hints."


class Permissions(PlannedCodemod):
    INFO = catalog.INFO
    PLANNER = PermissionsPlanner

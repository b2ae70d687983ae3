"""The error-messages planner: which messages carry an exception's text to a client.

In MCP handlers (found by harden.mcp) and in this module's functions they call, it records what
is returned, raised or sent as a client log notification, follows local variables to what was
put into them, and plans a rewrite (error_parts.builder) or a refusal with the reason for each
message showing an exception's text. It never changes the module itself.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

import libcst as cst
from libcst.metadata import Assignment, ImportAssignment, QualifiedNameProvider, ScopeProvider

from harden.codemods.base import Proposal, Refusal
from harden.codemods.error_parts import (
    GENERIC,
    Body,
    Leaf,
    Message,
    Sink,
    Verdict,
    builder,
    code,
    descendants,
    format_fields,
    is_format_call,
    is_name,
    slots,
    text_leaf,
    value_names,
)
from harden.codemods.exception_names import ExceptionNames
from harden.codemods.imports import import_of
from harden.codemods.runtime_import import runtime_function
from harden.findings.model import Severity
from harden.mcp.handlers import HandlerProvider

_TEXT_OF = frozenset({"builtins.str", "builtins.repr", "builtins.format"})
_FORMAT_EXC = frozenset({"traceback.format_exc"})
_FORMAT_EXCEPTION = frozenset({"traceback.format_exception", "traceback.format_exception_only"})
# Attributes of an exception (or of its class) that are codes or names, not text: kept.
_CODES = frozenset({"errno", "returncode", "code", "status_code", "status", "__name__"})
# Calls and methods whose result says something about a text without showing it.
_NOT_TEXT = frozenset(
    f"builtins.{name}"
    for name in ("len", "bool", "hash", "int", "float", "isinstance", "issubclass", "id", "type")
)
_TESTS = frozenset(
    {"startswith", "endswith", "find", "rfind", "index", "rindex", "count"}
    | {"isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper"}
)
# Methods that put their arguments into the object they are called on: `errors.append(str(e))`.
_ADDERS = frozenset({"append", "extend", "insert", "add", "update", "setdefault"})
# Context methods whose message becomes a notification the client receives.
_CLIENT_LOG = frozenset({"debug", "info", "warning", "error", "log", "report_progress"})
_CONTEXT_MODULES = ("mcp.", "fastmcp.")


class ErrorMessagePlanner(ExceptionNames):
    """Records, per function, what may reach a client; on leaving the module, follows handlers
    into their helpers and plans a rewrite (or a refusal) for each message leaking an
    exception's text."""

    METADATA_DEPENDENCIES = (HandlerProvider, QualifiedNameProvider, ScopeProvider)

    def __init__(self) -> None:
        super().__init__()
        self._owners: list[cst.FunctionDef | cst.ClassDef] = []
        self._bodies: defaultdict[cst.FunctionDef | None, Body] = defaultdict(Body)
        self._direct_calls: set[cst.Call] = set()  # raise X(...) and ctx.error(...)
        self._messages: dict[cst.CSTNode, Message] = {}
        # Parents inside the values that reach a client, the only place they are asked for:
        # libcst's ParentNodeProvider would map the whole module, most of this codemod's cost.
        self._parents: dict[cst.CSTNode, cst.CSTNode] = {}

    # -- the pass: record ----------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._owners.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._owners.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        owner = self._owners[-1] if self._owners else None
        if isinstance(owner, cst.ClassDef):
            self._methods.setdefault((owner, node.name.value), []).append(node)
            static = any(is_name(d.decorator, "staticmethod") for d in node.decorators)
            positional = (*node.params.posonly_params, *node.params.params)
            if static:
                self._static.add(node)
            elif positional:
                self._self_params[positional[0]] = owner
        self._owners.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._owners.pop()

    def visit_Try(self, node: cst.Try) -> None:
        self._record_excepts(node)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._record_excepts(node)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self._body().returns.append(node.value)

    def visit_Raise(self, node: cst.Raise) -> None:
        if node.exc is not None:
            self._body().raises.append(node.exc)
            if isinstance(node.exc, cst.Call):
                self._direct_calls.add(node.exc)

    def visit_Call(self, node: cst.Call) -> None:
        body = self._body()
        body.calls.append(node)
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.attr.value in _ADDERS
        ):
            body.bindings[func.value.value].extend(arg.value for arg in node.args)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._record_binding(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._record_binding(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._record_binding(node.target, node.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._record_binding(node.target, node.value)

    def _body(self) -> Body:
        functions = [o for o in self._owners if isinstance(o, cst.FunctionDef)]
        return self._bodies[functions[-1] if functions else None]

    def _record_excepts(self, node: cst.Try | cst.TryStar) -> None:
        for clause in node.handlers:
            self._tries[clause] = node
            if clause.name is not None and isinstance(clause.name.name, cst.Name):
                self._except_names[clause.name.name] = clause
                self._record_reads(clause, clause.name.name.value)

    def _record_binding(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Subscript):
            target = target.value
        if isinstance(target, cst.Name):
            self._body().bindings[target.value].append(value)
            if is_name(value, "None"):
                self._none_bound.add(target)

    # -- on leaving: follow the handlers, find the leaks, plan -------------------------------

    def leave_Module(self, original_node: cst.Module) -> None:
        discovery = self.get_metadata(HandlerProvider, original_node)
        self._client_errors = discovery.client_errors
        for body in list(self._bodies.values()):
            for call in body.calls:
                self._record_sites(call)
        handled = self._reachable(discovery.by_function)
        unproven = {f: reason for f, reason in discovery.unproven.items() if f not in handled}
        suspects = {
            function: unproven.get(function, "")
            for function in self._reachable(unproven)
            if function not in handled
        }
        for function in [*handled, *suspects]:
            body = self._bodies[function]
            for value in body.returns:
                self._scan(value, function, Sink.RETURN, set())
            for exc in body.raises:
                self._scan(exc, function, Sink.RAISE, set())
            for call in body.calls:
                if self._is_client_log(call):
                    self._direct_calls.add(call)
                    self._scan(call, function, Sink.LOG, set())
        for message in self._messages.values():
            self.plans.append(self._plan(message, suspects, discovery.by_function))

    def _reachable(self, starts: Iterable[cst.FunctionDef]) -> list[cst.FunctionDef]:
        """`starts` and every function of this module they call, directly or not."""
        found: dict[cst.FunctionDef, None] = dict.fromkeys(starts)
        queue = list(found)
        while queue:
            for call in self._bodies[queue.pop()].calls:
                for callee, _ in self._callees(call):
                    if callee not in found:
                        found[callee] = None
                        queue.append(callee)
        return list(found)

    def _scan(
        self,
        root: cst.BaseExpression,
        function: cst.FunctionDef,
        sink: Sink,
        followed: set[cst.CSTNode],
    ) -> None:
        """Find the exception text in `root`, a value that reaches the client; follow the local
        variables it reads to what was put into them."""
        self._index(root)
        stack: list[cst.CSTNode] = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Call):
                names = self._qualified(node.func)
                if runtime_function(names) == "error_ref":
                    continue  # rewritten already
                leaf = self._call_leaf(node, names)
                if leaf is not None:
                    self._add(leaf, root, function, sink)
                    continue
                self._check_handed_over(node, root, function, sink)
                stack.append(node.func)
                stack.extend(arg.value for arg in node.args)
                continue
            if isinstance(node, cst.Name | cst.Attribute | cst.Subscript):
                text = self._exception_text(node)
                if text is None:
                    self._note_kept(node, root)
                if text is not None:
                    if node is not root and self._direct(node):
                        leaf = text_leaf(node, *text)
                        leaf.refusal = leaf.refusal or self._format_refusal(node)
                        self._add(leaf, root, function, sink)
                    continue
            if isinstance(node, cst.Name):
                self._follow(node, root, function, sink, followed)
            elif isinstance(node, cst.Attribute | cst.Arg):
                stack.append(node.value)
            elif not isinstance(node, cst.Lambda):
                stack.extend(node.children)

    def _note_kept(self, node: cst.Name | cst.Attribute | cst.Subscript, root: cst.CSTNode) -> None:
        """Say why an exception's text that reaches the client stays: it is meant for it."""
        chain: cst.BaseExpression = node
        while isinstance(chain, cst.Attribute | cst.Subscript):
            chain = chain.value
        if isinstance(chain, cst.Name) and root not in self.kept and self._reaches(node, root):
            reason = self._kept(chain)
            if reason is not None:
                self.kept[root] = reason

    def _follow(
        self,
        name: cst.Name,
        root: cst.BaseExpression,
        function: cst.FunctionDef,
        sink: Sink,
        followed: set[cst.CSTNode],
    ) -> None:
        if not self._reaches(name, root):
            return
        for value in self._bodies[function].bindings.get(name.value, ()):
            if value not in followed:
                followed.add(value)
                self._scan(value, function, sink, followed)

    def _add(
        self, leaf: Leaf, root: cst.BaseExpression, function: cst.FunctionDef, sink: Sink
    ) -> None:
        if not self._reaches(leaf.node, root):
            return
        node = self._message_of(leaf.node, root)
        message = self._messages.setdefault(node, Message(node, function))
        message.sinks.add(sink)
        message.leaves[leaf.node] = leaf
        message.refusal = message.refusal or leaf.refusal

    # -- leaves: what shows an exception's text -----------------------------------------------

    def _call_leaf(self, call: cst.Call, names: set[str]) -> Leaf | None:
        """`str(e)`, `repr(e.args)`, `traceback.format_exc()`, `traceback.format_exception(e)`."""
        positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
        if names & _TEXT_OF and positional:
            text = self._exception_text(positional[0])
            return None if text is None else text_leaf(call, *text, shown=positional[0])
        if names & _FORMAT_EXC:
            return Leaf(call, None, traceback=True)
        if names & _FORMAT_EXCEPTION:
            # format_exception(exc) since 3.10, format_exception(type, value, tb) before
            chosen = positional[1] if len(positional) > 1 else (positional or [None])[0]
            name = chosen.value if isinstance(chosen, cst.Name) else None
            detail = chosen if chosen is not None and name is None else None
            return Leaf(call, name, detail, in_list=True, traceback=True)
        return None

    def _exception_text(self, node: cst.BaseExpression) -> tuple[cst.Name, Verdict] | None:
        """The exception variable whose text `node` shows (`e`, `e.stderr`, `e.args[0]`); None
        for anything else, and for its codes and class (`e.returncode`, `type(e).__name__`)."""
        if isinstance(node, cst.Attribute) and node.attr.value in _CODES:
            return None
        chain = node
        while isinstance(chain, cst.Attribute | cst.Subscript):
            if isinstance(chain, cst.Attribute) and chain.attr.value == "__class__":
                return None
            chain = chain.value
        if not isinstance(chain, cst.Name):
            return None
        verdict = self._verdict(chain)
        return None if verdict is Verdict.NO else (chain, verdict)

    def _format_refusal(self, node: cst.BaseExpression) -> str:
        """Why a `.format` argument cannot become text: the template reads its attributes."""
        arg = self._parent(node)
        call = self._parent(arg) if isinstance(arg, cst.Arg) else None
        if not (isinstance(call, cst.Call) and is_format_call(call)):
            return ""
        assert isinstance(arg, cst.Arg) and isinstance(call.func, cst.Attribute)
        template = call.func.value
        text = template.evaluated_value if isinstance(template, cst.SimpleString) else None
        if not isinstance(text, str):
            return "the format string is not a literal harden can read"
        if arg.keyword is not None:
            key = arg.keyword.value
        else:
            key = str([a for a in call.args if a.keyword is None].index(arg))
        for field_name in format_fields(text):
            head = re.match(r"[^.\[]*", field_name)
            assert head is not None
            if head.group() == key and field_name != key:
                return f"the format string reads `{{{field_name}}}` from the exception"
        return ""

    # -- where a value goes ---------------------------------------------------------------------

    def _direct(self, node: cst.CSTNode) -> bool:
        """Whether a value in this position is shown as text: formatted into a string, a
        container's element, or an argument of a raised exception or a client log call."""
        parent = self._parent(node)
        if isinstance(parent, cst.FormattedStringExpression):
            return parent.expression is node
        if isinstance(parent, cst.BinaryOperation):
            return isinstance(parent.operator, cst.Modulo) and parent.right is node
        if isinstance(parent, cst.Element | cst.DictElement):
            return parent.value is node
        if isinstance(parent, cst.Arg) and parent.value is node:
            call = self._parent(parent)
            return isinstance(call, cst.Call) and (
                call in self._direct_calls
                or is_format_call(call)
                or "builtins.dict" in self._qualified(call.func)
            )
        return False

    def _reaches(self, node: cst.CSTNode, root: cst.CSTNode) -> bool:
        """Whether `node`'s value is part of `root`'s, not only tested (`"x" in str(e)`,
        `len(str(e))`, `a if str(e) else b`)."""
        while node is not root:
            parent = self._parent(node)
            if parent is None or isinstance(parent, cst.Comparison | cst.Lambda):
                return False
            if isinstance(parent, cst.IfExp) and parent.test is node:
                return False
            if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
                return False
            if isinstance(parent, cst.Attribute) and parent.attr.value in _TESTS:
                return False
            if isinstance(parent, cst.SubscriptElement):
                return False
            if isinstance(parent, cst.Arg):
                call = self._parent(parent)
                if isinstance(call, cst.Call) and self._qualified(call.func) & _NOT_TEXT:
                    return False
            node = parent
        return True

    def _message_of(self, node: cst.CSTNode, root: cst.CSTNode) -> cst.BaseExpression:
        """The whole message a leaf is part of: climb through f-strings, `+`, `%` and
        `.format`, never past `root`."""
        while node is not root:
            parent = self._parent(node)
            if isinstance(parent, cst.FormattedStringExpression) and parent.expression is node:
                parent = self._parent(parent)
            elif isinstance(parent, cst.Element | cst.DictElement) and parent.value is node:
                container = self._parent(parent)
                operation = self._parent(container)
                if not (
                    isinstance(operation, cst.BinaryOperation)
                    and isinstance(operation.operator, cst.Modulo)
                    and operation.right is container
                ):
                    break
                parent = operation
            elif isinstance(parent, cst.Arg) and parent.value is node:
                call = self._parent(parent)
                if not (isinstance(call, cst.Call) and is_format_call(call)):
                    break
                parent = call
            elif not (
                isinstance(parent, cst.FormattedString | cst.ConcatenatedString)
                or (
                    isinstance(parent, cst.BinaryOperation)
                    and (
                        isinstance(parent.operator, cst.Add)
                        or (isinstance(parent.operator, cst.Modulo) and parent.right is node)
                    )
                )
            ):
                break
            node = parent
        assert isinstance(node, cst.BaseExpression)
        return node

    def _check_handed_over(
        self, call: cst.Call, root: cst.BaseExpression, function: cst.FunctionDef, sink: Sink
    ) -> None:
        """An exception given, as the value to send, to a function of another module: harden
        cannot see what that function puts into the message, so it reports the place."""
        if call in self._direct_calls or not (call is root or self._direct(call)):
            return
        source = self._imported_from(call.func)
        if source is None:
            return
        for arg in call.args:
            text = self._exception_text(arg.value)
            if text is not None:
                callee = code(call.func)
                leaf = Leaf(arg.value, text[0].value)
                leaf.refusal = (
                    f"the exception goes to `{callee}`, imported from `{source}`; harden "
                    "rewrites only what this module's own functions build"
                )
                message = self._messages.setdefault(call, Message(call, function))
                message.sinks.add(sink)
                message.leaves[arg.value] = leaf
                message.refusal = message.refusal or leaf.refusal
                return

    def _is_client_log(self, call: cst.Call) -> bool:
        """`ctx.error(...)` and its siblings on a Context parameter: notifications the client
        receives."""
        func = call.func
        if not (
            isinstance(func, cst.Attribute)
            and func.attr.value in _CLIENT_LOG
            and isinstance(func.value, cst.Name)
        ):
            return False
        for assignment in self._assignments(func.value):
            node = assignment.node if isinstance(assignment, Assignment) else None
            if isinstance(node, cst.Param) and node.annotation is not None:
                names = self._qualified(node.annotation.annotation)
                if any(n.endswith(".Context") and n.startswith(_CONTEXT_MODULES) for n in names):
                    return True
        return False

    # -- the plan -------------------------------------------------------------------------------

    def _plan(
        self,
        message: Message,
        suspects: Mapping[cst.FunctionDef, str],
        handlers: Mapping[cst.FunctionDef, object],
    ) -> Proposal | Refusal:
        leaves = list(message.leaves.values())
        traceback = any(leaf.traceback for leaf in leaves)
        severity = Severity.HIGH if traceback else Severity.MEDIUM
        function = message.function.name.value
        what = "a traceback" if traceback else "an exception's text"
        sinks = sorted(sink.value for sink in message.sinks)
        text = f"{what} reaches the client: {' and '.join(sinks)} by `{function}`"
        if message.function in suspects:
            reason = suspects[message.function] or "it is only called from such a function"
            return Refusal(
                message.node,
                f"`{function}` is not provably an MCP handler: {reason}",
                severity,
                text,
            )
        if message.refusal:
            return Refusal(message.node, message.refusal, severity, text)
        drops = tuple(
            found
            for leaf in leaves
            if leaf.traceback and isinstance(leaf.node, cst.Call)
            for found in import_of(leaf.node.func, self._qualified(leaf.node.func))
        )
        return Proposal(
            node=message.node,
            build=builder(message.node, {leaf.node: leaf for leaf in leaves}, self._spine(message)),
            note=self._note(message, helper=message.function not in handlers),
            severity=severity,
            message=text,
            drop_imports=drops,
            uses_runtime=True,
        )

    def _spine(self, message: Message) -> frozenset[cst.CSTNode]:
        """The nodes between the message and its leaves."""
        found: set[cst.CSTNode] = set()
        for leaf in message.leaves:
            node: cst.CSTNode | None = leaf
            while node is not None and node not in found and node is not message.node:
                found.add(node)
                node = self._parent(node)
        return frozenset(found | {message.node})

    def _note(self, message: Message, *, helper: bool) -> str:
        notes = [
            f"The client now reads `{GENERIC}` where the exception's text was; the text and "
            "its traceback go to stderr as a TOOL_ERROR_DETAIL line with the same ref."
        ]
        if Sink.RETURN in message.sinks:
            notes.append("The result keeps its type, keys and isError.")
        if Sink.RAISE in message.sinks:
            notes.append(
                "The same exception type is raised; code that catches it and reads its message "
                "now reads the reference."
            )
        if Sink.LOG in message.sinks:
            notes.append("The client's log notification carries the reference instead.")
        if helper:
            notes.append(
                f"`{message.function.name.value}` is called by MCP handlers: every caller gets "
                "the change."
            )
        kept = [
            code(value)
            for value in slots(message.node)
            if not self._shows_nothing(value, message.leaves)
        ]
        if kept:
            shown = ", ".join(f"`{code}`" for code in dict.fromkeys(kept))
            notes.append(
                f"Kept as they were: {shown}; check they reveal no configuration, path or host."
            )
        return " ".join(notes)

    def _shows_nothing(self, value: cst.BaseExpression, leaves: dict[cst.CSTNode, Leaf]) -> bool:
        """A literal, an exception's leaf, its codes or class, or an already rewritten part."""
        if isinstance(value, cst.SimpleString | cst.Integer | cst.Float):
            return True
        if any(node in leaves for node in descendants(value)):
            return True
        if isinstance(value, cst.Call) and runtime_function(self._qualified(value.func)):
            return True
        for name in value_names(value):
            builtin = self._qualified(name) and all(
                q.startswith("builtins.") for q in self._qualified(name)
            )
            if not builtin and self._verdict(name) is Verdict.NO:
                return False
        return True

    # -- parents and names ----------------------------------------------------------------------

    def _index(self, root: cst.CSTNode) -> None:
        if root in self._parents or not root.children:
            return
        stack = [root]
        while stack:
            node = stack.pop()
            for child in node.children:
                self._parents[child] = node
                stack.append(child)

    def _parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._parents.get(node)

    def _imported_from(self, func: cst.BaseExpression) -> str | None:
        """The module a callee was imported from, if it was."""
        while isinstance(func, cst.Attribute):
            func = func.value
        if not isinstance(func, cst.Name):
            return None
        for assignment in self._assignments(func):
            if isinstance(assignment, ImportAssignment):
                node = assignment.node
                if isinstance(node, cst.ImportFrom):
                    module = code(node.module) if node.module is not None else ""
                    return "." * len(node.relative) + module
                return code(node).removeprefix("import ")
        return None

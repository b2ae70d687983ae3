"""Phase 5 codemod: exception text a handler sends to its client becomes a reference.

In MCP handlers (tools, resources, prompts; found by harden.mcp) and in this module's functions
they call, the text of a caught exception that reaches the client — returned (`f"Error: {e}"`,
`{"error": str(e)}`, `TextContent(text=traceback.format_exc())`), raised
(`raise ToolError(str(e))`, `McpError(ErrorData(message=str(e)))`) or sent as a log
notification (`await ctx.error(f"... {e}")`) — becomes `harden_runtime.error_ref(e)`: the
client reads `internal error (ref 3f9c2a1b4d5e)` and the server's stderr gets the text and
traceback under the same ref. Only the exception's part of a message changes: the literal text
around it, the result's type and keys, the exception's type, and whether a result or an
exception reaches the client all stay. Other values in the same message are kept and named in
the review note. A helper that formats errors is rewritten once, in its own body.

It never touches a message with no exception text in it (what the author wrote for the
client), nor one that only goes to the server's own logs. A leak it cannot rewrite safely (in a
function it cannot prove to be a handler, a format string that reads the exception's
attributes, an exception handed to another module) is reported with the reason.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum

import libcst as cst
from libcst.metadata import (
    Assignment,
    BaseAssignment,
    ImportAssignment,
    QualifiedNameProvider,
    ScopeProvider,
)

from harden.codemods.base import (
    CodemodInfo,
    Example,
    PlannedCodemod,
    Planner,
    Proposal,
    Refusal,
    Replacements,
)
from harden.codemods.imports import import_of
from harden.codemods.runtime_import import RUNTIME_MODULE, runtime_function
from harden.findings.model import Severity
from harden.mcp import PREFILTER, HandlerProvider
from harden.mcp.gate import may_register_handlers

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
_EXCEPTION_CLASS = re.compile(r"(?:^|\.)(?:\w*Error|\w*Exception|BaseException)$")

_GENERIC = "internal error (ref <id>)"


class _Sink(Enum):
    RETURN = "returned"
    RAISE = "raised"
    LOG = "sent as a log notification"


class _Verdict(Enum):
    """Whether a name holds an exception wherever it is read."""

    NO = 0
    YES = 1
    MIXED = 2  # on some paths only: a parameter some callers give something else


INFO = CodemodInfo(
    id="error-messages",
    phase=5,
    title="Exception text sent to clients becomes a reference",
    rule="error-text-leak",
    rationale=(
        "The text of an exception is written for the developer: it names files, hosts, SQL, "
        "configuration and sometimes credentials. A tool that returns or raises it hands all "
        "of that to every client, and to the model reading the result. The rewrite keeps each "
        "message's own words and the result's shape, replaces only the exception's part with "
        "a reference, and logs the detail on the server under the same reference, so an "
        "operator can find what a user reports."
    ),
    prefilter=PREFILTER,
    gate=may_register_handlers,
    on_handlers=True,
    examples=(
        Example(
            before=(
                "import json\n\n"
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("db")\n\n\n'
                "@mcp.tool()\n"
                "def query(sql: str) -> str:\n"
                "    try:\n"
                "        return json.dumps(run(sql))\n"
                "    except Exception as e:\n"
                '        return json.dumps({"success": False, "error": f"Query failed: {e}"})\n'
            ),
            after=(
                "import json\n\n"
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("db")\n\n\n'
                "@mcp.tool()\n"
                "def query(sql: str) -> str:\n"
                "    try:\n"
                "        return json.dumps(run(sql))\n"
                "    except Exception as e:\n"
                '        return json.dumps({"success": False, "error": f"Query failed: '
                '{harden_runtime.error_ref(e)}"})\n'
            ),
        ),
        Example(
            before=(
                "from fastmcp import Context, FastMCP\n"
                "from fastmcp.exceptions import ToolError\n\n"
                'mcp = FastMCP("web")\n\n\n'
                "@mcp.tool()\n"
                "async def fetch(url: str, ctx: Context) -> str:\n"
                "    try:\n"
                "        return await get(url)\n"
                "    except OSError as e:\n"
                '        await ctx.error(f"fetching {url} failed: {e!r}")\n'
                "        raise ToolError(str(e)) from e\n"
            ),
            after=(
                "from fastmcp import Context, FastMCP\n"
                "from fastmcp.exceptions import ToolError\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("web")\n\n\n'
                "@mcp.tool()\n"
                "async def fetch(url: str, ctx: Context) -> str:\n"
                "    try:\n"
                "        return await get(url)\n"
                "    except OSError as e:\n"
                '        await ctx.error(f"fetching {url} failed: {harden_runtime.error_ref(e)}")\n'
                "        raise ToolError(harden_runtime.error_ref(e)) from e\n"
            ),
        ),
        Example(
            before=(
                "import traceback\n"
                "from mcp.server.lowlevel import Server\n"
                "from mcp.types import TextContent\n\n"
                'server = Server("ops")\n\n\n'
                "@server.call_tool()\n"
                "async def call_tool(name: str, arguments: dict) -> list[TextContent]:\n"
                "    try:\n"
                '        return [TextContent(type="text", text=run(name, arguments))]\n'
                "    except Exception:\n"
                '        return [TextContent(type="text", text=traceback.format_exc())]\n'
            ),
            after=(
                "from mcp.server.lowlevel import Server\n"
                "from mcp.types import TextContent\n"
                "import harden_runtime\n\n"
                'server = Server("ops")\n\n\n'
                "@server.call_tool()\n"
                "async def call_tool(name: str, arguments: dict) -> list[TextContent]:\n"
                "    try:\n"
                '        return [TextContent(type="text", text=run(name, arguments))]\n'
                "    except Exception:\n"
                '        return [TextContent(type="text", text=harden_runtime.error_ref())]\n'
            ),
        ),
        Example(
            before=(
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("files")\n\n\n'
                "def failure(error: Exception) -> dict:\n"
                '    return {"ok": False, "error": type(error).__name__ + ": " + str(error)}\n\n\n'
                "@mcp.tool()\n"
                "def read(path: str) -> dict:\n"
                "    try:\n"
                "        with open(path) as f:\n"
                '            return {"ok": True, "text": f.read()}\n'
                "    except OSError as e:\n"
                "        return failure(e)\n"
            ),
            after=(
                "from mcp.server.fastmcp import FastMCP\n"
                "import harden_runtime\n\n"
                'mcp = FastMCP("files")\n\n\n'
                "def failure(error: Exception) -> dict:\n"
                '    return {"ok": False, "error": type(error).__name__ + ": " + '
                "harden_runtime.error_ref(error)}\n\n\n"
                "@mcp.tool()\n"
                "def read(path: str) -> dict:\n"
                "    try:\n"
                "        with open(path) as f:\n"
                '            return {"ok": True, "text": f.read()}\n'
                "    except OSError as e:\n"
                "        return failure(e)\n"
            ),
        ),
        Example(
            before=(
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("files")\n\n\n'
                "@mcp.tool()\n"
                "def size(path: str) -> str:\n"
                "    try:\n"
                "        return str(os.path.getsize(path))\n"
                "    except OSError as e:\n"
                '        return "cannot stat {0.filename}: {0.strerror}".format(e)\n'
            ),
            after=(
                "from mcp.server.fastmcp import FastMCP\n\n"
                'mcp = FastMCP("files")\n\n\n'
                "@mcp.tool()\n"
                "def size(path: str) -> str:\n"
                "    try:\n"
                "        return str(os.path.getsize(path))\n"
                "    except OSError as e:\n"
                '        return "cannot stat {0.filename}: {0.strerror}".format(e)\n'
            ),
            unfixed="the format string reads `{0.filename}` from the exception",
        ),
        Example(
            before=(
                "from .app import mcp\n\n\n"
                "@mcp.tool()\n"
                "def ping(host: str) -> str:\n"
                "    try:\n"
                "        return probe(host)\n"
                "    except Exception as e:\n"
                '        return f"Error: {e}"\n'
            ),
            after=(
                "from .app import mcp\n\n\n"
                "@mcp.tool()\n"
                "def ping(host: str) -> str:\n"
                "    try:\n"
                "        return probe(host)\n"
                "    except Exception as e:\n"
                '        return f"Error: {e}"\n'
            ),
            unfixed="not provably an MCP handler",
        ),
    ),
)


@dataclass(slots=True)
class _Body:
    """What one function holds that may carry text to a client."""

    returns: list[cst.BaseExpression] = field(default_factory=list)
    raises: list[cst.BaseExpression] = field(default_factory=list)
    calls: list[cst.Call] = field(default_factory=list)
    # name -> every value put into it: `x = v`, `x: T = v`, `x += v`, `(x := v)`, `x[k] = v`,
    # `x.append(v)`
    bindings: dict[str, list[cst.BaseExpression]] = field(default_factory=lambda: defaultdict(list))


@dataclass(slots=True)
class _Leaf:
    """One place showing an exception's text, and what error_ref() gets there."""

    node: cst.BaseExpression
    exception: str | None  # the variable holding the exception; None: the one being handled
    detail: cst.BaseExpression | None = None  # the part of it shown, when not all of it
    in_list: bool = False  # traceback.format_exception() gives a list of lines
    traceback: bool = False
    refusal: str = ""

    def replacement(self) -> cst.BaseExpression:
        args = [cst.Arg(cst.Name(self.exception))] if self.exception else []
        if self.detail is not None:
            args.append(cst.Arg(self.detail.deep_clone()))
        call = cst.Call(cst.Attribute(cst.Name(RUNTIME_MODULE), cst.Name("error_ref")), args)
        return cst.List([cst.Element(call)]) if self.in_list else call


@dataclass(slots=True)
class _Message:
    """A message (an f-string, a concatenation, a `%` or `.format`, or a lone `str(e)`) that
    carries exception text to the client, with every leaf in it."""

    node: cst.BaseExpression
    function: cst.FunctionDef
    sinks: set[_Sink] = field(default_factory=set)
    leaves: dict[cst.CSTNode, _Leaf] = field(default_factory=dict)
    refusal: str = ""


class ErrorMessagePlanner(Planner):
    """Records, per function, what may reach a client; on leaving the module, follows handlers
    into their helpers and plans a rewrite (or a refusal) for each message leaking an
    exception's text."""

    METADATA_DEPENDENCIES = (HandlerProvider, QualifiedNameProvider, ScopeProvider)

    def __init__(self) -> None:
        super().__init__()
        self._owners: list[cst.FunctionDef | cst.ClassDef] = []
        self._bodies: defaultdict[cst.FunctionDef | None, _Body] = defaultdict(_Body)
        self._except_names: set[cst.Name] = set()
        self._none_bound: set[cst.Name] = set()  # `x = None`: no value a message would show
        self._methods: dict[tuple[cst.ClassDef, str], list[cst.FunctionDef]] = {}
        self._self_params: dict[cst.Param, cst.ClassDef] = {}
        self._static: set[cst.FunctionDef] = set()
        self._sites: defaultdict[cst.Param, list[cst.BaseExpression]] = defaultdict(list)
        self._verdicts: dict[cst.CSTNode, _Verdict] = {}
        self._direct_calls: set[cst.Call] = set()  # raise X(...) and ctx.error(...)
        self._messages: dict[cst.CSTNode, _Message] = {}
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
            static = any(_is_name(d.decorator, "staticmethod") for d in node.decorators)
            positional = (*node.params.posonly_params, *node.params.params)
            if static:
                self._static.add(node)
            elif positional:
                self._self_params[positional[0]] = owner
        self._owners.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._owners.pop()

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._record_except(node.name)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._record_except(node.name)

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

    def _body(self) -> _Body:
        functions = [o for o in self._owners if isinstance(o, cst.FunctionDef)]
        return self._bodies[functions[-1] if functions else None]

    def _record_except(self, name: cst.AsName | None) -> None:
        if name is not None and isinstance(name.name, cst.Name):
            self._except_names.add(name.name)

    def _record_binding(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Subscript):
            target = target.value
        if isinstance(target, cst.Name):
            self._body().bindings[target.value].append(value)
            if _is_name(value, "None"):
                self._none_bound.add(target)

    # -- on leaving: follow the handlers, find the leaks, plan -------------------------------

    def leave_Module(self, original_node: cst.Module) -> None:
        discovery = self.get_metadata(HandlerProvider, original_node)
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
                self._scan(value, function, _Sink.RETURN, set())
            for exc in body.raises:
                self._scan(exc, function, _Sink.RAISE, set())
            for call in body.calls:
                if self._is_client_log(call):
                    self._direct_calls.add(call)
                    self._scan(call, function, _Sink.LOG, set())
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
        sink: _Sink,
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
                if text is not None:
                    if node is not root and self._direct(node):
                        leaf = _text_leaf(node, *text)
                        leaf.refusal = leaf.refusal or self._format_refusal(node)
                        self._add(leaf, root, function, sink)
                    continue
            if isinstance(node, cst.Name):
                self._follow(node, root, function, sink, followed)
            elif isinstance(node, cst.Attribute | cst.Arg):
                stack.append(node.value)
            elif not isinstance(node, cst.Lambda):
                stack.extend(node.children)

    def _follow(
        self,
        name: cst.Name,
        root: cst.BaseExpression,
        function: cst.FunctionDef,
        sink: _Sink,
        followed: set[cst.CSTNode],
    ) -> None:
        if not self._reaches(name, root):
            return
        for value in self._bodies[function].bindings.get(name.value, ()):
            if value not in followed:
                followed.add(value)
                self._scan(value, function, sink, followed)

    def _add(
        self, leaf: _Leaf, root: cst.BaseExpression, function: cst.FunctionDef, sink: _Sink
    ) -> None:
        if not self._reaches(leaf.node, root):
            return
        node = self._message_of(leaf.node, root)
        message = self._messages.setdefault(node, _Message(node, function))
        message.sinks.add(sink)
        message.leaves[leaf.node] = leaf
        message.refusal = message.refusal or leaf.refusal

    # -- leaves: what shows an exception's text -----------------------------------------------

    def _call_leaf(self, call: cst.Call, names: set[str]) -> _Leaf | None:
        """`str(e)`, `repr(e.args)`, `traceback.format_exc()`, `traceback.format_exception(e)`."""
        positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
        if names & _TEXT_OF and positional:
            text = self._exception_text(positional[0])
            return None if text is None else _text_leaf(call, *text, shown=positional[0])
        if names & _FORMAT_EXC:
            return _Leaf(call, None, traceback=True)
        if names & _FORMAT_EXCEPTION:
            # format_exception(exc) since 3.10, format_exception(type, value, tb) before
            chosen = positional[1] if len(positional) > 1 else (positional or [None])[0]
            name = chosen.value if isinstance(chosen, cst.Name) else None
            detail = chosen if chosen is not None and name is None else None
            return _Leaf(call, name, detail, in_list=True, traceback=True)
        return None

    def _exception_text(self, node: cst.BaseExpression) -> tuple[cst.Name, _Verdict] | None:
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
        return None if verdict is _Verdict.NO else (chain, verdict)

    def _format_refusal(self, node: cst.BaseExpression) -> str:
        """Why a `.format` argument cannot become text: the template reads its attributes."""
        arg = self._parent(node)
        call = self._parent(arg) if isinstance(arg, cst.Arg) else None
        if not (isinstance(call, cst.Call) and _is_format_call(call)):
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
        for field_name in _format_fields(text):
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
                or _is_format_call(call)
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
                if not (isinstance(call, cst.Call) and _is_format_call(call)):
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
        self, call: cst.Call, root: cst.BaseExpression, function: cst.FunctionDef, sink: _Sink
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
                callee = _code(call.func)
                leaf = _Leaf(arg.value, text[0].value)
                leaf.refusal = (
                    f"the exception goes to `{callee}`, imported from `{source}`; harden "
                    "rewrites only what this module's own functions build"
                )
                message = self._messages.setdefault(call, _Message(call, function))
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

    # -- which names hold exceptions ----------------------------------------------------------

    def _verdict(self, name: cst.Name) -> _Verdict:
        if name in self._verdicts:
            return self._verdicts[name]
        self._verdicts[name] = _Verdict.NO  # a cycle through helpers proves nothing
        found: set[_Verdict] = set()
        for assignment in self._assignments(name):
            node = assignment.node if isinstance(assignment, Assignment) else None
            if node in self._except_names:
                found.add(_Verdict.YES)
            elif isinstance(node, cst.Param):
                found.add(self._param_verdict(node))
            elif node not in self._none_bound:
                found.add(_Verdict.NO)
        verdict = _combine(found)
        self._verdicts[name] = verdict
        return verdict

    def _param_verdict(self, param: cst.Param) -> _Verdict:
        if param in self._verdicts:
            return self._verdicts[param]
        self._verdicts[param] = _Verdict.NO
        if param.annotation is not None:
            verdict = (
                _Verdict.YES if self._names_exception(param.annotation.annotation) else _Verdict.NO
            )
        else:
            # Unannotated: an exception if every call in this module passes one.
            sites = self._sites.get(param, [])
            verdict = _combine(
                {self._verdict(arg) if isinstance(arg, cst.Name) else _Verdict.NO for arg in sites}
            )
        self._verdicts[param] = verdict
        return verdict

    def _names_exception(self, annotation: cst.BaseExpression) -> bool:
        """`Exception`, `OSError | None`, `Optional[httpx.HTTPError]`, never `type[...]`."""
        if isinstance(annotation, cst.BinaryOperation):
            return self._names_exception(annotation.left) or self._names_exception(annotation.right)
        if isinstance(annotation, cst.Subscript):
            if not self._qualified(annotation.value) & {"typing.Optional", "typing.Union"}:
                return False
            return any(
                isinstance(element.slice, cst.Index) and self._names_exception(element.slice.value)
                for element in annotation.slice
            )
        return any(_EXCEPTION_CLASS.search(name) for name in self._qualified(annotation))

    def _record_sites(self, call: cst.Call) -> None:
        """What each call of one of this module's functions passes to each parameter."""
        for function, skip in self._callees(call):
            params = function.params
            positional = [*params.posonly_params, *params.params][skip:]
            by_name = {p.name.value: p for p in (*positional, *params.kwonly_params)}
            for index, arg in enumerate(call.args):
                if arg.star:
                    break
                if arg.keyword is not None:
                    param = by_name.get(arg.keyword.value)
                else:
                    param = positional[index] if index < len(positional) else None
                if param is not None:
                    self._sites[param].append(arg.value)

    def _callees(self, call: cst.Call) -> list[tuple[cst.FunctionDef, int]]:
        """The functions of this module a call may run, each with the number of leading
        parameters the call does not pass (1 for `self`)."""
        func = call.func
        if isinstance(func, cst.Name):
            return [
                (a.node, 0)
                for a in self._assignments(func)
                if isinstance(a, Assignment) and isinstance(a.node, cst.FunctionDef)
            ]
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            classes = {
                self._self_params[a.node]
                for a in self._assignments(func.value)
                if isinstance(a, Assignment)
                and isinstance(a.node, cst.Param)
                and a.node in self._self_params
            }
            return [
                (method, 0 if method in self._static else 1)
                for cls in classes
                for method in self._methods.get((cls, func.attr.value), ())
            ]
        return []

    # -- the plan -------------------------------------------------------------------------------

    def _plan(
        self,
        message: _Message,
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
            build=_builder(
                message.node, {leaf.node: leaf for leaf in leaves}, self._spine(message)
            ),
            note=self._note(message, helper=message.function not in handlers),
            severity=severity,
            message=text,
            drop_imports=drops,
            uses_runtime=True,
        )

    def _spine(self, message: _Message) -> frozenset[cst.CSTNode]:
        """The nodes between the message and its leaves."""
        found: set[cst.CSTNode] = set()
        for leaf in message.leaves:
            node: cst.CSTNode | None = leaf
            while node is not None and node not in found and node is not message.node:
                found.add(node)
                node = self._parent(node)
        return frozenset(found | {message.node})

    def _note(self, message: _Message, *, helper: bool) -> str:
        notes = [
            f"The client now reads `{_GENERIC}` where the exception's text was; the text and "
            "its traceback go to stderr as a TOOL_ERROR_DETAIL line with the same ref."
        ]
        if _Sink.RETURN in message.sinks:
            notes.append("The result keeps its type, keys and isError.")
        if _Sink.RAISE in message.sinks:
            notes.append(
                "The same exception type is raised; code that catches it and reads its message "
                "now reads the reference."
            )
        if _Sink.LOG in message.sinks:
            notes.append("The client's log notification carries the reference instead.")
        if helper:
            notes.append(
                f"`{message.function.name.value}` is called by MCP handlers: every caller gets "
                "the change."
            )
        kept = [
            _code(value)
            for value in _slots(message.node)
            if not self._shows_nothing(value, message.leaves)
        ]
        if kept:
            shown = ", ".join(f"`{code}`" for code in dict.fromkeys(kept))
            notes.append(
                f"Kept as they were: {shown}; check they reveal no configuration, path or host."
            )
        return " ".join(notes)

    def _shows_nothing(self, value: cst.BaseExpression, leaves: dict[cst.CSTNode, _Leaf]) -> bool:
        """A literal, an exception's leaf, its codes or class, or an already rewritten part."""
        if isinstance(value, cst.SimpleString | cst.Integer | cst.Float):
            return True
        if any(node in leaves for node in _descendants(value)):
            return True
        if isinstance(value, cst.Call) and runtime_function(self._qualified(value.func)):
            return True
        for name in _value_names(value):
            builtin = self._qualified(name) and all(
                q.startswith("builtins.") for q in self._qualified(name)
            )
            if not builtin and self._verdict(name) is _Verdict.NO:
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

    def _qualified(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in self.get_metadata(QualifiedNameProvider, node, set())}

    def _assignments(self, name: cst.Name) -> list[BaseAssignment]:
        scope = self.get_metadata(ScopeProvider, name, None)
        return list(scope[name.value]) if scope is not None else []

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
                    module = _code(node.module) if node.module is not None else ""
                    return "." * len(node.relative) + module
                return _code(node).removeprefix("import ")
        return None


class ErrorMessages(PlannedCodemod):
    INFO = INFO
    PLANNER = ErrorMessagePlanner


def _builder(
    message: cst.BaseExpression,
    leaves: dict[cst.CSTNode, _Leaf],
    spine: frozenset[cst.CSTNode],
) -> Callable[[Replacements], cst.CSTNode]:
    """The rewrite of `message`: each leaf becomes error_ref(); an f-string's `!r` on it goes
    (error_ref already gives text); nested rewrites beside the leaves are kept."""

    def build(replaced: Replacements) -> cst.CSTNode:
        class Rewrite(cst.CSTTransformer):
            def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:
                leaf = leaves.get(original)
                if leaf is not None:
                    return leaf.replacement()
                if (
                    isinstance(original, cst.FormattedStringExpression)
                    and original.expression in leaves
                    and isinstance(updated, cst.FormattedStringExpression)
                ):
                    return updated.with_changes(conversion=None)
                # `replaced` also holds plain copies the applier made of unchanged nodes: on
                # the way from a leaf up, only this rewrite's own result counts.
                return updated if original in spine else replaced.get(original, updated)

        return message.visit(Rewrite())

    return build


def _text_leaf(
    node: cst.BaseExpression,
    exception: cst.Name,
    verdict: _Verdict,
    shown: cst.BaseExpression | None = None,
) -> _Leaf:
    """The leaf at `node`, which shows `shown` (by default itself) of `exception`."""
    shown = shown or node
    leaf = _Leaf(node, exception.value, None if shown is exception else shown)
    if verdict is _Verdict.MIXED:
        leaf.refusal = (
            f"`{exception.value}` holds an exception only on some paths (callers pass other "
            "values too), so harden cannot tell which text is meant for the client"
        )
    return leaf


def _combine(found: set[_Verdict]) -> _Verdict:
    if found == {_Verdict.YES}:
        return _Verdict.YES
    if found & {_Verdict.YES, _Verdict.MIXED}:
        return _Verdict.MIXED
    return _Verdict.NO


def _is_format_call(call: cst.CSTNode) -> bool:
    return (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "format"
    )


def _format_fields(template: str) -> Iterator[str]:
    """The field names of a str.format template, automatic numbering resolved."""
    automatic = 0
    for _, field_name, _, _ in string.Formatter().parse(template):
        if field_name is None:
            continue
        if field_name[:1] in ("", ".", "["):
            field_name = f"{automatic}{field_name}"
            automatic += 1
        yield field_name


def _slots(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The values a message interpolates: f-string fields, `+` operands, `%` and `.format`
    arguments; a lone value is its own slot."""
    if isinstance(node, cst.FormattedString):
        for part in node.parts:
            if isinstance(part, cst.FormattedStringExpression):
                yield from _slots(part.expression)
    elif isinstance(node, cst.ConcatenatedString):
        yield from _slots(node.left)
        yield from _slots(node.right)
    elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add | cst.Modulo):
        yield from _slots(node.left)
        right = node.right
        if isinstance(node.operator, cst.Modulo) and isinstance(right, cst.Tuple | cst.Dict):
            for element in right.elements:
                if isinstance(element, cst.Element | cst.DictElement):
                    yield element.value
        else:
            yield from _slots(right)
    elif _is_format_call(node):
        assert isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
        yield from _slots(node.func.value)
        yield from (arg.value for arg in node.args)
    elif not isinstance(node, cst.SimpleString):
        yield node


def _descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    yield node
    for child in node.children:
        yield from _descendants(child)


def _value_names(node: cst.CSTNode) -> Iterator[cst.Name]:
    """The names an expression reads (not attribute or keyword names)."""
    if isinstance(node, cst.Name):
        yield node
    elif isinstance(node, cst.Attribute | cst.Arg):
        yield from _value_names(node.value)
    else:
        for child in node.children:
            yield from _value_names(child)


def _is_name(node: cst.CSTNode, value: str) -> bool:
    return isinstance(node, cst.Name) and node.value == value


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)

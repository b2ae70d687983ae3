"""What each MCP handler's code can do, read statically: write files, run programs, use the
network. `harden inventory` sets it beside what the logs show and what the tool declares.

`project_handlers(files)` finds every handler of a project as harden.mcp proves them (the
project index's facts, then each module's discovery: registrations in other modules, register
functions taking the server, factories, classes, fastmcp's `Tool.from_function`, the low-level
server's call_tool), then reads the handler's body, and the bodies of the project's functions
and methods it calls (in its module or another, transitively; each function is read once and
cycles end), for the calls that can:

- `fs:write`: open() and its kin with a mode that writes, or one that is not a literal;
  os.open with write flags, or flags it cannot read; os.remove/rename/mkdir/chmod/... and
  shutil's copies, moves and rmtree; pathlib's write_text/touch/mkdir/unlink/rename/...
  tempfile's functions are not counted: they make fresh files and folders, named by nobody
  else, in the temporary folder, which change nothing a client or another tool sees (the
  hidden write path the inventory looks for); a write there by name (open("/tmp/x", "w")) is.
- `exec`: subprocess, os.system/popen/exec*/spawn*/posix_spawn*, asyncio's subprocesses and
  harden's own shell-free helpers (harden_runtime.run, ...), with the program's name when a
  literal says it: "sh" for anything a shell runs.
- `net`: urllib, http.client, socket connections and name lookups, requests, httpx, aiohttp.

Names are resolved through libcst's scopes and qualified names, never by their spelling alone:
`import subprocess as sp` and `from subprocess import run` are seen through, a local `run` is
not subprocess's. A pathlib method is counted on an object traced to a Path (a Path call, a
`/` join, a parameter or attribute annotated Path), or when its name or keywords are pathlib's
alone (write_text, `mkdir(parents=True)`).

This is a hint for review, not a proof. A call it cannot resolve is ignored (a function held in
a container, a method of an object whose class it cannot trace, getattr, inheritance from
outside the project, super()), as is what C extensions and child processes do: a handler may
do more than it says. And a call it counts may never run. It reads texts only: it never imports
or runs the code, and never writes a file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import (
    Assignment,
    BaseAssignment,
    CodeRange,
    ImportAssignment,
    MetadataWrapper,
    PositionProvider,
    QualifiedNameProvider,
    Scope,
    ScopeProvider,
)

from harden.ast_names import parse as parse_ast
from harden.codemods.runtime_import import runtime_function
from harden.mcp.facts import NO_FACTS, ModuleFacts
from harden.mcp.frameworks import Framework, HandlerKind, may_hold_handlers
from harden.mcp.gate import may_register_handlers
from harden.mcp.handlers import Handler, HandlerProvider, find_handlers
from harden.mcp.modules import INIT, Layout
from harden.mcp.project import index_project
from harden.permissions.uses import EXEC, FS_WRITE, NET
from harden.vendoring import is_runtime


@dataclass(frozen=True, slots=True)
class StaticUse:
    kind: str  # FS_WRITE, EXEC or NET
    program: str | None  # exec only: the program's basename when a literal says it, else None
    path: str  # where the call is (file, relative POSIX)
    line: int
    via: str  # "" when in the handler itself, else the helper's dotted name ("pkg.store.save")


@dataclass(frozen=True, slots=True)
class HandlerSource:
    name: str | None  # Handler.name: the registered name; None when not literal / low-level
    function: str  # the function's name
    path: str  # where the function is defined
    line: int  # the line of its `def`
    kind: HandlerKind
    frameworks: frozenset[Framework]
    uses: tuple[StaticUse, ...]  # sorted, deduplicated


def project_handlers(files: Sequence[tuple[str, str]]) -> list[HandlerSource]:
    """Every MCP handler of the project given as (relative POSIX path, text), with what its
    code can do; sorted by path and line."""
    return _Project(files).handlers()


# -- what counts ----------------------------------------------------------------------------------

SHELL = "sh"  # the program of anything a shell runs
_PATH_CLASSES = ("Path", "PosixPath", "WindowsPath")
_PATH_WRITES = (
    "write_text",
    "write_bytes",
    "touch",
    "mkdir",
    "unlink",
    "rmdir",
    "rename",
    "replace",
    "chmod",
    "lchmod",
    "symlink_to",
    "hardlink_to",
)
# Methods no other common class has: counted on any object harden cannot trace.
_PATH_ONLY_WRITES = frozenset({"write_text", "write_bytes", "touch", "symlink_to", "hardlink_to"})
# Keywords only pathlib's method of that name takes: `x.mkdir(parents=True)` is a Path's.
_PATH_KEYWORDS: Mapping[str, frozenset[str]] = {
    "mkdir": frozenset({"parents", "exist_ok"}),
    "unlink": frozenset({"missing_ok"}),
}
_FS_WRITES = frozenset(
    {
        f"os.{name}"
        for name in (
            "remove",
            "unlink",
            "rename",
            "renames",
            "replace",
            "mkdir",
            "makedirs",
            "rmdir",
            "removedirs",
            "chmod",
            "lchmod",
            "chown",
            "lchown",
            "truncate",
            "symlink",
            "link",
            "mkfifo",
            "mknod",
        )
    }
    | {
        f"shutil.{name}"
        for name in (
            "copy",
            "copy2",
            "copyfile",
            "copytree",
            "copymode",
            "copystat",
            "move",
            "rmtree",
            "chown",
            "make_archive",
            "unpack_archive",
        )
    }
    | {f"pathlib.{cls}.{name}" for cls in _PATH_CLASSES for name in _PATH_WRITES}
)
# Callables that open a file for reading unless their mode says otherwise: where the mode is
# among the positional arguments (it is `mode=` for all of them).
_OPENERS: Mapping[str, int] = {
    **dict.fromkeys(
        (
            "builtins.open",
            "io.open",
            "codecs.open",
            "gzip.open",
            "bz2.open",
            "lzma.open",
            "tarfile.open",
            "zipfile.ZipFile",
        ),
        1,
    ),
    **{f"pathlib.{cls}.open": 0 for cls in _PATH_CLASSES},
}
_WRITE_MODE = frozenset("wax+")
_OS_OPEN = "os.open"
_WRITE_FLAGS = frozenset(
    f"os.{flag}"
    for flag in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND", "O_EXCL", "O_TMPFILE")
)

# An argument list or a command line (`shell=True`: a shell runs it).
_SUBPROCESS = frozenset(
    {f"subprocess.{name}" for name in ("run", "call", "check_call", "check_output", "Popen")}
    | {"pty.spawn"}
)
_SHELLS = frozenset(
    {
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "os.system",
        "os.popen",
        "asyncio.create_subprocess_shell",
        "asyncio.subprocess.create_subprocess_shell",
    }
)
# The program's path is the argument at this position.
_PROGRAM_AT: Mapping[str, int] = {
    **{
        f"os.{name}": 0
        for name in (
            "execl",
            "execle",
            "execlp",
            "execlpe",
            "execv",
            "execve",
            "execvp",
            "execvpe",
            "posix_spawn",
            "posix_spawnp",
        )
    },
    **{
        f"os.{name}": 1
        for name in (
            "spawnl",
            "spawnle",
            "spawnlp",
            "spawnlpe",
            "spawnv",
            "spawnve",
            "spawnvp",
            "spawnvpe",
        )
    },
    "asyncio.create_subprocess_exec": 0,
    "asyncio.subprocess.create_subprocess_exec": 0,
}
# harden_runtime's functions that run commands (phase 5 rewrites subprocess calls into them):
# an argument list, a script (a list of argument lists) or a command line read when it runs.
_RUNTIME_RUNNERS = frozenset(
    {
        "run",
        "call",
        "check_call",
        "check_output",
        "Popen",
        "system",
        "popen",
        "getoutput",
        "getstatusoutput",
        "create_subprocess_shell",
        "output",  # a command's output as a word of another: it runs too
    }
)
_COMMAND_KEYWORDS = ("args", "script", "cmd")
_EXEC_NAMED = _SUBPROCESS | frozenset(_PROGRAM_AT)
_NET = frozenset(
    {
        "urllib.request.urlopen",
        "urllib.request.urlretrieve",
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
        "socket.create_connection",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyname_ex",
        "asyncio.open_connection",
        "aiohttp.ClientSession",
        "aiohttp.request",
    }
    | {
        f"{package}.{name}"
        for package in ("requests", "requests.api")
        for name in ("get", "post", "put", "patch", "delete", "head", "options", "request")
    }
    | {"requests.Session", "requests.session", "requests.sessions.Session"}
    | {
        f"httpx.{name}"
        for name in (
            "get",
            "post",
            "put",
            "patch",
            "delete",
            "head",
            "options",
            "request",
            "stream",
            "Client",
            "AsyncClient",
        )
    }
)
_SOCKET_CLASS = "socket.socket"
_SOCKET_CONNECTS = frozenset({"connect", "connect_ex"})

# What an expression's value is, where it is not a project function, class or module.
_PATH = "a pathlib.Path"
_SOCKET = "a socket"
_PATH_MAKERS = frozenset(
    {f"pathlib.{cls}" for cls in _PATH_CLASSES}
    | {
        f"pathlib.{cls}.{name}"
        for cls in _PATH_CLASSES
        for name in ("home", "cwd", "resolve", "absolute", "expanduser", "joinpath")
    }
)
_PATH_METHODS = frozenset(
    {"resolve", "absolute", "expanduser", "joinpath", "with_name", "with_suffix", "with_stem"}
)

# The first word of a command line that can name a program (no shell syntax, no assignment),
# and words that name none: sh's own.
_PROGRAM_WORD = re.compile(r"[\w.+@%/:,-]+")
_SHELL_SYNTAX = re.compile(r"[|&;<>()$`\\\"'*?\[\]#~\n]")
_NOT_PROGRAMS = frozenset(
    {"cd", "exec", "eval", "export", "set", "unset", "source", "if", "for", "while", "until"}
    | {"case", "time", "."}
)
_DEPTH = 24  # how far an expression is traced through names, attributes and imports


# -- the project ----------------------------------------------------------------------------------


class _Project:
    def __init__(self, files: Sequence[tuple[str, str]]) -> None:
        # harden's vendored runtime is no project code: its runners are what is looked for.
        self.texts = {
            path: text for path, text in files if path.endswith(".py") and not is_runtime(path)
        }
        self.layout = Layout(self.texts)
        self.modules: dict[str, _Module | None] = {}
        self.summaries: dict[cst.FunctionDef, _Summary] = {}
        self.resolver = _Resolver(self)

    def handlers(self) -> list[HandlerSource]:
        facts = index_project(list(self.texts.items()))
        # The engine's own narrowing: the text prefilter, then registration shapes in `ast`
        # (a tenth of libcst's cost); and the modules whose functions others register.
        candidates = sorted(
            {path for path, text in self.texts.items() if _may_register(text)}
            | {path for path, found in facts.items() if found.elsewhere}
        )
        # Discovery first, in every module with its facts; helpers are parsed when followed.
        found: list[tuple[_Module, Handler]] = []
        for path in candidates:
            module = self.module(path, facts.get(path, NO_FACTS))
            if module is not None:
                found += [(module, handler) for handler in find_handlers(module.wrapper).handlers]
        sources = {
            HandlerSource(
                handler.name,
                handler.function.name.value,
                module.path,
                module.line(handler.function),
                handler.kind,
                handler.frameworks,
                self.uses(_Function(module, handler.function)),
            )
            for module, handler in found
        }
        return sorted(
            sources,
            key=lambda s: (s.path, s.line, s.kind, s.name is not None, s.name or "", s.function),
        )

    def module(self, path: str, facts: ModuleFacts = NO_FACTS) -> _Module | None:
        """The module at `path`, parsed once (None: not a project file, or not parsable)."""
        if path not in self.modules:
            text = self.texts.get(path)
            self.modules[path] = None
            if text is not None:
                try:
                    tree = cst.parse_module(text)
                except (cst.ParserSyntaxError, RecursionError):
                    return None
                wrapper = MetadataWrapper(
                    tree, unsafe_skip_copy=True, cache={HandlerProvider: facts}
                )
                self.modules[path] = _Module(path, self.layout.dotted_name(path), wrapper)
        return self.modules[path]

    def uses(self, handler: _Function) -> tuple[StaticUse, ...]:
        """What the handler's code and the project's functions it reaches can do."""
        found: set[StaticUse] = set()
        seen = {handler.node}
        pending = [handler]
        while pending:
            function = pending.pop()
            via = "" if function == handler else function.module.dotted_of(function.node)
            summary = self.summary(function)
            for kind, program, line in summary.uses:
                found.add(StaticUse(kind, program, function.module.path, line, via))
            for callee in summary.callees:
                if callee.node not in seen:
                    seen.add(callee.node)
                    pending.append(callee)
        return tuple(sorted(found, key=_use_order))

    def summary(self, function: _Function) -> _Summary:
        if function.node not in self.summaries:
            self.summaries[function.node] = self.resolver.summarize(function)
        return self.summaries[function.node]


def _may_register(text: str) -> bool:
    if not may_hold_handlers(text):
        return False
    tree = parse_ast(text)
    return tree is not None and may_register_handlers(tree)


def _use_order(use: StaticUse) -> tuple[str, bool, str, str, int, str]:
    # StaticUse's own order compares a None program with a str: sorted() would raise.
    return (use.kind, use.program is not None, use.program or "", use.path, use.line, use.via)


# -- one module, read once ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Binding:
    """What an assignment puts into a name or attribute."""

    value: cst.BaseExpression | None
    annotation: cst.BaseExpression | None
    augmented: bool = False  # `x += ...`: it keeps what `x` was, mostly


@dataclass(slots=True)
class _Body:
    """A function: its name in its module, its class if a method, the calls its body makes
    (not those of the functions and classes it defines; those of its lambdas, yes)."""

    qualname: str
    cls: cst.ClassDef | None
    calls: list[cst.Call] = field(default_factory=list)


class _Module(cst.MetadataDependent):
    METADATA_DEPENDENCIES = (ScopeProvider, QualifiedNameProvider)

    def __init__(self, path: str, dotted: str, wrapper: MetadataWrapper) -> None:
        super().__init__()
        self.path = path
        self.dotted = dotted
        self.wrapper = wrapper
        self.metadata = wrapper.resolve_many(self.METADATA_DEPENDENCIES)
        global_scope = self.get_metadata(ScopeProvider, wrapper.module)
        assert global_scope is not None  # every module has one
        self.global_scope: Scope = global_scope
        self._positions: Mapping[cst.CSTNode, CodeRange] | None = None
        walk = _Walk()
        wrapper.module.visit(walk)
        self.bodies = walk.bodies
        self.methods = walk.methods
        self.bindings = walk.bindings
        self.attributes = walk.attributes
        self.first_params = walk.first_params

    def qualified(self, node: cst.CSTNode) -> frozenset[str]:
        return frozenset(q.name for q in self.get_metadata(QualifiedNameProvider, node, set()))

    def scope(self, node: cst.CSTNode) -> Scope | None:
        return self.get_metadata(ScopeProvider, node, None)

    def line(self, node: cst.CSTNode) -> int:
        if self._positions is None:  # only modules with something to report pay for it
            self._positions = self.wrapper.resolve(PositionProvider)
        return self._positions[node].start.line

    def dotted_of(self, function: cst.FunctionDef) -> str:
        return f"{self.dotted}.{self.bodies[function].qualname}"

    def is_package(self) -> bool:
        return self.path == INIT or self.path.endswith(f"/{INIT}")


class _Walk(cst.CSTVisitor):
    """One pass over a module: its functions and the calls in each, its classes' methods and
    attributes, and what each assignment binds."""

    def __init__(self) -> None:
        super().__init__()
        self.bodies: dict[cst.FunctionDef, _Body] = {}
        self.methods: dict[tuple[cst.ClassDef, str], list[cst.FunctionDef]] = {}
        self.bindings: dict[cst.Name, _Binding] = {}
        # `self.x = ...` in a method and `x = ...` in the class body, by (class, x)
        self.attributes: dict[tuple[cst.ClassDef, str], list[_Binding]] = {}
        self.first_params: dict[cst.Param, tuple[cst.FunctionDef, cst.ClassDef]] = {}
        self._names: list[tuple[str, bool]] = []  # enclosing (name, is a function), for qualname
        # Whose code the node being visited runs in: a decorator or default runs in the
        # enclosing body, not in the function it decorates.
        self._owners: list[cst.FunctionDef | cst.ClassDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._names.append((node.name.value, False))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._names.pop()

    def visit_ClassDef_body(self, node: cst.ClassDef) -> None:
        self._owners.append(node)

    def leave_ClassDef_body(self, node: cst.ClassDef) -> None:
        self._owners.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = ".".join(
            [name + (".<locals>" if function else "") for name, function in self._names]
            + [node.name.value]
        )
        owner = self._owners[-1] if self._owners else None
        cls = owner if isinstance(owner, cst.ClassDef) else None
        self.bodies[node] = _Body(qualname, cls)
        if cls is not None:
            self.methods.setdefault((cls, node.name.value), []).append(node)
            positional = (*node.params.posonly_params, *node.params.params)
            if positional:
                self.first_params[positional[0]] = (node, cls)
        self._names.append((node.name.value, True))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._names.pop()

    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self._owners.append(node)

    def leave_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self._owners.pop()

    def visit_Call(self, node: cst.Call) -> None:
        owner = self._owners[-1] if self._owners else None
        if isinstance(owner, cst.FunctionDef):
            self.bodies[owner].calls.append(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, _Binding(node.value, None))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target, _Binding(node.value, node.annotation.annotation))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target, _Binding(node.value, None, augmented=True))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, _Binding(node.value, None))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name, _Binding(node.item, None))

    def _bind(self, target: cst.BaseExpression, binding: _Binding) -> None:
        owner = self._owners[-1] if self._owners else None
        if isinstance(target, cst.Name):
            self.bindings[target] = binding
            if isinstance(owner, cst.ClassDef):
                self.attributes.setdefault((owner, target.value), []).append(binding)
        elif isinstance(target, cst.Attribute) and isinstance(owner, cst.FunctionDef):
            cls = self.bodies[owner].cls
            positional = (*owner.params.posonly_params, *owner.params.params)
            if (
                cls is not None
                and positional
                and isinstance(target.value, cst.Name)
                and target.value.value == positional[0].name.value
            ):
                self.attributes.setdefault((cls, target.attr.value), []).append(binding)


# -- what names stand for -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Function:
    module: _Module
    node: cst.FunctionDef


@dataclass(frozen=True, slots=True)
class _Class:
    module: _Module
    node: cst.ClassDef
    instance: bool  # an object of the class, rather than the class itself


@dataclass(frozen=True, slots=True)
class _ModuleRef:
    path: str  # a module of the project, or a namespace folder (`pkg/`)


_Target = _Function | _Class | _ModuleRef | str  # str: _PATH or _SOCKET
_Use = tuple[str, str | None, int]  # kind, program, line


@dataclass(frozen=True, slots=True)
class _Summary:
    uses: tuple[_Use, ...]
    callees: tuple[_Function, ...]


class _Resolver:
    """What an expression stands for (a function, class, object or module of the project, a
    Path, a socket), and what a function's calls do."""

    def __init__(self, project: _Project) -> None:
        self.project = project
        self._busy: set[object] = set()  # what is being traced: a cycle traces to nothing

    # -- a function's calls -----------------------------------------------------------------

    def summarize(self, function: _Function) -> _Summary:
        module = function.module
        uses: list[_Use] = []
        callees: list[_Function] = []
        for call in module.bodies[function.node].calls:
            found = self._sink(module, call)
            if found:
                line = module.line(call)
                uses += [(kind, program, line) for kind, program in found]
                continue
            callees += self._callees(module, call)
            # A function passed to a call is passed to be called: asyncio.to_thread(save, x),
            # run_in_executor(None, shutil.rmtree, path), Thread(target=work).
            for arg in call.args:
                if not isinstance(arg.value, cst.Name | cst.Attribute):
                    continue
                passed = self._referenced_sink(module.qualified(arg.value))
                if passed is not None:
                    uses.append((*passed, module.line(arg)))
                    continue
                callees += [t for t in self.what(module, arg.value) if isinstance(t, _Function)]
        return _Summary(tuple(uses), tuple(callees))

    def _callees(self, module: _Module, call: cst.Call) -> list[_Function]:
        found: list[_Function] = []
        for target in self.what(module, call.func):
            if isinstance(target, _Function):
                found.append(target)
            elif isinstance(target, _Class):
                special = "__call__" if target.instance else "__init__"
                found += [t for t in self._member(target, special, 0) if isinstance(t, _Function)]
        return found

    def _sink(self, module: _Module, call: cst.Call) -> list[tuple[str, str | None]]:
        names = module.qualified(call.func)
        runtime = runtime_function(names)
        if runtime in _RUNTIME_RUNNERS:
            return [(EXEC, p) for p in self._command_programs(module, _command(call))]
        if names & _SUBPROCESS:
            return [(EXEC, p) for p in self._subprocess_programs(module, call)]
        if names & _SHELLS:
            return [(EXEC, SHELL)]
        at = next((_PROGRAM_AT[name] for name in names if name in _PROGRAM_AT), None)
        if at is not None:
            program = _argument(call, at, ())
            text = self._literal(module, program) if program is not None else None
            return [(EXEC, _basename(text) if text is not None else None)]
        if names & _NET:
            return [(NET, None)]
        if names & _FS_WRITES:
            return [(FS_WRITE, None)]
        opener = next((_OPENERS[name] for name in names if name in _OPENERS), None)
        if opener is not None:
            return [(FS_WRITE, None)] if self._writes(module, call, opener) else []
        if _OS_OPEN in names:
            return [(FS_WRITE, None)] if self._write_flags(module, call) else []
        if isinstance(call.func, cst.Attribute):
            return self._method_sink(module, call, call.func)
        return []

    def _method_sink(
        self, module: _Module, call: cst.Call, func: cst.Attribute
    ) -> list[tuple[str, str | None]]:
        """A write by a method of a Path, a socket's connection."""
        method = func.attr.value
        receiver = self.what(module, func.value)
        if _PATH in receiver:
            if method == "open":
                return [(FS_WRITE, None)] if self._writes(module, call, 0) else []
            if method in _PATH_WRITES:
                return [(FS_WRITE, None)]
        if _SOCKET in receiver and method in _SOCKET_CONNECTS:
            return [(NET, None)]
        if receiver or isinstance(func.value, cst.SimpleString | cst.FormattedString):
            return []  # traced to something else: its method is not pathlib's
        keywords = {arg.keyword.value for arg in call.args if arg.keyword is not None}
        if method in _PATH_ONLY_WRITES or keywords & _PATH_KEYWORDS.get(method, frozenset()):
            return [(FS_WRITE, None)]
        return []

    def _referenced_sink(self, names: frozenset[str]) -> tuple[str, str | None] | None:
        """The use of a sink passed to a call rather than called (its arguments unseen)."""
        if names & _SHELLS:
            return EXEC, SHELL
        if names & _EXEC_NAMED or runtime_function(names) in _RUNTIME_RUNNERS:
            return EXEC, None
        if names & _NET:
            return NET, None
        if names & _FS_WRITES:
            return FS_WRITE, None
        return None

    # -- files --------------------------------------------------------------------------------

    def _writes(self, module: _Module, call: cst.Call, position: int) -> bool:
        """Whether an open() may write: a mode that writes, or one that is not a literal
        (which cannot be proved read-only). No mode reads, unless `*args` may hold one."""
        mode = _argument(call, position, ("mode",))
        if mode is None:
            return any(arg.star for arg in call.args)
        text = self._literal(module, mode)
        return text is None or bool(_WRITE_MODE & set(text))

    def _write_flags(self, module: _Module, call: cst.Call) -> bool:
        """Whether os.open's flags may write: a write flag, or one it cannot read."""
        flags = _argument(call, 1, ("flags",))
        if flags is None:
            return True
        pending: list[cst.BaseExpression] = [flags]
        while pending:
            flag = pending.pop()
            if isinstance(flag, cst.BinaryOperation) and isinstance(flag.operator, cst.BitOr):
                pending += [flag.left, flag.right]
            elif isinstance(flag, cst.Integer):
                if flag.evaluated_value != 0:  # 0 is O_RDONLY; another number: cannot tell
                    return True
            else:
                names = module.qualified(flag)
                if names & _WRITE_FLAGS or not any(n.startswith("os.O_") for n in names):
                    return True
        return False

    # -- programs -----------------------------------------------------------------------------

    def _subprocess_programs(self, module: _Module, call: cst.Call) -> list[str | None]:
        shell = _argument(call, None, ("shell",))
        if shell is not None:
            truth = _truth(shell)
            if truth is None:
                return [None]
            if truth:
                return [SHELL]
        return self._command_programs(module, _argument(call, 0, ("args",)))

    def _command_programs(
        self, module: _Module, command: cst.BaseExpression | None
    ) -> list[str | None]:
        """The programs an argument list, a script or a command line starts (None: one
        that no literal names)."""
        if command is None:
            return [None]
        value = self._followed(module, command)
        if isinstance(value, cst.List | cst.Tuple):
            commands = [
                e.value for e in value.elements if isinstance(e.value, cst.List | cst.Tuple)
            ]
            if not commands:
                return [self._argv_program(module, value)]
            programs = [self._argv_program(module, c) for c in commands]
            return [p for p in programs if p not in _NOT_PROGRAMS] or [None]
        return [self._line_program(module, value)]

    def _argv_program(self, module: _Module, argv: cst.List | cst.Tuple) -> str | None:
        first = argv.elements[0] if argv.elements else None
        if first is None or isinstance(first, cst.StarredElement):
            return None
        text = self._literal(module, first.value)
        return _basename(text) if text is not None else None

    def _line_program(self, module: _Module, line: cst.BaseExpression) -> str | None:
        """The first word of a command line, when literal text says it and it is a program's
        name (a line read when it runs starts its first word, or a shell)."""
        text, whole = self._leading_text(module, line, 0)
        if _SHELL_SYNTAX.search(text):
            return None  # a pipeline, a list, a redirection...: a script, or a shell
        stripped = text.lstrip()
        words = stripped.split(maxsplit=1)
        if not words or (not whole and len(words) == 1 and stripped == words[0]):
            return None  # the word may go on in what is not literal
        first = words[0]
        if not _PROGRAM_WORD.fullmatch(first) or first in _NOT_PROGRAMS:
            return None
        return _basename(first)

    def _literal(self, module: _Module, expression: cst.BaseExpression) -> str | None:
        text, whole = self._leading_text(module, expression, 0)
        return text if whole else None

    def _leading_text(
        self, module: _Module, expression: cst.BaseExpression, depth: int
    ) -> tuple[str, bool]:
        """The literal text a string expression starts with, and whether that is all of it:
        a literal, an f-string's text before its first field, a `+` of them, the text before
        the first `%s` or `{}` filled in."""
        if depth > _DEPTH:
            return "", False
        value = self._followed(module, expression)
        if isinstance(value, cst.SimpleString):
            literal = value.evaluated_value
            return (literal if isinstance(literal, str) else literal.decode("latin-1")), True
        if isinstance(value, cst.ConcatenatedString) or (
            isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add)
        ):
            left, whole = self._leading_text(module, value.left, depth + 1)
            if not whole:
                return left, False
            right, whole = self._leading_text(module, value.right, depth + 1)
            return left + right, whole
        if isinstance(value, cst.FormattedString):
            text = ""
            for part in value.parts:
                if not isinstance(part, cst.FormattedStringText):
                    return text, False
                text += part.value
            return text, True
        template, marker = None, ""
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Modulo):
            template, marker = value.left, "%"
        elif (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Attribute)
            and value.func.attr.value == "format"
        ):
            template, marker = value.func.value, "{"
        if template is not None:
            text, whole = self._leading_text(module, template, depth + 1)
            return text.partition(marker)[0], whole and marker not in text
        return "", False

    def _followed(self, module: _Module, expression: cst.BaseExpression) -> cst.BaseExpression:
        """What a name assigned once (and maybe added to: `cmd += ...`) was assigned."""
        for _ in range(_DEPTH):
            if not isinstance(expression, cst.Name):
                break
            scope = module.scope(expression)
            if scope is None:
                break
            values = []
            for assignment in scope[expression.value]:
                node = assignment.node if isinstance(assignment, Assignment) else None
                binding = (
                    module.bindings.get(node)
                    if isinstance(node, cst.Name) and not isinstance(assignment, ImportAssignment)
                    else None
                )
                if binding is None or binding.value is None:
                    return expression
                if not binding.augmented:
                    values.append(binding.value)
            if len(values) != 1:
                break
            expression = values[0]
        return expression

    # -- what an expression is ----------------------------------------------------------------

    def what(self, module: _Module, expression: cst.BaseExpression, depth: int = 0) -> set[_Target]:
        if depth > _DEPTH:
            return set()
        if isinstance(expression, cst.Name):
            scope = module.scope(expression)
            if scope is None:
                return set()
            return set(self._assigned(module, scope[expression.value], expression.value, depth))
        if isinstance(expression, cst.Attribute):
            found: set[_Target] = set()
            for base in self.what(module, expression.value, depth + 1):
                found |= self._member(base, expression.attr.value, depth + 1)
            return found
        if isinstance(expression, cst.Call):
            return self._made(module, expression, depth)
        if isinstance(expression, cst.BinaryOperation) and isinstance(
            expression.operator, cst.Divide
        ):
            sides = self.what(module, expression.left, depth + 1) | self.what(
                module, expression.right, depth + 1
            )
            return {_PATH} if _PATH in sides else set()
        return set()

    def _made(self, module: _Module, call: cst.Call, depth: int) -> set[_Target]:
        """What a call returns: a Path, a socket, an object of a project class, what a project
        function's return annotation says."""
        names = module.qualified(call.func)
        if names & _PATH_MAKERS:
            return {_PATH}
        if _SOCKET_CLASS in names:
            return {_SOCKET}
        func = call.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in _PATH_METHODS
            and _PATH in self.what(module, func.value, depth + 1)
        ):
            return {_PATH}
        found: set[_Target] = set()
        for callee in self.what(module, func, depth + 1):
            if isinstance(callee, _Class) and not callee.instance:
                found.add(_Class(callee.module, callee.node, instance=True))
            elif isinstance(callee, _Function) and callee.node.returns is not None:
                found |= self._annotated(callee.module, callee.node.returns.annotation, depth + 1)
        return found

    def _annotated(
        self, module: _Module, annotation: cst.BaseExpression, depth: int
    ) -> set[_Target]:
        """What a value annotated so is: `Path`, `Path | None`, `Optional[Store]`, `Store`."""
        if depth > _DEPTH:
            return set()
        names = module.qualified(annotation)
        if names & {f"pathlib.{cls}" for cls in _PATH_CLASSES}:
            return {_PATH}
        if _SOCKET_CLASS in names:
            return {_SOCKET}
        if isinstance(annotation, cst.BinaryOperation) and isinstance(
            annotation.operator, cst.BitOr
        ):
            return self._annotated(module, annotation.left, depth + 1) | self._annotated(
                module, annotation.right, depth + 1
            )
        if isinstance(annotation, cst.Subscript):  # Optional[X], Union[X, Y]
            found: set[_Target] = set()
            for element in annotation.slice:
                if isinstance(element.slice, cst.Index):
                    found |= self._annotated(module, element.slice.value, depth + 1)
            return found
        return {
            _Class(t.module, t.node, instance=True)
            for t in self.what(module, annotation, depth + 1)
            if isinstance(t, _Class)
        }

    def _assigned(
        self, module: _Module, assignments: Iterable[BaseAssignment], name: str, depth: int
    ) -> frozenset[_Target]:
        found: set[_Target] = set()
        for assignment in assignments:
            if isinstance(assignment, ImportAssignment):
                found |= self._imported(module, assignment.node, name, depth)
            elif isinstance(assignment, Assignment):
                found |= self._assignment(module, assignment.node, depth)
        return frozenset(found)

    def _assignment(self, module: _Module, node: cst.CSTNode, depth: int) -> set[_Target]:
        if isinstance(node, cst.FunctionDef):
            return {_Function(module, node)}
        if isinstance(node, cst.ClassDef):
            return {_Class(module, node, instance=False)}
        if isinstance(node, cst.Param):
            return self._parameter(module, node, depth)
        binding = module.bindings.get(node) if isinstance(node, cst.Name) else None
        if binding is None or binding.augmented:
            return set()
        key = ("binding", node)
        if key in self._busy:
            return set()
        self._busy.add(key)
        try:
            found: set[_Target] = set()
            if binding.value is not None:
                found |= self.what(module, binding.value, depth + 1)
            if binding.annotation is not None:
                found |= self._annotated(module, binding.annotation, depth + 1)
            return found
        finally:
            self._busy.discard(key)

    def _parameter(self, module: _Module, param: cst.Param, depth: int) -> set[_Target]:
        """`self` or `cls` of a method: the class; another parameter: its annotation."""
        method = module.first_params.get(param)
        if method is not None:
            function, cls = method
            decorators = {
                name for d in function.decorators for name in module.qualified(d.decorator)
            }
            if "builtins.staticmethod" not in decorators:
                instance = "builtins.classmethod" not in decorators
                return {_Class(module, cls, instance=instance)}
        if param.annotation is not None:
            return self._annotated(module, param.annotation.annotation, depth + 1)
        return set()

    def _imported(self, module: _Module, node: cst.CSTNode, name: str, depth: int) -> set[_Target]:
        layout = self.project.layout
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = _dotted(alias.name)
                bound = _dotted(alias.asname.name) if alias.asname is not None else None
                if bound == name or (
                    bound is None and (full == name or full.startswith(f"{name}."))
                ):
                    path = layout.resolve(module.path, full if bound else name, 0)
                    return {_ModuleRef(path)} if path is not None else set()
        elif isinstance(node, cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            source = _dotted(node.module) if node.module is not None else None
            for alias in node.names:
                imported = _dotted(alias.name)
                bound = _dotted(alias.asname.name) if alias.asname is not None else imported
                if bound == name:
                    base = layout.resolve(module.path, source, len(node.relative))
                    return self._top_level(base, imported, depth + 1) if base else set()
        return set()

    def _top_level(self, path: str, name: str, depth: int) -> set[_Target]:
        """What top-level name `name` of module `path` is (a submodule, for a package)."""
        key = ("top", path, name)
        if key in self._busy or depth > _DEPTH:
            return set()
        self._busy.add(key)
        try:
            module = self.project.module(path) if not path.endswith("/") else None
            assignments = module.global_scope[name] if module is not None else set()
            if module is not None and assignments:
                return set(self._assigned(module, assignments, name, depth + 1))
            if path.endswith("/") or (module is not None and module.is_package()):
                submodule = self.project.layout.submodule(path, name)
                if submodule is not None:
                    return {_ModuleRef(submodule)}
            return set()
        finally:
            self._busy.discard(key)

    def _member(self, base: _Target, name: str, depth: int) -> set[_Target]:
        """What attribute `name` of `base` is: a module's name, a class's method (through the
        project's base classes), an object's attribute as its class assigns it."""
        if depth > _DEPTH:
            return set()
        if isinstance(base, _ModuleRef):
            return self._top_level(base.path, name, depth + 1)
        if base == _PATH and name == "parent":
            return {_PATH}
        if not isinstance(base, _Class):
            return set()
        key = ("member", base.node, name)
        if key in self._busy:
            return set()
        self._busy.add(key)
        try:
            module, cls = base.module, base.node
            methods = module.methods.get((cls, name))
            if methods:
                return {_Function(module, method) for method in methods}
            found: set[_Target] = set()
            for binding in module.attributes.get((cls, name), ()):
                if binding.value is not None:
                    found |= self.what(module, binding.value, depth + 1)
                if binding.annotation is not None:
                    found |= self._annotated(module, binding.annotation, depth + 1)
            if found:
                return found
            for parent in cls.bases:
                for target in self.what(module, parent.value, depth + 1):
                    if isinstance(target, _Class):
                        inherited = _Class(target.module, target.node, base.instance)
                        found |= self._member(inherited, name, depth + 1)
            return found
        finally:
            self._busy.discard(key)


# -- helpers --------------------------------------------------------------------------------------


def _argument(
    call: cst.Call, position: int | None, keywords: tuple[str, ...]
) -> cst.BaseExpression | None:
    """The argument given for a parameter, by keyword or at `position` among the positional
    ones (before any `*args`)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    if position is None:
        return None
    positional = []
    for arg in call.args:
        if arg.star:
            break
        if arg.keyword is None:
            positional.append(arg.value)
    return positional[position] if position < len(positional) else None


def _command(call: cst.Call) -> cst.BaseExpression | None:
    return _argument(call, 0, _COMMAND_KEYWORDS)


def _truth(expression: cst.BaseExpression) -> bool | None:
    if isinstance(expression, cst.Name) and expression.value in ("True", "False"):
        return expression.value == "True"
    if isinstance(expression, cst.Integer):
        return expression.evaluated_value != 0
    return None


def _basename(path: str) -> str | None:
    return path.strip().rpartition("/")[2] or None


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return node.value if isinstance(node, cst.Name) else ""

"""What counts as a use in the static reading of a handler (harden/permissions/static.py): the
calls that can write files, run programs or use the network, and the rules their arguments obey.

- `fs:write`: open() and its kin with a mode that writes, or one that is not a literal;
  os.open with write flags, or flags it cannot read; os.remove/rename/mkdir/chmod/... and
  shutil's copies, moves and rmtree; pathlib's write_text/touch/mkdir/unlink/rename/...
  tempfile's functions are not counted: they make fresh files and folders, named by nobody
  else, in the temporary folder, which change nothing a client or another tool sees (the
  hidden write path the inventory looks for); a write there by name (open("/tmp/x", "w")) is.
- `exec`: subprocess, os.system/popen/exec*/spawn*/posix_spawn*, asyncio's subprocesses and
  harden's own shell-free helpers (harden_runtime.run, ...), with the program's name when a
  literal says it (programs.py): "sh" for anything a shell runs.
- `net`: urllib, http.client, socket connections and name lookups, requests, httpx, aiohttp.

A pathlib method is counted on an object traced to a Path (resolution.py), or when its name or
keywords are pathlib's alone (write_text, `mkdir(parents=True)`). It judges one call at a time:
it never follows a call into the project's functions (static.py does), and never imports or
runs the code.
"""

from __future__ import annotations

from collections.abc import Mapping

import libcst as cst

from harden.codemods.runtime_import import runtime_function
from harden.permissions.arguments import argument, literal
from harden.permissions.parsed_modules import ParsedModule
from harden.permissions.programs import SHELL, command_programs, named_program, subprocess_programs
from harden.permissions.resolution import PATH, PATH_CLASSES, SOCKET, Resolver
from harden.permissions.uses import EXEC, FS_WRITE, NET

Capability = tuple[str, str | None]  # kind, and for exec the program when a literal says it

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
    | {f"pathlib.{cls}.{name}" for cls in PATH_CLASSES for name in _PATH_WRITES}
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
    **{f"pathlib.{cls}.open": 0 for cls in PATH_CLASSES},
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
_SOCKET_CONNECTS = frozenset({"connect", "connect_ex"})


def call_uses(resolver: Resolver, module: ParsedModule, call: cst.Call) -> list[Capability]:
    """What a call can do, as a sink ([]: it is no sink, or one whose arguments say it does
    nothing, such as open() for reading)."""
    names = module.qualified(call.func)
    runtime = runtime_function(names)
    if runtime in _RUNTIME_RUNNERS:
        return [(EXEC, p) for p in command_programs(module, _command(call))]
    if names & _SUBPROCESS:
        return [(EXEC, p) for p in subprocess_programs(module, call)]
    if names & _SHELLS:
        return [(EXEC, SHELL)]
    at = next((_PROGRAM_AT[name] for name in names if name in _PROGRAM_AT), None)
    if at is not None:
        return [(EXEC, named_program(module, argument(call, at, ())))]
    if names & _NET:
        return [(NET, None)]
    if names & _FS_WRITES:
        return [(FS_WRITE, None)]
    opener = next((_OPENERS[name] for name in names if name in _OPENERS), None)
    if opener is not None:
        return [(FS_WRITE, None)] if _writes(module, call, opener) else []
    if _OS_OPEN in names:
        return [(FS_WRITE, None)] if _write_flags(module, call) else []
    if isinstance(call.func, cst.Attribute):
        return _method_uses(resolver, module, call, call.func)
    return []


def passed_use(names: frozenset[str]) -> Capability | None:
    """The use of a sink passed to a call rather than called (its arguments unseen), by the
    sink's qualified names."""
    if names & _SHELLS:
        return EXEC, SHELL
    if names & _EXEC_NAMED or runtime_function(names) in _RUNTIME_RUNNERS:
        return EXEC, None
    if names & _NET:
        return NET, None
    if names & _FS_WRITES:
        return FS_WRITE, None
    return None


def _method_uses(
    resolver: Resolver, module: ParsedModule, call: cst.Call, func: cst.Attribute
) -> list[Capability]:
    """A write by a method of a Path, a socket's connection."""
    method = func.attr.value
    receiver = resolver.what(module, func.value)
    if PATH in receiver:
        if method == "open":
            return [(FS_WRITE, None)] if _writes(module, call, 0) else []
        if method in _PATH_WRITES:
            return [(FS_WRITE, None)]
    if SOCKET in receiver and method in _SOCKET_CONNECTS:
        return [(NET, None)]
    if receiver or isinstance(func.value, cst.SimpleString | cst.FormattedString):
        return []  # traced to something else: its method is not pathlib's
    keywords = {arg.keyword.value for arg in call.args if arg.keyword is not None}
    if method in _PATH_ONLY_WRITES or keywords & _PATH_KEYWORDS.get(method, frozenset()):
        return [(FS_WRITE, None)]
    return []


def _writes(module: ParsedModule, call: cst.Call, position: int) -> bool:
    """Whether an open() may write: a mode that writes, or one that is not a literal
    (which cannot be proved read-only). No mode reads, unless `*args` may hold one."""
    mode = argument(call, position, ("mode",))
    if mode is None:
        return any(arg.star for arg in call.args)
    text = literal(module, mode)
    return text is None or bool(_WRITE_MODE & set(text))


def _write_flags(module: ParsedModule, call: cst.Call) -> bool:
    """Whether os.open's flags may write: a write flag, or one it cannot read."""
    flags = argument(call, 1, ("flags",))
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


def _command(call: cst.Call) -> cst.BaseExpression | None:
    return argument(call, 0, _COMMAND_KEYWORDS)

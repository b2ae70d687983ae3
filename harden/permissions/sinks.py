"""What counts as a use in the static reading of a handler (harden/permissions/static.py): the
calls that can write files, run programs or use the network, and the rules their arguments obey.

- `fs:write`: open() and its kin (os.fdopen among them) with a mode that writes, or one that is
  not a literal; os.open with write flags, or flags it cannot read; os.write, os.remove/rename/
  mkdir/chmod/... and shutil's copies, moves and rmtree; pathlib's write_text/touch/mkdir/
  unlink/rename/... A database in a file: sqlite3.connect (and aiosqlite's), unless the
  database is ":memory:" (or "", a temporary file); dbm.open and shelve.open with a flag that
  may write (shelve's default "c" does, dbm's "r" does not); sqlalchemy's engines for a URL
  whose literal text starts `sqlite:` or `sqlite+driver:`.
  tempfile's functions are not counted: they make fresh files and folders, named by nobody
  else, in the temporary folder, which change nothing a client or another tool sees (the
  hidden write path the inventory looks for); a write there by name (open("/tmp/x", "w")) is.
- `exec`: subprocess, os.system/popen/exec*/spawn*/posix_spawn*, asyncio's subprocesses and
  harden's own shell-free helpers (harden_runtime.run, ...), with the program's name when a
  literal says it (programs.py): "sh" for anything a shell runs.
- `net`: urllib, http.client, socket connections and name lookups, requests, httpx, aiohttp,
  urllib3, smtplib, ftplib, websockets, grpc's channels; the clients of databases and
  services reached over the network (psycopg, psycopg2, asyncpg, pymysql, MySQLdb, redis,
  pymongo, motor, boto3, paramiko's SSHClient().connect), made or told where to connect;
  sqlalchemy's engines for any other URL, as for one whose scheme no literal says.

A pathlib method is counted on an object traced to a Path (resolution.py), or when its name or
keywords are pathlib's alone (write_text, `mkdir(parents=True)`); the methods that connect a
socket, an SSH client or a boto3 session, on an object traced to one. A callable is known by
its qualified name, so a name the module does not import is nobody's. It judges one call at a
time: it never follows a call into the project's functions (static.py does), and never imports
or runs the code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import libcst as cst

from harden.codemods.runtime_import import runtime_function
from harden.permissions.arguments import argument, leading_text, literal
from harden.permissions.parsed_modules import ParsedModule
from harden.permissions.programs import SHELL, command_programs, named_program, subprocess_programs
from harden.permissions.resolution import PATH, PATH_CLASSES, Outside, Resolver
from harden.permissions.uses import EXEC, FS_WRITE, NET

Capability = tuple[str, str | None]  # kind, and for exec the program when a literal says it


def _qualified(names: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """The qualified names of a table of module -> the names it defines."""
    return frozenset(f"{module}.{name}" for module, found in names.items() for name in found)


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
_FS_WRITES = _qualified(
    {
        "os": (
            "write",
            "writev",
            "pwrite",
            "pwritev",
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
            "ftruncate",
            "symlink",
            "link",
            "mkfifo",
            "mknod",
        ),
        "shutil": (
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
        ),
        **{f"pathlib.{cls}": _PATH_WRITES for cls in PATH_CLASSES},
    }
)


@dataclass(frozen=True, slots=True)
class _Mode:
    """Where an opener takes its mode, the mode it opens with when given none, and the mode's
    letters that write."""

    position: int  # among the positional arguments
    keyword: str
    default: str
    writing: frozenset[str]


_FILE_MODE = _Mode(1, "mode", "r", frozenset("wax+"))
_PATH_MODE = _Mode(0, "mode", "r", frozenset("wax+"))
# dbm's flags: "r" reads; "w" writes, "c" creates, "n" starts anew.
_DBM_FLAG = _Mode(1, "flag", "r", frozenset("wcn"))
_CREATING_DBM_FLAG = _Mode(1, "flag", "c", frozenset("wcn"))
# Callables that open a file, or a database in files, for what their mode says.
_OPENERS: Mapping[str, _Mode] = {
    **dict.fromkeys(
        (
            "builtins.open",
            "io.open",
            "os.fdopen",
            "codecs.open",
            "gzip.open",
            "bz2.open",
            "lzma.open",
            "tarfile.open",
            "zipfile.ZipFile",
        ),
        _FILE_MODE,
    ),
    **{f"pathlib.{cls}.open": _PATH_MODE for cls in PATH_CLASSES},
    **dict.fromkeys(("dbm.open", "dbm.gnu.open", "dbm.ndbm.open", "dbm.sqlite3.open"), _DBM_FLAG),
    **dict.fromkeys(("dbm.dumb.open", "shelve.open", "shelve.DbfilenameShelf"), _CREATING_DBM_FLAG),
}
_OS_OPEN = "os.open"
_WRITE_FLAGS = frozenset(
    f"os.{flag}"
    for flag in ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND", "O_EXCL", "O_TMPFILE")
)
# Callables that open the database file their first argument (`database=`) names: sqlite
# creates it, and what runs on the connection may write it. One in memory, or "" (a temporary
# file nobody names), changes nothing another sees, like tempfile's.
_DATABASE_FILES = frozenset({"sqlite3.connect", "sqlite3.dbapi2.connect", "aiosqlite.connect"})
_PRIVATE_DATABASES = frozenset({":memory:", ""})
# Engines given a database URL (`url=`): sqlite's is a file, any other a server's.
_DATABASE_URLS = frozenset(
    {
        "sqlalchemy.create_engine",
        "sqlalchemy.engine.create_engine",
        "sqlalchemy.ext.asyncio.create_async_engine",
    }
)
_SQLITE = "sqlite"

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
_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
_REDIS_CLIENTS = ("Redis", "StrictRedis", "from_url", "Redis.from_url", "RedisCluster", "Sentinel")
_GRPC_CHANNELS = ("insecure_channel", "secure_channel")
_WEBSOCKETS_CONNECT = ("connect",)
_NET = _qualified(
    {
        "urllib.request": ("urlopen", "urlretrieve"),
        "http.client": ("HTTPConnection", "HTTPSConnection"),
        "socket": ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"),
        "asyncio": ("open_connection",),
        "aiohttp": ("ClientSession", "request"),
        "requests": (*_HTTP_VERBS, "Session", "session"),
        "requests.api": _HTTP_VERBS,
        "requests.sessions": ("Session",),
        "httpx": (*_HTTP_VERBS, "stream", "Client", "AsyncClient"),
        "urllib3": (
            "request",
            "PoolManager",
            "ProxyManager",
            "connection_from_url",
            "HTTPConnectionPool",
            "HTTPSConnectionPool",
        ),
        "smtplib": ("SMTP", "SMTP_SSL", "LMTP"),
        "ftplib": ("FTP", "FTP_TLS"),
        "websockets": _WEBSOCKETS_CONNECT,
        "websockets.client": _WEBSOCKETS_CONNECT,
        "websockets.asyncio.client": _WEBSOCKETS_CONNECT,
        "websockets.sync.client": _WEBSOCKETS_CONNECT,
        "grpc": _GRPC_CHANNELS,
        "grpc.aio": _GRPC_CHANNELS,
        # Clients of databases and services: counted when made, though some connect later.
        "psycopg": ("connect", "Connection.connect", "AsyncConnection.connect"),
        "psycopg2": ("connect",),
        "asyncpg": ("connect", "create_pool"),
        "pymysql": ("connect", "Connect"),
        "MySQLdb": ("connect", "Connect"),
        "redis": _REDIS_CLIENTS,
        "redis.asyncio": _REDIS_CLIENTS,
        "pymongo": ("MongoClient", "AsyncMongoClient"),
        "motor.motor_asyncio": ("AsyncIOMotorClient",),
        "motor.motor_tornado": ("MotorClient",),
        "boto3": ("client", "resource"),
    }
)
# Outside classes whose objects connect by these methods, once made and told where: objects
# traced to them by resolution.py (which traces the classes named here).
_CONNECTING_METHODS: Mapping[str, frozenset[str]] = {
    "socket.socket": frozenset({"connect", "connect_ex"}),
    **dict.fromkeys(("paramiko.SSHClient", "paramiko.client.SSHClient"), frozenset({"connect"})),
    **dict.fromkeys(("boto3.Session", "boto3.session.Session"), frozenset({"client", "resource"})),
}
TRACED_CLASSES = frozenset(_CONNECTING_METHODS)


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
    if names & _DATABASE_FILES:
        database = argument(call, 0, ("database",))
        private = database is not None and literal(module, database) in _PRIVATE_DATABASES
        return [] if private else [(FS_WRITE, None)]
    if names & _DATABASE_URLS:
        return _url_uses(module, argument(call, 0, ("url",)))
    mode = next((_OPENERS[name] for name in names if name in _OPENERS), None)
    if mode is not None:
        return [(FS_WRITE, None)] if _writes(module, call, mode) else []
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
    """A write by a Path's method; a connection by one of an outside object it traces."""
    method = func.attr.value
    receiver = resolver.what(module, func.value)
    if PATH in receiver:
        if method == "open":
            return [(FS_WRITE, None)] if _writes(module, call, _PATH_MODE) else []
        if method in _PATH_WRITES:
            return [(FS_WRITE, None)]
    if any(
        method in _CONNECTING_METHODS[target.cls]
        for target in receiver
        if isinstance(target, Outside)
    ):
        return [(NET, None)]
    if receiver or isinstance(func.value, cst.SimpleString | cst.FormattedString):
        return []  # traced to something else: its method is not pathlib's
    keywords = {arg.keyword.value for arg in call.args if arg.keyword is not None}
    if method in _PATH_ONLY_WRITES or keywords & _PATH_KEYWORDS.get(method, frozenset()):
        return [(FS_WRITE, None)]
    return []


def _writes(module: ParsedModule, call: cst.Call, mode: _Mode) -> bool:
    """Whether an opener may write: a mode that writes, or one that is not a literal (which
    cannot be proved read-only). No mode is the default, unless `*args` may hold one."""
    given = argument(call, mode.position, (mode.keyword,))
    if given is not None:
        text = literal(module, given)
    else:
        text = None if any(arg.star for arg in call.args) else mode.default
    return text is None or bool(mode.writing & set(text))


def _url_uses(module: ParsedModule, url: cst.BaseExpression | None) -> list[Capability]:
    """What an engine for a database URL uses: sqlite's file (none in memory), or the
    network, also when no literal spells the URL's scheme."""
    text, whole = leading_text(module, url) if url is not None else ("", False)
    scheme, known, rest = text.partition("://")
    if not known or scheme.partition("+")[0] != _SQLITE:  # sqlite+aiosqlite:// is sqlite's
        return [(NET, None)]
    database = rest.removeprefix("/").partition("?")[0]  # sqlite:///:memory:, sqlite://
    return [] if whole and database in _PRIVATE_DATABASES else [(FS_WRITE, None)]


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

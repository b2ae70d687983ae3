"""What each MCP handler's code can do, read statically (harden/permissions/static.py).

The projects are laid out as real servers are: fixtures/permissions/static/workshop spreads its
tools over a package (decorators on an imported server, a register function taking the server,
a factory, an object whose methods are tools, plain functions registered by another module,
`from __future__ import annotations`, `TYPE_CHECKING` imports) and is read as each SDK line
spells its server; a low-level server is read as mcp 1.x and 2.x register it. Small modules pin
each rule: what counts, what does not, the programs named, aliases and shadowing names. The
example servers of fixtures/servers and fixtures/compat are read as they are.
"""

from __future__ import annotations

import builtins
import io
import re
import textwrap
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from harden.mcp import Framework, HandlerKind
from harden.permissions.static import HandlerSource, StaticUse, project_handlers
from harden.permissions.uses import EXEC, FS_WRITE, NET

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
WORKSHOP = FIXTURES / "permissions" / "static"
MCP1 = Framework.MCP1_FASTMCP
MCP2 = Framework.MCP2_MCPSERVER
FASTMCP = Framework.FASTMCP

# How each SDK line imports and names its server (the workshop is written for mcp 1.x).
SPELLINGS = {
    MCP1: ("mcp.server.fastmcp", "FastMCP"),
    MCP2: ("mcp.server.mcpserver", "MCPServer"),
    FASTMCP: ("fastmcp", "FastMCP"),
}


def read_tree(root: Path) -> list[tuple[str, str]]:
    return [
        (path.relative_to(root).as_posix(), path.read_text(encoding="utf-8"))
        for path in sorted(root.rglob("*.py"))
    ]


def workshop(framework: Framework) -> list[tuple[str, str]]:
    module, cls = SPELLINGS[framework]
    return [
        (
            path,
            re.sub(r"\bFastMCP\b", cls, text.replace("from mcp.server.fastmcp", f"from {module}")),
        )
        for path, text in read_tree(WORKSHOP)
    ]


def by_name(sources: list[HandlerSource]) -> dict[str, HandlerSource]:
    found = {source.name or source.function: source for source in sources}
    assert len(found) == len(sources), "names are unique in these projects"
    return found


def project(modules: dict[str, str]) -> dict[str, HandlerSource]:
    return by_name(project_handlers([(p, textwrap.dedent(t)) for p, t in modules.items()]))


def summary(source: HandlerSource) -> set[tuple[str, str | None, str]]:
    """(kind, program, via) of each use."""
    return {(use.kind, use.program, use.via) for use in source.uses}


# -- the workshop package, on every SDK line -------------------------------------------------------

WORKSHOP_USES = {
    "ping": set(),  # the factory's server: a tool that does nothing
    "nothing": set(),
    "shout": set(),  # `run = str.upper` is no subprocess.run
    "read_record": set(),  # open() without a mode reads
    "tidy": {(FS_WRITE, None, "workshop/sweep.py", 10, "workshop.sweep.sweep")},  # a cycle
    "history": {(EXEC, "git", "workshop/shell.py", 8, "workshop.shell.git")},
    "listing": {(EXEC, "ls", "workshop/tools/programs.py", 23, "")},
    "build": {(EXEC, "sh", "workshop/shell.py", 12, "workshop.shell.make")},
    "save_record": {
        (FS_WRITE, None, "workshop/store.py", 21, "workshop.store.Store.save"),
        (FS_WRITE, None, "workshop/store.py", 22, "workshop.store.Store.save"),
    },
    "archive": {
        (FS_WRITE, None, "workshop/tools/records.py", 28, ""),  # shutil as files: files.copy
        (FS_WRITE, None, "workshop/tools/records.py", 29, ""),  # from os import remove as rm
    },
    "log": {(FS_WRITE, None, "workshop/store.py", 32, "workshop.store.append_log")},
    "quote": {(NET, None, "workshop/web.py", 9, "workshop.web.price")},
    "reachable": {
        (
            NET,
            None,
            "workshop/tools/suppliers.py",
            28,
            "workshop.tools.suppliers.Supplier._connects",
        )
    },
}


@pytest.mark.parametrize("framework", [MCP1, MCP2, FASTMCP])
def test_workshop_on_every_high_level_sdk(framework: Framework) -> None:
    found = by_name(project_handlers(workshop(framework)))
    assert found.keys() == WORKSHOP_USES.keys()
    for name, expected in WORKSHOP_USES.items():
        source = found[name]
        assert source.kind is HandlerKind.TOOL
        assert source.frameworks == frozenset({framework}), name
        assert {(u.kind, u.program, u.path, u.line, u.via) for u in source.uses} == expected, name


def test_workshop_handlers_say_where_their_functions_are() -> None:
    found = by_name(project_handlers(workshop(MCP1)))
    where = {name: (s.function, s.path, s.line) for name, s in found.items()}
    assert where["save_record"] == ("save", "workshop/tools/records.py", 19)  # the `def` line
    assert where["history"] == ("history", "workshop/tools/programs.py", 16)  # nested in register
    assert where["quote"] == ("quote", "workshop/tools/suppliers.py", 17)  # a method
    assert where["tidy"] == ("tidy", "workshop/plain.py", 6)  # registered by server.py
    assert where["nothing"] == ("noop", "workshop/plain.py", 12)
    assert where["ping"] == ("ping", "workshop/factory.py", 10)


def test_fastmcp_tool_from_function() -> None:
    extra = """\
        from fastmcp.tools import Tool

        from .app import mcp
        from .sweep import sweep


        def clear(folder: str) -> str:
            sweep(folder, 0)
            return folder


        mcp.add_tool(Tool.from_function(clear, name="clear_folder"))
    """
    files = [*workshop(FASTMCP), ("workshop/extra.py", textwrap.dedent(extra))]
    source = by_name(project_handlers(files))["clear_folder"]
    assert (source.function, source.frameworks) == ("clear", frozenset({FASTMCP}))
    assert summary(source) == {(FS_WRITE, None, "workshop.sweep.sweep")}


# -- the low-level server ------------------------------------------------------------------------

JOBS = """\
    import asyncio

    import httpx


    async def status(job: str) -> str:
        async with httpx.AsyncClient(base_url="http://127.0.0.1:8080") as client:
            return (await client.get(f"/jobs/{job}")).text


    async def start(job: str) -> int:
        process = await asyncio.create_subprocess_exec("nice", "-n", "10", "make", job)
        return await process.wait()
"""
DISPATCH = """\
    if name == "status":
        text = await status(arguments["job"])
    else:
        text = str(await start(arguments["job"]))
    return [types.TextContent(type="text", text=text)]
"""


def test_lowlevel_call_tool_with_decorators() -> None:
    found = project(
        {
            "bench/__init__.py": "",
            "bench/jobs.py": JOBS,
            "bench/app.py": 'from mcp.server.lowlevel import Server\n\nserver = Server("bench")\n',
            "bench/handlers.py": (
                "import mcp.types as types\n\nfrom .app import server\n"
                "from .jobs import start, status\n\n\n@server.call_tool()\n"
                "async def handle_call_tool(name, arguments):\n"
                + textwrap.indent(textwrap.dedent(DISPATCH), "    ")
            ),
        }
    )
    source = found["handle_call_tool"]
    assert (source.name, source.kind) == (None, HandlerKind.LOWLEVEL_CALL_TOOL)
    assert source.frameworks == frozenset({Framework.LOWLEVEL_V1})
    assert summary(source) == {(EXEC, "nice", "bench.jobs.start"), (NET, None, "bench.jobs.status")}


def test_lowlevel_call_tool_as_a_constructor_keyword() -> None:
    found = project(
        {
            "bench/__init__.py": "",
            "bench/jobs.py": JOBS,
            "bench/handlers.py": (
                "import mcp.types as types\n\nfrom .jobs import start, status\n\n\n"
                "async def handle_call_tool(ctx, params):\n"
                "    name, arguments = params.name, params.arguments\n"
                + textwrap.indent(textwrap.dedent(DISPATCH), "    ")
            ),
            "bench/app.py": (
                "from mcp.server.lowlevel import Server\n\n"
                "from .handlers import handle_call_tool\n\n"
                'server = Server("bench", on_call_tool=handle_call_tool)\n'
            ),
        }
    )
    source = found["handle_call_tool"]
    assert (source.path, source.frameworks) == (
        "bench/handlers.py",
        frozenset({Framework.LOWLEVEL_V2}),
    )
    assert summary(source) == {(EXEC, "nice", "bench.jobs.start"), (NET, None, "bench.jobs.status")}


# -- the rules, one call at a time ---------------------------------------------------------------


def tool_uses(body: str, imports: str = "") -> set[tuple[str, str | None]]:
    """(kind, program) of what one tool's own body can do."""
    source = (
        f"{textwrap.dedent(imports)}\nfrom mcp.server.fastmcp import FastMCP\n\n"
        'mcp = FastMCP("t")\n\n\n@mcp.tool()\n'
        "async def tool(path: str, mode: str, flags: int, command: str, url: str) -> object:\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
    )
    [handler] = project_handlers([("server.py", source)])
    assert all(use.via == "" and use.path == "server.py" for use in handler.uses)
    return {(use.kind, use.program) for use in handler.uses}


WRITE = {(FS_WRITE, None)}
NOTHING: set[tuple[str, str | None]] = set()


@pytest.mark.parametrize(
    ("imports", "body", "expected"),
    [
        # open() and its kin: a mode that writes, or one that is not a literal
        ("", "open(path, 'w')", WRITE),
        ("", "open(path, mode='a')", WRITE),
        ("", "open(path, 'x')", WRITE),
        ("", "open(path, 'r+b')", WRITE),
        ("", "open(path, mode)", WRITE),
        ("", "open(path, f'{mode}b')", WRITE),
        ("", "open(path, *rest)", WRITE),
        ("", "WRITING = 'wb'\nopen(path, WRITING)", WRITE),
        ("import io", "io.open(path, 'w')", WRITE),
        ("import gzip", "gzip.open(path, 'wt')", WRITE),
        ("import zipfile", "zipfile.ZipFile(path, 'a')", WRITE),
        ("from pathlib import Path", "Path(path).open('w')", WRITE),
        ("from pathlib import Path", "p = Path(path)\np.open(mode)", WRITE),
        ("", "open(path)", NOTHING),
        ("", "open(path, 'rb')", NOTHING),
        ("", "open(path, mode='r', encoding='utf-8')", NOTHING),
        ("", "READING = 'r'\nopen(path, READING)", NOTHING),
        ("import gzip", "gzip.open(path)", NOTHING),
        ("import tarfile", "tarfile.open(path, 'r:gz')", NOTHING),
        ("from pathlib import Path", "Path(path).open()", NOTHING),
        ("from pathlib import Path", "Path(path).read_text()", NOTHING),
        # os.open: its flags
        ("import os", "os.open(path, os.O_WRONLY | os.O_CREAT)", WRITE),
        ("import os", "os.open(path, os.O_RDWR)", WRITE),
        ("import os", "os.open(path, flags)", WRITE),
        ("import os", "os.open(path, os.O_RDONLY | os.O_CLOEXEC)", NOTHING),
        ("import os", "os.open(path, 0)", NOTHING),
        # the file system's other writes
        ("import os", "os.remove(path)", WRITE),
        ("import os", "os.makedirs(path, exist_ok=True)", WRITE),
        ("import os", "os.replace(path, path + '.bak')", WRITE),
        ("import os", "os.chmod(path, 0o600)", WRITE),
        ("import os as _os", "_os.symlink(path, '/srv/link')", WRITE),
        ("from os import rename", "rename(path, '/srv/new')", WRITE),
        ("import shutil", "shutil.rmtree(path)", WRITE),
        ("import shutil", "shutil.copytree(path, '/srv/copy')", WRITE),
        ("from shutil import move as mv", "mv(path, '/srv/moved')", WRITE),
        # pathlib, on what is traced to a Path, or by names and keywords only pathlib has
        ("from pathlib import Path", "Path(path).write_text('x')", WRITE),
        ("from pathlib import Path", "p = Path(path)\np.unlink()", WRITE),
        ("from pathlib import Path", "(Path(path) / 'sub').mkdir()", WRITE),
        ("from pathlib import Path", "Path(path).resolve().parent.rmdir()", WRITE),
        ("from pathlib import Path", "p = Path(path)\np.rename(p.with_suffix('.old'))", WRITE),
        ("from pathlib import Path", "Path.home().joinpath('x').touch()", WRITE),
        ("import pathlib", "pathlib.Path(path).chmod(0o600)", WRITE),
        ("", "target = locate(path)\ntarget.write_bytes(b'')", WRITE),
        ("", "folder = locate(path)\nfolder.mkdir(parents=True)", WRITE),
        ("", "path.replace('a', 'b')", NOTHING),  # a str's replace
        ("", "record = locate(path)\nrecord.rename('a')\nrecord.unlink()", NOTHING),
        ("", "'a/b'.replace('/', '-')", NOTHING),
        # tempfile's fresh files and folders are not counted (see the module's docstring)
        ("import tempfile", "tempfile.NamedTemporaryFile('w', delete=False)", NOTHING),
        ("import tempfile", "tempfile.mkdtemp()\ntempfile.mkstemp()", NOTHING),
        # programs
        ("import subprocess", "subprocess.run(['git', 'status'])", {(EXEC, "git")}),
        ("import subprocess", "subprocess.run(('/usr/bin/rsync', path))", {(EXEC, "rsync")}),
        ("import subprocess", "subprocess.Popen(args=['ffmpeg', '-i', path])", {(EXEC, "ffmpeg")}),
        ("import subprocess", "subprocess.check_output('uptime')", {(EXEC, "uptime")}),
        ("import subprocess", "subprocess.run(f'ls {path}', shell=True)", {(EXEC, "sh")}),
        ("import subprocess", "subprocess.run(['ls', path], shell=True)", {(EXEC, "sh")}),
        ("import subprocess", "subprocess.run(['ls', path], shell=False)", {(EXEC, "ls")}),
        ("import subprocess", "subprocess.run(command, shell=flags)", {(EXEC, None)}),
        ("import subprocess", "subprocess.run(command)", {(EXEC, None)}),
        ("import subprocess", "subprocess.run([command, path])", {(EXEC, None)}),
        ("import subprocess", "subprocess.run([*command])", {(EXEC, None)}),
        (
            "import subprocess",
            "cmd = ['git', 'log']\ncmd += [path]\nsubprocess.run(cmd)",
            {(EXEC, "git")},
        ),
        ("import subprocess", "subprocess.getoutput('df -h')", {(EXEC, "sh")}),
        ("import subprocess as sp", "sp.check_call(['make', 'all'])", {(EXEC, "make")}),
        ("from subprocess import run", "run(['git', 'pull'])", {(EXEC, "git")}),
        ("from subprocess import Popen as P", "P(['tar', 'xf', path])", {(EXEC, "tar")}),
        ("import os", "os.system('reboot')", {(EXEC, "sh")}),
        ("import os", "os.popen(command).read()", {(EXEC, "sh")}),
        ("from os import system", "system(command)", {(EXEC, "sh")}),
        ("import os", "os.execvp('git', ['git', 'gc'])", {(EXEC, "git")}),
        ("import os", "os.spawnl(os.P_WAIT, '/bin/tar', 'tar', 'cf', path)", {(EXEC, "tar")}),
        ("import os", "os.posix_spawn(command, [command], {})", {(EXEC, None)}),
        (
            "import asyncio",
            "await asyncio.create_subprocess_exec('ffprobe', path)",
            {(EXEC, "ffprobe")},
        ),
        ("import asyncio", "await asyncio.create_subprocess_shell(command)", {(EXEC, "sh")}),
        # harden's shell-free runtime, as phase 5 writes it
        ("import harden_runtime", "harden_runtime.run(['git', 'status'])", {(EXEC, "git")}),
        (
            "import harden_runtime",
            "harden_runtime.run([['ps', 'aux'], '|', ['grep', path]], capture_output=True)",
            {(EXEC, "ps"), (EXEC, "grep")},
        ),
        (
            "import harden_runtime",
            "harden_runtime.call([['cd', path], '&&', ['make']])",
            {(EXEC, "make")},
        ),
        ("import harden_runtime", "harden_runtime.run(command, shell=True)", {(EXEC, None)}),
        ("import harden_runtime", "harden_runtime.run('git status', shell=True)", {(EXEC, "git")}),
        ("import harden_runtime", "harden_runtime.system(f'du -sh {path}')", {(EXEC, "du")}),
        ("import harden_runtime", "harden_runtime.popen(f'{command} -v')", {(EXEC, None)}),
        ("import harden_runtime", "harden_runtime.getoutput('ls | wc -l')", {(EXEC, None)}),
        ("import harden_runtime", "harden_runtime.Popen('echo $HOME', shell=True)", {(EXEC, None)}),
        (
            "import harden_runtime",
            "harden_runtime.Popen('echo home', shell=True)",
            {(EXEC, "echo")},
        ),
        (
            "import harden_runtime",
            "harden_runtime.check_output([['echo', harden_runtime.output([['date', '+%F']])]])",
            {(EXEC, "echo"), (EXEC, "date")},
        ),
        # the network
        ("import urllib.request", "urllib.request.urlopen(url)", {(NET, None)}),
        ("from urllib.request import urlopen", "urlopen(url)", {(NET, None)}),
        ("import http.client", "http.client.HTTPSConnection('api.example.com')", {(NET, None)}),
        ("import socket", "socket.create_connection(('db', 5432))", {(NET, None)}),
        ("import socket", "s = socket.socket()\ns.connect(('db', 5432))", {(NET, None)}),
        (
            "import socket",
            "with socket.socket() as s:\n    s.connect_ex(('db', 5432))",
            {(NET, None)},
        ),
        ("import socket", "s = socket.socket()\ns.bind(('', 0))", NOTHING),
        ("import requests", "requests.get(url, timeout=5)", {(NET, None)}),
        ("import requests", "requests.Session().post(url)", {(NET, None)}),
        (
            "import httpx",
            "async with httpx.AsyncClient() as c:\n    await c.get(url)",
            {(NET, None)},
        ),
        ("import httpx as h", "h.post(url)", {(NET, None)}),
        ("import aiohttp", "aiohttp.ClientSession()", {(NET, None)}),
        # files written by other names: a descriptor, databases in files
        ("import os", "os.write(flags, b'x')", WRITE),
        ("from os import write as put", "put(flags, b'x')", WRITE),
        ("import os", "os.fdopen(flags, 'w')", WRITE),
        ("import os", "os.fdopen(flags, mode)", WRITE),
        ("import os", "os.fdopen(flags)", NOTHING),
        ("import os", "os.fdopen(flags, mode='rb')", NOTHING),
        ("import sqlite3", "sqlite3.connect(path).execute('INSERT INTO t VALUES (1)')", WRITE),
        ("import sqlite3", "sqlite3.connect('/srv/app.db')", WRITE),
        ("import sqlite3 as db", "db.connect(database=path)", WRITE),
        ("from sqlite3 import connect", "connect(path)", WRITE),
        ("import aiosqlite", "async with aiosqlite.connect(path) as db:\n    pass", WRITE),
        ("import sqlite3", "sqlite3.connect(':memory:')", NOTHING),
        ("import sqlite3", "MEMORY = ':memory:'\nsqlite3.connect(MEMORY)", NOTHING),
        ("import sqlite3", "sqlite3.connect('')", NOTHING),  # a temporary file nobody names
        ("import dbm", "dbm.open(path, 'c')", WRITE),
        ("import dbm", "dbm.open(path, flag=mode)", WRITE),
        ("import dbm", "dbm.open(path)", NOTHING),  # dbm's default flag reads
        ("import dbm", "dbm.open(path, 'r')", NOTHING),
        ("import dbm.dumb", "dbm.dumb.open(path)", WRITE),  # its default creates
        ("import shelve", "shelve.open(path)", WRITE),
        ("import shelve", "shelve.open(path, flag='n')", WRITE),
        ("import shelve", "shelve.open(path, 'r')", NOTHING),
        # sqlalchemy: sqlite's URL is a file, any other a server
        ("import sqlalchemy", "sqlalchemy.create_engine('sqlite:///app.db')", WRITE),
        (
            "from sqlalchemy.ext.asyncio import create_async_engine",
            "create_async_engine(f'sqlite+aiosqlite:///{path}')",
            WRITE,
        ),
        ("import sqlalchemy", "sqlalchemy.create_engine('sqlite://')", NOTHING),
        ("import sqlalchemy", "sqlalchemy.create_engine(url='sqlite:///:memory:')", NOTHING),
        ("import sqlalchemy", "sqlalchemy.create_engine('postgresql://db/app')", {(NET, None)}),
        ("from sqlalchemy import create_engine as engine", "engine(url)", {(NET, None)}),
        # clients of databases and services reached over the network
        ("import psycopg", "psycopg.connect(url)", {(NET, None)}),
        ("import psycopg", "await psycopg.AsyncConnection.connect(url)", {(NET, None)}),
        ("import psycopg2", "psycopg2.connect(url)", {(NET, None)}),
        ("import asyncpg", "await asyncpg.connect(url)", {(NET, None)}),
        ("import asyncpg", "await asyncpg.create_pool(url)", {(NET, None)}),
        ("import pymysql", "pymysql.connect(host='db')", {(NET, None)}),
        ("import MySQLdb", "MySQLdb.connect(host='db')", {(NET, None)}),
        ("import redis", "redis.Redis(host='cache')", {(NET, None)}),
        ("import redis", "redis.StrictRedis()", {(NET, None)}),
        ("from redis import from_url", "from_url(url)", {(NET, None)}),
        ("import redis.asyncio as aioredis", "aioredis.from_url(url)", {(NET, None)}),
        ("from redis import asyncio as aioredis", "aioredis.Redis()", {(NET, None)}),
        ("from pymongo import MongoClient", "MongoClient(url)", {(NET, None)}),
        (
            "import motor.motor_asyncio",
            "motor.motor_asyncio.AsyncIOMotorClient(url)",
            {(NET, None)},
        ),
        ("import boto3", "boto3.client('s3')", {(NET, None)}),
        ("import boto3", "boto3.resource('dynamodb')", {(NET, None)}),
        ("import boto3", "boto3.Session().client('s3')", {(NET, None)}),
        (
            "import boto3.session",
            "session = boto3.session.Session(profile_name='ops')\nsession.resource('s3')",
            {(NET, None)},
        ),
        ("import boto3", "boto3.Session(profile_name='ops')", NOTHING),  # not told where yet
        ("import smtplib", "smtplib.SMTP('mail.example.com')", {(NET, None)}),
        ("from smtplib import SMTP_SSL", "SMTP_SSL(url, 465)", {(NET, None)}),
        ("import ftplib", "ftplib.FTP(url)", {(NET, None)}),
        ("import urllib3", "urllib3.PoolManager().request('GET', url)", {(NET, None)}),
        ("import urllib3", "urllib3.connection_from_url(url)", {(NET, None)}),
        ("import websockets", "await websockets.connect(url)", {(NET, None)}),
        ("from websockets.sync.client import connect", "connect(url)", {(NET, None)}),
        ("import grpc", "grpc.insecure_channel('localhost:50051')", {(NET, None)}),
        ("import grpc", "grpc.aio.secure_channel(url, None)", {(NET, None)}),
        ("import paramiko", "paramiko.SSHClient().connect(url)", {(NET, None)}),
        (
            "from paramiko import SSHClient",
            "with SSHClient() as ssh:\n    ssh.connect(url, username='ops')",
            {(NET, None)},
        ),
        ("import paramiko", "ssh = paramiko.SSHClient()\nssh.load_system_host_keys()", NOTHING),
        # names the project does not import, or that stand for something else
        ("", "sqlite3.connect(path)", NOTHING),
        ("", "redis.Redis(host='cache')", NOTHING),
        ("from redis import Redis", "Redis = dict\nRedis(host='cache')", NOTHING),
        ("import sqlite3", "def connect(database):\n    return database\nconnect(path)", NOTHING),
        ("import psycopg", "db = locate(path)\ndb.connect(url)", NOTHING),
        (
            "",
            "class SSHClient:\n    def connect(self, host): ...\nSSHClient().connect(url)",
            NOTHING,
        ),
        # shadowing names: never what they are named like
        ("from subprocess import run", "run = print\nrun(['git', 'status'])", NOTHING),
        ("import os", "def system(line):\n    return line\nsystem('reboot')", NOTHING),
        ("", "open = dict\nopen(path, 'w')", NOTHING),
        ("", "subprocess = locate(path)\nsubprocess.run(['git'])", NOTHING),
        # sinks handed to a call to be called
        ("import asyncio, shutil", "await asyncio.to_thread(shutil.rmtree, path)", WRITE),
        (
            "import asyncio, os",
            "loop = asyncio.get_running_loop()\nloop.run_in_executor(None, os.system, command)",
            {(EXEC, "sh")},
        ),
        # nothing at all
        ("", "return path.upper()", NOTHING),
    ],
)
def test_what_a_call_can_do(imports: str, body: str, expected: set[tuple[str, str | None]]) -> None:
    assert tool_uses(body, imports) == expected


def test_a_use_says_where_it_is() -> None:
    [handler] = project_handlers(
        [
            (
                "srv/notes.py",
                "import os\nfrom mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('n')\n\n\n"
                "@mcp.tool()\ndef drop(name: str) -> None:\n    os.remove(\n        name\n    )\n",
            )
        ]
    )
    assert (handler.path, handler.line) == ("srv/notes.py", 8)
    assert handler.uses == (StaticUse(FS_WRITE, None, "srv/notes.py", 9, ""),)


# -- helpers ---------------------------------------------------------------------------------------

APP = """\
    from mcp.server.fastmcp import FastMCP

    mcp = FastMCP("app")
"""


def test_helpers_in_the_module_and_through_imports() -> None:
    found = project(
        {
            "app/__init__.py": "",
            "app/server.py": APP,
            "app/util/__init__.py": "from .files import save as store\n",  # a re-export
            "app/util/files.py": """\
                import os


                def save(path: str, text: str) -> None:
                    with open(path, "w") as fh:
                        fh.write(text)


                def drop(path: str) -> None:
                    os.unlink(path)
            """,
            "app/tools.py": """\
                import app.util.files as files_module
                from app import util

                from .server import mcp
                from .util import files


                def _local(path):
                    return files.drop(path)


                @mcp.tool()
                def write(path: str) -> None:
                    util.store(path, "x")


                @mcp.tool()
                def remove(path: str) -> None:
                    _local(path)


                @mcp.tool()
                def both(path: str) -> None:
                    files_module.save(path, "y")
                    files_module.drop(path)
            """,
        }
    )
    assert summary(found["write"]) == {(FS_WRITE, None, "app.util.files.save")}
    assert summary(found["remove"]) == {(FS_WRITE, None, "app.util.files.drop")}
    assert summary(found["both"]) == {
        (FS_WRITE, None, "app.util.files.save"),
        (FS_WRITE, None, "app.util.files.drop"),
    }


def test_methods_of_self_objects_and_base_classes() -> None:
    found = project(
        {
            "srv/__init__.py": "",
            "srv/server.py": APP,
            "srv/repo.py": """\
                from __future__ import annotations

                import subprocess
                from pathlib import Path


                class Base:
                    def _git(self, *args: str) -> str:
                        return subprocess.check_output(["git", *args], text=True)


                class Repo(Base):
                    def __init__(self, root: Path) -> None:
                        self.root = root

                    def log(self) -> str:
                        return self._git("log")

                    def clean(self) -> None:
                        self.root.unlink()

                    @classmethod
                    def default(cls) -> Repo:
                        return cls(Path("."))

                    @staticmethod
                    def ping(self) -> None:
                        self.clean()
            """,
            "srv/tools.py": """\
                from __future__ import annotations

                from typing import TYPE_CHECKING

                from .repo import Repo
                from .server import mcp

                if TYPE_CHECKING:
                    from pathlib import Path

                REPO = Repo.default()


                class Tools:
                    def __init__(self, repo: Repo) -> None:
                        self.repo = repo
                        mcp.tool()(self.history)

                    def history(self) -> str:
                        return self.repo.log()


                @mcp.tool()
                def clean() -> None:
                    REPO.clean()


                @mcp.tool()
                def made(root: Path) -> None:
                    Repo(root).clean()


                @mcp.tool()
                def ping() -> None:
                    Repo.ping(object())


                Tools(REPO)
            """,
        }
    )
    assert summary(found["history"]) == {(EXEC, "git", "srv.repo.Base._git")}
    assert summary(found["clean"]) == {(FS_WRITE, None, "srv.repo.Repo.clean")}
    assert summary(found["made"]) == {(FS_WRITE, None, "srv.repo.Repo.clean")}
    assert summary(found["ping"]) == set()  # a staticmethod's first parameter is no `self`


def test_nested_functions_callbacks_and_lambdas() -> None:
    found = project(
        {
            "server.py": """\
                import asyncio
                import os
                import threading

                from mcp.server.fastmcp import FastMCP

                mcp = FastMCP("t")


                def _erase(path):
                    os.remove(path)


                def _spawn():
                    os.system("sync")


                @mcp.tool()
                async def erase(path: str) -> None:
                    await asyncio.to_thread(_erase, path)


                @mcp.tool()
                def flush() -> None:
                    threading.Thread(target=_spawn).start()


                @mcp.tool()
                def nested(path: str) -> None:
                    def inner():
                        os.rmdir(path)

                    inner()


                @mcp.tool()
                def defined_only(path: str) -> None:
                    def never_called():
                        os.rmdir(path)


                @mcp.tool()
                def through_a_lambda(paths: list[str]) -> None:
                    list(map(lambda p: os.unlink(p), paths))
            """
        }
    )
    assert summary(found["erase"]) == {(FS_WRITE, None, "server._erase")}
    assert summary(found["flush"]) == {(EXEC, "sh", "server._spawn")}
    assert summary(found["nested"]) == {(FS_WRITE, None, "server.nested.<locals>.inner")}
    assert summary(found["defined_only"]) == set()
    assert summary(found["through_a_lambda"]) == {(FS_WRITE, None, "")}


def test_databases_and_clients_held_by_helpers_and_objects() -> None:
    """The reviewer's case: a tool that inserts into sqlite through a helper writes; an SSH
    client or a boto3 session connects however the code comes to hold it."""
    found = project(
        {
            "server.py": """\
                import sqlite3

                import boto3.session
                import paramiko
                from mcp.server.fastmcp import FastMCP

                mcp = FastMCP("t")
                DATABASE = "/srv/notes.db"


                def _db() -> sqlite3.Connection:
                    return sqlite3.connect(DATABASE)


                def _session() -> boto3.session.Session:
                    return make_session()


                def _open(ssh: paramiko.SSHClient, host: str) -> None:
                    ssh.connect(host)


                class Remote:
                    def __init__(self, host: str) -> None:
                        self.host = host
                        self.ssh = paramiko.SSHClient()

                    def dial(self) -> None:
                        self.ssh.connect(self.host)


                @mcp.tool()
                def add_note(text: str) -> None:
                    with _db() as db:
                        db.execute("INSERT INTO notes VALUES (?)", (text,))


                @mcp.tool()
                def upload(name: str) -> None:
                    _session().client("s3").upload_file(name, "bucket", name)


                @mcp.tool()
                def uptime(host: str) -> None:
                    _open(make_client(), host)
                    Remote(host).dial()
            """
        }
    )
    assert summary(found["add_note"]) == {(FS_WRITE, None, "server._db")}
    assert summary(found["upload"]) == {(NET, None, "")}  # the returned session's client
    assert summary(found["uptime"]) == {
        (NET, None, "server._open"),
        (NET, None, "server.Remote.dial"),
    }


def test_cycles_end_and_report_each_use_once() -> None:
    found = project(
        {
            "server.py": """\
                import os

                from mcp.server.fastmcp import FastMCP

                mcp = FastMCP("t")


                def ping(n):
                    return pong(n - 1) if n else os.remove("/tmp/x")


                def pong(n):
                    return ping(n)


                def again(n):
                    return walk(n)


                @mcp.tool()
                def walk(n: int) -> None:
                    ping(n)
                    ping(n + 1)
                    os.rmdir("/srv/a"); os.rmdir("/srv/b")
                    again(n)


                @mcp.tool()
                def self_recursive(n: int) -> int:
                    return self_recursive(n - 1) if n else 0
            """
        }
    )
    walk = found["walk"]
    assert walk.uses == (
        StaticUse(FS_WRITE, None, "server.py", 9, "server.ping"),
        StaticUse(FS_WRITE, None, "server.py", 24, ""),
    )
    assert found["self_recursive"].uses == ()


def test_unresolved_calls_are_ignored() -> None:
    found = project(
        {
            "server.py": """\
                import importlib

                from mcp.server.fastmcp import FastMCP

                mcp = FastMCP("t")
                HANDLERS = {"erase": lambda p: None}


                @mcp.tool()
                def dynamic(name: str, path: str) -> None:
                    HANDLERS[name](path)
                    getattr(importlib.import_module("os"), name)(path)
                    unknown_function(path)
            """
        }
    )
    assert found["dynamic"].uses == ()


def test_uses_are_sorted_with_and_without_a_program() -> None:
    found = project(
        {
            "server.py": """\
                import os
                import subprocess

                from mcp.server.fastmcp import FastMCP

                mcp = FastMCP("t")


                @mcp.tool()
                def mixed(command: str) -> None:
                    subprocess.run(["git", "gc"])
                    subprocess.run(command)
                    os.system(command)
                    os.remove(command)
                    subprocess.run(["awk", command])
            """
        }
    )
    assert [(u.kind, u.program, u.line) for u in found["mixed"].uses] == [
        (EXEC, None, 12),
        (EXEC, "awk", 15),
        (EXEC, "git", 11),
        (EXEC, "sh", 13),
        (FS_WRITE, None, 14),
    ]


def test_harden_runtime_copies_are_not_read() -> None:
    runtime = "import subprocess\n\n\ndef run(script, **kwargs):\n    subprocess.run(script)\n"
    found = project(
        {
            "pkg/__init__.py": "",
            "pkg/harden_runtime.py": runtime,
            "pkg/server.py": """\
                from mcp.server.fastmcp import FastMCP

                try:
                    from . import harden_runtime
                except ImportError:  # run as a script
                    import harden_runtime

                mcp = FastMCP("t")


                @mcp.tool()
                def status() -> str:
                    return harden_runtime.run(["git", "status"]).stdout
            """,
        }
    )
    assert found["status"].uses == (StaticUse(EXEC, "git", "pkg/server.py", 13, ""),)


# -- the project as a whole ------------------------------------------------------------------------


def test_each_file_is_parsed_once_and_only_when_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    parse = cst.parse_module

    def counting(text: str) -> cst.Module:
        parsed.append(text.partition("\n")[0])
        return parse(text)

    monkeypatch.setattr(cst, "parse_module", counting)
    files = [*workshop(MCP1), ("workshop/unused.py", '"""Called by no tool."""\nimport os\n')]
    project_handlers(files)
    assert len(parsed) == len(set(parsed))
    assert '"""Called by no tool."""' not in parsed
    assert '"""The programs the workshop runs."""' in parsed  # a helper module, followed


def test_it_never_writes_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[tuple[Any, str]] = []
    real_open = builtins.open

    def watched(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        opened.append((file, mode))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watched)
    monkeypatch.setattr(io, "open", watched)
    files = workshop(MCP1)
    assert by_name(project_handlers(files)).keys() == WORKSHOP_USES.keys()
    assert [(f, m) for f, m in opened if set(m) & set("wax+")] == []


def test_files_that_do_not_parse_or_are_not_python_are_skipped() -> None:
    files = [
        *workshop(MCP1),
        ("workshop/broken.py", "from .app import mcp\n\n@mcp.tool()\ndef broken(:\n"),
        ("workshop/README.md", "@mcp.tool()\n"),
    ]
    assert by_name(project_handlers(files)).keys() == WORKSHOP_USES.keys()


def test_a_project_without_handlers() -> None:
    assert project_handlers([("lib.py", "import os\n\n\ndef f():\n    os.remove('x')\n")]) == []
    assert project_handlers([]) == []


# -- the repository's example servers ------------------------------------------------------------


def test_example_servers() -> None:
    sources = project_handlers(read_tree(FIXTURES / "servers"))
    found = {(s.path, s.function): summary(s) for s in sources}
    # Every tool of these servers runs a program or writes a file.
    assert len(found) == 36 and all(found.values())
    ops = "mcp2_mcpserver/ops_server/server.py"
    assert found[(ops, "archive_workspace")] == {
        (EXEC, "sh", "ops_server.commands.ensure_dir"),
        (EXEC, "sh", "ops_server.commands.archive"),
    }
    # commands.run is the project's own function; `shell=use_shell` hides the program
    assert found[(ops, "rollout_restart")] == {(EXEC, None, "ops_server.commands.run")}
    assert found[(ops, "workspace_size")] == {(EXEC, "sh", "")}
    devops = "mcp1_fastmcp/devops_tools.py"
    assert found[(devops, "git_status")] == {(EXEC, "git", "")}
    assert found[(devops, "resolve_host")] == {(EXEC, "sh", "")}  # create_subprocess_shell
    assert found[("fastmcp_standalone/sysinfo_server.py", "kernel_release")] == {
        (EXEC, "uname", "")
    }
    assert found[("fastmcp_standalone/notes_server.py", "create_note")] == {
        (EXEC, "sh", ""),
        (FS_WRITE, None, ""),
    }
    lowlevel = found[("lowlevel/repo_search_server.py", "handle_call_tool")]
    assert (EXEC, "git", "repo_search_server.current_branch") in lowlevel
    assert (EXEC, "sh", "repo_search_server.export_snapshot") in lowlevel
    assert (EXEC, "sh", "") in lowlevel


@pytest.mark.parametrize("line", ["mcp1", "mcp2", "fastmcp"])
def test_compatibility_servers_touch_nothing(line: str) -> None:
    """The compatibility matrix's servers neither write, run a program nor connect."""
    sources = project_handlers(read_tree(FIXTURES / "compat" / line))
    assert len(sources) >= 34
    assert {s.function for s in sources} >= {"list_notes", "ping", "tail", "search"}
    assert [s for s in sources if s.uses] == []

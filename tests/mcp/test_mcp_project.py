"""The project index: servers and registrations followed across the modules of a project.

Each test lays out a small project the way real servers are written, builds the index over it,
and runs handler discovery on each module with the facts the index gives it, as the engine
does: which functions are handlers (and where another module registers them), and which
places stay unresolved, with their reasons.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import FullRepoManager, MetadataWrapper

from harden import engine
from harden.codemods.catalog import ALL_INFO
from harden.mcp import Framework, HandlerKind
from harden.mcp.facts import NO_FACTS, Kind
from harden.mcp.gate import may_register_handlers
from harden.mcp.handlers import Discovery, HandlerProvider
from harden.mcp.modules import Layout
from harden.mcp.project import ProjectIndex, index_project

MCP1 = frozenset({Framework.MCP1_FASTMCP})
MCP2 = frozenset({Framework.MCP2_MCPSERVER})
FASTMCP = frozenset({Framework.FASTMCP})
ROOT = Path(__file__).resolve().parents[2]

APP = """\
    from mcp.server.fastmcp import FastMCP

    mcp = FastMCP("app")
"""


def project(modules: dict[str, str]) -> dict[str, Discovery]:
    """Discovery of every module of a project given as {path: source}, with the index's
    facts."""
    files = [(path, textwrap.dedent(source)) for path, source in modules.items()]
    facts = index_project(files)
    found = {}
    for path, text in files:
        module_facts = facts.get(path, NO_FACTS)
        wrapper = MetadataWrapper(cst.parse_module(text), cache={HandlerProvider: module_facts})
        discovery = wrapper.resolve(HandlerProvider)[wrapper.module]
        if discovery.handlers or discovery.unresolved:
            # The engine shows the finder only files that pass its gate, or that the index
            # says another module registers functions of.
            assert may_register_handlers(ast.parse(text)) or module_facts.elsewhere, path
        found[path] = discovery
    return found


def handlers(discovery: Discovery) -> list[tuple[str, str | None, frozenset[Framework], str]]:
    return [(h.function.name.value, h.name, h.frameworks, h.elsewhere) for h in discovery.handlers]


def reasons(discovery: Discovery) -> list[str]:
    return [u.reason for u in discovery.unresolved]


# -- the server imported from another module ----------------------------------------------------


@pytest.mark.parametrize(
    ("importing", "receiver"),
    [
        ("from ..app import mcp", "mcp"),
        ("from pkg.app import mcp", "mcp"),
        ("from pkg import app as application", "application.mcp"),
        ("import pkg.app as s", "s.mcp"),
        ("import pkg.app", "pkg.app.mcp"),
        ("from pkg import mcp", "mcp"),  # re-exported by the package
        ("from pkg.app import mcp as server", "server"),
    ],
)
def test_a_server_imported_from_another_module(importing: str, receiver: str) -> None:
    found = project(
        {
            "pkg/__init__.py": "from .app import mcp\n",
            "pkg/app.py": APP,
            "pkg/tools/__init__.py": "",
            "pkg/tools/files.py": f"""\
            {importing}


            @{receiver}.tool(name="read")
            def read_file(path: str) -> str:
                return open(path).read()
        """,
        }
    )
    assert handlers(found["pkg/tools/files.py"]) == [("read_file", "read", MCP1, "")]
    assert reasons(found["pkg/tools/files.py"]) == []


def test_a_decorator_held_in_a_variable_on_an_imported_or_handed_down_server() -> None:
    found = project(
        {
            "app.py": APP,
            "tools.py": """\
            from app import mcp

            register = mcp.tool()


            @register
            def lookup(name: str) -> str:
                return name
            """,
            "wiring.py": """\
            def wire(server):
                named = server.tool(name="git_log")

                def log(n: int) -> str:
                    return str(n)

                named(log)
            """,
            "main.py": "from app import mcp\nfrom wiring import wire\n\nwire(mcp)\n",
        }
    )
    assert handlers(found["tools.py"]) == [("lookup", "lookup", MCP1, "")]
    assert handlers(found["wiring.py"]) == [("log", "git_log", MCP1, "")]
    assert reasons(found["tools.py"]) == reasons(found["wiring.py"]) == []


def test_a_server_built_in_init_a_src_layout_and_a_namespace_package() -> None:
    found = project(
        {
            "src/shop/__init__.py": (
                "from mcp.server.mcpserver import MCPServer\n\nmcp = MCPServer('s')\n"
            ),
            "src/shop/tools.py": (
                "from shop import mcp\n\n@mcp.tool()\ndef price(item: str) -> int:\n    return 1\n"
            ),
            # No __init__.py: a namespace package, imported absolutely.
            "plugins/extra/hooks.py": (
                "from plugins.extra.base import mcp\n"
                "\n"
                "@mcp.prompt()\n"
                "def hint() -> str:\n"
                "    return ''\n"
            ),
            "plugins/extra/base.py": "from fastmcp import FastMCP\n\nmcp = FastMCP('x')\n",
        }
    )
    assert handlers(found["src/shop/tools.py"]) == [("price", "price", MCP2, "")]
    assert [(h.function.name.value, h.kind) for h in found["plugins/extra/hooks.py"].handlers] == [
        ("hint", HandlerKind.PROMPT)
    ]


def test_a_copy_of_the_module_nearer_the_importer_wins_and_a_tie_stays_unresolved() -> None:
    server = "from pkg.app import mcp\n\n@mcp.tool()\ndef t() -> str:\n    return ''\n"
    near = project(
        {
            "a/pkg/app.py": APP,
            "a/pkg/__init__.py": "",
            "a/main.py": server,
            "b/pkg/app.py": "mcp = object()\n",
            "b/pkg/__init__.py": "",
        }
    )
    assert handlers(near["a/main.py"]) == [("t", "t", MCP1, "")]
    tie = project(
        {
            "a/pkg/app.py": APP,
            "a/pkg/__init__.py": "",
            "b/pkg/app.py": APP,
            "b/pkg/__init__.py": "",
            "main.py": server,
        }
    )
    assert reasons(tie["main.py"]) == [
        "`mcp` is imported from `pkg.app`; its class is not visible in this module"
    ]


# -- functions taking the server -----------------------------------------------------------------


def test_a_register_function_with_a_string_annotation_under_type_checking() -> None:
    found = project(
        {
            "pods.py": """\
            from __future__ import annotations

            from typing import TYPE_CHECKING

            if TYPE_CHECKING:
                from fastmcp import FastMCP


            def register_pod_tools(server: "FastMCP", namespace: str) -> None:
                @server.tool()
                def pods() -> list[str]:
                    return [namespace]
        """,
        }
    )
    assert handlers(found["pods.py"]) == [("pods", "pods", FASTMCP, "")]


def test_an_unannotated_parameter_every_caller_gives_a_server() -> None:
    register = """\
        def register(server, prefix):
            @server.tool()
            def status() -> str:
                return prefix
    """
    found = project(
        {
            "app.py": APP,
            "tools.py": register,
            # No MCP text at all: found because it calls register(...).
            "main.py": "from app import mcp\nfrom tools import register\n\nregister(mcp, 'a')\n",
            "wiring.py": (
                "import tools\n"
                "from app import mcp\n"
                "\n"
                "def wire():\n"
                "    tools.register(server=mcp, prefix='b')\n"
            ),
        }
    )
    assert handlers(found["tools.py"]) == [("status", "status", MCP1, "")]
    mixed = project(
        {
            "app.py": APP,
            "tools.py": register,
            "main.py": (
                "from app import mcp\n"
                "from tools import register\n"
                "\n"
                "register(mcp, 'a')\n"
                "register(object(), 'b')\n"
            ),
        }
    )
    assert reasons(mixed["tools.py"]) == [
        "`server` is a parameter of `register()` not annotated with a known MCP server class"
    ]


def test_a_server_handed_down_two_functions() -> None:
    found = project(
        {
            "app.py": APP,
            "tools.py": (
                "def register_all(server):\n"
                "    register_one(server)\n"
                "\n"
                "def register_one(server):\n"
                "    @server.tool()\n"
                "    def one() -> int:\n"
                "        return 1\n"
            ),
            "main.py": "from app import mcp\nfrom tools import register_all\n\nregister_all(mcp)\n",
        }
    )
    assert handlers(found["tools.py"]) == [("one", "one", MCP1, "")]


# -- factories -----------------------------------------------------------------------------------


def test_factories_in_the_same_module_and_in_another() -> None:
    found = project(
        {
            "factory.py": """\
            from mcp.server.fastmcp import FastMCP


            def create_server(name: str) -> FastMCP:
                server = FastMCP(name)

                @server.tool()
                def ping() -> str:
                    return "pong"

                return server


            def build():
                made = FastMCP("built")
                return made


            app = build()


            @app.tool()
            def here() -> str:
                return ""
        """,
            "main.py": """\
            from factory import create_server

            app = create_server("main")


            @app.tool()
            def echo(text: str) -> str:
                return text
        """,
        }
    )
    assert handlers(found["factory.py"]) == [("ping", "ping", MCP1, ""), ("here", "here", MCP1, "")]
    assert handlers(found["main.py"]) == [("echo", "echo", MCP1, "")]


# -- functions registered by another module ------------------------------------------------------


def test_functions_registered_by_another_module_are_handlers_where_they_are_defined() -> None:
    found = project(
        {
            "app.py": APP,
            "plain.py": """\
            def word_count(text: str) -> int:
                return len(text.split())


            def tail(name: str) -> str:
                return name


            def shout(text: str) -> str:
                return text.upper()


            def whisper(text: str) -> str:
                return text.lower()


            def helper() -> None:
                pass
        """,
            "server.py": """\
            import plain
            from app import mcp
            from plain import shout, tail, whisper, word_count

            mcp.add_tool(word_count)
            mcp.tool(name="tail_note")(tail)
            for function in [shout, whisper]:
                mcp.add_tool(function)
            mcp.add_tool(plain.word_count, name="count")
        """,
        }
    )
    assert handlers(found["plain.py"]) == [
        ("word_count", "word_count", MCP1, "server.py:5"),
        ("word_count", "count", MCP1, "server.py:9"),
        ("tail", "tail_note", MCP1, "server.py:6"),
        ("shout", "shout", MCP1, "server.py:8"),
        ("whisper", "whisper", MCP1, "server.py:8"),
    ]
    assert found["plain.py"].insertion_index(found["plain.py"].handlers[0].function) == 0
    assert found["server.py"].handlers == () and found["server.py"].unresolved == ()


def test_fastmcp_tool_objects_and_constructor_keywords_with_imported_functions() -> None:
    found = project(
        {
            "tools.py": """\
            from fastmcp.tools import tool


            @tool(name="to_celsius")
            def celsius(f: float) -> float:
                return (f - 32) * 5 / 9


            def miles(m: float) -> float:
                return m * 1.6


            def inches(i: float) -> float:
                return i * 2.54
        """,
            "server.py": """\
            from fastmcp import FastMCP
            from fastmcp.tools import Tool

            from tools import celsius, inches, miles

            mcp = FastMCP("units", tools=[inches])
            mcp.add_tool(Tool.from_function(miles, name="miles_to_km"))
            mcp.add_tool(celsius)
        """,
        }
    )
    assert handlers(found["tools.py"]) == [
        ("celsius", "to_celsius", FASTMCP, "server.py:8"),
        ("miles", "miles_to_km", FASTMCP, "server.py:7"),
        ("inches", "inches", FASTMCP, "server.py:6"),
    ]


def test_a_low_level_server_split_over_modules() -> None:
    mcp1 = project(
        {
            "app.py": "from mcp.server.lowlevel import Server\n\nserver = Server('desk')\n",
            "handlers.py": (
                "from app import server\n"
                "\n"
                "@server.call_tool()\n"
                "async def call(name, arguments):\n"
                "    return []\n"
            ),
        }
    )
    assert [(h.function.name.value, h.kind) for h in mcp1["handlers.py"].handlers] == [
        ("call", HandlerKind.LOWLEVEL_CALL_TOOL)
    ]
    mcp2 = project(
        {
            "handlers.py": "async def on_call(ctx, params):\n    return None\n",
            "app.py": (
                "from mcp.server.lowlevel import Server\n"
                "from handlers import on_call\n"
                "\n"
                "server = Server('desk', on_call_tool=on_call)\n"
            ),
        }
    )
    [handler] = mcp2["handlers.py"].handlers
    assert (handler.kind, handler.name, handler.frameworks, handler.elsewhere) == (
        HandlerKind.LOWLEVEL_CALL_TOOL,
        None,
        frozenset({Framework.LOWLEVEL_V2}),
        "app.py:4",
    )


# -- what stays unresolved ----------------------------------------------------------------------


def test_dynamic_servers_and_registries_stay_unresolved_with_their_reasons() -> None:
    found = project(
        {
            "app.py": APP,
            "plugins.py": """\
            import importlib

            from tools import handle

            server = getattr(importlib.import_module("app"), "mcp")
            REGISTRY = []


            @server.tool()
            def hello() -> str:
                return "hi"


            for registered in REGISTRY:
                server.add_tool(registered)
            server.add_tool(handle)
        """,
            "tools.py": "def handle(x: str) -> str:\n    return f'Error: {x}'\n",
        }
    )
    getattr_reason = "the server comes from `getattr(...)`, which is not a known MCP server class"
    assert reasons(found["plugins.py"]) == [getattr_reason, getattr_reason, getattr_reason]
    # The function the unproven registration passes is not a handler, but what it returns may
    # still reach a client: error_messages looks at it.
    tools = found["tools.py"]
    assert tools.handlers == ()
    assert [(f.name.value, reason) for f, reason in tools.unproven.items()] == [
        ("handle", f"{getattr_reason} (where `plugins.py` registers it, line 16)")
    ]


def test_an_unproven_registration_elsewhere_still_reports_the_leak_it_returns() -> None:
    files = [
        (
            "plugins.py",
            (
                "import importlib\n"
                "\n"
                "from tools import handle\n"
                "\n"
                "server = getattr(importlib, 'x')\n"
                "server.add_tool(handle)\n"
            ),
        ),
        (
            "tools.py",
            (
                "def handle(name: str) -> str:\n"
                "    try:\n"
                "        return open(name).read()\n"
                "    except OSError as e:\n"
                "        return f'Error: could not read {name}: {e}'\n"
            ),
        ),
    ]
    result = engine.scan(files, ["error-messages"], jobs=1)
    [leak] = result.findings
    assert (leak.path, leak.line, leak.rule_id) == ("tools.py", 5, "error-text-leak")
    assert "getattr" in result.reasons[leak]


# -- the engine ----------------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["mcp1", "mcp2", "fastmcp"])
def test_the_fixture_packages_leave_only_the_run_time_plugins_unresolved(family: str) -> None:
    root = ROOT / "fixtures" / "compat" / family
    files = sorted(
        (path.relative_to(root).as_posix(), path.read_text())
        for path in root.rglob("*.py")
        if "__pycache__" not in path.parts
    )
    ids = [info.id for info in ALL_INFO]
    serial = engine.scan(files, ids, jobs=1)
    pooled = engine.scan(files, ids, jobs=2)
    assert serial.findings == pooled.findings and serial.reasons == pooled.reasons
    refused = {f.path for f, reason in serial.reasons.items() if "not provably" in reason}
    assert refused == {"notebook/plugins.py"}
    hardened = {f.path for f in serial.findings if f.rule_id == "mcp-handler-unobserved"}
    assert {"notebook/plain.py", "notebook/tools/search.py", "notebook/tools/admin.py"} <= hardened


def test_the_index_reads_only_what_mentions_mcp_and_what_that_imports() -> None:
    files = [(f"lib/module_{n}.py", f"import json\n\nVALUE = {n}\n") for n in range(50)]
    files += [
        ("app.py", textwrap.dedent(APP)),
        (
            "server.py",
            (
                "from app import mcp\n"
                "from lib.module_3 import VALUE\n"
                "\n"
                "@mcp.tool()\n"
                "def t() -> int:\n"
                "    return VALUE\n"
            ),
        ),
    ]
    index = ProjectIndex(files)
    facts = index.facts()
    assert facts["server.py"].names["mcp"].kind is Kind.SERVER
    parsed = {path for path in files_parsed(index)}
    assert parsed == {"app.py", "server.py"}


def files_parsed(index: ProjectIndex) -> set[str]:
    return {path for path, module in index.symbols.modules.items() if module is not None}


def test_layout_names_modules_as_python_imports_them() -> None:
    layout = Layout(["src/pkg/__init__.py", "src/pkg/app.py", "ns/part/mod.py", "top.py"])
    assert layout.dotted_name("src/pkg/app.py") == "pkg.app"
    assert layout.dotted_name("src/pkg/__init__.py") == "pkg"
    assert layout.resolve("src/pkg/app.py", None, 1) == "src/pkg/__init__.py"
    assert layout.resolve("src/pkg/app.py", "pkg.app", 0) == "src/pkg/app.py"
    assert layout.resolve("x.py", "part.mod", 0) == "ns/part/mod.py"
    assert layout.resolve("x.py", "ns", 0) == "ns/"
    assert layout.resolve("x.py", "app", 0) is None, "a lone name is a top-level module"
    assert layout.resolve("x.py", "top", 0) == "top.py"


def test_libcsts_full_repo_manager_gets_the_facts(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    (tmp_path / "tools.py").write_text(
        "from app import mcp\n\n@mcp.tool()\ndef t() -> int:\n    return 1\n"
    )
    manager = FullRepoManager(str(tmp_path), ["app.py", "tools.py"], {HandlerProvider})
    wrapper = manager.get_metadata_wrapper_for_path("tools.py")
    assert [
        h.function.name.value for h in wrapper.resolve(HandlerProvider)[wrapper.module].handlers
    ] == ["t"]

"""Handler discovery on source written the way MCP servers are written, for every framework.

Each test states exactly which functions are handlers (kind, registered name, frameworks, and
where hardening decorators go) and which registration-like places are reported as unresolved.
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from harden.mcp import Framework, HandlerKind
from harden.mcp.handlers import Discovery, HandlerProvider, Unresolved

Discover = Callable[[str], Discovery]

MCP1 = frozenset({Framework.MCP1_FASTMCP})
MCP2 = frozenset({Framework.MCP2_MCPSERVER})
FASTMCP = frozenset({Framework.FASTMCP})
TOOL, RESOURCE, PROMPT = HandlerKind.TOOL, HandlerKind.RESOURCE, HandlerKind.PROMPT
CALL_TOOL = HandlerKind.LOWLEVEL_CALL_TOOL

Row = tuple[str, HandlerKind, str | None, frozenset[Framework], int | None]


def rows(discovery: Discovery) -> list[Row]:
    """(function, kind, registered name, frameworks, decorator index) per handler."""
    return [
        (h.function.name.value, h.kind, h.name, h.frameworks, h.decorator_index)
        for h in discovery.handlers
    ]


def reasons(discovery: Discovery) -> list[str]:
    return [u.reason for u in discovery.unresolved]


def code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node).strip()


# -- mcp 1.x FastMCP ---------------------------------------------------------------------------


MCP1_SERVER = """\
    import functools
    import subprocess

    from mcp.server.fastmcp import Context, FastMCP

    mcp = FastMCP("files")


    def audited(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return fn(*args, **kwargs)
        return wrapper


    def _run(cmd: list[str]) -> str:
        return subprocess.run(cmd, capture_output=True, text=True).stdout


    @mcp.tool()
    def read_file(path: str) -> str:
        \"\"\"The text of a file.\"\"\"
        return open(path).read()


    @mcp.tool(name="ls")
    async def list_dir(path: str, ctx: Context) -> str:
        await ctx.info(path)
        return _run(["ls", path])


    @mcp.tool("stat", description="File status")
    def file_stat(path: str) -> str:
        return _run(["stat", path])


    @audited
    @mcp.tool()
    def disk_free(path: str = "/") -> str:
        return _run(["df", "-h", path])


    @mcp.tool(title="Head")
    @audited
    def head(path: str, lines: int = 10) -> str:
        return _run(["head", "-n", str(lines), path])


    @mcp.resource("file://{path}")
    def file_resource(path: str) -> str:
        return open(path).read()


    @mcp.resource("config://app", name="app_config")
    def config() -> str:
        return "{}"


    @mcp.prompt()
    def review(path: str) -> str:
        return f"Review {path}"


    @mcp.prompt(name="summarise")
    def summary_prompt(path: str) -> str:
        return f"Summarise {path}"


    def word_count(path: str) -> int:
        return len(open(path).read().split())


    def tail(path: str) -> str:
        return _run(["tail", path])


    def checksum(path: str) -> str:
        return _run(["sha256sum", path])


    mcp.add_tool(word_count, name="wc")
    mcp.tool()(tail)
    mcp.tool(name="sha256")(checksum)

    if __name__ == "__main__":
        mcp.run()
"""


def test_mcp1_every_registration_form(discover: Discover) -> None:
    discovery = discover(MCP1_SERVER)
    assert rows(discovery) == [
        ("read_file", TOOL, "read_file", MCP1, 0),
        ("list_dir", TOOL, "ls", MCP1, 0),
        ("file_stat", TOOL, "stat", MCP1, 0),
        ("disk_free", TOOL, "disk_free", MCP1, 1),
        ("head", TOOL, "head", MCP1, 0),
        ("file_resource", RESOURCE, "file_resource", MCP1, 0),
        ("config", RESOURCE, "app_config", MCP1, 0),
        ("review", PROMPT, "review", MCP1, 0),
        ("summary_prompt", PROMPT, "summarise", MCP1, 0),
        ("word_count", TOOL, "wc", MCP1, None),
        ("tail", TOOL, "tail", MCP1, None),
        ("checksum", TOOL, "sha256", MCP1, None),
    ]
    assert discovery.unresolved == ()
    # The registering decorator and call are reported as written.
    registrations = [code(h.registration) for h in discovery.handlers]
    assert registrations[3] == "@mcp.tool()"
    assert registrations[-3:] == [
        'mcp.add_tool(word_count, name="wc")',
        "mcp.tool()(tail)",
        'mcp.tool(name="sha256")(checksum)',
    ]


def test_hardening_goes_below_the_registering_decorator_or_above_def(discover: Discover) -> None:
    discovery = discover(MCP1_SERVER)
    index = {
        h.function.name.value: discovery.insertion_index(h.function) for h in discovery.handlers
    }
    assert index["read_file"] == 1
    assert index["disk_free"] == 2  # below @mcp.tool(), which is under @audited
    assert index["head"] == 1  # between @mcp.tool(...) and @audited
    assert index["word_count"] == 0  # registered by a call: directly above `def`


def test_mcp1_names_agree_with_the_sdk(discover: Discover) -> None:
    """What the finder says is registered is what mcp 1.x registers, name for name."""
    fastmcp = pytest.importorskip("mcp.server.fastmcp")
    namespace: dict[str, object] = {"__name__": "snippet"}
    exec(compile(textwrap.dedent(MCP1_SERVER), "snippet.py", "exec"), namespace)
    server = namespace["mcp"]
    assert isinstance(server, fastmcp.FastMCP)
    tools = {tool.name for tool in asyncio.run(server.list_tools())}
    prompts = {prompt.name for prompt in asyncio.run(server.list_prompts())}
    discovery = discover(MCP1_SERVER)
    assert tools == {h.name for h in discovery.handlers if h.kind is TOOL}
    assert prompts == {h.name for h in discovery.handlers if h.kind is PROMPT}


def test_mcp1_aliases_and_module_import(discover: Discover) -> None:
    discovery = discover(
        """\
        import mcp.server.fastmcp as fm
        from mcp.server.fastmcp import FastMCP as Server
        from mcp.server.fastmcp.server import FastMCP as Inner
        from mcp.server import FastMCP as Exported

        app = fm.FastMCP("a")
        other = Server("b")
        inner = Inner("c")
        exported = Exported("d")

        @app.tool()
        def one() -> str:
            return "1"

        @other.tool()
        def two() -> str:
            return "2"

        @inner.prompt()
        def three() -> str:
            return "3"

        @exported.tool()
        def four() -> str:
            return "4"
        """
    )
    assert rows(discovery) == [
        ("one", TOOL, "one", MCP1, 0),
        ("two", TOOL, "two", MCP1, 0),
        ("three", PROMPT, "three", MCP1, 0),
        ("four", TOOL, "four", MCP1, 0),
    ]


def test_bare_decorator_does_not_register_with_mcp1(discover: Discover) -> None:
    # mcp 1.x raises TypeError for `@mcp.tool` ("Did you forget to call it?"): no handler.
    discovery = discover(
        """\
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("x")

        @mcp.tool
        def broken() -> str:
            return ""
        """
    )
    assert discovery.handlers == ()
    assert discovery.unresolved == ()


# -- mcp 2.x MCPServer -------------------------------------------------------------------------


def test_mcp2_annotated_server_and_tools_in_a_class(discover: Discover) -> None:
    discovery = discover(
        """\
        from __future__ import annotations

        import subprocess

        from mcp.server.mcpserver import Context, MCPServer

        mcp: MCPServer = MCPServer("ops", instructions="Operations")


        @mcp.tool()
        async def uptime(ctx: Context) -> str:
            return subprocess.run(["uptime"], capture_output=True, text=True).stdout


        class Kubernetes:
            \"\"\"Tools bound to one namespace.\"\"\"

            def register_tools(self) -> None:
                @self.server.tool(name="pods")
                def list_pods() -> str:
                    return self._kubectl("get", "pods")

                @self.server.resource("k8s://{name}")
                def deployment(name: str) -> str:
                    return self._kubectl("get", "deployment", name)

                self.server.add_tool(self.restart, name="rollout_restart")

            def __init__(self, namespace: str) -> None:
                self.namespace = namespace
                self.server = MCPServer("k8s")
                self.register_tools()

            def _kubectl(self, *args: str) -> str:
                cmd = ["kubectl", "-n", self.namespace, *args]
                return subprocess.run(cmd, capture_output=True, text=True).stdout

            def restart(self, deployment: str) -> str:
                return self._kubectl("rollout", "restart", f"deployment/{deployment}")
        """
    )
    assert rows(discovery) == [
        ("uptime", TOOL, "uptime", MCP2, 0),
        ("list_pods", TOOL, "pods", MCP2, 0),
        ("deployment", RESOURCE, "deployment", MCP2, 0),
        ("restart", TOOL, "rollout_restart", MCP2, None),
    ]
    assert discovery.unresolved == ()


def test_mcp2_server_submodule_and_reexport(discover: Discover) -> None:
    discovery = discover(
        """\
        from mcp.server import MCPServer
        from mcp.server.mcpserver.server import MCPServer as Impl

        a = MCPServer("a")
        b = Impl("b")

        @a.tool()
        def one() -> str:
            return "1"

        @b.tool("second")
        def two() -> str:
            return "2"
        """
    )
    assert rows(discovery) == [
        ("one", TOOL, "one", MCP2, 0),
        ("two", TOOL, "second", MCP2, 0),
    ]


def test_registration_loop_over_methods(discover: Discover) -> None:
    discovery = discover(
        """\
        from mcp.server.mcpserver import MCPServer


        class Ops:
            def __init__(self) -> None:
                self.mcp = MCPServer("ops")
                for tool in (self.status, self.restart, helper):
                    self.mcp.tool()(tool)

            def status(self) -> str:
                return "ok"

            def restart(self, service: str) -> str:
                return service


        def helper() -> str:
            return "h"
        """
    )
    assert rows(discovery) == [
        ("status", TOOL, "status", MCP2, None),
        ("restart", TOOL, "restart", MCP2, None),
        ("helper", TOOL, "helper", MCP2, None),
    ]


# -- standalone fastmcp ------------------------------------------------------------------------


def test_fastmcp_tool_objects_and_the_standalone_decorator(discover: Discover) -> None:
    discovery = discover(
        """\
        from fastmcp import FastMCP
        from fastmcp.tools import Tool, tool

        mcp = FastMCP("x")


        def char_count(text: str) -> int:
            return len(text)


        @tool(name="to_celsius")
        def fahrenheit_to_celsius(f: float) -> float:
            return (f - 32) * 5 / 9


        @tool("kelvin")
        def to_kelvin(c: float) -> float:
            return c + 273.15


        @tool
        def plain(f: float) -> float:
            return f


        mcp.add_tool(Tool.from_function(char_count, name="chars"))
        mcp.add_tool(fahrenheit_to_celsius)
        mcp.add_tool(to_kelvin)
        mcp.add_tool(plain, name="renamed")
        """
    )
    assert [(h.function.name.value, h.name, h.decorator_index) for h in discovery.handlers] == [
        ("char_count", "chars", None),
        ("fahrenheit_to_celsius", "to_celsius", None),
        ("to_kelvin", "kelvin", None),
        ("plain", "renamed", None),
    ]
    assert discovery.unresolved == ()


def test_fastmcp_forms(discover: Discover) -> None:
    discovery = discover(
        """\
        import fastmcp
        from fastmcp import Context, FastMCP
        from fastmcp.server.server import FastMCP as ServerClass


        def search(query: str) -> list[str]:
            return [query]


        def fetch(url: str) -> str:
            return url


        mcp = FastMCP(name="web", tools=[search])
        aux = fastmcp.FastMCP("aux")
        third = ServerClass("third")


        @mcp.tool
        def top(n: int = 10) -> str:
            return str(n)


        @mcp.tool("free_memory")
        def memory() -> str:
            return ""


        @mcp.prompt
        def explain(topic: str) -> str:
            return topic


        @aux.resource("data://{key}")
        async def data(key: str, ctx: Context) -> str:
            return key


        @third.tool(name="third_tool")
        def third_one() -> str:
            return "3"


        mcp.tool(fetch, name="http_get")
        """
    )
    assert rows(discovery) == [
        ("search", TOOL, "search", FASTMCP, None),
        ("fetch", TOOL, "http_get", FASTMCP, None),
        ("top", TOOL, "top", FASTMCP, 0),
        ("memory", TOOL, "free_memory", FASTMCP, 0),
        ("explain", PROMPT, "explain", FASTMCP, 0),
        ("data", RESOURCE, "data", FASTMCP, 0),
        ("third_one", TOOL, "third_tool", FASTMCP, 0),
    ]
    assert discovery.unresolved == ()


def test_a_registering_decorator_held_in_a_variable(discover: Discover) -> None:
    discovery = discover(
        """\
        from mcp.server.fastmcp import FastMCP

        app = FastMCP("ops")
        tool = app.tool()
        renamed = app.tool(name="git_log")
        prompt = app.prompt()
        reused = app.tool()
        reused = staticmethod


        @tool
        def status() -> str:
            return "clean"


        @prompt
        def explain(topic: str) -> str:
            return topic


        def log(n: int) -> str:
            return str(n)


        renamed(log)


        @reused
        def not_a_tool() -> str:
            return ""


        def register(server: FastMCP) -> None:
            deco = server.tool(name="inner_one")

            @deco
            def inner() -> str:
                return ""
        """
    )
    assert rows(discovery) == [
        ("status", TOOL, "status", MCP1, 0),
        ("explain", PROMPT, "explain", MCP1, 0),
        ("log", TOOL, "git_log", MCP1, None),
        ("inner", TOOL, "inner_one", MCP1, 0),
    ]
    assert discovery.unresolved == ()


def test_try_except_import_gives_both_frameworks(discover: Discover) -> None:
    discovery = discover(
        """\
        try:
            from fastmcp import FastMCP
        except ImportError:
            from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("notes")

        @mcp.tool()
        def called() -> str:
            return ""

        @mcp.tool
        def bare() -> str:
            return ""
        """
    )
    assert rows(discovery) == [
        ("called", TOOL, "called", FASTMCP | MCP1, 0),
        ("bare", TOOL, "bare", FASTMCP, 0),  # only fastmcp registers a bare @mcp.tool
    ]


def test_server_subclass_and_annotated_parameter(discover: Discover) -> None:
    discovery = discover(
        """\
        from __future__ import annotations

        from fastmcp import FastMCP


        class NotesServer(FastMCP):
            def __init__(self) -> None:
                super().__init__("notes")


        notes = NotesServer()


        @notes.tool
        def add(text: str) -> str:
            return text


        def register_admin_tools(server: FastMCP) -> None:
            @server.tool(name="reset")
            def reset_all() -> str:
                return "reset"


        def register_more(server: FastMCP | None) -> None:
            @server.tool()
            def more() -> str:
                return "more"
        """
    )
    assert rows(discovery) == [
        ("add", TOOL, "add", FASTMCP, 0),
        ("reset_all", TOOL, "reset", FASTMCP, 0),
        ("more", TOOL, "more", FASTMCP, 0),
    ]


def test_class_level_server(discover: Discover) -> None:
    # Rare, but it is what the code registers: a method registered unbound, and a tool on the
    # class attribute from outside the class.
    discovery = discover(
        """\
        from mcp.server.fastmcp import FastMCP


        class Tools:
            mcp = FastMCP("tools")

            @mcp.tool()
            def inside(self) -> str:
                return ""


        @Tools.mcp.tool()
        def outside() -> str:
            return ""
        """
    )
    assert rows(discovery) == [
        ("inside", TOOL, "inside", MCP1, 0),
        ("outside", TOOL, "outside", MCP1, 0),
    ]


def test_function_registered_twice(discover: Discover) -> None:
    discovery = discover(
        """\
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("x")

        @mcp.tool()
        def ping() -> str:
            return "pong"

        mcp.add_tool(ping, name="ping_alias")
        """
    )
    assert rows(discovery) == [
        ("ping", TOOL, "ping", MCP1, 0),
        ("ping", TOOL, "ping_alias", MCP1, None),
    ]
    function = discovery.handlers[0].function
    assert discovery.by_function[function] == discovery.handlers
    assert discovery.insertion_index(function) == 1  # above def: the call registers it too


def test_function_registered_on_two_servers(discover: Discover) -> None:
    discovery = discover(
        """\
        from fastmcp import FastMCP

        public = FastMCP("public")
        admin = FastMCP("admin")

        @admin.tool(name="admin_status")
        @public.tool
        def status() -> str:
            return "ok"
        """
    )
    assert rows(discovery) == [
        ("status", TOOL, "admin_status", FASTMCP, 0),
        ("status", TOOL, "status", FASTMCP, 1),
    ]
    # Below both: the lower decorator registers the function before the upper one sees it.
    assert discovery.insertion_index(discovery.handlers[0].function) == 2


def test_non_literal_name_is_unknown(discover: Discover) -> None:
    discovery = discover(
        """\
        from mcp.server.fastmcp import FastMCP

        PREFIX = "ops_"
        mcp = FastMCP("x")

        @mcp.tool(name=PREFIX + "status")
        def status() -> str:
            return ""

        @mcp.tool(f"{PREFIX}restart")
        def restart() -> str:
            return ""
        """
    )
    assert rows(discovery) == [
        ("status", TOOL, None, MCP1, 0),
        ("restart", TOOL, None, MCP1, 0),
    ]


# -- low-level Server --------------------------------------------------------------------------


def test_lowlevel_v1_call_tool_only(discover: Discover) -> None:
    discovery = discover(
        """\
        from typing import Any

        import mcp.types as types
        from mcp.server.lowlevel import Server

        server = Server("repo-search")


        @server.list_tools()
        async def handle_list_tools() -> list[types.Tool]:
            return []


        @server.call_tool()
        async def handle_call_tool(name: str, arguments: dict[str, Any]) -> list[types.TextContent]:
            return [types.TextContent(type="text", text=name)]


        @server.read_resource()
        async def handle_read(uri: str) -> str:
            return uri
        """
    )
    assert rows(discovery) == [
        ("handle_call_tool", CALL_TOOL, None, frozenset({Framework.LOWLEVEL_V1}), 0),
    ]


def test_lowlevel_v1_other_imports_and_call_form(discover: Discover) -> None:
    discovery = discover(
        """\
        from mcp.server import Server
        from mcp.server.lowlevel.server import Server as LowLevel

        a = Server("a")
        b = LowLevel("b")


        @a.call_tool(validate_input=False)
        async def dispatch(name: str, arguments: dict) -> list:
            return []


        async def dispatch_b(name: str, arguments: dict) -> list:
            return []


        b.call_tool()(dispatch_b)
        """
    )
    v1 = frozenset({Framework.LOWLEVEL_V1})
    assert rows(discovery) == [
        ("dispatch", CALL_TOOL, None, v1, 0),
        ("dispatch_b", CALL_TOOL, None, v1, None),
    ]


def test_lowlevel_v2_constructor_keyword(discover: Discover) -> None:
    discovery = discover(
        """\
        from mcp.server.lowlevel import Server
        from mcp.server import ServerRequestContext
        from mcp.types import CallToolRequestParams, CallToolResult, ListToolsResult

        from .handlers import handle_prompts


        async def handle_list_tools(ctx: ServerRequestContext, params) -> ListToolsResult:
            return ListToolsResult(tools=[])


        async def handle_call_tool(
            ctx: ServerRequestContext, params: CallToolRequestParams
        ) -> CallToolResult:
            return CallToolResult(content=[])


        server = Server(
            "ops",
            on_list_tools=handle_list_tools,
            on_call_tool=handle_call_tool,
            on_get_prompt=handle_prompts,
        )
        other = Server("other", on_call_tool=handle_prompts)
        """
    )
    assert rows(discovery) == [
        ("handle_call_tool", CALL_TOOL, None, frozenset({Framework.LOWLEVEL_V2}), None),
    ]
    assert code(discovery.handlers[0].registration) == "on_call_tool=handle_call_tool,"
    assert reasons(discovery) == ["`handle_prompts` is not a function defined in this module"]
    assert code(discovery.unresolved[0].node) == "on_call_tool=handle_prompts"


# -- not handlers ------------------------------------------------------------------------------


def test_other_frameworks_and_objects_are_not_handlers(discover: Discover) -> None:
    discovery = discover(
        """\
        from fastapi import FastAPI
        from mcp.server.fastmcp import FastMCP
        from mcp.server.lowlevel import Server

        app = FastAPI()
        mcp = FastMCP("x")
        server = Server("y")


        class Registry:
            def tool(self, name=None):
                return lambda fn: fn


        registry = Registry()


        @app.get("/health")
        def health() -> dict:
            return {}


        @registry.tool()
        def local_tool() -> str:
            return ""


        @server.list_tools()
        async def list_tools() -> list:
            return []


        @mcp.custom_route("/ping", methods=["GET"])
        async def ping(request):
            return None


        def not_registered() -> str:
            return ""


        registry.tool()(not_registered)
        """
    )
    assert discovery.handlers == ()
    assert discovery.unresolved == ()


def test_shadowed_names_are_not_servers(discover: Discover) -> None:
    discovery = discover(
        """\
        from mcp.server.fastmcp import FastMCP

        mcp = FastMCP("x")


        def build(mcp):
            @mcp.tool()
            def inner() -> str:
                return ""


        def local():
            class FastMCP:
                def tool(self):
                    return lambda fn: fn

            mcp = FastMCP()

            @mcp.tool()
            def shadowed() -> str:
                return ""
        """
    )
    assert discovery.handlers == ()
    assert reasons(discovery) == [
        "`mcp` is a parameter of `build()` not annotated with a known MCP server class"
    ]
    (unresolved,) = discovery.unresolved
    assert unresolved.function is not None and unresolved.function.name.value == "inner"


# -- unresolved --------------------------------------------------------------------------------


def test_servers_that_cannot_be_traced_are_reported(discover: Discover) -> None:
    discovery = discover(
        """\
        from mcp.server.fastmcp import FastMCP

        from .app import mcp
        from .factory import make_server

        built = make_server("ops")


        def get_server():
            return FastMCP("late")


        @mcp.tool()
        def imported() -> str:
            return ""


        @built.tool
        def from_factory() -> str:
            return ""


        @get_server().prompt()
        def from_call() -> str:
            return ""


        def registered() -> str:
            return ""


        mcp.add_tool(registered)
        mcp.tool()(registered)
        mcp.tool(registered)  # a factory call with a name, or a direct call: cannot tell
        """
    )
    assert discovery.handlers == ()
    imported = "`mcp` is imported from `.app`; its class is not visible in this module"
    assert reasons(discovery) == [
        imported,
        "the server comes from `make_server(...)`, which is not a known MCP server class",
        "the server comes from `get_server(...)`, which is not a known MCP server class",
        imported,
        imported,
    ]
    assert [code(u.node) for u in discovery.unresolved[3:]] == [
        "mcp.add_tool(registered)",
        "mcp.tool()(registered)",
    ]
    assert [u.function.name.value for u in discovery.unresolved[:3] if u.function] == [
        "imported",
        "from_factory",
        "from_call",
    ]


def test_functions_that_cannot_be_traced_are_reported(discover: Discover) -> None:
    discovery = discover(
        """\
        import functools

        from mcp.server.fastmcp import FastMCP

        from .impl import search

        mcp = FastMCP("x")


        def grep(pattern: str, path: str) -> str:
            return pattern


        mcp.add_tool(search)
        mcp.add_tool(functools.partial(grep, path="."))
        mcp.add_tool(lambda: "x", name="anon")
        for fn in load_plugins():
            mcp.add_tool(fn)
        """
    )
    assert discovery.handlers == ()
    assert reasons(discovery) == [
        "`search` is not a function defined in this module",
        '`functools.partial(grep, path=".")` is not a function defined in this module',
        '`lambda: "x"` is not a function defined in this module',
        "`fn` is not a function defined in this module",
    ]


def test_unassigned_attribute_is_reported(discover: Discover) -> None:
    discovery = discover(
        """\
        from mcp.server.fastmcp import FastMCP


        class Base:
            def register(self) -> None:
                @self.mcp.tool()
                def status() -> str:
                    return ""
        """
    )
    assert discovery.handlers == ()
    assert reasons(discovery) == ["`self.mcp` is not assigned in its class"]


# -- use from a codemod's planner --------------------------------------------------------------


def test_planner_reads_the_discovery_as_metadata() -> None:
    class Planner(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (HandlerProvider,)

        def __init__(self) -> None:
            super().__init__()
            self.seen: list[tuple[str, int]] = []
            self.unresolved: tuple[Unresolved, ...] = ()

        def visit_Module(self, node: cst.Module) -> None:
            self.discovery = self.get_metadata(HandlerProvider, node)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            if node in self.discovery.by_function:
                self.seen.append((node.name.value, self.discovery.insertion_index(node)))

    planner = Planner()
    source = "from fastmcp import FastMCP\nm = FastMCP()\n\n@m.tool\ndef f(): ...\n"
    MetadataWrapper(cst.parse_module(source)).visit(planner)
    assert planner.seen == [("f", 1)]

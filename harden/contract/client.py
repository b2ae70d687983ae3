"""One snapshot of a live server through the `mcp` SDK's own client: info, listings, call results.

The transport is the SDK's: stdio (harden spawns the command), streamable HTTP, or SSE (a URL
whose path ends in /sse). Every request has a deadline; whatever goes wrong (the server does not
start, exits, hangs, writes non-JSON-RPC to stdout) becomes one ServerFailed line with the last
lines of its stderr. A JSON-RPC error answer is a result like any other: it is recorded and
compared. This module never writes files and never judges results.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

import anyio
import httpx
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError

from harden.contract.model import JSON, LISTINGS, Call, Contract
from harden.contract.server import ServerFailed, ServerProcesses, Target, stderr_tail

T = TypeVar("T")
# Given the listings, the calls to make and the (call id, reason) of those left out.
Chooser = Callable[[dict[str, list[JSON]]], tuple[list[Call], list[tuple[str, str]]]]
_JUNK_SHOWN = 80  # characters of a non-JSON-RPC line a diagnosis quotes


@dataclass
class _Connection:
    target: Target
    log: IO[str] | None
    session: ClientSession = field(init=False)
    doing: str = "initialize"
    junk: list[str] = field(default_factory=list)

    async def on_message(self, message: object) -> None:
        # The SDK hands a line it could not parse as JSON-RPC to this handler, and goes on.
        if isinstance(message, Exception):
            self.junk.append(_junk_text(message))

    async def request(self, doing: str, send: Callable[[], Awaitable[T]]) -> T:
        self.doing = doing
        with anyio.fail_after(self.target.call_timeout):
            answer = await send()
        if self.junk:
            raise ServerFailed(
                f"the server wrote a line that is not JSON-RPC to stdout ({self.junk[0]!r}): "
                "stdout belongs to the MCP transport, log to stderr" + stderr_tail(self.log)
            )
        return answer


def _junk_text(error: Exception) -> str:
    # pydantic's ValidationError holds the line it could not parse as the input of its errors.
    errors = getattr(error, "errors", None)
    details = errors() if callable(errors) else None
    shown = str(details[0].get("input", error)) if details else str(error)
    return shown if len(shown) <= _JUNK_SHOWN else shown[:_JUNK_SHOWN] + "…"


def dump(value: Any) -> JSON:
    """A protocol object as the JSON a client receives (camelCase, unset fields left out)."""
    return value.model_dump(mode="json", by_alias=True, exclude_none=True)


async def snapshot(
    target: Target, processes: ServerProcesses, choose: Chooser
) -> tuple[Contract, list[tuple[str, str]]]:
    """The server's contract as it answers now, for the calls `choose` picks from its
    listings; and the calls left out, with why."""
    async with _connected(target, processes) as connection:
        session = connection.session
        initialized = await connection.request("initialize", session.initialize)
        server = {
            "serverInfo": dump(initialized.serverInfo),
            "protocolVersion": initialized.protocolVersion,
            "capabilities": dump(initialized.capabilities),
        }
        if initialized.instructions is not None:
            server["instructions"] = initialized.instructions
        listings = await _listings(connection, initialized.capabilities)
        calls, skipped = choose(listings)
        results = {call.id: await _result(connection, call) for call in calls}
        processes.check_listening()
        return Contract(server, listings, calls, results), skipped


async def _listings(
    connection: _Connection, capabilities: types.ServerCapabilities
) -> dict[str, list[JSON]]:
    session = connection.session
    listed: dict[str, Callable[..., Awaitable[Any]]] = {}
    if capabilities.tools is not None:
        listed["tools"] = session.list_tools
    if capabilities.resources is not None:
        listed["resources"] = session.list_resources
        listed["resourceTemplates"] = session.list_resource_templates
    if capabilities.prompts is not None:
        listed["prompts"] = session.list_prompts
    listings: dict[str, list[JSON]] = {key: [] for key in LISTINGS}
    for key, method in listed.items():
        cursor: str | None = None
        while True:
            params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
            page = await connection.request(f"{key}/list", lambda m=method, p=params: m(params=p))
            listings[key] += [dump(item) for item in getattr(page, key)]
            cursor = page.nextCursor
            if not cursor:
                break
    return listings


async def _result(connection: _Connection, call: Call) -> JSON:
    session = connection.session
    send: Callable[[], Awaitable[Any]]
    if call.kind == "tool":
        send = lambda: session.call_tool(call.name, call.arguments)  # noqa: E731
        doing = f"tools/call {call.name}"
    elif call.kind == "resource":
        send = lambda: session.read_resource(call.name)  # type: ignore[arg-type]  # noqa: E731
        doing = f"resources/read {call.name}"
    else:
        arguments = {key: str(value) for key, value in call.arguments.items()}
        send = lambda: session.get_prompt(call.name, arguments)  # noqa: E731
        doing = f"prompts/get {call.name}"
    try:
        return dump(await connection.request(doing, send))
    except McpError as error:
        if error.error.code == types.CONNECTION_CLOSED:
            raise
        return {"error": dump(error.error)}  # a JSON-RPC error answer: part of the contract
    except RuntimeError as error:
        # The SDK's client refused the answer (structured content against the output schema).
        return {"clientError": str(error)}


@asynccontextmanager
async def _connected(target: Target, processes: ServerProcesses) -> AsyncIterator[_Connection]:
    log = processes.stderr_log() if target.command else None
    connection: _Connection | None = None
    # The SDK's transports log a line they cannot parse with a traceback: the diagnosis says it.
    logging.getLogger("mcp").setLevel(logging.CRITICAL)
    try:
        async with AsyncExitStack() as stack:
            read, write = await _transport(stack, target, processes, log)
            connection = _Connection(target, log)
            connection.session = ClientSession(read, write, message_handler=connection.on_message)
            await stack.enter_async_context(connection.session)
            yield connection
    except Exception as raised:
        raise _diagnosis(_cause(raised), target, connection, log) from None
    finally:
        if log is not None:
            log.close()


async def _transport(
    stack: AsyncExitStack, target: Target, processes: ServerProcesses, log: IO[str] | None
) -> tuple[Any, Any]:
    if target.url is None:
        parameters = StdioServerParameters(
            command=target.command[0],
            args=list(target.command[1:]),
            cwd=target.cwd,
            env=processes.environment(target),
        )
        return await stack.enter_async_context(stdio_client(parameters, errlog=log))  # type: ignore[arg-type]
    url = target.url
    if target.command:
        assert log is not None
        url, _ = await anyio.to_thread.run_sync(processes.start_http, target, log)
    if urlsplit(url).path.rstrip("/").endswith("/sse"):
        return await stack.enter_async_context(
            sse_client(url, timeout=target.call_timeout, sse_read_timeout=target.call_timeout)
        )
    http = await stack.enter_async_context(
        httpx.AsyncClient(timeout=target.call_timeout, follow_redirects=True)
    )
    read, write, _ = await stack.enter_async_context(streamable_http_client(url, http_client=http))
    return read, write


def _cause(error: BaseException) -> BaseException:
    """The exception that matters inside the task groups' exception groups."""
    while isinstance(error, BaseExceptionGroup):
        inner = [e for e in error.exceptions if not isinstance(e, anyio.get_cancelled_exc_class())]
        error = (inner or list(error.exceptions))[0]
    return error


def _diagnosis(
    error: BaseException, target: Target, connection: _Connection | None, log: IO[str] | None
) -> BaseException:
    if isinstance(error, ServerFailed):
        return error
    doing = connection.doing if connection is not None else "start-up"
    tail = stderr_tail(log)
    if isinstance(error, TimeoutError):
        return ServerFailed(
            f"no answer to {doing} within {target.call_timeout:g} s (the server hangs?){tail}"
        )
    if (isinstance(error, McpError) and error.error.code == types.CONNECTION_CLOSED) or isinstance(
        error, anyio.ClosedResourceError | anyio.BrokenResourceError | anyio.EndOfStream
    ):
        return ServerFailed(f"the server closed the connection during {doing} (exited?){tail}")
    if isinstance(error, OSError) and connection is None:
        return ServerFailed(f"could not start {target.label}: {error.strerror or error}{tail}")
    if isinstance(error, httpx.HTTPError):
        return ServerFailed(f"{target.url}: {type(error).__name__}: {error}{tail}")
    if isinstance(error, McpError):
        return ServerFailed(f"{doing} failed: {error.error.message}{tail}")
    return error

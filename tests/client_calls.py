"""How an MCP framework calls a hardened handler for a client, for the runtime's unit tests.

The runtime acts on a call only while a framework serves a client's request (DESIGN.md, "Only
client calls count"). The compatibility matrix (tests/compat) proves that with each SDK's own
server and client; these helpers let the unit tests call a decorated function the two ways the
frameworks do, without a server:

- `client_request(request)`: as mcp 1.x and fastmcp do, with the request context published in
  mcp's context variable while the call runs (`request`: the HTTP request; None over stdio);
- `from_framework(fn, ...)`: as mcp 2.x does, which publishes nothing (use the `mcp2_style`
  fixture): the handler is called from the framework's own code, here a function compiled as
  part of a module named like mcp 2.x's.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from mcp.server.lowlevel.server import request_ctx

# The two ways mcp 2.x's MCPServer calls a tool function (utilities/func_metadata.py).
_FRAMEWORK_SOURCE = """
def call(fn, args, kwargs):
    return fn(*args, **kwargs)


async def call_async(fn, args, kwargs):
    return await fn(*args, **kwargs)
"""
_framework: dict[str, Any] = {"__name__": "mcp.server.mcpserver.utilities.func_metadata"}
exec(compile(_FRAMEWORK_SOURCE, "<mcp 2.x stand-in>", "exec"), _framework)


@contextmanager
def client_request(request: object | None = None) -> Iterator[None]:
    """While the block runs, mcp 1.x's request context holds a request being served."""
    context = SimpleNamespace(request=request, session=object(), request_id=1, meta=None)
    token = request_ctx.set(context)  # type: ignore[arg-type]
    try:
        yield
    finally:
        request_ctx.reset(token)


@contextmanager
def no_request() -> Iterator[None]:
    """While the block runs, no request is being served (a test or a script calling code)."""
    token = request_ctx.set(None)  # type: ignore[arg-type]
    try:
        yield
    finally:
        request_ctx.reset(token)


def from_framework(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`fn(*args, **kwargs)` called from the framework's code (a coroutine, for an async fn)."""
    return _framework["call"](fn, args, kwargs)


def from_framework_async(
    fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any, **kwargs: Any
) -> Coroutine[Any, Any, Any]:
    """A coroutine awaiting `fn(*args, **kwargs)` in the framework's code."""
    return _framework["call_async"](fn, args, kwargs)

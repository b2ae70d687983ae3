"""What harden knows about MCP frameworks, and where a module's MCP handlers are.

`frameworks` holds the facts (server classes per SDK version, registering methods, a text
prefilter); `handlers` finds the handler functions of a parsed module from them. Neither ever
changes code: the codemods that harden handlers build on what they report.
"""

from harden.mcp.frameworks import PREFILTER, Framework, HandlerKind, may_hold_handlers
from harden.mcp.handlers import Discovery, Handler, HandlerProvider, Unresolved, find_handlers

__all__ = [
    "PREFILTER",
    "Discovery",
    "Framework",
    "Handler",
    "HandlerKind",
    "HandlerProvider",
    "Unresolved",
    "find_handlers",
    "may_hold_handlers",
]

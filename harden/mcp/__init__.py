"""What harden knows about MCP frameworks, and where a module's MCP handlers are.

`frameworks` holds the facts (server classes per SDK version, registering methods, a text
prefilter) and `gate` a cheap `ast` check; `handlers` finds the handler functions of a parsed
module from them. None ever changes code: the codemods that harden handlers build on what they
report. The package re-exports only `frameworks`' names and must never import libcst: import
the handler finder from harden.mcp.handlers.
"""

from harden.mcp.frameworks import PREFILTER, Framework, HandlerKind, may_hold_handlers

__all__ = ["PREFILTER", "Framework", "HandlerKind", "may_hold_handlers"]

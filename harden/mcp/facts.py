"""What the project index tells handler discovery about one module: the facts only other
modules show.

Handler discovery (handlers.py) sees one module; the project index (project.py) sees them all,
and hands each module's discovery a `ModuleFacts`: what the names it imports are (a server, a
server class, a factory of servers, a function of another module), which of its own functions
make servers or take one, and which of its functions another module registers as handlers.
Data only, small and picklable: it travels to the engine's worker processes with each file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from harden.mcp.frameworks import Framework, HandlerKind


class Kind(StrEnum):
    SERVER = "server"  # an instance of a server class
    SERVER_CLASS = "server class"
    FUNCTION = "function"  # a function defined in the project (`path`, `name`)
    MODULE = "module"  # a module of the project (`path`)
    EXTERNAL = "external"  # a name from outside the project (`name`: its qualified name)
    OTHER = "other"  # known not to be a server, a server class or a project function
    UNKNOWN = "unknown"  # harden cannot tell (`reason`)


@dataclass(frozen=True, slots=True)
class Symbol:
    """What a name stands for. A FUNCTION with `frameworks` is a factory: calling it returns a
    server of those frameworks."""

    kind: Kind
    frameworks: frozenset[Framework] = frozenset()
    path: str = ""  # FUNCTION: its module; MODULE: the module
    name: str = ""  # FUNCTION: its name there; EXTERNAL: the qualified name
    reason: str = ""  # UNKNOWN: why


@dataclass(frozen=True, slots=True)
class Remote:
    """A registration, in another module, of one of this module's top-level functions."""

    kind: HandlerKind
    frameworks: frozenset[Framework]
    name: str | None  # the registered name it gives (None: a non-literal one, or none given)
    named: bool  # the registration gives a name; else the function's own (or its @tool's)
    where: str  # `path:line` of the registering call


@dataclass(frozen=True, slots=True)
class ModuleFacts:
    # Name chains rooted at an import, as written in this module ("mcp", "s.mcp", "FastMCP").
    names: Mapping[str, Symbol] = field(default_factory=dict)
    # This module's top-level functions that return a server: name -> its frameworks.
    factories: Mapping[str, frozenset[Framework]] = field(default_factory=dict)
    # (top-level function, parameter) that every call in the project passes a server.
    server_params: Mapping[tuple[str, str], frozenset[Framework]] = field(default_factory=dict)
    # This module's top-level functions registered as handlers by other modules.
    registered: Mapping[str, tuple[Remote, ...]] = field(default_factory=dict)
    # This module's top-level functions passed to a registration-shaped call in another module
    # that harden cannot prove registers them: name -> why.
    unproven: Mapping[str, str] = field(default_factory=dict)
    # Names this module imports and passes to a registration: "" when the index proved it (the
    # function is hardened where it is defined), else why not.
    registers: Mapping[str, str] = field(default_factory=dict)
    # Names this module's `except` clauses catch that stand for the project's own exception
    # classes whose every message is written for the client (client_errors.py).
    client_errors: frozenset[str] = frozenset()
    # Those classes (by path: `src.pkg.errors.PolicyError`) that this module's handlers may let
    # out, whose text the runtime's mask_errors lets through (client_errors.py).
    kept_at_run_time: frozenset[str] = frozenset()

    @property
    def elsewhere(self) -> bool:
        """Whether other modules make handlers of this module's functions (or may)."""
        return bool(self.registered or self.unproven)


NO_FACTS = ModuleFacts()

"""The shim: a shell call whose command harden cannot read becomes the vendored runtime's
function of the same name, which reads the command when the call runs.

For a command from a tool's parameter, an attribute, a call's result or a value built in a
loop, and for a `shell=` that is not a literal, there is no text to convert here. The runtime
(harden_runtime: `_read_line`) applies the same sh rules to the actual string: plain words run
as an argument list and what its script runner supports runs through it, both without /bin/sh;
anything else is logged as CMD_SHELL_FEATURE_DETECTED and still runs through /bin/sh until
ENFORCE_SHELL_FREE=true. The call keeps every argument (`shell=` included) and its result.
It never shims a call whose arguments the runtime function could not take as they are.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from harden.codemods.base import Replacements
from harden.codemods.catalog.shell_commands import (
    ASYNC_SHELL,
    GETOUTPUT,
    GETSTATUSOUTPUT,
    POPEN,
    SUBPROCESS_SHELL_KW,
    SYSTEM,
)
from harden.codemods.shell_calls import as_runtime_call, command_position, substituted_call

# The runtime function standing in for each callee, and how many positional arguments the
# callee may be given (the command included).
_SHIMS: dict[str, tuple[str, int]] = {
    **{name: (name.rpartition(".")[2], 1) for name in SUBPROCESS_SHELL_KW},
    **dict.fromkeys(SYSTEM, ("system", 1)),
    **dict.fromkeys(POPEN, ("popen", 3)),
    **dict.fromkeys(GETOUTPUT, ("getoutput", 1)),
    **dict.fromkeys(GETSTATUSOUTPUT, ("getstatusoutput", 1)),
    **dict.fromkeys(ASYNC_SHELL, ("create_subprocess_shell", 1)),
}

SHIM_EVENT = "CMD_SHELL_FEATURE_DETECTED"


def shim_note(why: str) -> str:
    return (
        f"harden cannot read this command here ({why}), so harden_runtime reads it when the "
        "call runs: plain words, pipelines, lists, redirections, globs, `$VAR`, `~` and "
        "`$(...)` run without /bin/sh, as sh would have run them. Anything else (loops, "
        f"heredocs, subshells, ...) is logged as {SHIM_EVENT} (the feature and the program, "
        "never the command) and still runs through /bin/sh until ENFORCE_SHELL_FREE=true "
        "refuses it; a tool whose callers send such scripts stops working then."
    )


def shim_builder(node: cst.Call, names: set[str]) -> Callable[[Replacements], cst.CSTNode] | str:
    """How to route the call through the runtime, or why it cannot be."""
    found = next((_SHIMS[name] for name in sorted(names) if name in _SHIMS), None)
    if found is None:
        return "not a call harden's runtime stands in for"
    helper, positional = found
    keyword = "args" if names & SUBPROCESS_SHELL_KW else "cmd"
    command_index = command_position(node, keyword=keyword)
    if command_index is None:
        return "the command is not an argument harden can find"
    if any(arg.star == "*" for arg in node.args):
        return "`*` arguments: harden cannot tell which is the command"
    given = sum(1 for arg in node.args if arg.keyword is None and not arg.star)
    if given > positional:
        return "positional arguments after the command"

    def build(replaced: Replacements) -> cst.CSTNode:
        return as_runtime_call(substituted_call(node, replaced), helper, command_index)

    return build

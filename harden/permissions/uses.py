"""What a tool call did, as the runtime's audit hook names it in each `tool_call` line's `uses`.

`fs:read:<folder>`, `fs:write:<folder>` (the allowed root or top folder, never the path),
`exec:<program>` and `net:<host>:<port>`. Pure functions over those strings: it never reads a
log, a file or a value a caller sent.
"""

from __future__ import annotations

from collections.abc import Iterable

FS_READ = "fs:read"
FS_WRITE = "fs:write"
EXEC = "exec"
NET = "net"
KINDS = (FS_READ, FS_WRITE, EXEC, NET)


def kind_of(use: str) -> str | None:
    """The use's kind (one of KINDS), or None for a string that is no use."""
    for kind in KINDS:
        if use.startswith(kind + ":"):
            return kind
    return None


def target_of(use: str) -> str:
    """What the use reached: the folder, the program, or host:port."""
    kind = kind_of(use)
    return use[len(kind) + 1 :] if kind else use


def of_kind(uses: Iterable[str], *kinds: str) -> list[str]:
    """The uses of those kinds, sorted."""
    return sorted(use for use in uses if kind_of(use) in kinds)


def covered_by(use: str, policy: Iterable[str]) -> bool:
    """Whether a policy (the uses a tool may make) allows `use`: listed, a read of a folder
    the policy may write, or a lookup of a host (`net:<host>:`, no port) it may reach on some
    port — the runtime's own rules."""
    allowed = set(policy)
    if use in allowed:
        return True
    if kind_of(use) == NET and use.endswith(":"):
        return any(entry.startswith(use) for entry in allowed)
    return kind_of(use) == FS_READ and f"{FS_WRITE}:{target_of(use)}" in allowed

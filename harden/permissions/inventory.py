"""`harden inventory`'s judgement: per tool, what the logs saw it do against what its code
declares (annotations, a phase 6 policy) and what the code can do statically, with flags.

It also decides the annotation changes the logs prove (`proved_hints`), which phase 6 writes:
only for a tool whose calls recorded their uses, and only in the direction the logs prove (a tool
never seen writing, running a program or connecting, whose code shows none of that either, may
declare readOnlyHint; a tool seen writing loses a readOnlyHint it declared; one seen connecting
loses openWorldHint=False). Pure: it reads LogStats and ToolSources, never a log line or a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harden.logs.stats import LogStats, ToolStats
from harden.permissions.uses import EXEC, FS_WRITE, NET, covered_by, kind_of, of_kind

if TYPE_CHECKING:
    from harden.permissions.tool_sources import ToolSource  # libcst: not at start-up

HIDDEN_WRITE = "hidden-write"  # a write observed in a tool declared read-only
DECLARED_UNOBSERVED = "declared-unobserved"  # declared, never observed: a candidate to narrow
NEVER_CALLED = "never-called"  # no call in the window (or none recording its uses)
STATIC_UNOBSERVED = "static-unobserved"  # the code can, the logs never saw it
OUTSIDE_POLICY = "outside-policy"  # PERMISSION_WOULD_DENY: a use the policy lacks
NOT_IN_SOURCE = "not-in-source"  # the logs name a tool harden finds no handler for
SAME_NAME = "same-name"  # several handlers share the name: the logs cannot tell them apart
FLAGS = (
    HIDDEN_WRITE,
    OUTSIDE_POLICY,
    SAME_NAME,
    DECLARED_UNOBSERVED,
    STATIC_UNOBSERVED,
    NEVER_CALLED,
    NOT_IN_SOURCE,
)


@dataclass(frozen=True, slots=True)
class Flag:
    kind: str  # one of FLAGS
    detail: str


@dataclass
class ToolInventory:
    name: str
    source: ToolSource | None  # None: no handler of this name, or several (`namesakes`)
    namesakes: tuple[ToolSource, ...] = ()  # the handlers sharing this name, when several
    calls: int = 0
    observed_calls: int = 0  # the calls whose line records uses
    observed: dict[str, int] = field(default_factory=dict)  # use -> calls that made it
    # capability -> lines of uses outside a policy: would be refused, and refused (enforced)
    would_deny: dict[str, int] = field(default_factory=dict)
    denied: dict[str, int] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    # What phase 6 would change in the tool's annotations, proved by these logs.
    hints: dict[str, bool] = field(default_factory=dict)

    @property
    def covered(self) -> bool:
        return self.observed_calls > 0


def inventory(stats: LogStats, sources: list[ToolSource]) -> list[ToolInventory]:
    """One entry per tool the code registers or the logs name, sorted by name."""
    by_name: dict[str, list[ToolSource]] = {}
    for source in sources:
        by_name.setdefault(source.name, []).append(source)
    entries = []
    for name in sorted(set(by_name) | set(stats.tools)):
        found = by_name.get(name, [])
        if len(found) > 1:
            entry = ToolInventory(name, None, tuple(found))
        else:
            entry = ToolInventory(name, found[0] if found else None)
        tool = stats.tools.get(name)
        if tool is not None:
            _observed(entry, tool)
        entry.flags = _flags(entry)
        entry.hints = proved_hints(entry)
        entries.append(entry)
    return entries


def _observed(entry: ToolInventory, tool: ToolStats) -> None:
    entry.calls = tool.calls
    entry.observed_calls = tool.observed_calls
    entry.observed = dict(sorted(tool.uses.items()))
    entry.would_deny = {use: o.count for use, o in sorted(tool.permission_would_deny.items())}
    entry.denied = {use: o.count for use, o in sorted(tool.permission_denied.items())}


def _flags(entry: ToolInventory) -> list[Flag]:
    source, observed = entry.source, entry.observed
    flags = []
    if entry.namesakes:
        places = ", ".join(f"{s.path}:{s.line}" for s in entry.namesakes)
        flags.append(Flag(SAME_NAME, f"registered at {places}: the logs cannot tell them apart"))
    elif source is None:
        flags.append(Flag(NOT_IN_SOURCE, "no handler of this name in the code read"))
    if not entry.covered:
        why = (
            "no call in these logs"
            if not entry.calls
            else f"{entry.calls} call(s), none recording its uses (a runtime before phase 6)"
        )
        flags.append(Flag(NEVER_CALLED, why))
    writes = of_kind(observed, FS_WRITE)
    if source is not None and source.hints.get("readOnlyHint") is True and writes:
        flags.append(Flag(HIDDEN_WRITE, f"declares readOnlyHint, seen {', '.join(writes)}"))
    flags += [
        Flag(OUTSIDE_POLICY, f"{use} ({count} time(s))") for use, count in entry.would_deny.items()
    ]
    flags += [
        Flag(OUTSIDE_POLICY, f"{use} ({count} time(s), refused)")
        for use, count in entry.denied.items()
    ]
    if source is None or not entry.covered:
        return flags
    flags += [Flag(DECLARED_UNOBSERVED, what) for what in _declared_unobserved(source, observed)]
    for use in source.static:
        shown = of_kind(observed, use.kind)  # static and observed uses share their kinds
        if use.kind == EXEC and use.program:
            shown = [seen for seen in shown if seen == f"{EXEC}:{use.program}"]
        if not shown:
            what = use.kind + (f" {use.program}" if use.program else "")
            via = f" via {use.via}" if use.via else ""
            flags.append(Flag(STATIC_UNOBSERVED, f"{what} at {use.path}:{use.line}{via}"))
    return flags


def _declared_unobserved(source: ToolSource, observed: dict[str, int]) -> list[str]:
    found = []
    hints = source.hints
    changes = of_kind(observed, FS_WRITE, EXEC)
    if hints.get("readOnlyHint") is False and not changes:
        found.append("declares readOnlyHint=False, never seen writing or running a program")
    if hints.get("destructiveHint") is True and not changes:
        found.append("declares destructiveHint, never seen writing or running a program")
    if hints.get("openWorldHint") is True and not of_kind(observed, NET):
        found.append("declares openWorldHint, never seen connecting")
    for use in source.policy or ():
        if not any(covered_by(seen, (use,)) for seen in observed):
            found.append(f"its policy allows {use}, never seen")
    return found


def proved_hints(entry: ToolInventory) -> dict[str, bool]:
    """The annotation changes these logs prove for the tool (phase 6 writes them)."""
    source = entry.source
    if source is None or not entry.covered or not source.hints_readable:
        return {}
    hints = source.hints
    # A use outside a policy happened, or was tried: it counts as much as one inside it.
    kinds = {kind_of(use) for use in (*entry.observed, *entry.would_deny, *entry.denied)}
    changes: dict[str, bool] = {}
    if hints.get("readOnlyHint") is True and FS_WRITE in kinds:
        changes["readOnlyHint"] = False
    if hints.get("openWorldHint") is False and NET in kinds:
        changes["openWorldHint"] = True
    static = {use.kind for use in source.static}
    if (
        "readOnlyHint" not in hints
        and "readOnlyHint" not in source.unknown_hints
        and hints.get("destructiveHint") is not True
        and "destructiveHint" not in source.unknown_hints
        and not kinds & {FS_WRITE, EXEC, NET}
        and not static
    ):
        changes["readOnlyHint"] = True
    return changes

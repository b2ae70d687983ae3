"""Where a module may call one of the functions a codemod acts on, found cheaply with `ast`.

libcst's qualified-name metadata tells exactly whether a call resolves to `os.system`, but costs
about a millisecond per line; the standard library's `ast` parses ten times faster, and a
module's import statements answer the same question for every call libcst can resolve. So the
engine asks this module which files, and which lines of them, deserve libcst at all.

It decides where libcst looks, never what a codemod does, and it must never miss a call libcst
would resolve to a sink (a finding would be lost): it over-approximates. Every import anywhere
in the file binds its name everywhere, a name bound twice (`try: from a import x` / `except:
from b import x`) stands for both, and a star import from a sink's module makes every bare call
of the sink's name suspect.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from harden.ast_names import dotted_name, import_bindings


@dataclass(frozen=True, slots=True)
class Sink:
    """A callable a codemod acts on: its qualified name, and a keyword the call must pass for
    the codemod to care (`shell` for `subprocess.run`); None: every call of it."""

    name: str
    keyword: str | None = None


def call_lines(module: ast.Module, sinks: Sequence[Sink]) -> list[int]:
    """The sorted first lines of every call that may resolve to one of `sinks`."""
    imports: list[ast.Import | ast.ImportFrom] = []
    calls: list[ast.Call] = []
    for node in ast.walk(module):
        if isinstance(node, ast.Call):
            calls.append(node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            imports.append(node)
    bindings = import_bindings(imports)
    by_name = {sink.name: sink for sink in sinks}
    starred = {
        sink.name.rpartition(".")[2]: sink
        for sink in sinks
        if sink.name.rpartition(".")[0] in bindings.get("*", ())
    }
    lines: set[int] = set()
    for call in calls:
        dotted = dotted_name(call.func)
        if dotted is None:
            continue
        root, _, rest = dotted.partition(".")
        targets = (f"{target}.{rest}" if rest else target for target in bindings.get(root, ()))
        candidates = [by_name[name] for name in targets if name in by_name]
        if not rest and root in starred:
            candidates.append(starred[root])
        if any(sink.keyword is None or _passes(call, sink.keyword) for sink in candidates):
            lines.add(call.lineno)
    return sorted(lines)


def _passes(call: ast.Call, keyword: str) -> bool:
    return any(k.arg == keyword for k in call.keywords)

"""Names in a Python module as the standard library's `ast` sees them, cheaply.

What each import binds, and the dotted name an expression spells: enough for the engine's
quick checks (harden.codemods.call_sites, harden.mcp.gate) to tell which files deserve libcst's
exact, and about ten times costlier, scope and qualified-name metadata. Nothing here decides a
rewrite.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable


def parse(text: str) -> ast.Module | None:
    """The module's ast, or None when this interpreter cannot parse it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            return ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            return None


def import_bindings(imports: Iterable[ast.Import | ast.ImportFrom]) -> dict[str, set[str]]:
    """Each name the imports bind -> the qualified names it may stand for; "*" -> the modules
    star-imported."""
    bindings: dict[str, set[str]] = {}
    for node in imports:
        for alias in node.names:
            if isinstance(node, ast.Import):
                name = alias.asname or alias.name.partition(".")[0]
                target = alias.name if alias.asname else name
            elif node.module and not node.level:
                name = alias.asname or alias.name
                target = node.module if name == "*" else f"{node.module}.{alias.name}"
            else:
                continue  # a relative import: never a standard library sink
            bindings.setdefault(name, set()).add(target)
    return bindings


def dotted_name(func: ast.expr) -> str | None:
    """`a.b.c` for a callee written as a chain of names, else None."""
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    parts.append(func.id)
    return ".".join(reversed(parts))

"""The import statement that named a callee, for a rewrite that may leave it unused.

A codemod that replaces a call (`traceback.format_exc()`) lists the import behind the callee
among its Proposal's `drop_imports`; libcst's RemoveImportsVisitor then removes it only if
nothing else uses it. This module only describes imports; it never changes a module.
"""

from __future__ import annotations

from collections.abc import Collection

import libcst as cst

# (module, name or None, alias or None), as libcst's AddImportsVisitor and RemoveImportsVisitor
# take them: ("os", None, None) is `import os`, ("os", "system", "run") `from os import system
# as run`.
Import = tuple[str, str | None, str | None]


def import_of(func: cst.BaseExpression, qualified_names: Collection[str]) -> tuple[Import, ...]:
    """The import that bound `func` (`sp.run`, `system`), given its qualified names."""
    if not qualified_names:
        return ()
    module, _, obj = min(qualified_names).rpartition(".")
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        alias = func.value.value
        return ((module, None, alias if alias != module else None),)
    if isinstance(func, cst.Name):
        return ((module, obj, func.value if func.value != obj else None),)
    return ()

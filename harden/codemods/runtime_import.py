"""Import the vendored runtime (`harden_runtime`) into a module that a rewrite made use it.

The runtime is copied next to the module. A module at the tree's root imports it plainly: its
own folder is on sys.path when it runs as a script or is imported from there. A module in any
folder below imports it relatively, falling back to the plain import when there is no parent
package (the module is run as a script). The relative import works for a regular package, a
namespace package (a folder without `__init__.py`, which setuptools' `find_namespace:`, hatch
and poetry install as such) and a `src/` layout alike, so which of them the folder is need not
be guessed from the project's packaging. Adding it twice is never needed: a module that
already imports it is left as it is. `runtime_function` tells which runtime function a
qualified name stands for, so codemods recognise their own earlier rewrites.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from harden.vendoring import RUNTIME_MODULE

# The fallback runs only when the module is run as a script, never under the project's tests
# (coverage must not count it as missed), and a type checker sees the same name imported twice,
# once from where it cannot find it (mypy: no-redef, import-not-found; which of them fires
# depends on the module, hence unused-ignore).
_FALLBACK_COMMENT = "# pragma: no cover - run as a script: no parent package"
_FALLBACK_TYPE_IGNORE = "# type: ignore[no-redef, import-not-found, unused-ignore]"


def runtime_function(qualified_names: Iterable[str]) -> str | None:
    """The runtime function among an expression's qualified names, if any: "observe" for
    `harden_runtime.observe`, however the runtime was imported (`from . import harden_runtime`
    gives `.harden_runtime.observe`)."""
    for qualified in qualified_names:
        module, _, name = qualified.rpartition(".")
        if module.rpartition(".")[2] == RUNTIME_MODULE:
            return name
    return None


def add_runtime_import(module: cst.Module, *, below_root: bool) -> cst.Module:
    if _imports_runtime(module):
        return module
    plain = cst.parse_statement(f"import {RUNTIME_MODULE}\n")
    statement = plain
    if below_root:
        statement = cst.parse_statement(
            f"try:\n    from . import {RUNTIME_MODULE}\n"
            f"except ImportError:  {_FALLBACK_COMMENT}\n"
            f"    import {RUNTIME_MODULE}  {_FALLBACK_TYPE_IGNORE}\n"
        )
    body = list(module.body)
    position = _after_imports(body)
    if below_root and position:
        # Set apart from the imports or docstring above, as black and ruff format lay it out.
        statement = statement.with_changes(leading_lines=[cst.EmptyLine()])
    body.insert(position, statement)
    return module.with_changes(body=body)


def _imports_runtime(module: cst.Module) -> bool:
    """`import harden_runtime` or `from ... import harden_runtime` binding the name in the
    module: at its top level, also under `if`/`try`/`with`, not inside a function or class
    (which binds it there only, where the decorators cannot see it). Statements' expressions
    are not walked: cost follows the module's statements, not its size."""
    found = False

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> bool:
            nonlocal found
            for small in node.body:
                if isinstance(small, cst.Import | cst.ImportFrom) and not isinstance(
                    small.names, cst.ImportStar
                ):
                    found |= any(
                        isinstance(alias.name, cst.Name) and alias.name.value == RUNTIME_MODULE
                        for alias in small.names
                    )
            return False

    module.visit(Finder())
    return found


def _after_imports(body: list[cst.BaseStatement]) -> int:
    """The index just after the module's leading docstring and import statements (guarded
    ones, `try: import x` / `except ImportError: ...`, included)."""
    position = 0
    for index, statement in enumerate(body):
        if not (_is_import_or_docstring(statement) or _is_guarded_import(statement)):
            break
        position = index + 1
    return position


def _is_import_or_docstring(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    small = statement.body[0]
    docstring = isinstance(small, cst.Expr) and isinstance(small.value, cst.SimpleString)
    return docstring or isinstance(small, cst.Import | cst.ImportFrom)


def _is_guarded_import(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.Try) and any(
        isinstance(inner, cst.SimpleStatementLine)
        and any(isinstance(small, cst.Import | cst.ImportFrom) for small in inner.body)
        for inner in statement.body.body
    )

"""Import the vendored runtime (`harden_runtime`) into a module that a rewrite made use it.

A module at the top level imports it plainly: the runtime is copied next to it, and the
module's own folder is on sys.path when it runs as a script or is imported from there. A module
inside a package imports it relatively, falling back to the plain import when the module is run
as a script (then there is no parent package). Adding it twice is never needed: a module that
already imports it is left as it is.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

RUNTIME_MODULE = "harden_runtime"

_IMPORTS_RUNTIME = m.Import(names=[m.ImportAlias(name=m.Name(RUNTIME_MODULE))]) | m.ImportFrom(
    names=[m.ImportAlias(name=m.Name(RUNTIME_MODULE))]
)


def add_runtime_import(module: cst.Module, *, in_package: bool) -> cst.Module:
    if m.findall(module, _IMPORTS_RUNTIME):
        return module
    plain = cst.parse_statement(f"import {RUNTIME_MODULE}\n")
    statement = plain
    if in_package:
        statement = cst.parse_statement(
            f"try:\n    from . import {RUNTIME_MODULE}\n"
            "except ImportError:  # run as a script: no parent package\n"
            f"    import {RUNTIME_MODULE}\n"
        )
    body = list(module.body)
    body.insert(_after_imports(body), statement)
    return module.with_changes(body=body)


def _after_imports(body: list[cst.BaseStatement]) -> int:
    """The index just after the module's leading docstring and import statements."""
    leading = m.SimpleStatementLine(
        body=[m.Import() | m.ImportFrom() | m.Expr(value=m.SimpleString())]
    )
    position = 0
    for index, statement in enumerate(body):
        guarded_import = isinstance(statement, cst.Try) and m.findall(
            statement.body, m.Import() | m.ImportFrom()
        )
        if not (m.matches(statement, leading) or guarded_import):
            break
        position = index + 1
    return position

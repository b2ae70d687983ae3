"""harden imports only the standard library and what pyproject.toml declares.

A module that imports a package another dependency happens to bring along (click comes with
some, typer vendors its own) works in the development environment and fails for a user who ran
`pip install .`. `harden contract` (harden/contract/) may also import its own extra, `contract`,
which its command asks for when missing. The vendored runtime must import the standard library
alone.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Distribution name (as declared) -> the module it is imported as, where they differ.
IMPORT_NAME = {"gitpython": "git", "hypothesis-jsonschema": "hypothesis_jsonschema"}


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def _declared(extra: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    names = {re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower() for spec in specs}
    return {IMPORT_NAME.get(name, name) for name in names}


def test_harden_imports_only_the_standard_library_and_declared_dependencies() -> None:
    allowed = set(sys.stdlib_module_names) | _declared() | {"harden", "__future__"}
    contract = allowed | _declared("contract")
    undeclared = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "harden").rglob("*.py")
        for name in _imported(path)
        - (contract if path.is_relative_to(ROOT / "harden" / "contract") else allowed)
    }
    assert not undeclared


def test_the_vendored_runtime_imports_the_standard_library_alone() -> None:
    imported = _imported(ROOT / "harden" / "runtime.py")
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}

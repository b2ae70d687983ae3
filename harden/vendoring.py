"""The copies of harden's runtime a change set must add or bring up to date.

The runtime (harden/runtime.py, stdlib only) is copied as `harden_runtime.py` into every folder
holding a module that a rewrite made import it, so the hardened server runs without harden
installed. A copy already identical is left alone; an older one is replaced in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from harden.changes import FileChange
from harden.config import runtime_settings_code

# What the vendored copy is imported as, and its file.
RUNTIME_MODULE = "harden_runtime"
# The runtime function phase 4 wraps a server's construction in; it returns the server, which
# handler discovery must still see through.
RUNTIME_PUBLISHED = "published"
RUNTIME_FILENAME = f"{RUNTIME_MODULE}.py"


# The vendored copy is not the project's code: the project's linters, formatters and type
# checkers must leave it alone, or its gates fail on harden's code (Bandit needs no header: the
# runtime marks its few subprocess calls itself, and runs no shell).
VENDORED_HEADER = """\
# Generated: harden_runtime is vendored by `harden apply`, which replaces it; do not edit.
# It is not this project's code: the project's linters, formatters and type checkers
# leave it alone. It is clean under ruff and black at 88 columns and under Bandit anyway.
# ruff: noqa
# flake8: noqa
# mypy: ignore-errors
# pylint: skip-file
# fmt: off
"""


def runtime_source() -> str:
    """The text of a vendored copy (before the project's settings)."""
    source = (Path(__file__).parent / "runtime.py").read_text(encoding="utf-8")
    return VENDORED_HEADER + source


def runtime_path_beside(module_path: str) -> str:
    return (PurePosixPath(module_path).parent / RUNTIME_FILENAME).as_posix()


def is_runtime(path: str) -> bool:
    return PurePosixPath(path).name == RUNTIME_FILENAME


def runtime_changes(
    users: Iterable[str], existing: Mapping[str, str], settings: Mapping[str, Any] | None = None
) -> list[FileChange]:
    """New or updated runtime copies beside each module in `users` (paths of modules), ending
    with the project's runtime `settings` ([tool.harden]) when there are any."""
    source = runtime_source() + runtime_settings_code(settings or {})
    changes = []
    for path in sorted({runtime_path_beside(user) for user in users}):
        before = existing.get(path, "")
        if before != source:
            changes.append(FileChange(path, before, source))
    return changes

"""Fixtures for the codemod tests: run a codemod over source text, accepting every rewrite.

These fixtures never touch files or git; they only turn source text into rewritten text.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst
import pytest

from harden.codemods.base import FileRun, PlannedCodemod
from harden.codemods.shell_commands import ShellCommands


def apply_codemod(
    source: str, codemod: type[PlannedCodemod] = ShellCommands
) -> tuple[str, FileRun]:
    """The module rewritten with every proposal accepted, and the run's record."""
    run = FileRun(path="module.py", decide=lambda rewrite: True)
    new = codemod(run).transform_module(cst.parse_module(source)).code
    return new, run


@pytest.fixture(scope="session")
def apply() -> Callable[..., tuple[str, FileRun]]:
    return apply_codemod

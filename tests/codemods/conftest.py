"""Fixtures for the codemod tests: run a codemod over source text, accepting every rewrite.

These fixtures never touch files or git; they only turn source text into rewritten text.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import libcst as cst
import pytest

from harden.cli.inventory import window_text
from harden.codemods.base import FileRun, PlannedCodemod
from harden.codemods.shell_commands import ShellCommands
from harden.logs.query import load_stats
from harden.logs.read import Reading
from harden.permissions.inventory import inventory
from harden.permissions.scoping import Scoping, scoping
from harden.permissions.tool_sources import tool_sources


def apply_codemod(
    source: str, codemod: type[PlannedCodemod] = ShellCommands, logs: Sequence[str] = ()
) -> tuple[str, FileRun]:
    """The module rewritten with every proposal accepted, and the run's record; with `logs`
    (the runtime's lines), phase 6's decisions are made from them, as `harden apply` makes them."""
    run = FileRun(path="module.py", decide=lambda rewrite: True)
    if logs:
        run.scoping = scoping_of([("module.py", source)], logs)
    new = codemod(run).transform_module(cst.parse_module(source)).code
    return new, run


def scoping_of(files: Sequence[tuple[str, str]], logs: Sequence[str]) -> Scoping:
    """Phase 6's decision per tool for these files, from these log lines."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "server.log"
        log.write_text("\n".join(logs) + "\n")
        stats = load_stats([str(log)], Reading(), None, None)
    return scoping(inventory(stats, tool_sources(files)), window_text(stats))


@pytest.fixture(scope="session")
def apply() -> Callable[..., tuple[str, FileRun]]:
    return apply_codemod

"""The registry of codemods: one module per codemod, each carrying its metadata and examples."""

from __future__ import annotations

from harden.codemods.base import PlannedCodemod
from harden.codemods.shell_commands import ShellCommands

ALL: tuple[type[PlannedCodemod], ...] = (ShellCommands,)
BY_ID: dict[str, type[PlannedCodemod]] = {codemod.INFO.id: codemod for codemod in ALL}

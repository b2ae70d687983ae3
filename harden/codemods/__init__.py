"""The registry of codemods: one module per codemod, each carrying its metadata and examples."""

from __future__ import annotations

from harden.codemods.base import PlannedCodemod
from harden.codemods.error_messages import ErrorMessages
from harden.codemods.mask_errors import MaskErrors
from harden.codemods.observe import Observe
from harden.codemods.rate_limit import RateLimit
from harden.codemods.shell_commands import ShellCommands
from harden.codemods.validate import Validate

ALL: tuple[type[PlannedCodemod], ...] = (
    Observe,
    Validate,
    RateLimit,
    ShellCommands,
    ErrorMessages,
    MaskErrors,
)
BY_ID: dict[str, type[PlannedCodemod]] = {codemod.INFO.id: codemod for codemod in ALL}

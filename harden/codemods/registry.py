"""The codemod classes, in the order harden runs and lists them (that of
harden.codemods.catalog.ALL_INFO), and by id.

Importing it imports every codemod and libcst: what needs only a codemod's metadata (its id,
phase, rule, title, prefilter) must read harden.codemods.catalog instead.
"""

from __future__ import annotations

from harden.codemods.authenticate import Authenticate
from harden.codemods.base import PlannedCodemod
from harden.codemods.error_messages import ErrorMessages
from harden.codemods.mask_errors import MaskErrors
from harden.codemods.mask_secrets import MaskSecrets
from harden.codemods.observe import Observe
from harden.codemods.permissions import Permissions
from harden.codemods.rate_limit import RateLimit
from harden.codemods.shell_commands import ShellCommands
from harden.codemods.validate import Validate

ALL: tuple[type[PlannedCodemod], ...] = (
    Observe,
    Validate,
    RateLimit,
    Authenticate,
    ShellCommands,
    ErrorMessages,
    MaskErrors,
    MaskSecrets,
    Permissions,
)
BY_ID: dict[str, type[PlannedCodemod]] = {codemod.INFO.id: codemod for codemod in ALL}

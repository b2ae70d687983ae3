"""What each codemod is, apart from its code: its metadata and BEFORE/AFTER examples, one module
per codemod, in the order harden runs and lists them.

Data only: what needs a codemod's id, phase, rule, title or prefilter (the command line's rule
tables) reads it here without loading the codemod. Nothing in this package ever imports libcst
or a codemod; harden/codemods/registry.py pairs each entry with its codemod class.
"""

from __future__ import annotations

from harden.codemods.catalog import (
    authenticate,
    error_messages,
    mask_errors,
    mask_secrets,
    observe,
    permissions,
    rate_limit,
    shell_commands,
    validate,
)
from harden.codemods.info import CodemodInfo

ALL_INFO: tuple[CodemodInfo, ...] = (
    observe.INFO,
    validate.INFO,
    rate_limit.INFO,
    authenticate.INFO,
    shell_commands.INFO,
    error_messages.INFO,
    mask_errors.INFO,
    mask_secrets.INFO,
    permissions.INFO,
)
INFO_BY_ID: dict[str, CodemodInfo] = {info.id: info for info in ALL_INFO}

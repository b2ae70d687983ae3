"""Phase 5 codemod: every MCP handler (tools, resources, prompts) gets
`@harden_runtime.mask_secrets`.

The decorator looks in what the handler returns to a client for the values of the process's
secret-looking environment variables and for credentials of well-known forms; it logs what it
finds (never the value) and, under ENFORCE_SECRET_MASKING=true, redacts it. It never changes
anything but decorator lists (the placement rules are handler_decorators').

It also reports, as `secret-exposure` (high), each handler return that visibly hands the
environment or a secret variable to the client (secret_returns.py), and rewrites none: which
values a client needs is the author's decision, and the decorator is what guards it meanwhile.
"""

from __future__ import annotations

import libcst as cst

from harden.codemods.base import PlannedCodemod, Refusal
from harden.codemods.catalog import mask_secrets as catalog
from harden.codemods.handler_decorators import EVERY_KIND, Hardening, describe, planner_for
from harden.codemods.secret_returns import exposures
from harden.findings.model import Severity
from harden.mcp.handlers import HandlerProvider

SECRET_EXPOSURE = "secret-exposure"

HARDENING = Hardening(
    decorator="mask_secrets",
    kinds=EVERY_KIND,
    severity=Severity.LOW,
    lacks="check of its results for secrets (phase 5, mask_secrets)",
    note=(
        "Each result a client gets is checked for the values of the process's secret-looking "
        "environment variables (`*_KEY`, `*_TOKEN`, `*_SECRET`, `*PASSWORD*`, `*_DSN`, ...; 8 "
        "characters or more) and for private keys, AWS, GitHub and Slack tokens, JWTs and URL "
        "passwords: one SECRET_WOULD_REDACT line per kind found (tool, kind, variable name; "
        "never the value), and the result goes out unchanged. ENFORCE_SECRET_MASKING=true "
        "replaces each with `[redacted:NAME]`; HARDEN_SECRET_ALLOW names the variables (or "
        "gives the values) that are not secrets."
    ),
)


class MaskSecretsPlanner(planner_for(HARDENING)):  # type: ignore[misc]
    """Adds the decorator, and reports each return that shows the environment."""

    def visit_Module(self, node: cst.Module) -> bool:
        super().visit_Module(node)
        discovery = self.get_metadata(HandlerProvider, node)
        for function, handlers in discovery.by_function.items():
            for value, shown in exposures(function, self._qualified):
                self.plans.append(
                    Refusal(
                        node=value,
                        reason=(
                            f"returns {shown}: which values its client needs is for its author "
                            "to decide; mask_secrets logs SECRET_WOULD_REDACT for each result "
                            "that carries a secret, and redacts it under "
                            "ENFORCE_SECRET_MASKING=true"
                        ),
                        severity=Severity.HIGH,
                        message=f"{describe(function, handlers)} returns {shown} to its client",
                        rule=SECRET_EXPOSURE,
                    )
                )
        return False


class MaskSecrets(PlannedCodemod):
    INFO = catalog.INFO
    PLANNER = MaskSecretsPlanner

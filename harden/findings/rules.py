"""Which harden codemod fixes a finding, by the reporting tool and its rule id.

The table is data, one dict per source tool, so that later phases add rows rather than code.
A mapping says the codemod is the one to try at that place; the codemod itself still decides
whether it can rewrite it safely (an argv-only subprocess call flagged by a broad rule stays
as it is and becomes an unfixed finding). This module must never import a codemod.
"""

from __future__ import annotations

from collections.abc import Callable

from harden.findings.model import Finding

SHELL_COMMANDS = "shell-commands"

CODEMOD_BY_RULE: dict[str, dict[str, str]] = {
    "harden": {
        "shell-command": SHELL_COMMANDS,
        "mcp-handler-unobserved": "observe",
        "mcp-tool-unvalidated": "validate",
        "mcp-tool-unlimited": "rate-limit",
        "error-text-leak": "error-messages",
        "mcp-tool-error-unmasked": "mask-errors",
        "mcp-result-secrets-unchecked": "mask-secrets",
        "secret-exposure": "mask-secrets",
    },
    "bandit": {
        "B602": SHELL_COMMANDS,  # subprocess_popen_with_shell_equals_true
        "B604": SHELL_COMMANDS,  # any_other_function_with_shell_equals_true
        "B605": SHELL_COMMANDS,  # start_process_with_a_shell (os.system, os.popen, getoutput)
        "B607": SHELL_COMMANDS,  # start_process_with_partial_path
        "B609": SHELL_COMMANDS,  # linux_commands_wildcard_injection
    },
    "ruff": {
        "S602": SHELL_COMMANDS,  # subprocess-popen-with-shell-equals-true
        "S604": SHELL_COMMANDS,  # call-with-shell-equals-true
        "S605": SHELL_COMMANDS,  # start-process-with-a-shell
        "S607": SHELL_COMMANDS,  # start-process-with-partial-path
        "S609": SHELL_COMMANDS,  # unix-command-wildcard-injection
    },
    # Keyed by the rule's own id, the last dotted segment: the registry reports
    # "python.lang.security.audit.subprocess-shell-true.subprocess-shell-true", a local
    # config "<config path>.subprocess-shell-true". Ids from semgrep/semgrep-rules.
    "semgrep": {
        # python/lang/security/audit/
        "subprocess-shell-true": SHELL_COMMANDS,
        "dangerous-subprocess-use": SHELL_COMMANDS,
        "dangerous-subprocess-use-audit": SHELL_COMMANDS,
        "dangerous-subprocess-use-tainted-env-args": SHELL_COMMANDS,
        "dangerous-taint-subprocess-use": SHELL_COMMANDS,
        "dangerous-system-call": SHELL_COMMANDS,
        "dangerous-system-call-audit": SHELL_COMMANDS,
        "dangerous-system-call-tainted-env-args": SHELL_COMMANDS,
        "dangerous-taint-system-call": SHELL_COMMANDS,
        "dangerous-asyncio-shell": SHELL_COMMANDS,
        "dangerous-asyncio-shell-audit": SHELL_COMMANDS,
        "dangerous-asyncio-shell-tainted-env-args": SHELL_COMMANDS,
        "dangerous-taint-asyncio-shell": SHELL_COMMANDS,
        # python/flask/security/injection/ and python/django/security/injection/command/
        "os-system-injection": SHELL_COMMANDS,
        "command-injection-os-system": SHELL_COMMANDS,
        "subprocess-injection": SHELL_COMMANDS,
    },
    "codeql": {
        "py/command-line-injection": SHELL_COMMANDS,
        "py/shell-command-constructed-from-input": SHELL_COMMANDS,
        # "Information exposure through an exception": exception text flowing into a response
        "py/stack-trace-exposure": "error-messages",
    },
    # mcp-security-scan 1.1.0 (patterns.py UNSAFE_EXEC_PATTERNS) names findings by pattern. It
    # reports only the first matching pattern of a line, so `subprocess.run(cmd, shell=True)`
    # arrives as "subprocess.run / Popen (Python)" and "shell=True (Python)" only when the
    # keyword sits on a line of its own.
    "mcp-security-scan": {
        "subprocess.run / Popen (Python)": SHELL_COMMANDS,
        "os.system / os.popen (Python)": SHELL_COMMANDS,
        "shell=True (Python)": SHELL_COMMANDS,
    },
}

_RULE_KEY: dict[str, Callable[[str], str]] = {
    "semgrep": lambda rule_id: rule_id.rsplit(".", 1)[-1],
}


def codemod_for(finding: Finding) -> str | None:
    """The id of the codemod that fixes this finding, or None when no codemod does."""
    table = CODEMOD_BY_RULE.get(finding.source, {})
    key = _RULE_KEY.get(finding.source, str)(finding.rule_id)
    return table.get(key)

"""Which codemod fixes a finding, checked on what real scanners reported about the sample.

These tests must never import a codemod: the mapping is data.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harden.findings.load import load_findings
from harden.findings.model import Finding
from harden.findings.rules import SHELL_COMMANDS, codemod_for

Loader = Callable[[str], Path]


@pytest.mark.parametrize(
    ("output", "fixed", "left"),
    [
        ("bandit.json", {"B602", "B605", "B607"}, {"B404", "B603"}),
        ("bandit.sarif", {"B602", "B605", "B607"}, {"B404", "B603"}),
        ("ruff.json", {"S602", "S605", "S607"}, {"S603"}),
        ("ruff.sarif", {"S602", "S605", "S607"}, {"S603"}),
        (
            "semgrep.sarif",
            {
                "semgrep-rules.python.lang.security.audit.subprocess-shell-true",
                "semgrep-rules.python.lang.security.audit.dangerous-system-call",
                "semgrep-rules.python.lang.security.audit.dangerous-asyncio-shell",
            },
            set(),
        ),
        (
            "codeql.sarif",
            {"py/command-line-injection", "py/shell-command-constructed-from-input"},
            set(),
        ),
        (
            "mcp-security-scan.json",
            {
                "subprocess.run / Popen (Python)",
                "os.system / os.popen (Python)",
                "shell=True (Python)",
            },
            {"Unrestricted file read (Python)"},
        ),
    ],
)
def test_real_findings_map_to_the_shell_commands_codemod(
    stored_output: Loader, data_dir: Path, output: str, fixed: set[str], left: set[str]
) -> None:
    findings = load_findings(stored_output(output), data_dir)
    assert {f.rule_id for f in findings if codemod_for(f) == SHELL_COMMANDS} == fixed
    assert {f.rule_id for f in findings if codemod_for(f) is None} == left


@pytest.mark.parametrize(
    ("rule_id", "source", "expected"),
    [
        ("shell-command", "harden", SHELL_COMMANDS),
        (
            "python.lang.security.audit.subprocess-shell-true.subprocess-shell-true",
            "semgrep",
            SHELL_COMMANDS,
        ),
        (
            "python.django.security.injection.command.command-injection-os-system"
            ".command-injection-os-system",
            "semgrep",
            SHELL_COMMANDS,
        ),
        ("python.lang.security.audit.eval-detected.eval-detected", "semgrep", None),
        ("B602", "ruff", None),  # a rule id means something only for its own tool
        ("py/command-line-injection", "semgrep", None),
        ("B602", "some-other-tool", None),
    ],
)
def test_rules_are_matched_within_their_source(
    rule_id: str, source: str, expected: str | None
) -> None:
    assert codemod_for(Finding(rule_id, "a.py", 1, source=source)) == expected

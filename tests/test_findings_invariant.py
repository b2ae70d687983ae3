"""Every finding read from a scanner's report ends in exactly one place.

`harden apply --findings FILE`: each finding is rewritten (by which rewrite), not rewritten
(with the reason), or ignored (a rule the phase does not handle); the three add up to the
findings read. A property test over generated reports (harden's own findings of a server;
Bandit's, ruff's, Semgrep's and CodeQL's ids at real and made-up places; files that do not
exist), for every phase.
"""

from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from harden import engine
from harden.findings.model import Finding
from harden.phases import PHASES, Phase

SERVER = textwrap.dedent(
    """\
    import os
    import subprocess

    from mcp.server.fastmcp import FastMCP

    mcp = FastMCP("ops")


    @mcp.tool()
    def grep(pattern: str) -> str:
        try:
            return subprocess.run(
                f"grep {pattern} notes.txt", shell=True, capture_output=True, text=True
            ).stdout
        except OSError as e:
            return f"Error: {e}"


    @mcp.tool()
    def disk() -> str:
        os.system("df -h")
        return subprocess.check_output(["git", "status"], text=True)
    """
)
FILES = [("server.py", SERVER)]
OWN = engine.scan(FILES, [c for p in PHASES.values() for c in p.codemod_ids], jobs=1).findings
LINES = SERVER.count("\n")

# (source, rule id) as each scanner reports them: handled by a codemod of some phase, or not.
SCANNER_RULES = [
    *(("bandit", rule) for rule in ("B602", "B605", "B607", "B603", "B404", "B101")),
    *(("ruff", rule) for rule in ("S602", "S605", "S607")),
    ("semgrep", "python.lang.security.audit.subprocess-shell-true.subprocess-shell-true"),
    ("semgrep", "python.lang.security.audit.eval-detected.eval-detected"),
    ("codeql", "py/command-line-injection"),
    ("codeql", "py/stack-trace-exposure"),
    ("codeql", "py/clear-text-logging-sensitive-data"),
]


def _scanner_finding(rule: tuple[str, str], path: str, line: int, column: int) -> Finding:
    source, rule_id = rule
    return Finding(rule_id, path, line, column, source=source)


scanner_findings = st.builds(
    _scanner_finding,
    st.sampled_from(SCANNER_RULES),
    st.sampled_from(["server.py", "missing.py"]),
    st.integers(1, LINES + 3),
    st.integers(0, 20),
)
reports = st.sets(st.sampled_from(OWN) | scanner_findings, max_size=12)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(report=reports, phase=st.sampled_from([p for p in PHASES.values() if p.available]))
def test_each_finding_read_is_rewritten_not_rewritten_or_ignored_exactly_once(
    report: set[Finding], phase: Phase
) -> None:
    requested = sorted(report, key=Finding.sort_key)
    changes = engine.apply(
        FILES, phase.codemod_ids, phase=phase.number, requested=requested, jobs=1
    )
    rewritten = [f for r in changes.rewrites for f in r.fixes]
    unfixed = [u.finding for u in changes.unfixed]
    ends = rewritten + unfixed + changes.ignored
    assert sorted(ends, key=Finding.sort_key) == sorted(report, key=Finding.sort_key)
    assert all(u.reason for u in changes.unfixed)

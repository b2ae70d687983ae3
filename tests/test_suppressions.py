"""Suppression comments of all three styles keep harden away from a line, in scan and apply.

A place its author marked after review (`# harden: ignore[...]`, Bandit's `# nosec`, ruff's
`# noqa: S602`) is neither rewritten nor reported by harden's scan; a scanner's finding that
names it is answered with the comment as the reason.
"""

from __future__ import annotations

import pytest

from harden import engine
from harden.changes import Verdict
from harden.findings.model import Finding
from harden.suppressions import suppression

SHELL = "import subprocess\n\ndef f(x):\n    subprocess.run('ls ' + x, shell=True){comment}\n"


@pytest.mark.parametrize(
    ("comment", "codemod", "suppressed"),
    [
        ("# harden: ignore", "shell-commands", True),
        ("# harden: ignore[shell-commands]", "shell-commands", True),
        ("# harden: ignore[shell-command, observe]", "shell-commands", True),  # a rule id
        ("# harden: ignore[observe]", "shell-commands", False),
        ("# nosec", "shell-commands", True),
        ("# nosec B602", "shell-commands", True),
        ("# nosec: B602, B607", "shell-commands", True),
        ("# nosec B101", "shell-commands", False),
        ("# noqa", "shell-commands", True),
        ("# noqa: S602", "shell-commands", True),
        ("# noqa: E501, S605", "shell-commands", True),
        ("# noqa: E501", "shell-commands", False),
        ("# nosecret here", "shell-commands", False),
        ("# a comment", "shell-commands", False),
    ],
)
def test_comment_styles(comment: str, codemod: str, suppressed: bool) -> None:
    found = suppression([f"run(x)  {comment}"], codemod)
    assert (found is not None) is suppressed


@pytest.mark.parametrize("comment", ["", "  # nosec B602", "  # noqa: S602", "  # harden: ignore"])
def test_scan_and_apply_leave_a_suppressed_line_alone(comment: str) -> None:
    files = [("m.py", SHELL.format(comment=comment))]
    scanned = engine.scan(files, ["shell-commands"])
    changes = engine.apply(files, ["shell-commands"], phase=5)
    if comment:
        assert scanned.findings == []
        assert changes.files == [] and changes.unfixed == []
    else:
        assert len(scanned.findings) == 1
        # `x` may hold blanks: the runtime splits it as sh did, so it comes along.
        assert [c.path for c in changes.files] == ["m.py", "harden_runtime.py"]


def test_a_scanners_finding_at_a_suppressed_place_gets_the_reason() -> None:
    files = [("m.py", SHELL.format(comment="  # nosec B602"))]
    bandit = Finding("B602", "m.py", 4, 5, source="bandit")
    changes = engine.apply(files, ["shell-commands"], phase=5, requested=[bandit])
    assert changes.files == []
    assert [(u.finding, u.reason) for u in changes.unfixed] == [
        (bandit, "suppressed by `# nosec B602`")
    ]


def test_a_handler_is_suppressed_on_its_def_or_decorator_line_only() -> None:
    server = (
        "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('x')\n\n\n"
        "@mcp.tool(){on_decorator}\n"
        "def ping() -> str:{on_def}\n"
        "    return 'pong'{in_body}\n"
    )
    for where, suppressed in (("on_decorator", True), ("on_def", True), ("in_body", False)):
        marks = dict.fromkeys(("on_decorator", "on_def", "in_body"), "")
        marks[where] = "  # harden: ignore[observe]"
        scanned = engine.scan([("s.py", server.format(**marks))], ["observe"])
        assert (scanned.findings == []) is suppressed, where


@pytest.mark.parametrize(
    ("source", "codemod"),
    [
        (SHELL.format(comment=""), "shell-commands"),
        (SHELL.format(comment="  # keep: reviewed"), "shell-commands"),
        (
            "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('x')\n\n\n"
            "@mcp.tool()\ndef ping() -> str:\n    return 'pong'\n",
            "observe",
        ),
        (
            "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('x')\n\n\n"
            "def ping(\n    name: str,\n) -> str:\n    return name\n\n\nmcp.add_tool(ping)\n",
            "observe",
        ),
    ],
    ids=["call", "call with a comment", "decorated handler", "call-registered handler"],
)
def test_a_remembered_rejection_is_not_asked_again(source: str, codemod: str) -> None:
    files = [("m.py", source)]
    first = engine.apply(files, [codemod], phase=5, decide=lambda rewrite: Verdict.SUPPRESS)
    (change,) = first.files
    assert f"# harden: ignore[{codemod}]" in change.after
    assert change.rewrites == []
    compile(change.after, "m.py", "exec")
    asked: list[str] = []
    engine.apply(
        [("m.py", change.after)], [codemod], phase=5, decide=lambda r: asked.append(r.path)
    )
    assert asked == []
    if "# keep: reviewed" in source:
        assert "# keep: reviewed  # harden: ignore[shell-commands]" in change.after

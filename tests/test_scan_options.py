"""`harden scan`'s options for picking what to show and how: rules, severity, line formats,
statistics and a baseline; and that --fail-on counts only what is shown."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from test_cli import FIXTURES, harden, make_project

from harden.cli import common
from harden.findings import lines
from harden.findings.model import Finding, Severity

ALL_RULES = {
    "shell-command",
    "mcp-handler-unobserved",
    "mcp-tool-unvalidated",
    "mcp-tool-unlimited",
    "mcp-tool-unauthenticated",
    "mcp-tool-error-unmasked",
    "mcp-result-secrets-unchecked",
}
SHELL = 'import os\n\n\ndef f(x):\n    os.system("ls " + x)\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def findings(args: list[str], cwd: Path, capsys, monkeypatch) -> list[dict]:
    code, out, _ = harden(["scan", "-f", "json", *args], cwd, capsys, monkeypatch)
    assert code == 0
    return json.loads(out)["findings"]


@pytest.mark.parametrize(
    ("args", "rules"),
    [
        (["--select", "shell-command"], {"shell-command"}),
        (["--select", "B602"], {"shell-command"}),  # Bandit's id for what harden calls this
        (["--select", "S6"], {"shell-command"}),  # a code prefix, as ruff takes one
        (["--select", "s605,mcp-tool-unlimited"], {"shell-command", "mcp-tool-unlimited"}),
        (
            ["--ignore", "S602", "--ignore", "mcp-handler-unobserved"],
            ALL_RULES - {"shell-command", "mcp-handler-unobserved"},
        ),
        (
            ["--select", "B602", "--select", "mcp-tool-unlimited", "--ignore", "shell-command"],
            {"mcp-tool-unlimited"},
        ),
    ],
)
def test_select_and_ignore_pick_rules(project, capsys, monkeypatch, args, rules) -> None:
    assert {f["rule_id"] for f in findings(args, project, capsys, monkeypatch)} == rules


def test_config_selects_rules_and_the_command_line_replaces_it(
    project, capsys, monkeypatch
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.harden]\nselect = ["B605", "mcp-tool-unlimited"]\nignore = ["shell-command"]\n'
    )
    assert {f["rule_id"] for f in findings([], project, capsys, monkeypatch)} == {
        "mcp-tool-unlimited"
    }
    shown = findings(["--ignore", "mcp-tool-unlimited"], project, capsys, monkeypatch)
    assert {f["rule_id"] for f in shown} == {"shell-command"}
    # --select replaces the file's select; the file's ignore still applies
    shown = findings(
        ["--select", "mcp-tool-unvalidated,shell-command"], project, capsys, monkeypatch
    )
    assert {f["rule_id"] for f in shown} == {"mcp-tool-unvalidated"}


def test_severity_shows_findings_at_or_above_it(project, capsys, monkeypatch) -> None:
    every = findings([], project, capsys, monkeypatch)
    assert {f["severity"] for f in every} == {"low", "medium", "high"}
    medium = findings(["--severity", "medium"], project, capsys, monkeypatch)
    assert medium == [f for f in every if f["severity"] != "low"]


def test_fail_on_counts_only_the_findings_shown(project, capsys, monkeypatch) -> None:
    def status(*args: str) -> int:
        return harden(["scan", "--fail-on", "high", *args], project, capsys, monkeypatch)[0]

    assert status() == 1
    assert status("--ignore", "B602") == 0
    assert status("--severity", "high") == 1
    assert status("--select", "mcp-tool-unvalidated") == 0


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["--select", "B999"], "", "unknown rule 'B999'"),
        (["--ignore", "shell-commands"], "", "unknown rule 'shell-commands'"),
        ([], 'select = ["nope"]', "unknown rule 'nope'"),
        (["--select", "S9"], "", "unknown rule 'S9'"),  # a prefix of no id harden maps
        ([], 'ignore = "B602"', "[tool.harden] ignore must be a list of strings"),
        (["--severity", "urgent"], "", "Invalid value for '--severity'"),
        (["--statistics", "-f", "json"], "", "--statistics prints text"),
        (["--baseline", "old.json"], "", "old.json: not a baseline"),
    ],
)
def test_bad_choices_are_one_line_and_exit_2(
    tmp_path, capsys, monkeypatch, args, config, message
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.harden]\n{config}\n")
    code, out, err = harden(["scan", *args], tmp_path, capsys, monkeypatch)
    assert (code, out) == (2, "")
    assert err.strip().startswith("harden: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_concise_and_github_lines(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "a.py").write_text(SHELL)
    message = "`os.system` runs a shell command built from values: injectable"
    _, out, _ = harden(["scan", "-f", "concise"], tmp_path, capsys, monkeypatch)
    assert out == f"a.py:5:5: shell-command [high] {message}\n"
    _, out, _ = harden(["scan", "-f", "github"], tmp_path, capsys, monkeypatch)
    assert out == f"::error file=a.py,line=5,col=5,title=shell-command::{message}\n"


def test_github_escapes_what_would_end_the_command() -> None:
    finding = Finding(
        "rule:x,y", "dir,1/a:b.py", 3, 7, severity=Severity.LOW, message="100% sure\r\nnext: a,b"
    )
    assert lines.github([finding]) == [
        "::notice file=dir%2C1/a%3Ab.py,line=3,col=7,title=rule%3Ax%2Cy::100%25 sure%0D%0Anext: a,b"
    ]


def test_statistics_counts_per_rule(project, capsys, monkeypatch) -> None:
    counts = Counter(f["rule_id"] for f in findings([], project, capsys, monkeypatch))
    code, out, _ = harden(["scan", "--statistics"], project, capsys, monkeypatch)
    assert code == 0
    printed = [line.split("\t") for line in out.splitlines()]
    assert {rule: int(count) for count, rule in printed} == counts
    assert [int(count) for count, _ in printed] == sorted(counts.values(), reverse=True)
    _, out, _ = harden(["scan", "--statistics", "--select", "B602"], project, capsys, monkeypatch)
    assert out == f"{counts['shell-command']}\tshell-command\n"


def test_baseline_reports_only_new_findings(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "a.py").write_text(SHELL)
    _, old, _ = harden(["scan", "-f", "json"], tmp_path, capsys, monkeypatch)
    (tmp_path / "old.json").write_text(old)
    # an edit above moves the known finding down two lines; a new one appears below
    (tmp_path / "a.py").write_text(
        '"""Docs."""\n\n' + SHELL + '\n\ndef g(y):\n    os.popen("cat " + y)\n'
    )
    code, out, _ = harden(
        ["scan", "-f", "concise", "--baseline", "old.json", "--fail-on", "high"],
        tmp_path,
        capsys,
        monkeypatch,
    )
    assert code == 1
    assert [line.split(": ")[0] for line in out.splitlines()] == ["a.py:11:5"]
    # the same code twice: the baseline accounts for one of them
    (tmp_path / "a.py").write_text(
        SHELL + SHELL.replace("def f", "def f2").replace("import os\n", "")
    )
    _, out, _ = harden(
        ["scan", "-f", "concise", "--baseline", "old.json"], tmp_path, capsys, monkeypatch
    )
    assert len(out.splitlines()) == 1


def test_table_gathers_a_files_per_handler_findings_by_rule(tmp_path, capsys, monkeypatch) -> None:
    shutil.copy(FIXTURES / "servers" / "fastmcp_standalone" / "notes_server.py", tmp_path)
    every = findings([], tmp_path, capsys, monkeypatch)
    per_handler = {f["rule_id"] for f in every if f["rule_id"] != "shell-command"}
    assert len(per_handler) == 6 and len(every) > 30  # five tools, each missing six decorators
    monkeypatch.setattr(common.out, "width", 400)  # one row a line, so rows can be counted
    _, out, _ = harden(["scan"], tmp_path, capsys, monkeypatch)
    rows = [line for line in out.splitlines() if "notes_server.py:" in line]
    gathered = [row for row in rows if "not yet on 5 handlers: list_notes (28)" in row]
    assert len(gathered) == 6 and len(rows) == len(every) - 6 * 5 + 6
    severities = [row.split("│")[1].strip() for row in rows]
    assert severities == sorted(severities, key=["high", "medium", "low"].index)


def test_a_folder_named_is_read_though_gitignore_excludes_it(tmp_path, capsys, monkeypatch) -> None:
    """Like an explicitly named file; a run that reads nothing says what .gitignore kept."""
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "tools.py").write_text(SHELL)
    assert [f["rule_id"] for f in findings(["generated"], tmp_path, capsys, monkeypatch)] == [
        "shell-command"
    ]
    code, out, err = harden(["scan", "."], tmp_path, capsys, monkeypatch)
    assert code == 0 and "no findings" in out + err
    assert ".gitignore excludes 1 Python file here" in " ".join(err.split())

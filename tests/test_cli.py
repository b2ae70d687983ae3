"""The `harden` command as a user runs it: exit codes, one-line errors, branches, dry runs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harden import __version__
from harden.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SERVER = FIXTURES / "servers" / "lowlevel" / "repo_search_server.py"


def harden(
    args: list[str], cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(sys, "argv", ["harden", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def make_project(tmp_path: Path) -> Path:
    """A git repository holding one example server, committed, plus uncommitted work."""
    shutil.copy(SERVER, tmp_path / "server.py")
    (tmp_path / "notes.txt").write_text("committed\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "server")
    (tmp_path / "notes.txt").write_text("uncommitted edit\n")
    (tmp_path / "untracked.py").write_text("import os\nos.system('ls ' + x)\n")
    return tmp_path


def test_scan_reports_findings_and_fails_on_high(project, capsys, monkeypatch) -> None:
    code, out, _ = harden(["scan", ".", "--format", "json"], project, capsys, monkeypatch)
    report = json.loads(out)
    assert code == 0
    by_rule: dict[str, set[str]] = {}
    for finding in report["findings"]:
        by_rule.setdefault(finding["rule_id"], set()).add(finding["path"])
    assert by_rule == {
        "shell-command": {"server.py", "untracked.py"},
        # the server's low-level call_tool handler lacks each of phases 1-4 and 5's mask_errors
        # and mask_secrets
        "mcp-handler-unobserved": {"server.py"},
        "mcp-tool-unvalidated": {"server.py"},
        "mcp-tool-unlimited": {"server.py"},
        "mcp-tool-unauthenticated": {"server.py"},
        "mcp-tool-error-unmasked": {"server.py"},
        "mcp-result-secrets-unchecked": {"server.py"},
    }
    code, _, _ = harden(["scan", ".", "--fail-on", "high"], project, capsys, monkeypatch)
    assert code == 1


@pytest.mark.parametrize(
    ("args", "rules"),
    [
        (["--phase", "1"], {"mcp-handler-unobserved"}),
        (
            ["--phase", "5"],
            {"shell-command", "mcp-tool-error-unmasked", "mcp-result-secrets-unchecked"},
        ),
        (["--phase", "5", "--only", "commands"], {"shell-command"}),
        (["--phase", "5", "--only", "secrets"], {"mcp-result-secrets-unchecked"}),
    ],
)
def test_scan_of_one_phase_reports_what_it_fixes(project, capsys, monkeypatch, args, rules) -> None:
    code, out, _ = harden(["scan", "-f", "json", *args], project, capsys, monkeypatch)
    assert code == 0
    assert {f["rule_id"] for f in json.loads(out)["findings"]} == rules


def test_scan_sarif_is_sarif_2_1_0(project, capsys, monkeypatch) -> None:
    code, out, _ = harden(["scan", "--format", "sarif"], project, capsys, monkeypatch)
    log = json.loads(out)
    assert code == 0
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {
        "shell-command",
        "mcp-handler-unobserved",
        "mcp-tool-unvalidated",
        "mcp-tool-unlimited",
        "mcp-tool-unauthenticated",
        "mcp-tool-error-unmasked",
        "mcp-result-secrets-unchecked",
    }


def test_scan_of_a_clean_tree_passes_fail_on(tmp_path, capsys, monkeypatch) -> None:
    (tmp_path / "ok.py").write_text("import subprocess\nsubprocess.run(['ls'])\n")
    code, out, _ = harden(["scan", ".", "--fail-on", "low"], tmp_path, capsys, monkeypatch)
    assert (code, out.strip()) == (0, "harden scan: no findings")


def test_apply_creates_branch_and_leaves_checkout_alone(project, capsys, monkeypatch) -> None:
    status_before = git(project, "status", "--porcelain")
    index_before = (project / ".git" / "index").read_bytes()
    code, _, err = harden(["apply", "--phase", "5"], project, capsys, monkeypatch)
    assert code == 0, err
    assert "created branch harden/phase-5-commands" in err
    assert git(project, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(project, "status", "--porcelain") == status_before
    assert (project / ".git" / "index").read_bytes() == index_before
    assert (project / "notes.txt").read_text() == "uncommitted edit\n"
    # Two commits: the vendored runtime, then the rewrites a reviewer reads, and nothing else.
    assert git(project, "rev-list", "--count", "main..harden/phase-5-commands").strip() == "2"
    runtime_commit = git(project, "show", "--stat", "--format=%s", "harden/phase-5-commands^")
    assert runtime_commit.startswith("harden 0.1.0: vendored runtime")
    assert "harden_runtime.py" in runtime_commit and "server.py" not in runtime_commit
    code_commit = git(project, "show", "--format=", "harden/phase-5-commands")
    assert "harden_runtime.py" not in code_commit.replace("import harden_runtime", "")
    # Only committed files are rewritten: the untracked one is not in the branch. The runtime
    # comes along for the errors half's mask_errors.
    changed = git(project, "diff", "--name-only", "main", "harden/phase-5-commands").split()
    assert changed == ["harden_runtime.py", "server.py"]
    rewritten = git(project, "show", "harden/phase-5-commands:server.py")
    compile(rewritten, "server.py", "exec")
    assert 0 < rewritten.count("shell=True") < SERVER.read_text().count("shell=True")


def test_apply_twice_refuses_then_force_replaces(project, capsys, monkeypatch) -> None:
    assert harden(["apply", "--phase", "5"], project, capsys, monkeypatch)[0] == 0
    code, out, err = harden(["apply", "--phase", "5"], project, capsys, monkeypatch)
    assert code == 2 and "already exists" in err and "Traceback" not in err + out
    assert len(err.strip().splitlines()) == 1
    assert harden(["apply", "--phase", "5", "--force"], project, capsys, monkeypatch)[0] == 0


def test_applying_the_phase_to_its_own_output_changes_nothing(project, capsys, monkeypatch) -> None:
    harden(["apply", "--phase", "5"], project, capsys, monkeypatch)
    code, out, _ = harden(
        ["apply", "--phase", "5", "--dry-run", "--base", "harden/phase-5-commands"],
        project,
        capsys,
        monkeypatch,
    )
    assert code == 0 and out == ""


def test_dry_run_formats(project, capsys, monkeypatch) -> None:
    code, diff, _ = harden(["apply", "-p", "5", "--dry-run"], project, capsys, monkeypatch)
    assert code == 0 and "\ndiff --git a/server.py b/server.py\n" in diff
    _, markdown, _ = harden(
        ["apply", "-p", "5", "--dry-run", "-f", "markdown"], project, capsys, monkeypatch
    )
    assert "<details>" in markdown and "harden_runtime" in markdown
    _, report, _ = harden(
        ["apply", "-p", "5", "--dry-run", "-f", "json"], project, capsys, monkeypatch
    )
    data = json.loads(report)
    assert data["summary"]["rewrites"] == len(data["rewrites"]) > 0
    assert all(u["reason"] for u in data["unfixed"])
    assert git(project, "branch", "--list", "harden/*") == ""


def test_only_applies_one_half_of_phase_5_on_its_own_branch(project, capsys, monkeypatch) -> None:
    code, _, err = harden(["apply", "-p", "5", "--only", "errors"], project, capsys, monkeypatch)
    assert code == 0 and "created branch harden/phase-5-errors" in err
    errors = git(project, "show", "harden/phase-5-errors:server.py")
    assert "@harden_runtime.mask_errors(lowlevel=True)\n" in errors
    assert errors.count("shell=True") == SERVER.read_text().count("shell=True")
    code, _, err = harden(["apply", "-p", "5", "--only", "commands"], project, capsys, monkeypatch)
    assert code == 0 and "created branch harden/phase-5-commands" in err
    commands = git(project, "show", "harden/phase-5-commands:server.py")
    assert commands.count("shell=True") < SERVER.read_text().count("shell=True")
    assert "mask_errors" not in commands


def test_outside_git_needs_in_place_and_in_place_writes(tmp_path, capsys, monkeypatch) -> None:
    shutil.copy(SERVER, tmp_path / "server.py")
    code, _, err = harden(["apply", "--phase", "5"], tmp_path, capsys, monkeypatch)
    assert code == 2 and "--in-place" in err and len(err.strip().splitlines()) == 1
    code, diff, _ = harden(["apply", "--phase", "5", "--dry-run"], tmp_path, capsys, monkeypatch)
    assert code == 0 and "+++ b/server.py" in diff
    assert (tmp_path / "server.py").read_text() == SERVER.read_text()
    code, _, _ = harden(["apply", "--phase", "5", "--in-place", "."], tmp_path, capsys, monkeypatch)
    assert code == 0
    compile((tmp_path / "server.py").read_text(), "server.py", "exec")
    assert (tmp_path / "server.py").read_text() != SERVER.read_text()


def test_findings_limit_the_rewrite_to_named_places(project, capsys, monkeypatch) -> None:
    findings = {
        "results": [
            {
                "filename": "server.py",
                "line_number": 27,
                "col_offset": 11,
                "test_id": "B602",
                "issue_severity": "HIGH",
                "issue_text": "shell=True",
            },
            {
                "filename": "server.py",
                "line_number": 2,
                "col_offset": 0,
                "test_id": "B602",
                "issue_severity": "HIGH",
                "issue_text": "nothing here",
            },
        ]
    }
    (project / "bandit.json").write_text(json.dumps(findings))
    code, out, _ = harden(
        ["apply", "-p", "5", "--dry-run", "-f", "json", "--findings", "bandit.json"],
        project,
        capsys,
        monkeypatch,
    )
    report = json.loads(out)
    assert code == 0
    # A line of the rewritten file: its imports gained a section for the runtime above.
    assert [r["line"] for r in report["rewrites"]] == [28]
    assert [u["finding"]["line"] for u in report["unfixed"]] == [2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["apply", "--phase", "6"], "phase 6 writes what the logs saw each tool do: give them"),
        (["apply", "--phase", "5", "--logs", "a.log"], "--logs is for phase 6"),
        (["apply", "--phase", "9"], "there is no phase 9"),
        (["scan", "missing-dir"], "no such file or directory"),
        (["apply", "-p", "5", "--dry-run", "--findings", "bad.json"], "bad.json"),
        (["apply", "-p", "5", "--base", "nope"], "unknown revision"),
        (["apply", "-p", "5", "--only", "shell"], "phase 5 has no part 'shell'; its parts are"),
        (["apply", "-p", "1", "--only", "errors"], "phase 1 (observe) has no parts to pick"),
        (["scan", "--phase", "6"], "phase 6 is judged from the logs, not the code alone"),
        (["inventory", "missing.log"], "missing.log"),
        (["inventory", "empty-logs"], "no log file in empty-logs"),
        (["apply", "--phase", "6", "--logs", "bad.json"], "the logs hold no tool_call line"),
        (["apply", "--phase", "6", "--logs", "ghost.log"], "the logs name no tool of this code"),
        (["scan", "--only", "commands"], "--only picks a part of a phase: give --phase too"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(project, capsys, monkeypatch, args, message) -> None:
    (project / "bad.json").write_text("{not json")
    (project / "empty-logs").mkdir()
    ghost = {"v": 1, "ts": "2026-12-01T00:00:00Z", "event": "tool_call", "tool": "ghost"}
    (project / "ghost.log").write_text(json.dumps({**ghost, "uses": []}) + "\n")
    code, _, err = harden(args, project, capsys, monkeypatch)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_file_that_does_not_parse_is_skipped(tmp_path, capsys, monkeypatch) -> None:
    shutil.copy(SERVER, tmp_path / "server.py")
    (tmp_path / "broken.py").write_text("import os\nos.system('ls' +\n")
    code, diff, err = harden(["apply", "-p", "5", "--dry-run"], tmp_path, capsys, monkeypatch)
    assert code == 0
    assert "skipped broken.py: does not parse" in err
    assert "+++ b/server.py" in diff


def test_plan_walks_through_the_phases(project, capsys, monkeypatch) -> None:
    def plan() -> dict:
        code, out, _ = harden(["plan", "--format", "json"], project, capsys, monkeypatch)
        assert code == 0
        return json.loads(out)

    first = plan()
    by_number = {p["phase"]: p for p in first["phases"]}
    assert by_number[1]["rewrites"] == {"observe": 1}  # the low-level call_tool handler
    assert by_number[5]["rewrites"]["shell-commands"] > 0
    # the low-level call_tool handler, and the server's construction (published)
    assert by_number[4]["rewrites"] == {"authenticate": 2}
    assert "over stdio nothing changes" in by_number[4]["note"]
    # Phase 6 is written from logs: the code alone gives it nothing to do, and the plan says how.
    assert by_number[6]["available"] and by_number[6]["rewrites"] == {"permissions": 0}
    assert "harden apply --phase 6 --logs LOG" in by_number[6]["note"]
    assert by_number[2]["enforce"] == "ENFORCE_VALIDATION=true"
    assert first["next_step"] == "harden apply --phase 1"
    harden(["apply", "--phase", "1"], project, capsys, monkeypatch)
    second = plan()
    assert second["phases"][0]["branch_state"] == "exists"
    assert second["next_step"].startswith("review and merge, in this order: harden/phase-1-observe")
    harden(["apply", "--phase", "2"], project, capsys, monkeypatch)  # stacked on phase 1
    assert plan()["next_step"].startswith(
        "review and merge, in this order: harden/phase-1-observe, then harden/phase-2-validate"
    )
    git(project, "merge", "-q", "--ff-only", "harden/phase-1-observe")
    git(project, "merge", "-q", "--ff-only", "harden/phase-2-validate")
    assert plan()["next_step"] == "harden apply --phase 3"


TERMINAL_TOOL = """import subprocess

from mcp.server.fastmcp import FastMCP

mcp = FastMCP("terminal")


@mcp.tool()
def run_command(command: str) -> str:
    \"\"\"Run a shell command for the caller.\"\"\"
    return subprocess.run(command, shell=True, capture_output=True, text=True).stdout


@mcp.tool()
def disk(path: str) -> str:
    return subprocess.run(f"du -sh {path}", shell=True, capture_output=True, text=True).stdout
"""


def test_plan_lists_the_tools_that_run_their_callers_command_lines(
    tmp_path, capsys, monkeypatch
) -> None:
    (tmp_path / "terminal.py").write_text(TERMINAL_TOOL)
    code, out, _ = harden(["plan", "--format", "json"], tmp_path, capsys, monkeypatch)
    assert code == 0
    by_number = {p["phase"]: p for p in json.loads(out)["phases"]}
    assert by_number[5]["runs_callers_commands"] == [
        {"function": "run_command", "at": "terminal.py:11"}
    ]
    assert "CMD_SHELL_FEATURE_DETECTED" in by_number[5]["observe_before_enforcing"]
    assert all(not by_number[n]["runs_callers_commands"] for n in (1, 2, 3, 4, 6))
    code, out, _ = harden(["plan"], tmp_path, capsys, monkeypatch)
    assert "run their caller's" in out and "run_command" in out and "(terminal.py:11)" in out


def test_plan_in_a_repository_without_commits_says_to_commit_first(
    tmp_path, capsys, monkeypatch
) -> None:
    shutil.copy(SERVER, tmp_path / "server.py")
    git(tmp_path, "init", "-q")
    code, out, _ = harden(["plan", "--format", "json"], tmp_path, capsys, monkeypatch)
    assert code == 0
    assert json.loads(out)["next_step"].startswith("commit first")


def test_scan_follows_the_project_config(project, capsys, monkeypatch) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.harden]\nexclude = ["untracked.py"]\ncolor = "never"\n'
    )
    code, out, err = harden(["scan", ".", "--format", "json"], project, capsys, monkeypatch)
    assert code == 0
    assert {f["path"] for f in json.loads(out)["findings"]} == {"server.py"}
    assert "unknown key in [tool.harden]: color" in err
    # a flag replaces the file's list
    _, out, _ = harden(
        ["scan", ".", "-f", "json", "--exclude", "server.py"], project, capsys, monkeypatch
    )
    assert {f["path"] for f in json.loads(out)["findings"]} == {"untracked.py"}
    (project / "pyproject.toml").write_text('[tool.harden]\nexclude = "untracked.py"\n')
    code, _, err = harden(["scan", "."], project, capsys, monkeypatch)
    assert code == 2
    assert err.strip().endswith("[tool.harden] exclude must be a list of strings")
    assert len(err.strip().splitlines()) == 1


def test_quiet_prints_results_and_errors_only(project, capsys, monkeypatch) -> None:
    _, out, err = harden(["scan", ".", "-f", "json"], project, capsys, monkeypatch)
    assert "Python files read" in err
    _, quiet_out, quiet_err = harden(
        ["--quiet", "scan", ".", "-f", "json"], project, capsys, monkeypatch
    )
    assert (quiet_out, quiet_err) == (out, "")
    code, _, err = harden(["--quiet", "scan", "missing-dir"], project, capsys, monkeypatch)
    assert code == 2 and "no such file or directory" in err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["scan", "--format", "nope", "."], "Invalid value for '--format'"),
        (["plan", "--format", "sarif", "."], "Invalid value for '--format'"),
        (["scan", "--bogus"], "No such option: --bogus"),
        (["apply", "--phase", "5", "--dry-run", "--in-place", "."], "pick one"),
        (["apply", "--phase", "5", "--format", "markdown", "."], "add --dry-run"),
    ],
)
def test_options_that_make_no_sense_get_one_line_and_exit_2(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "harden", *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert process.returncode == 2
    assert process.stderr.startswith("harden: error: ") and message in process.stderr
    assert process.stderr.count("\n") == 1 and process.stdout == ""


def test_ctrl_c_in_a_command_is_one_line_and_status_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import harden.cli.scan

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(harden.cli.scan, "scan_working_tree", interrupted)
    monkeypatch.setattr(sys, "argv", ["harden", "scan", str(tmp_path)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 130
    assert capsys.readouterr().err == "harden: interrupted; no file was left half-written\n"


def test_ctrl_c_while_the_command_line_loads_is_one_line_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from harden import entry

    class Interrupting:
        def find_spec(self, name: str, *args: object) -> None:
            if name == "harden.cli":
                raise KeyboardInterrupt

    monkeypatch.delitem(sys.modules, "harden.cli")
    monkeypatch.setattr(sys, "meta_path", [Interrupting(), *sys.meta_path])
    with pytest.raises(SystemExit) as exited:
        entry.main()
    assert exited.value.code == 130
    assert capsys.readouterr().err == f"{entry.INTERRUPTED}\n"


def test_version_answers_without_loading_the_command_line() -> None:
    probe = (
        "import sys; sys.argv = ['harden', '--version']; from harden.entry import main; main(); "
        "print(sorted(m for m in ('libcst', 'git', 'typer', 'rich') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.splitlines() == [f"harden {__version__}", "[]"]

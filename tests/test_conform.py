"""The project's style read from its files, and harden's lines made to follow it (and only
harden's lines): real ruff and black runs, on texts a codemod could have written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harden.changes import Span
from harden.conform import conform
from harden.line_moves import moved_lines, moved_span
from harden.project_style import DEFAULT_LINE_LENGTH, ProjectStyle, read_style

BIN = Path(sys.executable).parent
LONG_CALL = (
    '    subprocess.run(["git", "-C", *harden_runtime.words(repo), "log", "--oneline", "-n",'
    " str(count)], capture_output=True, text=True, timeout=30)\n"
)
# The user's own code is laid out in ways a formatter would change.
BEFORE = """\
import subprocess

def log( repo,count ):
    x = {'a':1}
    subprocess.run("git -C " + repo + " log -n " + str(count), shell=True, text=True)  # noqa: E501
    return x
"""
AFTER = BEFORE.replace(BEFORE.splitlines(keepends=True)[4], LONG_CALL).replace(
    "import subprocess\n", "import subprocess\nimport harden_runtime\n"
)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "formatter", "line_length"),
    [
        ({}, None, DEFAULT_LINE_LENGTH),
        ({"pyproject.toml": "[tool.ruff]\nline-length = 100\n"}, None, 100),
        ({"pyproject.toml": "[tool.ruff.format]\nquote-style = 'single'\n"}, "ruff", 88),
        ({"ruff.toml": "line-length = 79\n[format]\n"}, "ruff", 79),
        ({"pyproject.toml": "[tool.black]\nline-length = 120\n"}, "black", 120),
        ({".pre-commit-config.yaml": "- repo: https://github.com/psf/black\n"}, "black", 88),
        ({".pre-commit-config.yaml": "    hooks:\n      - id: ruff-format\n"}, "ruff", 88),
        ({"Makefile": "lint:\n\t$(BIN)/ruff format --check .\n"}, "ruff", 88),
        ({".github/workflows/ci.yml": "- run: black --check .\n"}, "black", 88),
        ({"Makefile": "lint:\n\tblacken-docs README.md\n"}, None, 88),  # another tool
        ({"setup.cfg": "[flake8]\nmax-line-length = 100\n"}, None, 100),
        ({"tox.ini": "[flake8]\nmax-line-length = nonsense\n"}, None, 88),
        ({"pyproject.toml": "[tool.ruff\nbroken"}, None, 88),  # does not parse: absent
    ],
)
def test_the_style_is_read_from_the_project_files(
    tmp_path: Path, files: dict[str, str], formatter: str | None, line_length: int
) -> None:
    style = read_style(_write(tmp_path, files))
    assert (style.formatter, style.line_length) == (formatter, line_length)


def test_isort_settings_become_ruff_settings_and_the_runtime_is_first_party(
    tmp_path: Path,
) -> None:
    _write(
        tmp_path,
        {"setup.cfg": "[isort]\nknown_first_party = app, lib\nforce_sort_within_sections = true\n"},
    )
    settings = read_style(tmp_path).ruff_settings
    assert 'lint.isort.known-first-party = ["app", "lib", "harden_runtime"]' in settings
    assert "lint.isort.force-sort-within-sections = true" in settings
    own = {"pyproject.toml": "[tool.ruff.lint.isort]\nknown-first-party = ['svc']\n"}
    settings = read_style(_write(tmp_path / "own", own)).ruff_settings
    assert 'lint.isort.known-first-party = ["svc", "harden_runtime"]' in settings


def test_only_the_lines_harden_changed_are_formatted(tmp_path: Path) -> None:
    style = ProjectStyle(str(tmp_path), formatter="ruff")
    result = conform("server.py", BEFORE, AFTER, style)
    assert "ruff format" in result.tools
    # The call is wrapped at 88 columns...
    assert max(len(line) for line in result.text.splitlines()[6:-1]) <= 88
    assert "    subprocess.run(\n" in result.text
    # ...the user's lines are not touched...
    assert "def log( repo,count ):\n    x = {'a':1}\n" in result.text
    # ...and harden's import went where ruff's isort rules put it? Not here: the user's
    # imports were not sorted by those rules (no blank line after them), so it stays.
    assert result.text.startswith("import subprocess\nimport harden_runtime\n")
    compile(result.text, "server.py", "exec")


def test_without_a_formatter_only_overlong_lines_are_wrapped(tmp_path: Path) -> None:
    style = ProjectStyle(str(tmp_path))
    assert "    subprocess.run(\n" in conform("s.py", BEFORE, AFTER, style).text
    short = AFTER.replace(LONG_CALL, "    subprocess.run( ['ls'] )\n")
    assert conform("s.py", BEFORE, short, style).text == short  # harden's, but not too long
    formatted = conform("s.py", BEFORE, short, ProjectStyle(str(tmp_path), formatter="ruff"))
    assert '    subprocess.run(["ls"])\n' in formatted.text


def test_an_added_import_joins_the_section_its_sorting_puts_it_in(tmp_path: Path) -> None:
    before = "import logging\nimport subprocess\n\nimport mcp\n\nlog = logging.getLogger()\n"
    after = before.replace("import mcp\n", "import mcp\nimport harden_runtime\nimport shlex\n")
    result = conform("server.py", before, after, read_style(tmp_path))
    assert result.text == (
        "import logging\nimport shlex\nimport subprocess\n\nimport mcp\n\n"
        "import harden_runtime\n\nlog = logging.getLogger()\n"
    )
    assert result.tools == ("ruff's import sorting (I001)",)
    # The project's own ruff run, the runtime copied beside the module as harden does.
    (tmp_path / "server.py").write_text(result.text)
    (tmp_path / "harden_runtime.py").write_text("")
    for tool in ("ruff check --select I", "ruff format --check"):
        checked = subprocess.run(
            [str(BIN / "ruff"), *tool.split()[1:], "--no-cache", "server.py"], cwd=tmp_path
        )
        assert checked.returncode == 0, tool


def test_black_formats_when_the_project_runs_it(tmp_path: Path) -> None:
    _write(tmp_path, {"pyproject.toml": "[tool.black]\nline-length = 60\n"})
    style = read_style(tmp_path)
    result = conform("server.py", BEFORE, AFTER, style)
    assert "black" in result.tools
    assert max(len(line) for line in result.text.splitlines()[6:-1]) <= 60
    assert "def log( repo,count ):" in result.text


def test_a_missing_tool_leaves_harden_s_text(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("harden.conform._ruff", lambda: None)
    style = ProjectStyle(str(tmp_path), formatter="ruff")
    assert conform("server.py", BEFORE, AFTER, style).text == AFTER


def test_a_place_moves_with_the_lines_around_it() -> None:
    old = "a\nlong\nb\n"
    new = "x\na\nlo\nng\nb\n"
    lines = moved_lines(old, new)
    assert moved_span(Span(3, 1, 3, 2), lines) == Span(5, 1, 5, 2)
    assert moved_span(Span(2, 5, 2, 9), lines) == Span(3, 1, 4, 9)

"""The vendored runtime stays out of the project's own gates.

A project whose CI measures coverage (at 100 %), lints with flake8 and type-checks with mypy
(fixtures/gated) still passes all three after phases 1, 2, 3 and 5; and each way a project
configures coverage or lists its modules gets the one edit it needs, once.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harden.project_gates import OMIT_PATTERN, gate_edits

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RUNTIMES = ["pkg/harden_runtime.py"]


def _edited(texts: dict[str, str], runtimes: list[str] = RUNTIMES) -> dict[str, str]:
    edits = gate_edits(texts, runtimes)
    assert len(edits.notes) == len(edits.changes)
    result = {change.path: change.after for change in edits.changes}
    again = gate_edits({**texts, **result}, runtimes)
    assert again.changes == [], "a second run changes nothing"
    return result


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (
            {".coveragerc": "[run]\nbranch = True\nomit =\n    tests/*\n\n[report]\nskip = 1\n"},
            {
                ".coveragerc": "[run]\nbranch = True\nomit =\n    tests/*\n"
                f"    {OMIT_PATTERN}\n\n[report]\nskip = 1\n"
            },
        ),
        (
            {"setup.cfg": "[metadata]\nname = x\n\n[coverage:run]\nbranch = true\n"},
            {
                "setup.cfg": "[metadata]\nname = x\n\n[coverage:run]\n"
                f"omit =\n    {OMIT_PATTERN}\nbranch = true\n"
            },
        ),
        (
            {"tox.ini": "[tox]\nenvlist = py\n\n[coverage:report]\nfail_under = 100\n"},
            {
                "tox.ini": "[tox]\nenvlist = py\n\n[coverage:report]\nfail_under = 100\n\n"
                f"[coverage:run]\nomit =\n    {OMIT_PATTERN}\n"
            },
        ),
        (
            {
                "pyproject.toml": "[tool.coverage.run]\nomit = [\n    'tests/*',  # ours\n]\n",
                "setup.cfg": "[flake8]\nmax-line-length = 100\n",
            },
            {
                "pyproject.toml": "[tool.coverage.run]\nomit = [\n    'tests/*',  # ours\n"
                f'    "{OMIT_PATTERN}",\n]\n'
            },
        ),
        (
            # Measured only through pytest-cov's options: coverage reads pyproject.toml.
            {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--cov=pkg"\n'},
            {
                "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "--cov=pkg"\n\n'
                f'[tool.coverage.run]\nomit = ["{OMIT_PATTERN}"]\n'
            },
        ),
        (
            {"pytest.ini": "[pytest]\naddopts = --cov=pkg\n"},
            {".coveragerc": f"[run]\nomit =\n    {OMIT_PATTERN}\n"},
        ),
        ({"pyproject.toml": '[project]\nname = "x"\n', "pytest.ini": "[pytest]\n"}, {}),
    ],
)
def test_the_file_coverage_reads_omits_the_runtime(
    texts: dict[str, str], expected: dict[str, str]
) -> None:
    assert _edited(texts) == expected


def test_top_level_modules_listed_for_setuptools_list_the_runtime() -> None:
    pyproject = '[tool.setuptools]\npy-modules = ["server"]  # the one module\n'
    listed = '[tool.setuptools]\npy-modules = ["server", "harden_runtime"]  # the one module\n'
    assert _edited({"pyproject.toml": pyproject}, ["harden_runtime.py"]) == {
        "pyproject.toml": listed
    }
    assert _edited({"pyproject.toml": pyproject}, RUNTIMES) == {}  # a copy in a package


def test_no_runtime_copy_no_edit_and_a_file_that_does_not_parse_is_left_alone() -> None:
    assert gate_edits({".coveragerc": "[run]\n"}, []).changes == []
    edits = gate_edits({"pyproject.toml": "[tool.coverage\n"}, RUNTIMES)
    assert edits.changes == []
    (note,) = edits.notes
    assert note.startswith("pyproject.toml does not parse") and OMIT_PATTERN in note


def _gates(project: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """The fixture project's CI: its tests with a 100 % coverage gate, flake8 and mypy."""
    commands = {
        "pytest": [sys.executable, "-m", "pytest"],
        "flake8": [str(BIN / "flake8"), "."],
        "mypy": [str(BIN / "mypy"), "--no-incremental"],
    }
    return {
        name: subprocess.run(command, cwd=project, capture_output=True, text=True)
        for name, command in commands.items()
    }


def test_a_project_with_strict_gates_passes_them_after_phases_1_2_3_and_5(
    tmp_path: Path,
) -> None:
    project = tmp_path / "gated"
    shutil.copytree(ROOT / "fixtures" / "gated", project)
    for name, result in _gates(project).items():
        assert result.returncode == 0, f"{name} fails before hardening:\n{result.stdout}"
    for phase in ("1", "2", "3", "5"):
        subprocess.run(
            [sys.executable, "-m", "harden", "-q", "apply", "--phase", phase, "--in-place", "."],
            cwd=project,
            check=True,
            capture_output=True,
        )
    server = (project / "notes" / "server.py").read_text()
    assert "@harden_runtime.mask_errors" in server and "shell=True" not in server
    assert (project / "notes" / "harden_runtime.py").is_file()
    assert OMIT_PATTERN in (project / "pyproject.toml").read_text()
    after = _gates(project)
    for name, result in after.items():
        assert result.returncode == 0, f"{name} fails after hardening:\n{result.stdout}"
    assert "Required test coverage of 100% reached" in after["pytest"].stdout

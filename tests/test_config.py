"""[tool.harden] in pyproject.toml: file selection, branch prefix, runtime defaults, mistakes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harden import engine
from harden.config import Config, ConfigError, load_config
from harden.vendoring import RUNTIME_FILENAME, runtime_source

SERVER = textwrap.dedent(
    """\
    from mcp.server.fastmcp import FastMCP

    mcp = FastMCP("files")


    @mcp.tool()
    def read_file(path: str) -> str:
        return path
    """
)


def _write(root: Path, toml: str) -> Config:
    (root / "pyproject.toml").write_text(textwrap.dedent(toml))
    return load_config(root)


def test_no_pyproject_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()


def test_settings_are_read_and_unknown_keys_reported(tmp_path: Path) -> None:
    config = _write(
        tmp_path,
        """\
        [tool.harden]
        include = ["src/*"]
        exclude = ["src/generated/*"]
        branch_prefix = "security/"
        colour = "blue"

        [tool.harden.validate]
        allowed_roots = ["/srv/data"]
        allowed_host = ["typo.example"]

        [tool.harden.rate_limit]
        rpm = 300
        """,
    )
    assert config.branch_prefix == "security/"
    assert config.runtime == {"allowed_roots": ["/srv/data"], "rate_limit_rpm": 300}
    assert config.unknown == ("colour", "validate.allowed_host")
    assert config.selects("src/app/server.py")
    assert not config.selects("src/generated/api.py")
    assert not config.selects("scripts/tool.py")


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[tool.harden]\ninclude = "src/*"\n', "include must be a list of strings"),
        ("[tool.harden.rate_limit]\nrpm = true\n", "rate_limit.rpm must be a whole number"),
        ("[tool.harden.rate_limit]\nrpm = -5\n", "rate_limit.rpm must be a whole number"),
        ("[tool.harden]\nvalidate = 1\n", r"validate must be a table \(\[tool.harden.validate\]\)"),
        ("tool = 1\n", "`tool` must be a table"),
        ("[tool.harden\n", "pyproject.toml"),
    ],
)
def test_a_wrong_value_is_one_clear_error(tmp_path: Path, toml: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _write(tmp_path, toml)


def test_runtime_settings_end_the_vendored_copy_and_take_effect(tmp_path: Path) -> None:
    settings = {"allowed_roots": ["/srv/data"], "rate_limit_rpm": 7}
    changes = engine.apply([("server.py", SERVER)], ["observe"], phase=1, runtime_settings=settings)
    (copy,) = [c for c in changes.files if c.path == RUNTIME_FILENAME]
    assert copy.after.startswith(runtime_source())
    (tmp_path / RUNTIME_FILENAME).write_text(copy.after)
    check = (
        "import harden_runtime as r; s = r._settings(); "
        "print(s.rate_limit_rpm, [root for root, _ in s.allowed_roots])"
    )
    shown = subprocess.run(
        [sys.executable, "-c", check], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert shown.split(" ", 1)[0] == "7"
    assert "/srv/data" in shown
    again = engine.apply(
        [("server.py", SERVER), (RUNTIME_FILENAME, copy.after)],
        ["observe"],
        phase=1,
        runtime_settings=settings,
    )
    assert [c.path for c in again.files if c.path == RUNTIME_FILENAME] == []

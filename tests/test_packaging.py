"""The wheel users install: our own distribution name, the `harden` command, the runtime.

`harden` on PyPI is an unrelated project, so the distribution is `mcp-harden`; the command and
`python -m harden` keep the tool's name. Built offline from this checkout with the build
backend pyproject.toml declares, as `python -m build --wheel` would.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_is_mcp_harden_with_the_harden_command_and_the_runtime(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    assert wheel.name.startswith("mcp_harden-")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(info).decode())
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert metadata["Name"] == "mcp-harden"
    assert metadata["License-Expression"] == "MIT"
    assert "harden = harden.entry:main" in entry_points
    assert {"harden/runtime.py", "harden/__main__.py"} <= set(names)
    assert any(name.endswith("/licenses/LICENSE") for name in names)

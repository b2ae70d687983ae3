"""The compatibility matrix: harden's phases 1-3 (and 5) against every MCP SDK it supports.

One nox session, `compat`, parametrized by SDK. Each runs tests/compat in its own virtualenv
holding harden (editable), one pinned SDK and pytest: `make compat`, or
`.venv/bin/nox -s compat` (one SDK: `-s "compat(mcp2)"`; pytest options after `--`).

The environments live under .venv/nox (ignored by git, removed by `make clean`) and are reused:
packages are installed again only when harden's dependencies or the pins change, so a repeat
run costs only the tests. What harden makes of the example servers is cached in
.venv/compat-cache, keyed by a digest of its inputs (see tests/compat/conftest.py). Nothing
else of the project's own .venv is touched.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import nox

# The newest releases that install from the registry here (see DESIGN.md, "Hard-won facts"):
# later fastmcp releases need a certifi the registry does not serve.
SDKS: dict[str, str] = {
    "mcp1": "mcp==1.30.0",
    "mcp2": "mcp==2.3.0",
    "fastmcp2": "fastmcp==2.14.7",
    "fastmcp3": "fastmcp==3.4.10",
    "fastmcp4": "fastmcp==4.1.2",
}
TEST_REQUIREMENTS = ("pytest>=8", "setuptools>=70.1")  # setuptools: tests/compat/test_installed.py

ROOT = Path(__file__).resolve().parent

nox.options.envdir = str(ROOT / ".venv" / "nox")
nox.options.reuse_venv = "yes"
nox.options.sessions = ["compat"]
nox.options.error_on_missing_interpreters = True
nox.options.error_on_external_run = True


@nox.session(python=None)
@nox.parametrize("sdk", list(SDKS), ids=list(SDKS))
def compat(session: nox.Session, sdk: str) -> None:
    """Harden the example servers for one SDK and compare them with the originals."""
    _install(session, SDKS[sdk])
    session.run(
        "pytest",
        "tests/compat",
        # The project's addopts leave tests/compat out of the default run; keep only -q.
        "-o",
        "addopts=-q",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"HARDEN_COMPAT_SDK": sdk},
    )


def _install(session: nox.Session, requirement: str) -> None:
    """Install harden, the SDK and pytest, unless this environment already has exactly them.

    harden is installed editable, so its code is always current; only a change to what pip
    reads from pyproject.toml (dependencies, scripts) or to the pins installs again.
    """
    requirements = ("-e", ".", requirement, *TEST_REQUIREMENTS)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    installed = {
        "build-system": pyproject.get("build-system"),
        "dependencies": project.get("dependencies"),
        "scripts": project.get("scripts"),
        "requirements": requirements,
    }
    digest = hashlib.sha256(json.dumps(installed, sort_keys=True).encode()).hexdigest()
    stamp = Path(str(session.virtualenv.location)) / ".harden-compat-stamp"
    if stamp.is_file() and stamp.read_text() == digest:
        session.log("packages are up to date (same dependencies and pins)")
        return
    session.install("--quiet", *requirements)
    stamp.write_text(digest)

"""Rewrites that need the runtime: the copy is vendored beside the module and the module runs.

A package module and a top-level script use `os.popen` objects and `getstatusoutput`; after
`harden apply --in-place` they import the vendored `harden_runtime.py` and return what they
returned before, whether imported as part of the package or run as scripts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harden import engine
from harden.sources import working_tree
from harden.vendoring import RUNTIME_FILENAME, VENDORED_HEADER, runtime_source

TOOLS = '''"""Tools of an example package."""
import os
import subprocess


def checksum(path):
    pipe = os.popen(f"cksum {path}")
    line = pipe.read()
    return line.split()[0], pipe.close()


def failing(path):
    pipe = os.popen(f"ls {path}")
    pipe.read()
    return pipe.close()


def release(path):
    return subprocess.getstatusoutput(f"cat {path}")


if __name__ == "__main__":
    print(checksum("data.txt"), failing("/no/such/dir"), release("data.txt"))
'''

SCRIPT = """import subprocess


def count(path):
    status, output = subprocess.getstatusoutput("wc -l " + path)
    return status, output.split()[0]


if __name__ == "__main__":
    print(count("data.txt"))
"""


def _project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "tools.py").write_text(TOOLS)
    (root / "script.py").write_text(SCRIPT)
    (root / "data.txt").write_text("one\ntwo\nthree\n")
    return root


def _run(root: Path, code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def _apply_in_place(root: Path) -> list[str]:
    tree = working_tree(root, None)
    changes = engine.apply(tree.files, ["shell-commands"], phase=5, jobs=1)
    for change in changes.files:
        (root / change.path).write_text(change.after)
    return sorted(change.path for change in changes.files)


CALLS = (
    "import pkg.tools as t, script as s;"
    "print(t.checksum('data.txt'), t.failing('/no/such/dir'), t.release('data.txt'),"
    " s.count('data.txt'))"
)


def test_vendored_runtime_keeps_results(tmp_path: Path) -> None:
    original = _project(tmp_path / "original")
    hardened = _project(tmp_path / "hardened")
    assert _apply_in_place(hardened) == [
        RUNTIME_FILENAME,
        "pkg/harden_runtime.py",
        "pkg/tools.py",
        "script.py",
    ]
    assert (hardened / "pkg" / RUNTIME_FILENAME).read_text() == runtime_source()
    tools = (hardened / "pkg" / "tools.py").read_text()
    assert "from . import harden_runtime" in tools and "shell" not in tools
    assert "import harden_runtime\n" in (hardened / "script.py").read_text()
    assert _run(hardened, CALLS) == _run(original, CALLS)
    for script in ("pkg/tools.py", "script.py"):
        before = _run(original, f"import runpy; runpy.run_path({script!r}, run_name='__main__')")
        after = subprocess.run(
            [sys.executable, script], cwd=hardened, capture_output=True, text=True, check=True
        ).stdout
        assert after == before


def test_applying_again_changes_nothing_and_updates_an_old_copy(tmp_path: Path) -> None:
    root = _project(tmp_path)
    _apply_in_place(root)
    assert _apply_in_place(root) == []
    (root / "pkg" / "tools.py").write_text(TOOLS)  # an unhardened module again
    (root / "pkg" / RUNTIME_FILENAME).write_text('"""an older runtime"""\n')
    assert _apply_in_place(root) == ["pkg/harden_runtime.py", "pkg/tools.py"]
    assert (root / "pkg" / RUNTIME_FILENAME).read_text() == runtime_source()
    shutil.rmtree(root / "pkg" / "__pycache__", ignore_errors=True)


NAMESPACE_SERVER = """from mcp.server.fastmcp import FastMCP

mcp = FastMCP("notes")


@mcp.tool()
def lookup(name: str) -> str:
    try:
        return {"a": "alpha"}[name]
    except Exception as e:
        return f"Error: {e}"
"""

# Started the way an installed server is: imported from site-packages, never from the project.
START = """import asyncio, sys
from mcp.shared.memory import create_connected_server_and_client_session
from {module} import mcp


async def main():
    async with create_connected_server_and_client_session(mcp._mcp_server) as client:
        result = await client.call_tool("lookup", {{"name": "a"}})
        print(result.content[0].text)


asyncio.run(main())
"""


def _installed_start(project: Path, site: Path, module: str) -> str:
    """Install `project` (a real wheel build, no network) into `site` and start `module`'s
    server from there, in a fresh interpreter run outside the project."""
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation"),
            *("--no-deps", "--no-index", "--target", str(site), str(project)),
        ],
        check=True,
        capture_output=True,
    )
    started = subprocess.run(
        [sys.executable, "-c", START.format(module=module)],
        cwd=site.parent,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    assert started.returncode == 0, started.stderr
    return started.stdout


PYPROJECTS = {
    # setuptools finds namespace packages (folders without __init__.py) by default here.
    "pkg/server.py": '[project]\nname = "notes"\nversion = "1"\n',
    "src/notes/tools/server.py": (
        '[project]\nname = "notes"\nversion = "1"\n\n'
        '[tool.setuptools.packages.find]\nwhere = ["src"]\nnamespaces = true\n'
    ),
}


@pytest.mark.parametrize("server", sorted(PYPROJECTS))
def test_a_namespace_package_server_starts_once_installed(tmp_path: Path, server: str) -> None:
    project = tmp_path / "project"
    (project / server).parent.mkdir(parents=True)
    (project / server).write_text(NAMESPACE_SERVER)
    (project / "pyproject.toml").write_text(PYPROJECTS[server])
    hardened = subprocess.run(
        [sys.executable, "-m", "harden", "-q", "apply", "--phase", "5", "--in-place", "."],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert hardened.returncode == 0, hardened.stderr
    code = (project / server).read_text()
    assert "from . import harden_runtime" in code and "@harden_runtime.mask_errors" in code
    module = server.removesuffix(".py").replace("/", ".").removeprefix("src.")
    assert _installed_start(project, tmp_path / "site", module) == "alpha\n"


@pytest.mark.parametrize(
    "check",
    [
        "ruff check --isolated --no-cache --line-length 88 --select E,F,W,I,UP,B,SIM,RUF",
        "ruff format --isolated --no-cache --line-length 88 --check",
        "black --quiet --check --line-length 88",
        "bandit --quiet",
    ],
)
def test_the_runtime_is_clean_without_its_header(tmp_path: Path, check: str) -> None:
    """The header asks the project's tools to leave the copy alone; it need not."""
    copy = tmp_path / RUNTIME_FILENAME
    copy.write_text(runtime_source().removeprefix(VENDORED_HEADER))
    tool, *args = check.split()
    found = subprocess.run(
        [str(Path(sys.executable).parent / tool), *args, str(copy)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert found.returncode == 0, found.stdout + found.stderr

"""Start-up proportional to the work: what harden loads is what the run needs.

libcst (0.13 s to import, more with its matchers) and gitpython load only when a file must be
parsed or a commit read: never for `--help`, for a scan whose every file the text prefilters
rule out, or for a scan the result cache answers whole. Each run is a real process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import make_project

HEAVY = ("libcst", "git")
TOOL = """import os

from mcp.server.fastmcp import FastMCP

mcp = FastMCP("files")


@mcp.tool()
def remove(path: str) -> None:
    os.system("rm -rf " + path)
"""
# Runs harden's command line as the console script does, then says which heavy modules loaded.
PROBE = """
import json
import sys
sys.argv = ["harden", *sys.argv[1:]]
from harden.entry import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)), file=sys.stderr)
"""


def _run(args: list[str], cwd: Path, cache: Path) -> tuple[str, list[str]]:
    """harden's output, and the heavy modules it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "HARDEN_CACHE_DIR": str(cache)},
        check=False,
    )
    loaded = done.stderr.strip().splitlines()[-1]
    return done.stdout, json.loads(loaded)


def test_help_loads_neither(tmp_path: Path) -> None:
    output, loaded = _run(["--help"], tmp_path, tmp_path / "cache")
    assert "scan" in output
    assert loaded == []


def test_a_scan_the_prefilters_rule_out_loads_neither(tmp_path: Path) -> None:
    make_project(tmp_path)
    for name in ("server.py", "untracked.py"):
        (tmp_path / name).write_text("def add(a, b):\n    return a + b\n")
    output, loaded = _run(["scan", ".", "-f", "json", "--no-cache"], tmp_path, tmp_path / "c")
    assert json.loads(output)["findings"] == []
    assert loaded == []


@pytest.mark.parametrize("args", [[], ["--phase", "5"], ["--phase", "1"]])
def test_a_scan_the_cache_answers_loads_neither(tmp_path: Path, args: list[str]) -> None:
    make_project(tmp_path)
    scan = ["scan", ".", "-f", "json", *args]
    cold, loaded_cold = _run(scan, tmp_path, tmp_path / "cache")
    assert json.loads(cold)["findings"], "the project has findings"
    assert "libcst" in loaded_cold
    warm, loaded_warm = _run(scan, tmp_path, tmp_path / "cache")
    assert warm == cold
    assert loaded_warm == []
    (tmp_path / "untracked.py").write_text(TOOL)
    changed, _ = _run(scan, tmp_path, tmp_path / "cache")
    uncached, _ = _run([*scan, "--no-cache"], tmp_path, tmp_path / "other")
    assert changed == uncached != cold

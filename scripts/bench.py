"""`make bench`: how fast harden scans and rewrites a large tree, and its runtime's cost per call.

Times harden's start-up, `harden scan` and `harden apply --phase 5 --dry-run` on the tree
without the result cache, `harden scan` with it (warm, and after one file changed) on the tree
and on a tree shaped like an MCP server project, each beside ruff; then runs
scripts/bench_runtime.py for what the vendored runtime adds to each tool call and
scripts/bench_report.py for `harden report` on a 1 GB log beside jq.

The tree is a copy of this project's own virtualenv site-packages (thousands of real Python
files, no network needed), copied outside any git repository so every file is read. Bandit runs
on the same tree with its command-injection tests, for a ratio. Each command runs a few times
and the best wall time is reported, since the first run also warms the page cache.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from harden.cache import CACHE_DIR_ENV

BIN = Path(sys.executable).parent
BANDIT_COMMAND_TESTS = "B602,B604,B605,B607,B609"


def best_time(command: list[str], runs: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    """The best wall time of `runs` runs of `command`; a run that fails stops the bench (a
    failure is fast, and would pass for a fast run)."""
    best = float("inf")
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True)
        best = min(best, time.perf_counter() - start)
        # Bandit exits 1 when it finds something, as it does here.
        if result.returncode not in (0, 1) or (result.returncode and "bandit" not in command[0]):
            sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    assert result is not None
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="tree to measure (default: a site-packages copy)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0, help="harden -j (default: one per core)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="harden-bench.") as scratch:
        scratch_path = Path(scratch)
        tree = args.tree or scratch_path / "site-packages"
        if args.tree is None:
            shutil.copytree(sysconfig.get_paths()["purelib"], tree, symlinks=True)
        jobs = ["-j", str(args.jobs)] if args.jobs else []
        harden = str(BIN / "harden")
        os.environ[CACHE_DIR_ENV] = str(scratch_path / "harden_cache")
        print_start_up(args.runs)
        rows = []
        scans = {}
        for label, extra in (
            ("harden scan (every phase's checks)", []),
            ("harden scan --phase 5 --only commands", ["--phase", "5", "--only", "commands"]),
        ):
            scan_time, scan = best_time(
                [harden, "scan", str(tree), "-f", "json", "--no-cache", *extra, *jobs], args.runs
            )
            rows.append((label + " --no-cache", scan_time))
            scans[label] = (scan_time, scan)
        dry_time, _ = best_time(
            [harden, "apply", "--phase", "5", "--dry-run", "--no-cache", str(tree), *jobs],
            args.runs,
        )
        rows.append(("harden apply --phase 5 --dry-run --no-cache", dry_time))
        bandit = shutil.which("bandit", path=str(BIN))
        if bandit:
            bandit_time, _ = best_time(
                [bandit, "-r", "-q", "-f", "json", "-t", BANDIT_COMMAND_TESTS, str(tree)], args.runs
            )
            rows.append((f"bandit -t {BANDIT_COMMAND_TESTS}", bandit_time))
        files = sum(1 for _ in tree.rglob("*.py"))
        megabytes = sum(p.stat().st_size for p in tree.rglob("*.py")) / 1e6
        print(f"\ntree: {tree} — {files} Python files, {megabytes:.1f} MB")
        print(f"{'command':<50} {'best wall time':>15}")
        for name, seconds in rows:
            print(f"{name:<50} {seconds:>13.2f} s")
        for label, (scan_time, scan) in scans.items():
            counts = scan.stderr.strip().splitlines()[-1] if scan.stderr.strip() else "?"
            print(f"{label}: {counts}")
            if bandit:
                print(f"  ratio to bandit: {scan_time / bandit_time:.3f}")
        print_cached_scans(tree, args.runs, jobs, scratch_path)
        project = scratch_path / "project"
        make_project_tree(project)
        print_cached_scans(project, args.runs, jobs, scratch_path)
    # The runtime's cost per tool call and the report on a 1 GB log, measured apart: neither
    # needs the tree.
    for script in ("bench_runtime.py", "bench_report.py"):
        code = subprocess.run([sys.executable, str(Path(__file__).with_name(script))]).returncode
        if code:
            return code
    return 0


def print_start_up(runs: int) -> None:
    """How long harden takes to start, beside ruff (a compiled program: the floor)."""
    ruff = str(BIN / "ruff")
    harden = str(BIN / "harden")
    ruff_time, _ = best_time([ruff, "--version"], runs * 3)
    print(f"{'start-up':<50} {'best wall time':>15} {'ratio to ruff':>14}")
    for command in (
        [harden, "--version"],
        [harden, "--help"],
        [sys.executable, "-c", "import harden.cli"],
    ):
        seconds, _ = best_time(command, runs * 3)
        name = " ".join(Path(command[0]).name if i == 0 else c for i, c in enumerate(command))
        print(f"{name:<50} {seconds:>13.3f} s {seconds / ruff_time:>13.1f}x")
    print(f"{'ruff --version':<50} {ruff_time:>13.3f} s")


def print_cached_scans(tree: Path, runs: int, jobs: list[str], scratch: Path) -> None:
    """`harden scan` on `tree` cold, warm (nothing changed since the last run) and after one
    file changed, each beside ruff's check of the same tree, cold and warm, as a ratio."""
    harden = [str(BIN / "harden"), "scan", str(tree), "-f", "json", *jobs]
    ruff = [str(BIN / "ruff"), "check", "--exit-zero", "--select", "S", "-q", str(tree)]
    ruff_cache = ["--cache-dir", str(scratch / "ruff_cache")]
    files = sorted(tree.rglob("*.py"))
    print(f"\ntree: {tree.name} — {len(files)} Python files")
    cold, _ = best_time([*harden, "--no-cache"], runs)
    ruff_cold, _ = best_time([*ruff, "--no-cache"], runs)
    subprocess.run([*harden], capture_output=True, check=False)  # fills the cache
    subprocess.run([*ruff, *ruff_cache], capture_output=True, check=False)
    warm, _ = best_time(harden, runs)
    ruff_warm, _ = best_time([*ruff, *ruff_cache], runs)
    # A module with MCP handlers, the costliest kind to look at again (the project index reads
    # it, so it is built again), and a module that does not mention MCP (the common edit).
    texts = {f: f.read_text(errors="replace") for f in files}
    touched = [
        next((f for f in files if "FastMCP(" in texts[f]), files[0]),
        next((f for f in files if "mcp" not in texts[f].lower() and "def " in texts[f]), files[-1]),
    ]
    rows = [("cold (--no-cache)", cold, ruff_cold), ("warm (nothing changed)", warm, ruff_warm)]
    alone = {}
    for file in touched:
        alone[file], _ = best_time([*harden[:2], str(file), "-f", "json", "--no-cache"], runs)
        after_touch = float("inf")
        for _ in range(runs):
            with file.open("a") as out:
                out.write("# touched\n")
            seconds, _ = best_time(harden, 1)
            after_touch = min(after_touch, seconds)
        rows.append((f"one file changed ({file.relative_to(tree)})", after_touch, ruff_warm))
    print(f"{'':<60} {'harden':>9} {'ruff -S':>9} {'ratio':>7}")
    for name, ours, theirs in rows:
        print(f"{name:<60} {ours:>7.2f} s {theirs:>7.2f} s {ours / theirs:>6.1f}x")
    for file, seconds in alone.items():
        name = file.relative_to(tree)
        print(f"  {name} alone, scanned cold: {seconds:.2f} s (start-up included)")
    print("  targets: warm <= 0.6 s; one file changed <= 0.6 s + that file's own cost")


def make_project_tree(root: Path) -> None:
    """A tree shaped like a real MCP server project: a few hundred modules (this project's own
    code and tests), a handful of them MCP servers (its fixture servers)."""
    source = Path(__file__).resolve().parent.parent
    for folder in ("harden", "tests", "fixtures/servers", "scripts"):
        shutil.copytree(
            source / folder,
            root / folder,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.log", "*.gz"),
        )


if __name__ == "__main__":
    sys.exit(main())

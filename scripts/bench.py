"""`make bench`: how fast harden scans and rewrites a large tree, and its runtime's cost per call.

Times `harden scan` and `harden apply --phase 5 --dry-run` on the tree, then runs
scripts/bench_runtime.py for what the vendored runtime adds to each tool call and
scripts/bench_report.py for `harden report` on a 1 GB log beside jq.

The tree is a copy of this project's own virtualenv site-packages (thousands of real Python
files, no network needed), copied outside any git repository so every file is read. Bandit runs
on the same tree with its command-injection tests, for a ratio. Each command runs a few times
and the best wall time is reported, since the first run also warms the page cache.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

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
        tree = args.tree or Path(scratch) / "site-packages"
        if args.tree is None:
            shutil.copytree(sysconfig.get_paths()["purelib"], tree, symlinks=True)
        files = sum(1 for _ in tree.rglob("*.py"))
        megabytes = sum(p.stat().st_size for p in tree.rglob("*.py")) / 1e6
        print(f"tree: {tree} — {files} Python files, {megabytes:.1f} MB")
        jobs = ["-j", str(args.jobs)] if args.jobs else []
        harden = str(BIN / "harden")
        rows = []
        startup, _ = best_time([sys.executable, "-c", "import harden.cli"], args.runs)
        rows.append(("start-up: python -c 'import harden.cli'", startup))
        scans = {}
        for label, extra in (
            ("harden scan (every phase's checks)", []),
            ("harden scan --phase 5 --only commands", ["--phase", "5", "--only", "commands"]),
        ):
            scan_time, scan = best_time(
                [harden, "scan", str(tree), "-f", "json", *extra, *jobs], args.runs
            )
            rows.append((label, scan_time))
            scans[label] = (scan_time, scan)
        dry_time, _ = best_time(
            [harden, "apply", "--phase", "5", "--dry-run", str(tree), *jobs], args.runs
        )
        rows.append(("harden apply --phase 5 --dry-run", dry_time))
        bandit = shutil.which("bandit", path=str(BIN))
        if bandit:
            bandit_time, _ = best_time(
                [bandit, "-r", "-q", "-f", "json", "-t", BANDIT_COMMAND_TESTS, str(tree)], args.runs
            )
            rows.append((f"bandit -t {BANDIT_COMMAND_TESTS}", bandit_time))
        print(f"{'command':<42} {'best wall time':>15}")
        for name, seconds in rows:
            print(f"{name:<42} {seconds:>13.2f} s")
        for label, (scan_time, scan) in scans.items():
            counts = scan.stderr.strip().splitlines()[-1] if scan.stderr.strip() else "?"
            # Start-up is paid once whatever the tree; the rest grows with the candidate files,
            # which on a random subtree grow with its size.
            per_2000 = startup + (scan_time - startup) * 2000 / max(files, 1)
            print(f"{label}: {counts}")
            print(f"  scaled to a 2,000-file tree: {per_2000:.2f} s (target: <= 1 s on 2 cores)")
            if bandit:
                print(f"  ratio to bandit: {scan_time / bandit_time:.3f}")
    # The runtime's cost per tool call and the report on a 1 GB log, measured apart: neither
    # needs the tree.
    for script in ("bench_runtime.py", "bench_report.py"):
        code = subprocess.run([sys.executable, str(Path(__file__).with_name(script))]).returncode
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench`, the log half: `harden report` on a 1 GB log beside jq on the same file.

The log comes from scripts/make_logs.py (50 tools, 200 callers, 30 days, 1 % would-reject, 5 %
foreign lines). jq runs the per-tool query a user would otherwise write, streaming so that it
reads a mixed file in bounded memory (`jq -s`, which slurps, needs the whole file in memory
several times over). Each command runs once after a warm-up read of the file; the time, the
throughput and the peak memory (the process's maximum resident set) are printed, and the
ratio of the two times.

    python scripts/bench_report.py [--mb 1024] [--log existing.log]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from make_logs import write  # beside this script, so on sys.path when it runs

BIN = Path(sys.executable).parent
JQ_QUERY = """
reduce (inputs | fromjson? | select(type == "object" and .event != null)) as $e ({};
  ($e.tool // "-") as $t
  | .[$t] |= (. // {calls: 0, errors: 0, would_reject: 0, callers: {}})
  | if $e.event == "tool_call" then
      .[$t].calls += 1
      | .[$t].errors += (if $e.isError then 1 else 0 end)
      | .[$t].callers[$e.caller] = true
    elif $e.event == "VALIDATION_WOULD_REJECT" then .[$t].would_reject += 1
    else . end)
| map_values(.callers |= length)
"""


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of one run of `command`, its output discarded."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    assert process.stderr is not None
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{command[0]} failed: {process.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024  # Linux gives KB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1024, help="size of the generated log")
    parser.add_argument("--log", type=Path, help="an existing log to read instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="harden-bench-log.") as scratch:
        log = args.log
        if log is None:
            log = Path(scratch) / "harden.log"
            print(f"writing {args.mb:.0f} MB of log to {log} ...", flush=True)
            write(log, args.mb)
        size = log.stat().st_size / 1e6
        with log.open("rb") as warm:  # the page cache holds the file for both
            while warm.read(1 << 24):
                pass
        rows = [
            (
                "harden report -f json",
                *measure([str(BIN / "harden"), "report", str(log), "-f", "json"]),
            )
        ]
        jq = shutil.which("jq")
        if jq:
            query = Path(scratch) / "report.jq"
            query.write_text(JQ_QUERY)
            rows.append(
                ("jq -nR (streaming, per tool)", *measure([jq, "-nR", "-f", str(query), str(log)]))
            )
    print(f"log: {size:.0f} MB")
    print(f"{'command':<32} {'wall time':>10} {'throughput':>12} {'peak memory':>12}")
    for name, seconds, memory in rows:
        print(f"{name:<32} {seconds:>8.1f} s {size / seconds:>8.0f} MB/s {memory:>9.0f} MB")
    if len(rows) == 2:
        print(f"harden report is {rows[1][1] / rows[0][1]:.1f}x faster than jq (target: >= 5x)")
    else:
        print("jq not installed: no ratio")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Write a realistic harden runtime log for `make bench`: what `harden report` reads in the field.

The mix: 50 tools, 200 callers, 30 days in time order, about 1 % VALIDATION_WOULD_REJECT, a few
RATE_LIMIT_WOULD_THROTTLE and CMD_VALUE_SPLIT lines, and 5 % lines that are not harden's (the
server's own logging, traceback lines). The same seed gives the same file.

    python scripts/make_logs.py OUT --mb 1024
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, datetime
from pathlib import Path

START = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
DAYS = 30
TOOLS = [f"tool_{n:02d}" for n in range(50)]
CALLERS = [f"client-{n:03d}" for n in range(200)]
FOREIGN = (
    "2026-10-03 12:00:01,123 INFO server: handled request in 12 ms",
    "Traceback (most recent call last):",
    '  File "/srv/app/server.py", line 42, in handler',
    "WARNING:root:slow upstream, retrying",
)
RULES = ("path_traversal", "path_outside_roots", "ssrf", "shell_metachar", "too_long")
PARAMS = ("path", "url", "host", "query", "command")


def stamp(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def lines(count: int, rng: random.Random, first: float, step: float) -> list[str]:
    """`count` lines, the n-th at `first + n * step` seconds since the epoch."""
    out = []
    for index in range(count):
        when = first + index * step
        roll = rng.random()
        if roll < 0.05:
            out.append(rng.choice(FOREIGN))
            continue
        tool, caller = rng.choice(TOOLS), rng.choice(CALLERS)
        record: dict[str, object] = {"v": 1, "ts": stamp(when)}
        if roll < 0.06:
            record |= {
                "event": "VALIDATION_WOULD_REJECT",
                "tool": tool,
                "caller": caller,
                "rule": rng.choice(RULES),
                "param": rng.choice(PARAMS),
            }
        elif roll < 0.062:
            record |= {"event": "RATE_LIMIT_WOULD_THROTTLE", "tool": tool, "caller": caller}
        elif roll < 0.063:
            record |= {"event": "CMD_VALUE_SPLIT", "site": "server:42", "fields": 2}
        else:
            record |= {
                "event": "tool_call",
                "tool": tool,
                "caller": caller,
                "duration_ms": round(rng.lognormvariate(2, 1), 3),
                "isError": rng.random() < 0.02,
                "params": {"path": "str", "limit": "int"},
                "response_bytes": rng.randrange(100, 20_000),
            }
        out.append(json.dumps(record, separators=(",", ":")))
    return out


def write(path: Path, megabytes: float, seed: int = 7) -> int:
    """Write about `megabytes` of log to `path`; the number of lines written."""
    sample = lines(2_000, random.Random(seed), START, 1.0)
    per_line = sum(len(line) + 1 for line in sample) / len(sample)
    total = int(megabytes * 1_000_000 / per_line)
    step = DAYS * 86_400 / total
    rng = random.Random(seed)
    chunk = 200_000
    with path.open("w", encoding="utf-8") as out:
        for start in range(0, total, chunk):
            part = lines(min(chunk, total - start), rng, START + start * step, step)
            out.write("\n".join(part) + "\n")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--mb", type=float, default=1024)
    arguments = parser.parse_args()
    count = write(arguments.out, arguments.mb)
    print(f"{arguments.out}: {count} lines, {arguments.out.stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()

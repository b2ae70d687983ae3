"""Find the runtime's JSON lines in log files, whatever else the files hold.

A log given to `harden report` is rarely pure: the server's own logging, tracebacks, Docker's
json-file wrapper (`{"log": "...", "stream": "stderr"}`), journald (`MESSAGE=...` export lines or
`journalctl -o json` objects) and prefixed lines (`<time> stderr F {...}` from containerd). This
module unwraps what wraps a harden line and skips what is not one. A line it cannot read is
counted, never fatal; it must never keep more than one line of a file in memory.
"""

from __future__ import annotations

import glob
import gzip
import heapq
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

# A record: (seconds since the epoch, the decoded line).
Event = tuple[float, dict[str, Any]]

STDIN = "-"
_GLOB_CHARACTERS = frozenset("*?[")
_decode = json.JSONDecoder().raw_decode


class SourceError(ValueError):
    """A LOG argument that names nothing readable."""


@dataclass
class Reading:
    """What reading found besides the events: for the report's footnote."""

    files: list[str] = field(default_factory=list)
    lines: int = 0
    skipped: int = 0  # lines that held no harden record
    warnings: list[str] = field(default_factory=list)


def expand(arguments: Iterable[str]) -> list[str]:
    """Files named by the LOG arguments: a file, a directory (every file below it), a glob, or
    `-` for stdin. Raises SourceError for an argument that names no file."""
    found: list[str] = []
    for argument in arguments:
        if argument == STDIN:
            found.append(STDIN)
            continue
        path = Path(argument)
        if path.is_dir():
            found.extend(str(p) for p in sorted(path.rglob("*")) if p.is_file())
        elif path.is_file():
            found.append(argument)
        elif _GLOB_CHARACTERS & set(argument):
            matches = sorted(p for p in glob.glob(argument, recursive=True) if Path(p).is_file())
            if not matches:
                raise SourceError(f"{argument}: no file matches")
            found.extend(matches)
        else:
            raise SourceError(f"{argument}: no such file or directory")
    return list(dict.fromkeys(found))


def read_events(sources: list[str], reading: Reading) -> Iterator[Event]:
    """The harden records of every source, merged by time: each file is in time order, so the
    merge keeps the whole stream nearly so while holding one line per file."""
    reading.files.extend(sources)
    streams = [_file_events(source, reading) for source in sources]
    return heapq.merge(*streams, key=_time_of)


def _time_of(event: Event) -> float:
    return event[0]


def _file_events(source: str, reading: Reading) -> Iterator[Event]:
    try:
        with _open(source) as stream:
            for line in stream:
                reading.lines += 1
                event = parse_line(line)
                if event is None:
                    reading.skipped += 1
                else:
                    yield event
    except (OSError, EOFError) as error:
        # A log rotated while being compressed ends early; what came before still counts.
        reading.warnings.append(f"{source}: stopped reading: {error}")


def _open(source: str) -> IO[str]:
    if source == STDIN:
        return open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)
    if source.endswith(".gz"):
        return gzip.open(source, "rt", encoding="utf-8", errors="replace")
    return open(source, encoding="utf-8", errors="replace")


def parse_line(line: str) -> Event | None:
    """The harden record a line holds, unwrapped from Docker's or journald's envelope; None for
    any other line."""
    # Every harden record names its event (journald spells a non-text field as a list of
    # bytes); most foreign lines are dropped without parsing.
    if "event" not in line and '"MESSAGE":[' not in line.replace(" ", ""):
        return None
    line = line.strip()
    if line.startswith("MESSAGE="):
        return parse_line(line[len("MESSAGE=") :])
    start = 0 if line.startswith("{") else line.find("{")
    if start < 0:
        return None
    try:
        value, _ = _decode(line, start)
    except ValueError:
        return None
    return _record(value, depth=0)


def _record(value: object, depth: int) -> Event | None:
    if not isinstance(value, dict):
        return None
    event, stamp = value.get("event"), value.get("ts")
    if isinstance(event, str) and isinstance(stamp, str):
        seconds = parse_time(stamp)
        return None if seconds is None else (seconds, value)
    if depth > 0:
        return None
    # Docker json-file ("log") and journalctl -o json ("MESSAGE") carry the line as text.
    inner = value.get("log", value.get("MESSAGE"))
    if isinstance(inner, list) and all(isinstance(b, int) for b in inner):
        inner = bytes(b & 0xFF for b in inner).decode("utf-8", "replace")  # journald binary field
    if isinstance(inner, str) and "event" in inner:
        inner = inner.strip()
        start = inner.find("{")
        try:
            return _record(_decode(inner, max(start, 0))[0], depth + 1)
        except ValueError:
            return None
    return None


_seconds_of_minute: dict[str, float] = {}


def parse_time(stamp: str) -> float | None:
    """Seconds since the epoch of the runtime's `2026-05-09T12:00:00.123Z` (any ISO 8601 time;
    UTC when it names no zone)."""
    # The runtime's stamps share their minute with thousands of others: parse it once.
    head = stamp[:16]
    base = _seconds_of_minute.get(head)
    if base is not None and stamp[16:17] == ":" and stamp.endswith("Z"):
        try:
            return base + float(stamp[17:-1])
        except ValueError:
            return None
    moment = parse_iso(stamp)
    if moment is None:
        return None
    if len(_seconds_of_minute) < 100_000 and stamp[16:17] == ":" and stamp.endswith("Z"):
        _seconds_of_minute[head] = moment.replace(second=0, microsecond=0).timestamp()
    return moment.timestamp()


def parse_iso(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)

"""`harden report`'s engine: DuckDB loads the harden records of the logs into one table,
`harden_log`, and the report's queries (QUERIES, which `harden report --sql` prints) fill
LogStats.

DuckDB reads each file as lines, a `.gz` too, on every core. A line that is a record as the
runtime writes it is decoded in SQL; the few others that may wrap one (Docker's json-file,
journald, a prefix before the JSON) are unwrapped by read.parse_line, written out as plain
records and loaded the same way. The table lives in a database file in a temporary directory,
with a memory limit, so memory stays bounded whatever the size of the logs (DuckDB spills to
disk); only the aggregates come back to Python. A file DuckDB cannot finish (a `.gz` cut short
by rotation) is read by read.py instead, which keeps what came before and warns. It never
writes outside its temporary directory, and keeps no field the runtime did not log.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from harden.logs.read import STDIN, Event, Reading, parse_line, read_events
from harden.logs.stats import LogStats, Occurrences

_MEMORY_LIMIT = "160MB"
_PROGRESS_SECONDS = 0.2
Progress = Callable[[int, int], None]
_BATCH = 10_000  # unwrapped lines handed to Python at a time

# The table the report is computed from, one row per harden record.
SCHEMA = """CREATE TABLE harden_log (
    t DOUBLE,            -- seconds since the epoch, UTC (the record's "ts")
    v INTEGER,           -- the log format version (0 when the record has none)
    event VARCHAR,
    tool VARCHAR,        -- NULL when the record names no tool
    caller VARCHAR,      -- 'unknown' when it names none
    duration_ms DOUBLE,
    is_error BOOLEAN,
    rule VARCHAR,        -- validation's rule, an auth event's reason, a secret's kind,
                         -- or the capability a permission event names
    param VARCHAR,       -- validation's parameter, or a secret's variable name
    site VARCHAR,
    features VARCHAR[],
    uses VARCHAR[]       -- a tool_call's uses (phase 6), NULL when the line records none
);"""

# A line of text (`line`) that is a record as the runtime writes it: a JSON object whose
# "event" and "ts" are strings. Its fields are read in one pass (`_FIELDS` gives both their
# text and their JSON types), then made a harden_log row (`_ROW`); a time that does not parse
# makes it no record.
_IS_RECORD = (
    "line LIKE '{%' AND CASE WHEN json_valid(line) "
    "THEN json_type(line, ['$.event', '$.ts']) = ['VARCHAR', 'VARCHAR'] ELSE false END"
)
_PATHS = (
    "['$.ts', '$.v', '$.event', '$.tool', '$.caller', '$.duration_ms', '$.isError', "
    "'$.rule', '$.param', '$.site', '$.features', '$.reason', '$.kind', '$.name', "
    "'$.capability']"
)
_FIELDS = f"""
    CASE WHEN json_valid(line) THEN json_extract_string(line, {_PATHS}) END AS s,
    CASE WHEN json_valid(line) THEN json_type(line, {_PATHS}) END AS ty,
    CASE WHEN json_valid(line) AND json_type(line, '$.features') = 'ARRAY'
        AND json_array_length(line, '$.features') > 0
        THEN CAST(json_extract_string(line, '$.features[*]') AS VARCHAR[]) END AS features,
    CASE WHEN json_valid(line) AND json_type(line, '$.uses') = 'ARRAY'
        THEN CAST(json_extract_string(line, '$.uses[*]') AS VARCHAR[]) END AS uses"""
_ROW = """
    epoch(TRY_CAST(s[1] AS TIMESTAMPTZ)) AS t,
    CASE WHEN ty[2] IS NULL THEN 0 WHEN ty[2] IN ('BIGINT', 'UBIGINT') THEN s[2]::INTEGER END,
    s[3],
    CASE WHEN ty[4] = 'VARCHAR' THEN s[4] END,
    coalesce(s[5], 'unknown'),
    CASE WHEN ty[6] IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN s[6]::DOUBLE END,
    coalesce(ty[7] = 'BOOLEAN' AND s[7] = 'true', false),
    coalesce(s[8], s[12], s[13], s[15], 'unknown'),
    coalesce(s[9], s[14], 'unknown'),
    coalesce(s[10], 'unknown'),
    coalesce(features, ['unknown']),
    uses"""

# The report's questions, over harden_log (the window already applied).
QUERIES = {
    "overall": """SELECT count(*), min(t), max(t), min(v),
    min(t) FILTER (event = 'tool_call'), max(t) FILTER (event = 'tool_call')
FROM harden_log;""",
    "tools": """SELECT tool, count(*) FILTER (event = 'tool_call') AS calls,
    count(*) FILTER (event = 'tool_call' AND is_error) AS errors,
    count(*) FILTER (event = 'VALIDATION_REJECTED') AS rejected,
    count(*) FILTER (event = 'RATE_LIMIT_ENFORCED') AS throttled,
    min(t) AS first_seen, max(t) AS last_seen
FROM harden_log
WHERE tool IS NOT NULL AND event NOT IN ('CMD_VALUE_SPLIT', 'CMD_SHELL_FEATURE_DETECTED')
GROUP BY tool;""",
    "callers": """SELECT DISTINCT tool, caller FROM harden_log WHERE event = 'tool_call';""",
    # Durations in buckets 2 % wide: the report's percentiles are within 2 %.
    "durations": """SELECT tool,
    floor(ln(greatest(duration_ms, 0.001)) / ln(1.02))::INTEGER AS bucket, count(*)
FROM harden_log WHERE event = 'tool_call' AND duration_ms IS NOT NULL
GROUP BY ALL;""",
    # How many calls one caller made in one calendar minute (UTC), over every busy minute.
    "minutes": """SELECT tool, calls, count(*) FROM (
    SELECT tool, caller, floor(t / 60) AS minute, count(*) AS calls
    FROM harden_log WHERE event = 'tool_call' GROUP BY ALL
) GROUP BY ALL;""",
    "days": """SELECT tool, floor(t / 86400)::INTEGER AS day,
    count(*) FILTER (event = 'tool_call'),
    count(*) FILTER (
        event IN (
            'VALIDATION_WOULD_REJECT', 'RATE_LIMIT_WOULD_THROTTLE', 'AUTH_WOULD_REJECT',
            'SECRET_WOULD_REDACT', 'PERMISSION_WOULD_DENY'
        )
    )
FROM harden_log
WHERE tool IS NOT NULL AND event NOT IN ('CMD_VALUE_SPLIT', 'CMD_SHELL_FEATURE_DETECTED')
GROUP BY ALL;""",
    "would_reject": """SELECT tool, rule, param, caller, count(*), min(t), max(t)
FROM harden_log WHERE event = 'VALIDATION_WOULD_REJECT' AND tool IS NOT NULL GROUP BY ALL;""",
    "would_throttle": """SELECT tool, caller, count(*), min(t), max(t)
FROM harden_log WHERE event = 'RATE_LIMIT_WOULD_THROTTLE' AND tool IS NOT NULL GROUP BY ALL;""",
    "auth_would_reject": """SELECT tool, rule, caller, count(*), min(t), max(t)
FROM harden_log WHERE event = 'AUTH_WOULD_REJECT' AND tool IS NOT NULL GROUP BY ALL;""",
    "secret_would_redact": """SELECT tool, rule, param, caller, count(*), min(t), max(t)
FROM harden_log WHERE event = 'SECRET_WOULD_REDACT' AND tool IS NOT NULL GROUP BY ALL;""",
    # What the tool calls did (phase 6): per use, the calls that did it; `observed`, the calls
    # whose line records uses at all (a runtime without the audit hook records none).
    "observed": """SELECT tool, count(*) FROM harden_log
WHERE event = 'tool_call' AND tool IS NOT NULL AND uses IS NOT NULL GROUP BY ALL;""",
    # Only strings of the uses' forms: a line that is not the runtime's names nothing else.
    "uses": """SELECT tool, use, count(*) FROM (
    SELECT tool, unnest(uses) AS use FROM harden_log
    WHERE event = 'tool_call' AND tool IS NOT NULL AND uses IS NOT NULL
) WHERE regexp_matches(use, '^(fs:read|fs:write|exec|net):[^\\s]') GROUP BY ALL;""",
    "permissions": """SELECT event, tool, rule, caller, count(*), min(t), max(t)
FROM harden_log WHERE event IN ('PERMISSION_WOULD_DENY', 'PERMISSION_DENIED')
    AND tool IS NOT NULL GROUP BY ALL;""",
    "value_splits": """SELECT site, caller, count(*), min(t), max(t)
FROM harden_log WHERE event = 'CMD_VALUE_SPLIT' GROUP BY ALL;""",
    "shell_features": """SELECT tool, feature, caller, count(*), min(t), max(t) FROM (
    SELECT coalesce(tool, '') AS tool, unnest(features) AS feature, caller, t
    FROM harden_log WHERE event = 'CMD_SHELL_FEATURE_DETECTED'
) GROUP BY ALL;""",
}


def report_sql() -> str:
    """The table and the report's queries, for a warehouse that holds the logs already."""
    parts = [
        "-- harden report's queries. Load the runtime's JSON lines into harden_log first",
        '-- (one row per record, t from its "ts"), restricted to the window you report on.',
        SCHEMA,
    ]
    parts += [f"\n-- {name}\n{query}" for name, query in QUERIES.items()]
    return "\n".join(parts) + "\n"


def load_stats(
    sources: list[str],
    reading: Reading,
    since: float | None,
    until: float | None,
    progress: Progress | None = None,
) -> LogStats:
    """The statistics of the harden records in `sources` with since <= time < until;
    `progress` hears (bytes read, bytes in all) while they load."""
    import duckdb  # here, not at the top: only `harden report` pays for loading it

    reading.files.extend(sources)
    with _workspace() as work:
        con = duckdb.connect(str(work / "report.duckdb"))
        try:
            con.execute(f"SET memory_limit = '{_MEMORY_LIMIT}'")
            con.execute(f"SET temp_directory = '{work / 'spill'}'")
            con.execute("SET TimeZone = 'UTC'")
            # Progress is measured (query_progress) without DuckDB printing a bar of its own.
            con.execute("SET enable_progress_bar = true")
            con.execute("SET enable_progress_bar_print = false")
            con.execute(SCHEMA)
            paths = [
                _spooled(work, index) if source == STDIN else source
                for index, source in enumerate(sources)
            ]
            sizes = [_size(path) for path in paths]
            total = sum(sizes)
            # All files in one pass (rotated logs are many small files); if DuckDB cannot finish
            # one, file by file, so the others still load.
            batches = [(paths, total)]
            if len(paths) > 1:
                batches += [([path], size) for path, size in zip(paths, sizes, strict=True)]
            offset = 0
            for index, (batch, size) in enumerate(batches):
                con.begin()
                try:
                    watched = _watching(con, progress, offset, size, total)
                    _load_file(con, batch, work / f"unwrapped-{index}.jsonl", reading, watched)
                    con.commit()
                except duckdb.Error:
                    con.rollback()
                    if len(batch) > 1:
                        continue  # the files one by one, next
                    # A file DuckDB cannot finish (a .gz cut short): read.py reads what there
                    # is and warns.
                    _load_in_python(con, batch[0], work / f"read-{index}.jsonl", reading)
                offset += size
                if progress is not None:
                    progress(offset, total)
                if len(batch) > 1:
                    break  # every file loaded at once
            window = _window(since, until)
            if window:
                con.execute(f"DELETE FROM harden_log WHERE NOT ({window})")
            return _stats(con)
        finally:
            con.close()


@contextmanager
def _watching(
    con: Any, progress: Progress | None, offset: int, size: int, total: int
) -> Iterator[None]:
    """While the block loads a file of `size` bytes, tell `progress` how far its queries are,
    from another thread (DuckDB's query_progress is meant to be asked that way)."""
    if progress is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(_PROGRESS_SECONDS):
            percent = con.query_progress()
            if percent >= 0:
                progress(offset + int(size * min(percent, 100.0) / 100), total)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def _size(path: str) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


@contextmanager
def _workspace() -> Iterator[Path]:
    work = Path(tempfile.mkdtemp(prefix="harden-report-"))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _spooled(work: Path, index: int) -> str:
    """Standard input, copied to a file DuckDB can read (in chunks: memory stays bounded)."""
    target = work / f"stdin-{index}.log"
    with target.open("wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
    return str(target)


def _window(since: float | None, until: float | None) -> str:
    """The condition a row of the report's window meets ("": every row)."""
    bounds = [] if since is None else [f"t >= {float(since)!r}"]
    bounds += [] if until is None else [f"t < {float(until)!r}"]
    return " AND ".join(bounds)


def _lines(paths: list[str]) -> str:
    """The files as one relation of lines (DuckDB decompresses a .gz)."""
    quoted = ", ".join("'" + path.replace("'", "''") + "'" for path in paths)
    return (
        f"read_csv([{quoted}], columns = {{'line': 'VARCHAR'}}, delim = '\\x01', quote = '', "
        "escape = '', header = false, auto_detect = false, strict_mode = false, "
        "ignore_errors = true)"
    )


def _insert(con: Any, lines: str) -> None:
    con.execute(
        f"INSERT INTO harden_log SELECT * FROM (SELECT {_ROW} FROM (SELECT {_FIELDS} "
        f"FROM {lines} WHERE {_IS_RECORD})) WHERE t IS NOT NULL"
    )


def _load_file(
    con: Any,
    paths: list[str],
    unwrapped: Path,
    reading: Reading,
    watched: AbstractContextManager[None],
) -> None:
    """Load the files' records; `watched` reports the progress of the pass that decodes them,
    the one that takes the time."""
    lines = _lines(paths)
    (count,) = con.execute(f"SELECT count(*) FROM {lines}").fetchone()
    before = _rows(con)
    with watched:
        _insert(con, lines)
    # Lines that may wrap a record (Docker, journald, a prefix): read.py knows them all.
    candidates = con.execute(
        f"SELECT line FROM {lines} WHERE NOT ({_IS_RECORD}) "
        "AND (contains(line, 'event') OR contains(line, 'MESSAGE'))"
    )
    batches = iter(lambda: candidates.fetchmany(_BATCH), [])
    lines_found = (line for batch in batches for (line,) in batch)
    events = (event for event in map(parse_line, lines_found) if event is not None)
    _load_records(con, events, unwrapped)
    reading.lines += count
    reading.skipped += count - (_rows(con) - before)


def _load_records(con: Any, events: Iterable[Event], target: Path) -> None:
    """Load records read in Python, written to `target` as plain JSON lines first."""
    found = False
    with target.open("w", encoding="utf-8") as out:
        for _, record in events:
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            found = True
    if found:
        _insert(con, _lines([str(target)]))


def _load_in_python(con: Any, path: str, target: Path, reading: Reading) -> None:
    inner = Reading()
    _load_records(con, read_events([path], inner), target)
    reading.lines += inner.lines
    reading.skipped += inner.skipped
    reading.warnings += inner.warnings


def _rows(con: Any) -> int:
    return int(con.execute("SELECT count(*) FROM harden_log").fetchone()[0])


def _stats(con: Any) -> LogStats:
    stats = LogStats()

    def rows(name: str) -> list[tuple[Any, ...]]:
        return con.execute(QUERIES[name]).fetchall()

    ((events, first, last, oldest, first_call, last_call),) = rows("overall")
    stats.events = int(events)
    stats.first, stats.last = _finite(first, math.inf), _finite(last, -math.inf)
    stats.first_call = _finite(first_call, math.inf)
    stats.last_call = _finite(last_call, -math.inf)
    stats.oldest_version = None if oldest is None else int(oldest)
    for tool, calls, errors, rejected, throttled, first_seen, last_seen in rows("tools"):
        entry = stats.tool(tool)
        entry.calls, entry.errors = int(calls), int(errors)
        entry.rejected, entry.throttled = int(rejected), int(throttled)
        entry.first, entry.last = float(first_seen), float(last_seen)
    for tool, caller in rows("callers"):
        stats.tool(tool).callers.add(caller)
    for tool, bucket, count in rows("durations"):
        stats.tool(tool).durations.add_bucket(int(bucket), int(count))
    for tool, calls, minutes in rows("minutes"):
        stats.tool(tool).per_minute[int(calls)] += int(minutes)
    for tool, day, calls, warnings in rows("days"):
        entry = stats.tool(tool)
        if calls:
            entry.calls_by_day[int(day)] = int(calls)
        if warnings:
            entry.warnings_by_day[int(day)] = int(warnings)
    for tool, rule, param, caller, count, first, last in rows("would_reject"):
        seen = stats.tool(tool).would_reject.setdefault((rule, param), Occurrences())
        seen.add(caller, int(count), first, last)
    for tool, caller, count, first, last in rows("would_throttle"):
        stats.tool(tool).would_throttle.add(caller, int(count), first, last)
    for tool, reason, caller, count, first, last in rows("auth_would_reject"):
        seen = stats.tool(tool).auth_would_reject.setdefault(reason, Occurrences())
        seen.add(caller, int(count), first, last)
    for tool, kind, name, caller, count, first, last in rows("secret_would_redact"):
        seen = stats.tool(tool).secret_would_redact.setdefault((kind, name), Occurrences())
        seen.add(caller, int(count), first, last)
    for tool, calls in rows("observed"):
        stats.tool(tool).observed_calls = int(calls)
    for tool, use, count in rows("uses"):
        stats.tool(tool).uses[use] = int(count)
    for event, tool, capability, caller, count, first, last in rows("permissions"):
        entry = stats.tool(tool)
        kept = (
            entry.permission_denied if event == "PERMISSION_DENIED" else entry.permission_would_deny
        )
        kept.setdefault(capability, Occurrences()).add(caller, int(count), first, last)
    for site, caller, count, first, last in rows("value_splits"):
        stats.value_splits.setdefault(site, Occurrences()).add(caller, int(count), first, last)
    for tool, feature, caller, count, first, last in rows("shell_features"):
        seen = stats.shell_features.setdefault((tool, feature), Occurrences())
        seen.add(caller, int(count), first, last)
    return stats


def _finite(value: float | None, missing: float) -> float:
    return missing if value is None else float(value)

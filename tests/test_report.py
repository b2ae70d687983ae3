"""`harden report`: generated runtime logs in, per-tool figures and per-control verdicts out.

Coverage is measured from the logs' own timestamps and ages from `--now`, so no test depends on
the clock. The last tests run the runtime itself: HARDEN_LOG_FILE shared by several processes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from client_calls import client_request
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from harden import runtime
from harden.cli import app
from harden.logs.query import QUERIES, load_stats
from harden.logs.read import Reading, parse_line

START = datetime(2026, 5, 1, tzinfo=UTC).timestamp()
DAY = 86_400
SECRET = "s3cr3t-value"


def stamp(seconds: float) -> str:
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def line(at: float, event: str = "tool_call", **fields: Any) -> str:
    record: dict[str, Any] = {"v": 1, "ts": stamp(at), "event": event}
    record.update({"tool": "read_file", "caller": "local"} | fields)
    if event == "tool_call":
        record.setdefault("duration_ms", 2.0)
        record.setdefault("isError", False)
    return json.dumps(record, separators=(",", ":"))


def calls_over(days: float, per_day: int = 4, **fields: Any) -> list[str]:
    """Calls spread evenly over `days` days from START, the last one at the end."""
    count = max(2, int(days * per_day))
    return [line(START + days * DAY * i / (count - 1), **fields) for i in range(count)]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def report(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["report", *arguments])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def as_json(*arguments: str) -> dict[str, Any]:
    code, text = report(*arguments, "--format", "json")
    assert code == 0
    return json.loads(text)


def control(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in data["controls"] if c["control"] == name)


# -- verdicts -----------------------------------------------------------------------------------


def test_eight_quiet_days_are_ready_and_check_passes(tmp_path: Path) -> None:
    log = write(tmp_path / "a.log", calls_over(8))
    data = as_json(str(log))
    assert {c["control"]: c["verdict"] for c in data["controls"]} == {
        "validation": "ready to enforce",
        "rate-limit": "ready to enforce",
        "auth": "not enough data",  # a month: a client calling monthly must be seen first
        "shell-free": "ready to enforce",
        "secret-masking": "ready to enforce",
        # these calls record no uses: no audit hook, nothing to judge
        "permissions": "not enough data",
    }
    assert control(data, "validation")["covered_days"] == 8.0
    assert report(str(log), "--check", "validation")[0] == 0
    assert report(str(log), "--check", "rate-limit")[0] == 0


def test_three_days_are_not_enough_and_check_fails(tmp_path: Path) -> None:
    log = write(tmp_path / "a.log", calls_over(3))
    data = as_json(str(log))
    assert control(data, "validation")["verdict"] == "not enough data"
    assert "3.0 of the 7 days" in control(data, "validation")["reason"]
    assert report(str(log), "--check", "validation")[0] == 1


def test_logs_without_a_tool_call_are_not_enough_data(tmp_path: Path) -> None:
    log = write(tmp_path / "a.log", ["plain text", "Traceback (most recent call last):"])
    data = as_json(str(log))
    assert control(data, "validation")["verdict"] == "not enough data"
    assert control(data, "validation")["reason"] == "no tool was called in these logs"
    assert (data["lines"], data["skipped_lines"], data["harden_lines"]) == (2, 2, 0)


def test_would_reject_events_need_review_with_their_callers(tmp_path: Path) -> None:
    events = [
        line(START + DAY, "VALIDATION_WOULD_REJECT", rule="path_traversal", param="path"),
        line(START + 2 * DAY, "VALIDATION_WOULD_REJECT", rule="path_traversal", param="path"),
        line(
            START + 2 * DAY,
            "VALIDATION_WOULD_REJECT",
            caller="addr:10.0.0.9",
            rule="ssrf",
            param="url",
            tool="fetch",
        ),
    ]
    log = write(
        tmp_path / "a.log", sorted(calls_over(8) + events, key=lambda t: json.loads(t)["ts"])
    )
    data = as_json(str(log))
    validation = control(data, "validation")
    assert validation["verdict"] == "review"
    [ssrf, traversal] = validation["findings"]
    assert (traversal["tool"], traversal["what"], traversal["count"]) == (
        "read_file",
        "path_traversal on path",
        2,
    )
    assert traversal["callers"] == {"local": 2}
    assert traversal["first_seen"] == "2026-05-02T00:00:00.000+00:00"
    assert ssrf["callers"] == {"addr:10.0.0.9": 1}
    assert (ssrf["exemption"]["key"], ssrf["exemption"]["table"]) == (
        "allowed_hosts",
        "tool.harden.validate",
    )
    snippet = tomllib.loads(validation["toml"])["tool"]["harden"]["validate"]
    assert snippet["skip_params"] == ["read_file:path"]
    assert list(snippet) == ["allowed_hosts", "skip_params"]
    assert data["tools"]["read_file"]["would_reject"] == [
        {"rule": "path_traversal", "param": "path", "count": 2, "callers": {"local": 2}}
    ]
    assert report(str(log), "--check", "validation")[0] == 1


@pytest.mark.usefixtures("fresh_runtime")
def test_the_suggested_exemption_stops_the_events_it_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    @runtime.observe
    @runtime.validate
    def read_file(path: str) -> str:
        return "ok"

    with client_request():
        read_file("../" + SECRET)
    logged = capsys.readouterr().err
    assert SECRET not in logged
    log = write(tmp_path / "a.log", logged.splitlines())
    snippet = control(as_json(str(log)), "validation")["toml"]
    settings = tomllib.loads(snippet)["tool"]["harden"]["validate"]
    runtime.configure(**settings)
    with client_request():
        read_file("../" + SECRET)
    again = [json.loads(text)["event"] for text in capsys.readouterr().err.splitlines()]
    assert again == ["tool_call"]


def test_auth_is_ready_after_a_quiet_month_and_lists_the_callers_without_a_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = write(tmp_path / "quiet.log", calls_over(31))
    assert control(as_json(str(quiet)), "auth")["verdict"] == "ready to enforce"
    assert report(str(quiet), "--check", "auth")[0] == 0

    @runtime.observe
    @runtime.authenticate
    def read_file(path: str) -> str:
        return "ok"

    monkeypatch.setenv("HARDEN_AUTH_TOKENS", hashlib.sha256(SECRET.encode()).hexdigest())
    session = SimpleNamespace(headers={"mcp-session-id": "s-9"}, query_params={}, client=None)
    wrong = SimpleNamespace(
        headers={"mcp-session-id": "s-9", "authorization": "Bearer " + SECRET + "x"},
        query_params={},
        client=None,
    )
    for request in (session, session, wrong):
        with client_request(request):
            read_file("notes.txt")
    logged = capsys.readouterr().err
    assert SECRET not in logged
    log = write(tmp_path / "a.log", calls_over(31) + logged.splitlines())
    auth = control(as_json(str(log)), "auth")
    assert auth["verdict"] == "review"
    assert [(f["what"], f["count"], f["callers"]) for f in auth["findings"]] == [
        ("INVALID_TOKEN token", 1, {"session:s-9": 1}),
        ("MISSING_TOKEN token", 2, {"session:s-9": 2}),
    ]
    assert report(str(log), "--check", "auth")[0] == 1


def test_rate_suggestion_is_three_times_the_p95_caller_minute(tmp_path: Path) -> None:
    lines = []
    for minute in range(20):  # ten calls a minute, one minute with forty
        for i in range(40 if minute == 7 else 10):
            lines.append(line(START + minute * 60 + i, caller="session:a"))
    lines.append(
        line(START + 7 * 60 + 41, "RATE_LIMIT_WOULD_THROTTLE", caller="session:a", limit_rpm=30)
    )
    log = write(tmp_path / "a.log", sorted(lines, key=lambda t: json.loads(t)["ts"]))
    data = as_json(str(log))
    tool = data["tools"]["read_file"]
    assert (tool["calls_per_minute_per_caller_peak"], tool["calls_per_minute_per_caller_p95"]) == (
        40,
        10,
    )
    assert data["suggested_rate_limit_rpm"] == 30
    rate = control(data, "rate-limit")
    assert rate["verdict"] == "review"
    assert rate["findings"][0]["callers"] == {"session:a": 1}
    # 30 would still throttle the forty-call minute: the exemption covers the peak.
    assert tomllib.loads(rate["toml"])["tool"]["harden"]["rate_limit"] == {"rpm": 41}


def test_value_splits_need_review_by_site(tmp_path: Path) -> None:
    split = line(START + DAY, "CMD_VALUE_SPLIT", site="server:42", fields=2)
    log = write(tmp_path / "a.log", [*calls_over(8), split])
    shell = control(as_json(str(log)), "shell-free")
    assert shell["verdict"] == "review"
    assert [(f["what"], f["count"], f["exemption"]) for f in shell["findings"]] == [
        ("site server:42", 1, None)
    ]
    assert report(str(log), "--check", "shell-free")[0] == 1


def test_results_carrying_secrets_are_counted_per_tool_and_variable(tmp_path: Path) -> None:
    """SECRET_WOULD_REDACT lines, as mask_secrets writes them: per tool, kind and variable."""
    secrets = [
        line(START + DAY, "SECRET_WOULD_REDACT", tool="env", kind="env", name="API_KEY", count=2),
        line(START + 2 * DAY, "SECRET_WOULD_REDACT", tool="env", kind="env", name="API_KEY"),
        line(START + 2 * DAY, "SECRET_WOULD_REDACT", tool="env", kind="JWT", name=None),
        line(START + 3 * DAY, "SECRET_WOULD_REDACT", tool="logs", kind="env", name="DB_DSN"),
        line(START + 3 * DAY, "SECRET_REDACTED", tool="logs", kind="env", name="DB_DSN"),
    ]
    log = write(tmp_path / "a.log", [*calls_over(8), *secrets])
    masking = control(as_json(str(log)), "secret-masking")
    assert masking["verdict"] == "review"
    assert [(f["tool"], f["what"], f["count"]) for f in masking["findings"]] == [
        ("env", "JWT", 1),
        ("env", "value of API_KEY", 2),
        ("logs", "value of DB_DSN", 1),
    ]
    assert "4 SECRET_WOULD_REDACT line(s)" in masking["reason"]
    assert report(str(log), "--check", "secret-masking")[0] == 1
    assert control(as_json(str(log)), "validation")["verdict"] == "ready to enforce"


def test_uses_outside_the_policy_keep_permissions_in_review(tmp_path: Path) -> None:
    """Phase 6: each call's uses are counted per tool; PERMISSION_WOULD_DENY lines, per tool
    and capability, keep ENFORCE_PERMISSIONS off; fifteen quiet days make it ready."""
    uses = ["fs:read:/srv", "net:api.example.com:443"]
    quiet = calls_over(15, uses=uses)
    log = write(tmp_path / "quiet.log", [*quiet, *calls_over(15, tool="noop", uses=[])])
    data = as_json(str(log))
    assert control(data, "permissions")["verdict"] == "ready to enforce"
    assert data["tools"]["read_file"]["uses"] == {use: len(quiet) for use in uses}
    assert data["tools"]["noop"]["uses"] == {}
    denied = [
        line(START + DAY, "PERMISSION_WOULD_DENY", capability="exec:curl", caller="ci"),
        line(START + 2 * DAY, "PERMISSION_WOULD_DENY", capability="exec:curl", caller="ci"),
        line(START + 2 * DAY, "PERMISSION_WOULD_DENY", capability="fs:write:/etc"),
        line(START + 3 * DAY, "PERMISSION_DENIED", capability="fs:write:/etc"),
    ]
    log = write(tmp_path / "denied.log", [*quiet, *denied])
    data = as_json(str(log))
    permissions = control(data, "permissions")
    assert permissions["verdict"] == "review"
    assert [(f["tool"], f["what"], f["count"], f["callers"]) for f in permissions["findings"]] == [
        ("read_file", "exec:curl", 2, {"ci": 2}),
        ("read_file", "fs:write:/etc", 1, {"local": 1}),
    ]
    assert data["tools"]["read_file"]["permission_would_deny"]["exec:curl"]["count"] == 2
    assert report(str(log), "--check", "permissions")[0] == 1
    short = write(tmp_path / "short.log", calls_over(8, uses=uses))
    assert "of the 14 days" in control(as_json(str(short)), "permissions")["reason"]


def test_commands_that_need_a_shell_need_review_by_tool_and_feature(tmp_path: Path) -> None:
    """The shim's lines: a tool whose callers send loops keeps ENFORCE_SHELL_FREE off."""
    needs = [
        line(START + DAY, "CMD_SHELL_FEATURE_DETECTED", tool="terminal", features=["heredoc"]),
        line(START + 2 * DAY, "CMD_SHELL_FEATURE_DETECTED", tool="terminal", features=["heredoc"]),
        line(
            START + 3 * DAY, "CMD_SHELL_FEATURE_DETECTED", tool=None, features=["compound command"]
        ),
    ]
    log = write(tmp_path / "a.log", [*calls_over(8), *needs])
    shell = control(as_json(str(log)), "shell-free")
    assert shell["verdict"] == "review"
    assert [(f["tool"], f["what"], f["count"]) for f in shell["findings"]] == [
        ("terminal", "heredoc needs /bin/sh", 2),
        (None, "compound command needs /bin/sh", 1),
    ]
    assert "CMD_SHELL_FEATURE_DETECTED" in shell["reason"]
    assert report(str(log), "--check", "shell-free")[0] == 1


# -- reading ------------------------------------------------------------------------------------


def test_wrapped_and_foreign_lines() -> None:
    harden = line(START, "VALIDATION_WOULD_REJECT", rule="ssrf", param="url")
    wrapped = [
        json.dumps({"log": harden + "\n", "stream": "stderr", "time": "2026-05-01T00:00:00Z"}),
        "MESSAGE=" + harden,
        json.dumps({"MESSAGE": harden, "_PID": "12"}),
        json.dumps({"MESSAGE": list(harden.encode()), "_PID": "12"}),
        "2026-05-01T00:00:00.1Z stderr F " + harden,
        "May 01 00:00:00 host server[12]: " + harden,
    ]
    for text in wrapped:
        parsed = parse_line(text)
        assert parsed is not None, text
        assert parsed == (START, json.loads(harden))
    foreign = [
        "INFO: an event happened",
        '{"event": "login", "user": "x"}',  # no ts: not harden's
        '{"ts": "2026-05-01T00:00:00Z", "event": 3}',
        json.dumps({"log": "plain event text\n", "stream": "stdout"}),
        '{"v":1,"ts":"2026-05-01T00:00:00.000Z","event":"tool_call"',  # cut short
        '{"v":1,"ts":"yesterday","event":"tool_call"}',
        "",
    ]
    assert [parse_line(text) for text in foreign] == [None] * len(foreign)


def test_gzip_directories_and_globs(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    write(tmp_path / "logs" / "server.log", calls_over(4))
    with gzip.open(tmp_path / "logs" / "server.log.1.gz", "wt") as packed:
        packed.write("\n".join(calls_over(2)) + "\n")
    assert as_json(str(tmp_path / "logs"))["tools"]["read_file"]["calls"] == 16 + 8
    assert as_json(str(tmp_path / "logs" / "*.gz"))["tools"]["read_file"]["calls"] == 8


def test_a_gz_cut_short_keeps_what_came_before_and_warns(tmp_path: Path) -> None:
    packed = gzip.compress(("\n".join(calls_over(30)) + "\n").encode())
    (tmp_path / "cut.log.gz").write_bytes(packed[: len(packed) // 2])
    write(tmp_path / "whole.log", calls_over(2))
    data = as_json(str(tmp_path))
    calls = data["tools"]["read_file"]["calls"]
    assert 8 < calls < 8 + 120
    assert data["harden_lines"] == calls and data["lines"] >= calls
    (warning,) = data["warnings"]
    assert warning.startswith(f"{tmp_path / 'cut.log.gz'}: stopped reading")


def test_progress_counts_the_bytes_of_all_files(tmp_path: Path) -> None:
    first = write(tmp_path / "a.log", calls_over(4))
    second = write(tmp_path / "b.log", calls_over(2))
    total = first.stat().st_size + second.stat().st_size
    heard: list[tuple[int, int]] = []
    stats = load_stats(
        [str(first), str(second)], Reading(), None, None, lambda *at: heard.append(at)
    )
    assert stats.tools["read_file"].calls == 16 + 8
    assert heard[-1] == (total, total) and {all_bytes for _, all_bytes in heard} == {total}
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)


def test_sql_gives_the_queries_the_report_runs(tmp_path: Path) -> None:
    """--sql's statements, run by a fresh DuckDB on a harden_log table, give the report's
    numbers."""
    duckdb = pytest.importorskip("duckdb")
    code, sql = report("--sql")
    assert code == 0
    schema, *queries = [part for part in sql.split(";") if part.strip(" \n-")]
    con = duckdb.connect()
    con.execute(schema)
    con.execute(
        "INSERT INTO harden_log VALUES (1e9, 1, 'tool_call', 'read_file', 'a', 2.0, false, "
        "'unknown', 'unknown', 'unknown', ['unknown'], []), (1e9 + 61, 1, 'tool_call', "
        "'read_file', 'b', 2.0, true, 'unknown', 'unknown', 'unknown', ['unknown'], NULL)"
    )
    answers = [con.execute(query).fetchall() for query in queries]
    assert len(answers) == len(QUERIES)
    (tools,) = [rows for query, rows in zip(queries, answers, strict=True) if "-- tools" in query]
    assert tools == [("read_file", 2, 1, 0, 0, 1e9, 1e9 + 61)]


def test_stdin_and_bad_arguments_exit_2_with_one_line(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "harden", "report", "-", "--format", "json"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    given = "\n".join(calls_over(1)) + "\n\xff not utf-8\n"
    done = subprocess.run(command, input=given.encode("latin-1"), capture_output=True, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["tools"]["read_file"]["calls"] == 4
    for bad in (["missing.log"], ["-", "--since", "last tuesday"], []):
        done = subprocess.run(
            [*command[:4], *bad], input=b"", capture_output=True, env=env, cwd=tmp_path
        )
        assert done.returncode == 2
        assert done.stderr.decode().count("\n") == 1 and "harden: error:" in done.stderr.decode()


def test_since_and_until(tmp_path: Path) -> None:
    log = write(tmp_path / "a.log", [line(START + day * DAY) for day in range(10)])
    now = stamp(START + 10 * DAY)
    assert as_json(str(log), "--since", "3d", "--now", now)["tools"]["read_file"]["calls"] == 3
    after = stamp(START + 2 * DAY)
    before = stamp(START + 5 * DAY)
    data = as_json(str(log), "--since", after, "--until", before)
    assert data["tools"]["read_file"]["calls"] == 3
    assert data["first_seen"] == "2026-05-03T00:00:00.000+00:00"
    assert as_json(str(log), "--since", "2026-05-09")["tools"]["read_file"]["calls"] == 2


# -- output -------------------------------------------------------------------------------------


def test_markdown_renders_tables_and_the_toml_snippet(tmp_path: Path) -> None:
    event = line(START + DAY, "VALIDATION_WOULD_REJECT", rule="path_traversal", param="path")
    log = write(tmp_path / "a.log", [*calls_over(8), event])
    code, text = report(str(log), "--format", "markdown")
    assert code == 0
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert html.count("<table>") == 2
    assert "<strong>review</strong>" in html
    assert (
        '<code class="language-toml">[tool.harden.validate]\n'
        "skip_params = [&quot;read_file:path&quot;]" in html
    )


def test_table_output_names_each_verdict(tmp_path: Path) -> None:
    code, text = report(str(write(tmp_path / "a.log", calls_over(8))))
    assert code == 0
    assert text.count("ready to enforce") == 4 and "read_file" in text


def test_duration_percentiles_are_within_two_percent(tmp_path: Path) -> None:
    calls = [line(START + n, duration_ms=float(n)) for n in range(1, 1001)]
    tool = as_json(str(write(tmp_path / "a.log", calls)))["tools"]["read_file"]
    assert tool["duration_ms_p50"] == pytest.approx(500, rel=0.02)
    assert tool["duration_ms_p95"] == pytest.approx(950, rel=0.02)


# -- the runtime's log file ---------------------------------------------------------------------

WRITER = """
import sys
from harden import runtime
for i in range(400):
    runtime._write({"ts": runtime._timestamp(), "event": "tool_call", "tool": "t" + sys.argv[1],
                    "caller": "local", "params": {"p" + str(i): "x" * 3000}})
"""


def test_processes_sharing_the_log_file_never_interleave_lines(tmp_path: Path) -> None:
    target = tmp_path / "shared.log"
    env = {
        **os.environ,
        "HARDEN_LOG_FILE": str(target),
        "PYTHONPATH": str(Path(__file__).parents[1]),
    }
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(n)], env=env, stderr=subprocess.DEVNULL)
        for n in range(4)
    ]
    assert [writer.wait() for writer in writers] == [0, 0, 0, 0]
    records = [json.loads(text) for text in target.read_text().splitlines()]
    assert len(records) == 1600
    assert {record["v"] for record in records} == {runtime.LOG_FORMAT_VERSION}
    assert sorted({record["tool"] for record in records}) == ["t0", "t1", "t2", "t3"]


@pytest.mark.usefixtures("fresh_runtime")
def test_the_log_file_gets_every_line_and_no_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "server.log"
    monkeypatch.setenv("HARDEN_LOG_FILE", str(target))
    monkeypatch.setattr(runtime, "_log_file", None)

    @runtime.observe
    @runtime.rate_limit
    @runtime.validate
    def run(command: str, url: str) -> str:
        return runtime.words(command)[0]

    runtime.configure(rate_limit_rpm=1)
    with client_request():
        for _ in range(2):
            run(f"ls; {SECRET} x", url=f"http://127.0.0.1/{SECRET}")
    written = target.read_text()
    assert written == capsys.readouterr().err
    assert SECRET not in written
    records = [json.loads(text) for text in written.splitlines()]
    assert all(next(iter(record)) == "v" for record in records)
    assert {record["event"] for record in records} == {
        "tool_call",
        "VALIDATION_WOULD_REJECT",
        "RATE_LIMIT_WOULD_THROTTLE",
        "CMD_VALUE_SPLIT",
    }

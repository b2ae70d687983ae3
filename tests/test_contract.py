"""`harden contract` against a live server: the notes fixture (mcp 1.x FastMCP) as a process.

A contract is recorded once per module, over stdio, from the fixture's cases file; verify runs
the same server unchanged (passes, thanks to the normalisation rules, and fails when they are
switched off), deliberately broken (a renamed parameter, a changed result, a removed tool: each
difference named by its place), hardened by phase 5 (passes, the replaced error text listed as
an expected change with its ref) and over streamable HTTP. A server that does not start, writes
junk to stdout, hangs or crashes gets one line with the last lines of its stderr, and no
process of it survives.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from contract_support import (
    SERVER,
    harden,
    make_project,
    places,
    report,
    start_harden,
    wait_for_server,
)

from harden.contract.model import Contract
from harden.contract.server import (
    MARKER_VARIABLE,
    ServerFailed,
    ServerProcesses,
    Target,
    marked_processes,
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_project(tmp_path_factory.mktemp("contract") / "notes")
    done = harden("contract", "record", "--", *SERVER, cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "6 tools, 1 resources, 0 resourceTemplates, 1 prompts; 6 calls" in done.stderr
    return folder


# note_stats reports how long it took: a duration, compared unless this rule is switched on.
DURATION = ("--normalise", "duration")


def contract_of(project: Path, name: str = "contract.json") -> dict:
    return json.loads((project / ".harden" / name).read_text())


def test_the_contract_is_reviewable_json_in_a_stable_order(project: Path) -> None:
    text = (project / ".harden" / "contract.json").read_text()
    data = json.loads(text)
    assert list(data) == [
        "format",
        "server",
        "tools",
        "resources",
        "resourceTemplates",
        "prompts",
        "safe",
        "calls",
    ]
    assert data["server"]["serverInfo"]["name"] == "notes"
    tools = {tool["name"]: tool for tool in data["tools"]}
    assert (
        list(tools)
        == sorted(tools)
        == [
            "crash",
            "delete_notes",
            "note_stats",
            "read_note",
            "wait",
            "word_count",
        ]
    )
    assert tools["read_note"]["annotations"]["readOnlyHint"] is True
    assert tools["read_note"]["inputSchema"]["required"] == ["name"]
    assert [r["uri"] for r in data["resources"]] == ["notes://index"]
    assert [p["name"] for p in data["prompts"]] == ["summarise"]
    calls = {call["id"]: call for call in data["calls"]}
    assert list(calls) == [
        "tool:read_note",
        "missing note",
        "tool:note_stats",
        "tool:word_count",
        "resource:notes://index",
        "prompt:summarise",
    ]
    assert calls["tool:read_note"]["result"]["content"][0]["text"] == "buy milk"
    assert calls["missing note"]["result"]["isError"] is True
    assert calls["missing note"]["expectError"] is True
    assert calls["resource:notes://index"]["result"]["contents"][0]["text"] == "ideas\ntodo"
    assert "'todo'" in calls["prompt:summarise"]["result"]["messages"][0]["content"]["text"]
    # Written as harden writes it: reading and writing again changes no byte.
    assert Contract.from_json(data).dumps() == text


def test_verify_passes_on_the_same_server_thanks_to_the_normalisation_rules(
    project: Path,
) -> None:
    done = harden("contract", "verify", "-f", "json", "--", *SERVER, cwd=project)
    assert done.returncode == 1
    (failure,) = report(done)["failures"]
    assert failure["path"] == "content[0].text" and '"took"' in failure["after"]
    done = harden("contract", "verify", *DURATION, "--", *SERVER, cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "contract passed, 6 call(s) compared" in done.stdout
    # Switched off, the timestamp and the temporary directory note_stats reports differ.
    done = harden(
        "contract",
        "verify",
        *DURATION,
        "--no-normalise",
        "timestamp",
        "--no-normalise",
        "temp-path",
        "-f",
        "json",
        "--",
        *SERVER,
        cwd=project,
    )
    assert done.returncode == 1
    data = report(done)
    assert data["normalisation_rules"] == ["error-ref", "duration"]
    assert places(data) == {("calls", "tool:note_stats", "content[0].text", "changed")}
    (failure,) = data["failures"]
    assert '"counted_at"' in failure["before"] and "/notes-" in failure["after"]


def test_an_unknown_rule_is_refused_in_one_line(project: Path) -> None:
    done = harden("contract", "verify", "--no-normalise", "clock", "--", *SERVER, cwd=project)
    assert done.returncode == 2
    assert done.stderr == (
        "harden: error: no normalisation rule clock "
        "(the rules: error-ref, timestamp, temp-path, duration)\n"
    )


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        (
            "renamed",
            {
                ("tools", "read_note", "inputSchema.properties.name", "removed"),
                ("tools", "read_note", "inputSchema.properties.title", "added"),
                ("tools", "read_note", "inputSchema.required[0]", "changed"),
                ("calls", "tool:read_note", "isError", "changed"),
                ("calls", "tool:read_note", "content[0].text", "changed"),
                ("calls", "tool:read_note", "structuredContent", "removed"),
                ("calls", "missing note", "content[0].text", "changed"),
            },
        ),
        (
            "changed",
            {
                ("calls", "tool:read_note", "content[0].text", "changed"),
                ("calls", "tool:read_note", "structuredContent.result", "changed"),
            },
        ),
        (
            "removed",
            {
                ("tools", "word_count", "", "removed"),
                ("calls", "tool:word_count", "isError", "changed"),
                ("calls", "tool:word_count", "content[0].text", "changed"),
                ("calls", "tool:word_count", "structuredContent", "removed"),
            },
        ),
    ],
)
def test_verify_names_each_difference_of_a_broken_server(
    project: Path, variant: str, expected: set[tuple[str, str, str, str]]
) -> None:
    done = harden(
        "contract",
        "verify",
        *DURATION,
        "-f",
        "json",
        "--env",
        f"NOTES_VARIANT={variant}",
        "--",
        *SERVER,
        cwd=project,
    )
    assert done.returncode == 1, done.stderr
    data = report(done)
    assert data["passed"] is False and not data["expected_changes"]
    assert places(data) == expected
    if variant == "changed":
        by_path = {d["path"]: d for d in data["failures"]}
        assert by_path["content[0].text"]["before"] == "buy milk"
        assert by_path["content[0].text"]["after"] == "BUY MILK"


def test_phase_5_error_text_is_an_expected_change_with_its_ref(
    project: Path, tmp_path: Path
) -> None:
    hardened = make_project(tmp_path / "hardened")
    (hardened / ".harden" / "contract.json").write_text(
        (project / ".harden" / "contract.json").read_text()
    )
    done = harden("apply", "--phase", "5", "--in-place", ".", cwd=hardened)
    assert done.returncode == 0, done.stderr
    assert "@harden_runtime.mask_errors" in (hardened / "notes_server.py").read_text()
    done = harden("contract", "verify", *DURATION, "-f", "json", "--", *SERVER, cwd=hardened)
    assert done.returncode == 0, done.stdout + done.stderr
    data = report(done)
    assert data["failures"] == []
    (change,) = data["expected_changes"]
    assert (change["item"], change["path"]) == ("missing note", "content[0].text")
    assert change["before"] == "Error executing tool read_note: 'nope'"
    assert (
        change["after"] == f"Error executing tool read_note: internal error (ref {change['ref']})"
    )
    assert re.fullmatch(r"[0-9a-f]{12}", change["ref"])


def test_record_over_streamable_http_matches_the_stdio_server(project: Path) -> None:
    """harden starts the server on a free port of 127.0.0.1 ({port}), records over HTTP; the
    same server over stdio then verifies against that contract."""
    done = harden(
        "contract",
        "record",
        "--contract",
        ".harden/http.json",
        "--url",
        "http://127.0.0.1:{port}/mcp",
        "--",
        *SERVER,
        "{port}",
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    over_http = contract_of(project, "http.json")
    assert over_http["tools"] == contract_of(project)["tools"]
    done = harden(
        "contract",
        "verify",
        *DURATION,
        "--contract",
        ".harden/http.json",
        "--",
        *SERVER,
        cwd=project,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_verify_a_running_http_server_by_its_url(project: Path) -> None:
    with serving_over_http(project) as (port, _):
        done = harden(
            "contract", "verify", *DURATION, "--url", f"http://127.0.0.1:{port}/mcp", cwd=project
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "contract passed, 6 call(s) compared" in done.stdout


def test_a_server_already_on_the_fixed_port_is_refused_not_recorded(project: Path) -> None:
    """Given a command, harden starts the server itself: whatever listens on the port already
    (the user's dev server) is not the server to record."""
    with serving_over_http(project) as (port, server):
        done = harden(
            "contract",
            "record",
            "--contract",
            "elsewhere.json",
            "--url",
            f"http://127.0.0.1:{port}/mcp",
            "--",
            *SERVER,
            str(port),
            cwd=project,
        )
        assert server.poll() is None, "the user's server is left alone"
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        f"harden: error: 127.0.0.1:{port} is in use: harden starts the server there itself "
        "(stop what listens on it, or put {port} in --url and the command)\n"
    )
    assert not (project / "elsewhere.json").exists()


# Listens, hands the socket to a child and exits: as a server that lost the port to another
# process looks from outside (what answers there is not what harden started).
HANDS_OVER = """
import os, socket, sys, time
listener = socket.create_server(("127.0.0.1", int(sys.argv[1])))
if os.fork():
    time.sleep(0.5)
    sys.exit("address already in use")
time.sleep(60)
"""


def test_a_started_server_that_exited_while_another_answered_is_a_failure() -> None:
    target = Target((sys.executable, "-c", HANDS_OVER, "{port}"), "http://127.0.0.1:{port}/mcp")
    with ServerProcesses() as processes:
        log = processes.stderr_log()
        url, _ = processes.start_http(target, log)
        time.sleep(1.5)
        with pytest.raises(ServerFailed) as failed:
            processes.check_listening()
        log.close()
    port = url.split(":")[2].split("/")[0]
    assert str(failed.value) == (
        f"the server exited with status 1 while another process answered on 127.0.0.1:{port}; "
        "its stderr ended with: address already in use"
    )
    assert not marked_processes(f"{MARKER_VARIABLE}={processes.marker}")


def test_sigterm_to_record_stops_the_http_server_it_started(tmp_path: Path) -> None:
    """A CI job's timeout sends SIGTERM: harden stops like on Ctrl-C, its server with it."""
    folder = make_project(tmp_path / "notes")
    (folder / "slow.toml").write_text(SLOW)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    marker = uuid.uuid4().hex
    running = start_harden(
        "contract",
        "record",
        "--cases",
        "slow.toml",
        "--timeout",
        "120",
        "--env",
        f"CONTRACT_TEST={marker}",
        "--url",
        "http://127.0.0.1:{port}/mcp",
        "--",
        *SERVER,
        "{port}",
        cwd=folder,
        scratch=scratch,
    )
    try:
        wait_for_server(marker, running)
        time.sleep(2.0)  # listening, and inside the slow call
        running.send_signal(signal.SIGTERM)
        _, stderr = running.communicate(timeout=60)
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
        left = marked_processes(f"CONTRACT_TEST={marker}")
        for pid in left:  # what a harden killed outright leaves running
            os.kill(pid, signal.SIGKILL)
    assert running.returncode == 130, stderr
    assert not left
    assert list(scratch.iterdir()) == [], "its stderr logs are removed too"
    assert not (folder / ".harden" / "contract.json").exists()


@contextlib.contextmanager
def serving_over_http(project: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """The notes server listening on a free port of 127.0.0.1, started as a user would."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = subprocess.Popen(
        [*SERVER, str(port)], cwd=project, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        wait_for_port(port)
        yield port, server
    finally:
        server.kill()
        server.wait()


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


SLOW = '[[call]]\ntool = "wait"\narguments = { seconds = 60 }\n'
CRASH = '[[call]]\ntool = "crash"\n'


@pytest.mark.parametrize(
    ("case", "variant", "options", "diagnosis"),
    [
        ("nostart", "nostart", (), "the server closed the connection during initialize"),
        ("junk", "junk", (), "that is not JSON-RPC to stdout ('notes server starting')"),
        ("hang", "", ("--timeout", "1"), "no answer to tools/call wait within 1 s"),
        ("crash", "", (), "the server closed the connection during tools/call crash"),
    ],
)
def test_a_failing_server_gets_one_line_and_leaves_no_process(
    tmp_path: Path, case: str, variant: str, options: tuple[str, ...], diagnosis: str
) -> None:
    folder = make_project(tmp_path / "notes")
    cases = {"hang": SLOW, "crash": CRASH}.get(case, "")
    (folder / "cases.toml").write_text(cases)
    marker = uuid.uuid4().hex
    started = time.monotonic()
    done = harden(
        "contract",
        "record",
        "--cases",
        "cases.toml",
        "--env",
        f"NOTES_VARIANT={variant}",
        "--env",
        f"CONTRACT_TEST={marker}",
        *options,
        "--",
        *SERVER,
        cwd=folder,
    )
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("harden: error: ") and diagnosis in done.stderr
    if case == "nostart":
        assert done.stderr.rstrip().endswith(
            "its stderr ended with: notes: cannot open the database /srv/notes.db"
        )
    assert time.monotonic() - started < 30
    assert not marked_processes(f"CONTRACT_TEST={marker}")
    assert not (folder / ".harden" / "contract.json").exists()


def test_a_command_that_does_not_exist(tmp_path: Path) -> None:
    done = harden("contract", "record", "--", "no-such-server-xyz", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("harden: error: could not start no-such-server-xyz: ")
    assert len(done.stderr.splitlines()) == 1


def test_generated_calls_never_touch_a_tool_not_read_only_or_safe(tmp_path: Path) -> None:
    folder = make_project(tmp_path / "notes")
    (folder / "cases.toml").write_text('safe = ["word_count"]\n')
    tripwire = tmp_path / "deleted.txt"
    generated = []
    for name in ("first.json", "second.json"):
        done = harden(
            "contract",
            "record",
            "--cases",
            "cases.toml",
            "--generate",
            "4",
            "--contract",
            name,
            "--env",
            f"NOTES_TRIPWIRE={tripwire}",
            "--",
            *SERVER,
            cwd=folder,
        )
        assert done.returncode == 0, done.stderr
        calls = json.loads((folder / name).read_text())["calls"]
        generated.append([(c["id"], c["name"], c["arguments"]) for c in calls])
    assert not tripwire.exists(), "delete_notes was called"
    first, second = generated
    assert first == second, "generation is deterministic"
    tools = [name for _, name, _ in first]
    # read_note and note_stats are annotated read-only, word_count is listed safe; never
    # delete_notes (destructive), wait or crash (no annotation).
    assert set(tools) == {"note_stats", "read_note", "word_count"}
    assert all(1 <= tools.count(tool) <= 4 for tool in set(tools))
    assert all(
        isinstance(arguments["text"], str) for _, name, arguments in first if name == "word_count"
    )


def test_the_extra_missing_is_one_line(tmp_path: Path) -> None:
    probe = (
        "import sys; sys.modules['mcp'] = None; sys.argv = ['harden', *sys.argv[1:]]\n"
        "from harden.entry import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, "contract", "record", "--", "python", "x.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "harden: error: harden contract needs the MCP client (mcp is not installed): "
        "pip install 'mcp-harden[contract]'\n"
    )


def test_other_commands_do_not_load_the_mcp_client(tmp_path: Path) -> None:
    probe = (
        "import sys; sys.argv = ['harden', '--version']\n"
        "from harden.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('mcp', 'anyio', 'hypothesis') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.splitlines()[-1] == "[]"

"""The server under test as a process: how to start it, its stderr, and killing it for sure.

Every process a run starts carries a marker in its environment (HARDEN_CONTRACT_RUN); when the
run ends, however it ends (a crash, a timeout, Ctrl-C), `ServerProcesses` kills each process
group that still holds a marked process, and each marked process itself, so a server that forks
workers or ignores SIGTERM leaves nothing behind. Finding marked processes reads /proc (Linux);
elsewhere the processes harden started itself, and the SDK's own clean-up, remain. An HTTP
server harden starts must find its port free (else whatever listens there would answer in its
place), and leaves it free when it is stopped.
This module never speaks MCP: `client` does, through the SDK.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

MARKER_VARIABLE = "HARDEN_CONTRACT_RUN"
STDERR_LINES = 3  # the last lines of the server's stderr a diagnosis quotes
_GRACE_SECONDS = 2.0  # between SIGTERM and SIGKILL


class ServerFailed(Exception):
    """The server could not be started or talked to: one line, with its last stderr lines."""


@dataclass(frozen=True, slots=True)
class Target:
    """How to reach the server: a command to spawn (stdio, or HTTP when `url` is given too), or
    only a URL of a running server."""

    command: tuple[str, ...] = ()
    url: str | None = None
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)  # added to harden's own environment
    startup_timeout: float = 30.0
    call_timeout: float = 30.0

    def moved_to(self, cwd: Path) -> Target:
        return replace(self, cwd=cwd)

    @property
    def label(self) -> str:
        return " ".join(self.command) if self.command else str(self.url)


class ServerProcesses:
    """The processes of one run; leaving the block kills whatever of them is left."""

    def __init__(self) -> None:
        self.marker = secrets.token_hex(8)
        self._started: list[subprocess.Popen[bytes]] = []
        self._listening: list[_Listener] = []  # the HTTP servers harden started
        # start_http runs in a worker thread: a Ctrl-C or SIGTERM may end the run while it
        # starts a process, which must then either not start or be in _started for kill_all.
        self._starting = threading.Lock()
        self._closed = False
        self._scratch = tempfile.TemporaryDirectory(prefix="harden-contract-logs-")
        self._logs = 0

    def __enter__(self) -> ServerProcesses:
        return self

    def __exit__(self, *_: object) -> None:
        with interrupts_deferred():
            with self._starting:
                self._closed = True
            self.kill_all()
            self._scratch.cleanup()

    def environment(self, target: Target) -> dict[str, str]:
        return {**os.environ, **target.env, MARKER_VARIABLE: self.marker}

    def stderr_log(self) -> IO[str]:
        """A file for one server's stderr (a real file: the child writes it directly)."""
        self._logs += 1
        path = Path(self._scratch.name) / f"server-{self._logs}.stderr"
        return path.open("w+", encoding="utf-8", errors="replace")

    def start_http(self, target: Target, log: IO[str]) -> tuple[str, subprocess.Popen[bytes]]:
        """Start `target.command` (a server listening on `target.url`'s port; `{port}` in both
        becomes a free port of 127.0.0.1) and wait until it accepts connections: its URL. A
        port in use already is refused."""
        assert target.url is not None
        port = str(_free_port()) if "{port}" in target.url else ""
        url = target.url.replace("{port}", port)
        command = [part.replace("{port}", port) for part in target.command]
        host, number = _address(url)
        # Whatever listens there already (a dev server, the last snapshot's server) would
        # answer in place of the one harden starts, which cannot bind.
        if _in_use(host, number):
            raise ServerFailed(
                f"{host}:{number} is in use: harden starts the server there itself (stop what "
                "listens on it, or put {port} in --url and the command)"
            )
        with self._starting:
            if self._closed:
                raise ServerFailed("the run ended before the server started")
            try:
                process = subprocess.Popen(
                    command,
                    cwd=target.cwd,
                    env=self.environment(target),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,  # its own process group, killed as one
                )
            except OSError as error:
                raise ServerFailed(f"could not start {command[0]}: {error.strerror}") from None
            self._started.append(process)
        listener = _Listener(host, number, log, process)
        self._listening.append(listener)
        _wait_for_port(listener, target.startup_timeout)
        return url, process

    def check_listening(self) -> None:
        """Fail when an HTTP server harden started has exited: what answered on its port was
        another process (one that took the port while it started)."""
        for listener in self._listening:
            if listener.process.poll() is not None:
                raise ServerFailed(
                    f"the server exited with status {listener.process.returncode} while "
                    f"another process answered on {listener.host}:{listener.port}"
                    + stderr_tail(listener.log)
                )

    def kill_all(self) -> None:
        """SIGTERM to every group holding a process of this run, SIGKILL after a grace
        period to whatever remains; the processes harden started are reaped."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self._alive()
            if not pids:
                break
            for pid in pids:
                _signal_group(pid, sig)
            deadline = time.monotonic() + _GRACE_SECONDS
            while sig == signal.SIGTERM and self._alive() and time.monotonic() < deadline:
                time.sleep(0.05)
        for process in self._started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=_GRACE_SECONDS)
        # The next server harden starts on the same port must find it free.
        deadline = time.monotonic() + _GRACE_SECONDS
        for listener in self._listening:
            while _in_use(listener.host, listener.port) and time.monotonic() < deadline:
                time.sleep(0.05)

    def _alive(self) -> set[int]:
        for process in self._started:
            process.poll()  # reaps an exited child, so it no longer counts
        started = {p.pid for p in self._started if p.returncode is None}
        return started | marked_processes(f"{MARKER_VARIABLE}={self.marker}")


def marked_processes(entry: str) -> set[int]:
    """The processes whose environment holds `entry` ("NAME=value"); empty without /proc."""
    wanted = entry.encode() + b"\0"
    found = set()
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == os.getpid():
                continue
            try:
                environ = Path("/proc", name, "environ").read_bytes() + b"\0"
            except OSError:  # gone meanwhile, or another user's
                continue
            if b"\0" + wanted in b"\0" + environ:
                found.add(int(name))
    return found


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        group = os.getpgid(pid)
        if group != os.getpgrp():  # never harden's own group
            os.killpg(group, sig)
        os.kill(pid, sig)


def stderr_tail(log: IO[str] | None) -> str:
    """The last lines of a server's stderr, on one line ("" when it wrote nothing)."""
    if log is None:
        return ""
    log.flush()
    log.seek(0)
    lines = [line.strip() for line in log.read().splitlines() if line.strip()]
    if not lines:
        return ""
    return "; its stderr ended with: " + " | ".join(lines[-STDERR_LINES:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True, slots=True)
class _Listener:
    """An HTTP server harden starts: where it listens, its process and its stderr."""

    host: str
    port: int
    log: IO[str]
    process: subprocess.Popen[bytes]


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80)


def _in_use(host: str, port: int) -> bool:
    """Whether something listens on host:port, or holds it so that a server cannot bind it."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    with contextlib.suppress(OSError), socket.socket() as probe:
        # As servers bind: a connection of the last run waiting out TIME_WAIT is no hindrance.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.errno == errno.EADDRINUSE
    return False


def _wait_for_port(listener: _Listener, timeout: float) -> None:
    process = listener.process
    where = f"{listener.host}:{listener.port}"
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise ServerFailed(
                f"the server exited with status {process.returncode} before listening on "
                f"{where}{stderr_tail(listener.log)}"
            )
        with (
            contextlib.suppress(OSError),
            socket.create_connection((listener.host, listener.port), timeout=0.2),
        ):
            # Polled again: a server that failed to bind may have exited while another
            # process accepted this connection.
            if process.poll() is None:
                return
        if time.monotonic() > deadline:
            raise ServerFailed(
                f"the server did not listen on {where} within {timeout:g} s"
                + stderr_tail(listener.log)
            )
        time.sleep(0.05)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C (and SIGTERM) ignored while clean-up runs: a second Ctrl-C must not leave a
    worktree or a server behind half removed."""
    if threading.current_thread() is not threading.main_thread():  # only it may set handlers
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

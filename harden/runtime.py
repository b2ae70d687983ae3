"""harden_runtime: what a hardened MCP server imports. Vendored by `harden apply`.

This file is copied next to the server's modules as `harden_runtime.py`, so the
server never needs harden installed. Standard library only, and it never imports an
MCP SDK: what it needs from the running framework (the request context, the ToolError
class) it looks up in `sys.modules`. Do not edit the vendored copy: `harden apply`
replaces it in place when a later phase needs more (the version line says which copy
it is).

Tool-handler decorators (phases 1-6), placed directly above the handler's `def`
and below the decorator that registers it; outermost first:

    @mcp.tool()
    @harden_runtime.observe
    @harden_runtime.authenticate
    @harden_runtime.rate_limit
    @harden_runtime.validate
    @harden_runtime.mask_errors
    @harden_runtime.mask_secrets
    @harden_runtime.permissions(uses=("fs:read:/srv/data",))
    async def read_file(path: str, ctx: Context) -> str: ...

- `observe` writes one JSON line per call to stderr (never stdout: that is the stdio
  transport): tool, caller, duration, parameter names with their types (never
  values), whether it failed, and the response size. Every line the runtime writes
  starts with `"v"`, the version of its format, and is also appended to the file
  HARDEN_LOG_FILE names, when set (one write per line on an O_APPEND descriptor:
  worker processes can share the file).
- `authenticate` (phase 4) judges the bearer token of the HTTP request carrying each
  call (static tokens by SHA-256, HS256 JWTs, or a verifier of your own) and logs
  `AUTH_WOULD_REJECT` with the reason; `AUTH_MODE=enforce` refuses the call. Over
  stdio there is no request, and nothing is judged. Phase 4 also wraps each server's
  construction in `published(...)`: the HTTP apps the server builds then judge every
  request (initialize and listings too) and, under enforce, answer a bad token with
  HTTP 401/403 as the MCP authorization spec asks; on mcp 2.x, which publishes no
  request context, it also records each request for the decorators.
- `validate` checks string arguments for path traversal, NUL bytes, requests to
  internal hosts (SSRF), shell metacharacters in command-like parameters and overlong
  strings. It logs `VALIDATION_WOULD_REJECT` and lets the call through;
  `ENFORCE_VALIDATION=true` rejects it.
- `rate_limit` counts calls per caller and tool in a sliding one-minute window
  (`RATE_LIMIT_RPM`, default 120). It logs `RATE_LIMIT_WOULD_THROTTLE` and lets the
  call through; `ENFORCE_RATE_LIMITS=true` rejects it.
- `mask_errors`, while the framework serves a client's request, replaces an exception
  the handler did not raise for the client (anything but the framework's ToolError,
  an McpError, a rejection, pydantic's ValidationError or a project class given as
  `keep=`) with a ToolError saying `internal error (ref <id>)`, and logs its text and
  traceback as `TOOL_ERROR_DETAIL` with the same ref. `error_ref(e)` gives the same
  text for a message built in the handler.
- `mask_secrets` looks in each result for the values of secret-looking environment
  variables and for credentials of well-known forms (private keys, AWS, GitHub and
  Slack tokens, JWTs, URL passwords) and logs `SECRET_WOULD_REDACT` (never the
  value); `ENFORCE_SECRET_MASKING=true` replaces each with `[redacted:NAME]`.
- `permissions` (phase 6) holds each call to its policy, `uses=`: what the tool may
  do, spelled as the audit hook (which observe installs too) records what a call did
  in the `uses` of its `tool_call` line — `fs:read:<folder>`, `fs:write:<folder>`,
  `exec:<program>`, `net:<host>:<port>`. Each use outside it logs
  `PERMISSION_WOULD_DENY` (the capability, never a path or value) once per call and
  goes ahead; `ENFORCE_PERMISSIONS=true` refuses it: the hook raises PermissionError
  in the tool before the file is touched, the program started or the connection
  made. A folder the tool may write it may read; HARDEN_ALLOWED_PROGRAMS and
  HARDEN_ALLOWED_EGRESS (`host`, `host:port`, `*.domain`) add programs and hosts.

At import, when HARDEN_ATTESTATION names the file `harden attest` wrote, the server's
files are checked against it once per process: a difference is logged as
`ATTESTATION_MISMATCH`, and with HARDEN_ATTESTATION_MODE=enforce the server refuses to
start.

Only a client's call counts: while the framework serves a client's request. A
decorated handler called by another one (a tool calling a tool), by the project's
tests or by a helper runs exactly as if undecorated: no log line, no validation, no
rate-limit count, no masking, no permission check.

Each takes `tool="name"` when the registered name differs from the function's, and
`lowlevel=True` for a low-level server's single call_tool handler. A rejected call
reaches the client as an error result with a generic message. Stacked decorators
become one wrapper; the function's signature (and so the tool's schema), its result
and its exceptions (but those mask_errors replaces) are unchanged. `configure()` sets
the same options from code: the environment, when set, takes precedence for switches
and numbers, and the allow-lists of both apply.

Command helpers: the shell-free versions of the standard library calls whose results
a rewrite must keep — `os.popen`'s file object (whose close() returns the wait
status) and `subprocess.getstatusoutput`'s (status, output) pair — taking an argument
list instead of a command string; and a script runner for command lines that needed
more than one program (pipelines, lists, redirections to files, globs, `$(...)`):
`run`, `call`, `check_call`, `check_output`, `system`, `getoutput` and
`getstatusoutput` take a script where the standard library took the command string,
and give what it gave.

`words(value)` stands for a Python value that a rewritten command line spliced in
unquoted, as a word of its own, when harden could not prove how many arguments it
holds: it splits the value at blanks as sh did (nothing for an empty value; no
globbing, no quotes) and logs `CMD_VALUE_SPLIT` (the number of fields and the place,
never the value) when that made other than one argument. `ENFORCE_SHELL_FREE=true`
passes the value as one argument instead, as a program run without a shell receives
it, once the logs show that no caller needs the splitting."""

from __future__ import annotations

import base64
import contextlib
import contextvars
import copy
import dataclasses
import datetime
import email.utils
import fnmatch
import functools
import hashlib
import hmac
import importlib
import inspect
import io
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess  # nosec B404  # the module's job: run programs without a shell
import sys
import threading
import time
import traceback
import types
import weakref
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import IO, Any, TypeVar, cast, overload
from urllib.parse import parse_qsl, unquote, urlsplit

__version__ = "0.1.0"


class PipeFile:
    """What `os.popen` returns, for a program or a script run without a shell: the
    pipe's file object, whose close() waits for it and returns None on success, else
    its status << 8."""

    def __init__(self, stream: IO[str], wait: Callable[[], int]) -> None:
        self._stream = stream
        self._wait = wait

    def close(self) -> int | None:
        self._stream.close()
        returncode = self._wait()
        return None if returncode == 0 else returncode << 8

    def __enter__(self) -> PipeFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._stream)


def popen(script: Any, mode: str = "r", buffering: int = -1) -> Any:
    """`os.popen` for an argument list, a script or a command line read when it runs:
    same modes, buffering and file object, no shell."""
    if isinstance(script, str | bytes):
        runnable = _run_as(script, "os.popen")
        if runnable is None:
            # Bandit B605 accepted: warn-only, the line runs through /bin/sh as before.
            return os.popen(script, mode, buffering)  # nosec B605
        script = runnable
    if mode not in ("r", "w"):
        raise ValueError(f"invalid mode {mode!r}")
    if buffering == 0 or buffering is None:
        raise ValueError("popen() does not support unbuffered streams")
    if script and not isinstance(script[0], list | tuple):
        stream = "stdout" if mode == "r" else "stdin"
        # Bandit B603 accepted: an argument list and no shell, what rewrites are for
        process = subprocess.Popen(  # nosec B603
            script, text=True, bufsize=buffering, **{stream: subprocess.PIPE}
        )
        return PipeFile(getattr(process, stream), process.wait)
    # A script runs in a thread of its own, its stdout (or stdin) the other end of the
    # pipe; in the caller's context, so that what it runs is the tool call's use, judged
    # by its policy.
    read_end, write_end = os.pipe()
    ours, theirs = (read_end, write_end) if mode == "r" else (write_end, read_end)
    statuses: list[int] = []
    failures: list[BaseException] = []

    def run_script() -> None:
        try:
            stream = {"stdout" if mode == "r" else "stdin": theirs}
            statuses.append(_run_script(script, **stream).returncode)
        except BaseException as error:  # raised to the caller by close()
            failures.append(error)
        finally:
            os.close(theirs)

    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(run_script,), daemon=True)
    thread.start()

    def wait() -> int:
        thread.join()
        if failures:
            raise failures[0]
        return statuses[0]

    return PipeFile(open(ours, mode, buffering), wait)


def getstatusoutput(
    script: Any, *, encoding: str | None = None, errors: str | None = None
) -> tuple[int, str]:
    """`subprocess.getstatusoutput` for an argument list, a script or a command line
    read when it runs: (status, stdout and stderr merged, one trailing newline
    removed)."""
    if isinstance(script, str | bytes):
        runnable = _run_as(script, "subprocess.getstatusoutput")
        if runnable is None:
            # Bandit B605 accepted: warn-only, the line runs through /bin/sh as before.
            return subprocess.getstatusoutput(  # nosec B605
                script, encoding=encoding, errors=errors
            )
        script = runnable
    process = _run_script(
        script,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding=encoding,
        errors=errors,
    )
    output = process.stdout
    return process.returncode, output[:-1] if output.endswith("\n") else output


# --- commands without a shell: scripts ------------------------------------------------
# What harden writes for a command line that used pipes, redirections, lists, globs or
# command substitution: a script, a list of commands (each a list of words) with the
# original line's operators between them as plain strings, in its order:
#
#     [["cd", repo], "&&", ["git", "log"], "2>&1", "|", ["grep", name], ">", path]
#
# The operators are harden's own literals at the script's top level; a value (a word, a
# file name after ">") is never read as one, so no value can add a command. A script
# runs as sh ran the line: each pipeline's processes connected and all waited for,
# `;`/`&&`/`||` by the status of the last pipeline, redirections opened in order
# (relative to the current directory) and closed once the process has them, `cd DIR` as
# sh's builtin for the commands after it, a missing program as status 127 and a killed
# one as 128 + the signal, with sh's messages. A word is a str, or
# glob()/output()/concat() when sh computes it as the command starts.

_SH = "/bin/sh: 1: "  # how sh begins its own error messages
_SCRIPT_REDIRECTION = re.compile(r"(\d?)(>>|>&|<&|>|<)(\d?)")
_GLOB_MAGIC = re.compile(r"[*?[]")


class _Deferred:
    """A word sh computes when its command starts."""

    def fields(self, shell: _Shell) -> list[str]:
        raise NotImplementedError


class _Output(_Deferred):
    def __init__(self, script: Sequence[Any], split: bool) -> None:
        self.script = script
        self.split = split

    def text(self, shell: _Shell) -> str:
        return shell.capture(self.script)

    def fields(self, shell: _Shell) -> list[str]:
        text = self.text(shell)
        return fields(text) if self.split else [text]


class _Glob(_Deferred):
    def __init__(self, template: str, values: tuple[str, ...]) -> None:
        self.template = template
        self.values = values

    def fields(self, shell: _Shell) -> list[str]:
        pattern = self.template.format(
            *(_GLOB_MAGIC.sub(r"[\g<0>]", v) for v in self.values)
        )
        return _pathnames(pattern, shell.cwd) or [self.template.format(*self.values)]


class _Concat(_Deferred):
    def __init__(self, parts: tuple[str | _Output, ...]) -> None:
        self.parts = parts

    def fields(self, shell: _Shell) -> list[str]:
        return ["".join(p if isinstance(p, str) else p.text(shell) for p in self.parts)]


def output(script: Sequence[Any], *, split: bool = False) -> _Deferred:
    """`$(...)`: the script's output without its trailing newlines; with `split`, cut
    into words at blanks and newlines as sh does where the substitution stands
    unquoted."""
    return _Output(script, split)


def glob(template: str, *values: str) -> _Deferred:
    """An unquoted word with `*`, `?` or `[...]`: the sorted names it matches, or the
    word as written when none does. `template` is the pattern with `{}` where each
    value goes; the values are matched literally (they stood in quotes, or came from
    Python)."""
    return _Glob(template, values)


def concat(*parts: str | _Deferred) -> _Deferred:
    """One word glued from text and `output(...)` parts."""
    if not all(isinstance(part, str | _Output) for part in parts):
        raise TypeError("concat() glues text and output(...) parts")
    return _Concat(parts)  # type: ignore[arg-type]


def fields(value: str) -> list[str]:
    """What sh makes of an unquoted `$VAR` or `$(...)` standing alone: the words
    between blanks and newlines (none for an empty value)."""
    return [field for field in re.split(r"[ \t\n]+", value) if field]


VALUE_SPLIT_EVENT = "CMD_VALUE_SPLIT"


def words(value: object) -> list[str]:
    """The arguments a value spliced unquoted into a command line stands for: its
    `fields()`, as sh split it (the text of a non-str value is `str(value)`). When
    they are other than the one argument the value is, the split is logged as one
    JSON line on stderr, the value never:

    {"ts":"…","event":"CMD_VALUE_SPLIT","site":"server:42","fields":2,"tool":"git","caller":"local"}

    `site` is the module and line of the call, `tool` and `caller` are there when a
    decorated handler is running. With ENFORCE_SHELL_FREE=true the value is one
    argument, whatever its blanks, and nothing is logged."""
    text = value if isinstance(value, str) else str(value)
    # Most values hold no blank: one argument in either mode, without reading the
    # settings.
    if text and " " not in text and "\t" not in text and "\n" not in text:
        return [text]
    if _settings().enforce_shell_free:
        return [text]
    split = fields(text)
    _log_at_site(VALUE_SPLIT_EVENT, fields=len(split))
    return split


def _log_at_site(event: str, **fields: object) -> None:
    """Log a command event with its site (the module and line of the call outside the
    runtime), and the tool and caller when a decorated handler is running."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    site = f"{frame.f_globals.get('__name__', '?')}:{frame.f_lineno}"
    record: dict[str, object] = {
        "ts": _timestamp(),
        "event": event,
        "site": site,
        **fields,
    }
    call = _current_call.get()
    if call is not None:
        record["tool"] = call.tool
        record["caller"] = call.caller
    _write(record)


_SCRIPT: Any = object()  # shell= not given: a script harden wrote, not a command line


def run(
    script: Any, *, shell: object = _SCRIPT, **kwargs: Any
) -> subprocess.CompletedProcess[Any]:
    """`subprocess.run` for a script (or one argument list): the same arguments and
    result. With `shell=`, the original call's command and flag, read when it runs."""
    if shell is not _SCRIPT:
        return _subprocess_line("run", script, shell, kwargs)
    return _run_script(script, **kwargs)


def _run_script(
    script: Sequence[Any],
    *,
    stdin: Any = None,
    input: Any = None,
    stdout: Any = None,
    stderr: Any = None,
    capture_output: bool = False,
    check: bool = False,
    timeout: float | None = None,
    cwd: Any = None,
    env: Mapping[str, str] | None = None,
    text: bool | None = None,
    encoding: str | None = None,
    errors: str | None = None,
    universal_newlines: bool | None = None,
) -> subprocess.CompletedProcess[Any]:
    """`subprocess.run` for a script (or one argument list): the same arguments and
    result."""
    if capture_output:
        if stdout is not None or stderr is not None:
            raise ValueError(
                "stdout and stderr arguments may not be used with capture_output."
            )
        stdout = stderr = subprocess.PIPE
    text_mode = bool(text or universal_newlines or encoding or errors)
    if input is not None:
        if stdin is not None:
            raise ValueError("stdin and input arguments may not both be used.")
        stdin = subprocess.PIPE
        if text_mode:
            input = input.encode(encoding or _locale_encoding(), errors or "strict")
    streams = _Streams(stdin, input, stdout, stderr)
    deadline = None if timeout is None else time.monotonic() + timeout
    shell = _Shell(
        streams.fds, None if cwd is None else os.fspath(cwd), env, deadline, []
    )
    try:
        status = shell.run(_as_script(script))
    except BaseException as error:
        shell.kill()
        out, err = streams.finish()
        if isinstance(error, subprocess.TimeoutExpired):
            raise subprocess.TimeoutExpired(script, timeout or 0, out, err) from None
        raise
    out, err = (
        _decoded(data, text_mode, encoding, errors) for data in streams.finish()
    )
    if check and status:
        raise subprocess.CalledProcessError(status, script, out, err)
    return subprocess.CompletedProcess(script, status, out, err)


def call(script: Any, *, shell: object = _SCRIPT, **kwargs: Any) -> int:
    """`subprocess.call` for a script: its exit status."""
    if shell is not _SCRIPT:
        return cast(int, _subprocess_line("call", script, shell, kwargs))
    return _run_script(script, **kwargs).returncode


def check_call(script: Any, *, shell: object = _SCRIPT, **kwargs: Any) -> int:
    """`subprocess.check_call` for a script: 0, or CalledProcessError."""
    if shell is not _SCRIPT:
        return cast(int, _subprocess_line("check_call", script, shell, kwargs))
    return _run_script(script, check=True, **kwargs).returncode


def check_output(script: Any, *, shell: object = _SCRIPT, **kwargs: Any) -> Any:
    """`subprocess.check_output` for a script: its output, or CalledProcessError."""
    if shell is not _SCRIPT:
        return _subprocess_line("check_output", script, shell, kwargs)
    return _run_script(script, stdout=subprocess.PIPE, check=True, **kwargs).stdout


def Popen(args: Any, *, shell: object, **kwargs: Any) -> subprocess.Popen[Any]:
    """`subprocess.Popen` with the original call's command and `shell=` flag: one
    program with plain words starts without a shell; anything else as before."""
    return cast("subprocess.Popen[Any]", _subprocess_line("Popen", args, shell, kwargs))


async def create_subprocess_shell(cmd: Any, **kwargs: Any) -> Any:
    """`asyncio.create_subprocess_shell`: one program with plain words starts with
    create_subprocess_exec, without a shell; anything else as before."""
    import asyncio  # only servers that use it pay for importing it

    line = _read_line(cmd, kwargs.get("env"))
    if line.argv is not None:
        return await asyncio.create_subprocess_exec(*line.argv, **kwargs)
    if not line.plain:
        _needs_shell("asyncio.create_subprocess_shell", line)
    return await asyncio.create_subprocess_shell(cmd, **kwargs)


def system(script: Any) -> int:
    """`os.system` for a script, or a command line read when it runs: the wait status
    sh's own would have been (status << 8)."""
    if isinstance(script, str | bytes):
        runnable = _run_as(script, "os.system")
        if runnable is None:
            # Bandit B605 accepted: warn-only, the line runs through /bin/sh as before.
            return os.system(script)  # nosec B605
        script = runnable
    return _run_script(script).returncode << 8


def _subprocess_line(
    api: str, command: Any, shell: object, kwargs: dict[str, Any]
) -> Any:
    """`subprocess.<api>(command, shell=shell, **kwargs)` as the original call ran it,
    without a shell wherever the line allows."""
    original = getattr(subprocess, api)
    line = _read_line(command, kwargs.get("env")) if shell else None
    if line is None:
        # Bandit B604 accepted: a false `shell=`, the call runs as it did, no shell.
        return original(command, shell=shell, **kwargs)  # nosec B604
    if line.argv is not None:
        return original(line.argv, **kwargs)
    if (
        line.script is not None
        and api != "Popen"
        and _RUNNER_KEYWORDS.issuperset(kwargs)
    ):
        if api == "run":
            return _run_script(line.script, **kwargs)
        if api == "check_output":
            return check_output(line.script, **kwargs)
        return _run_script(line.script, check=api == "check_call", **kwargs).returncode
    if not line.plain:
        _needs_shell(f"subprocess.{api}", line)
    # Bandit B604 accepted: warn-only, the line runs through /bin/sh as it did before.
    return original(command, shell=shell, **kwargs)  # nosec B604


def getoutput(
    script: Any, *, encoding: str | None = None, errors: str | None = None
) -> str:
    """`subprocess.getoutput` for a script: stdout and stderr merged, one newline
    removed."""
    return getstatusoutput(script, encoding=encoding, errors=errors)[1]


def _as_script(script: Sequence[Any]) -> list[tuple[str, list[_ScriptCommand]]]:
    """The steps of a script: how each follows the one before, and its pipeline's
    commands."""
    if script and not isinstance(script[0], list | tuple):
        script = [script]  # one argument list
    steps: list[tuple[str, list[_ScriptCommand]]] = []
    operator = ""
    tokens = iter(script)
    for token in tokens:
        if isinstance(token, list | tuple):
            if operator == "|":
                steps[-1][1].append(_ScriptCommand(list(token)))
            else:
                steps.append((operator, [_ScriptCommand(list(token))]))
            operator = ""
        elif token in ("|", ";", "&&", "||"):
            operator = token
        elif match := _SCRIPT_REDIRECTION.fullmatch(token):
            fd = int(match[1] or ("0" if match[2][0] == "<" else "1"))
            target = match[3] if match[2].endswith("&") else next(tokens)
            steps[-1][1][-1].redirects.append((fd, match[2], target))
        else:
            raise ValueError(f"not an operator of a script: {token!r}")
    return steps


@dataclasses.dataclass
class _ScriptCommand:
    words: list[Any]
    redirects: list[tuple[int, str, Any]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Shell:
    """One run of a script: its descriptors 0-2, directory, environment, deadline,
    and the processes started (shared with the runs of its command substitutions)."""

    fds: tuple[int, int, int]
    cwd: str | None
    env: Mapping[str, str] | None
    deadline: float | None
    running: list[subprocess.Popen[bytes]]

    def run(self, steps: list[tuple[str, list[_ScriptCommand]]]) -> int:
        status = 0
        for connector, pipeline in steps:
            if (connector == "&&" and status) or (connector == "||" and not status):
                continue
            status = self._pipeline(pipeline)
        return status

    def capture(self, script: Sequence[Any]) -> str:
        """A command substitution's output: run like sh's subshell, stdout read into
        a str."""
        read_end, write_end = os.pipe()
        chunks: list[bytes] = []
        reader = threading.Thread(
            target=_read_all, args=(read_end, chunks), daemon=True
        )
        reader.start()
        inner = _Shell(
            (self.fds[0], write_end, self.fds[2]),
            self.cwd,
            self.env,
            self.deadline,
            self.running,
        )
        try:
            inner.run(_as_script(script))
        except BaseException:
            # before waiting for the reader: a live process holds the pipe open
            self.kill()
            raise
        finally:
            os.close(write_end)
            reader.join()
        # sh drops NUL bytes and every trailing newline; os.fsdecode keeps the bytes of
        # any encoding, and Popen encodes the argument back to the same bytes.
        return os.fsdecode(b"".join(chunks).replace(b"\0", b"")).rstrip("\n")

    def kill(self) -> None:
        for process in self.running:
            process.kill()
            process.wait()

    def _pipeline(self, commands: list[_ScriptCommand]) -> int:
        if len(commands) == 1 and commands[0].words[:1] == ["cd"]:
            return self._cd(commands[0].words[1:])
        started: list[subprocess.Popen[bytes] | int] = []
        stdin = self.fds[0]
        for index, command in enumerate(commands):
            last = index == len(commands) - 1
            read_end, write_end = (-1, self.fds[1]) if last else os.pipe()
            try:
                started.append(self._start(command, stdin, write_end))
            finally:
                if index:
                    os.close(stdin)
                if not last:
                    os.close(write_end)
            stdin = read_end
        statuses = [self._wait(process) for process in started]
        return statuses[-1]

    def _start(
        self, command: _ScriptCommand, stdin: int, stdout: int
    ) -> subprocess.Popen[bytes] | int:
        """Start one command with its redirections; the status instead if sh would
        not run it."""
        argv = [field for word in command.words for field in self._fields(word)]
        fds = [stdin, stdout, self.fds[2]]
        opened: list[int] = []
        try:
            for fd, operator, target in command.redirects:
                if operator.endswith("&"):
                    fds[fd] = fds[int(target)]
                    continue
                name = "".join(self._fields(target))
                flags = {
                    ">": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                    ">>": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                    "<": os.O_RDONLY,
                }[operator]
                try:
                    opened.append(
                        os.open(os.path.join(self.cwd or "", name), flags, 0o666)
                    )
                except OSError as error:
                    # sh's own words, on the stderr the redirections so far have made.
                    verb = "open" if operator == "<" else "create"
                    reason = error.strerror
                    if error.errno == 2:
                        reason = (
                            "No such file"
                            if operator == "<"
                            else "Directory nonexistent"
                        )
                    self._say(fds[2], f"cannot {verb} {name}: {reason}")
                    return 2
                fds[fd] = opened[-1]
            if not argv:
                return 0
            try:
                # Bandit B603 accepted: one command of a script, its words as arguments
                process = subprocess.Popen(  # nosec B603
                    argv,
                    stdin=fds[0],
                    stdout=fds[1],
                    stderr=fds[2],
                    cwd=self.cwd,
                    env=self.env,
                )
            except OSError as error:
                if error.filename != argv[0] or error.errno not in _NOT_RUNNABLE:
                    raise
                self._say(fds[2], f"{argv[0]}: {_NOT_RUNNABLE[error.errno][1]}")
                return _NOT_RUNNABLE[error.errno][0]
            self.running.append(process)
            return process
        finally:
            for fd in opened:
                os.close(fd)

    def _wait(self, process: subprocess.Popen[bytes] | int) -> int:
        if isinstance(process, int):
            return process
        remaining = (
            None if self.deadline is None else max(self.deadline - time.monotonic(), 0)
        )
        returncode = process.wait(remaining)
        self.running.remove(process)
        if returncode >= 0:
            return returncode
        if -returncode not in (signal.SIGINT, signal.SIGPIPE):
            # sh tells of a program killed by a signal on its stderr: "Killed",
            # "Terminated".
            os.write(self.fds[2], f"{signal.strsignal(-returncode)}\n".encode())
        return 128 - returncode

    def _cd(self, arguments: list[Any]) -> int:
        name = "".join(self._fields(arguments[0]))
        # sh's cd is logical: `a/..` is taken apart textually, not through a symbolic
        # link.
        directory = os.path.normpath(os.path.join(self.cwd or os.getcwd(), name))
        if not os.path.isdir(directory):
            self._say(self.fds[2], f"cd: can't cd to {name}")
            return 2
        self.cwd = directory
        return 0

    def _fields(self, word: Any) -> list[str]:
        return word.fields(self) if isinstance(word, _Deferred) else [word]

    @staticmethod
    def _say(fd: int, message: str) -> None:
        os.write(fd, os.fsencode(_SH + message + "\n"))


_NOT_RUNNABLE = {2: (127, "not found"), 13: (126, "Permission denied")}


class _Streams:
    """A run's descriptors 0-2 from subprocess.run's arguments, and the threads that
    feed `input` and read what is captured."""

    def __init__(
        self, stdin: Any, input: bytes | None, stdout: Any, stderr: Any
    ) -> None:
        self.owned: list[int] = []  # descriptors this run opened, closed by finish()
        self.threads: list[threading.Thread] = []
        self.captured: dict[int, list[bytes]] = {}
        fd0 = self._source(stdin, input)
        fd1 = self._sink(1, stdout)
        fd2 = fd1 if stderr == subprocess.STDOUT else self._sink(2, stderr)
        self.fds = (fd0, fd1, fd2)

    def _source(self, stdin: Any, input: bytes | None) -> int:
        if stdin == subprocess.PIPE:
            read_end, write_end = os.pipe()
            self.owned.append(read_end)
            thread = threading.Thread(target=_write_all, args=(write_end, input or b""))
            thread.start()
            self.threads.append(thread)
            return read_end
        return self._file(0, stdin, os.O_RDONLY)

    def _sink(self, number: int, target: Any) -> int:
        if target == subprocess.PIPE:
            read_end, write_end = os.pipe()
            self.owned.append(write_end)
            chunks = self.captured[number] = []
            thread = threading.Thread(
                target=_read_all, args=(read_end, chunks), daemon=True
            )
            thread.start()
            self.threads.append(thread)
            return write_end
        return self._file(number, target, os.O_WRONLY)

    def _file(self, number: int, target: Any, flags: int) -> int:
        if target is None:
            return number
        if target == subprocess.DEVNULL:
            self.owned.append(os.open(os.devnull, flags))
            return self.owned[-1]
        return target if isinstance(target, int) else target.fileno()

    def finish(self) -> tuple[bytes | None, bytes | None]:
        """Close this run's descriptors, wait for its threads; what stdout and stderr
        held."""
        for fd in self.owned:
            os.close(fd)
        self.owned = []
        for thread in self.threads:
            thread.join()
        out, err = (self.captured.get(n) for n in (1, 2))
        return (None if out is None else b"".join(out)), (
            None if err is None else b"".join(err)
        )


# _read_all and _write_all run in threads without the call's context: they only move
# bytes between descriptors the run opened, which is no use of the tool's.
def _read_all(fd: int, chunks: list[bytes]) -> None:
    with open(fd, "rb", closefd=True) as stream:
        while chunk := stream.read1():
            chunks.append(chunk)


def _write_all(fd: int, data: bytes) -> None:
    with open(fd, "wb", closefd=True) as stream:
        try:
            stream.write(data)
            stream.flush()
        except BrokenPipeError:
            pass


def _decoded(
    data: bytes | None, text_mode: bool, encoding: str | None, errors: str | None
) -> Any:
    if data is None or not text_mode:
        return data
    # subprocess's own text mode: the locale's encoding, universal newlines.
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors=errors).read()


def _locale_encoding() -> str:
    return io.TextIOWrapper(io.BytesIO()).encoding


def _pathnames(pattern: str, cwd: str | None) -> list[str]:
    """The paths matching a sh pattern, sorted: `*` and `?` never match `/` nor a
    leading `.` (a pattern starting with `.` matches `.` and `..` too, as sh's does)."""
    base = cwd or "."
    found = ["/" if pattern.startswith("/") else ""]
    components = [c for c in pattern.split("/") if c]
    for index, component in enumerate(components):
        separator = "/" if index < len(components) - 1 else ""
        matched: list[str] = []
        for prefix in found:
            if not _GLOB_MAGIC.search(component):
                matched.append(prefix + component + separator)
                continue
            try:
                names = [".", "..", *os.listdir(os.path.join(base, prefix or "."))]
            except OSError:
                continue
            matched.extend(
                prefix + name + separator
                for name in names
                if (component.startswith(".") or not name.startswith("."))
                and fnmatch.fnmatchcase(name, component)
            )
        found = matched
    found = [path for path in found if os.path.lexists(os.path.join(base, path))]
    if pattern.endswith("/"):
        found = [
            path + "/" for path in found if os.path.isdir(os.path.join(base, path))
        ]
    return sorted(found)


# Tool-handler decorators: observe (phase 1), validate (phase 2), rate_limit (phase 3).

_F = TypeVar("_F", bound=Callable[..., Any])
_G = TypeVar("_G", bound=Callable[..., Any])
# What permissions(uses=...) holds a tool to: its uses, or a low-level handler's per
# tool name.
_Policy = frozenset[str] | Mapping[str, frozenset[str]]


def _as_runtime(work: _G) -> _G:
    """`work` as the runtime's own: the audit hook counts none of what it does (the
    log's file, the source lines of a traceback) as the tool's."""

    @functools.wraps(work)
    def run(*args: Any, **kwargs: Any) -> Any:
        token = _runtime_busy.set(True)
        try:
            return work(*args, **kwargs)
        finally:
            _runtime_busy.reset(token)

    return cast(_G, run)


DEFAULT_RATE_LIMIT_RPM = 120
DEFAULT_MAX_STRING_LENGTH = 10_000
RATE_LIMIT_WINDOW_SECONDS = 60.0
# Each tracked (caller, tool) holds at most RATE_LIMIT_RPM call times.
RATE_LIMIT_MAX_KEYS = 10_000


# --- commands harden could not read: the shim -----------------------------------------
# A command line that only exists when the call runs (a tool's parameter, an attribute,
# a `shell=` flag from a request) is read here, with the sh rules harden applies to the
# ones it can see: plain words run as an argument list, what the script runner supports
# (pipelines, lists, redirections, globs, `$VAR`, `~`, `$(...)`) runs through it, both
# without /bin/sh. Anything else is logged as CMD_SHELL_FEATURE_DETECTED (the feature
# kinds and the program, never the command) and runs through /bin/sh as before, until
# ENFORCE_SHELL_FREE=true refuses it.

SHELL_FEATURE_EVENT = "CMD_SHELL_FEATURE_DETECTED"
_RUNNER_KEYWORDS = frozenset(
    {
        *("stdin", "input", "stdout", "stderr", "capture_output", "check", "timeout"),
        *("cwd", "env", "text", "encoding", "errors", "universal_newlines"),
    }
)
_KEYWORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until"}
    | {"for", "in", "function", "select", "{", "}", "!", "[[", "]]"}
)
# sh's builtins that no program stands in for, or that a program does differently.
_BUILTINS = frozenset(
    {":", ".", "break", "continue", "eval", "exec", "exit", "export", "readonly"}
    | {"return", "set", "shift", "times", "trap", "unset", "alias", "unalias", "read"}
    | {"umask", "ulimit", "wait", "jobs", "fg", "bg", "getopts", "hash", "type"}
    | {"command", "local", "source", "pwd"}
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL_PARAMETERS = frozenset("@*#?-$!0123456789")
_OPERATOR_CHARS = frozenset("|&;<>()\n")


class _NeedsShell(Exception):
    """What the line uses that only /bin/sh does: a feature kind, never the text."""


@dataclasses.dataclass
class _Line:
    """A command line as read: `argv` for one program with plain words, else `script`
    for the runner, else the `features` that need /bin/sh. `program`: its first word."""

    argv: list[str] | None = None
    script: list[Any] | None = None
    features: tuple[str, ...] = ()
    program: str | None = None
    plain: bool = False  # one program and plain words (not found, or `cd`: in `script`)


class _LineReader:
    """sh's reading of one command line (POSIX quoting, operators, expansions), turned
    into the runner's script; `_NeedsShell` for anything it does not read as sh does."""

    def __init__(self, text: str, environ: Mapping[str, str]) -> None:
        self.text = text
        self.at = 0
        self.environ = environ
        self.features: list[str] = []

    def read(self) -> list[Any]:
        """The script: commands (lists of words) and operators, redirections after
        their command."""
        script: list[Any] = []
        command: list[Any] | None = None
        while (token := self._token()) is not None:
            if isinstance(token, list):
                if command is None or not any(isinstance(e, list) for e in command):
                    self._check_first(token)
                command = [*(command or []), token]
                continue
            operator = token[0]
            if operator in ("|", "&&", "||", ";"):
                if command is None:
                    raise _NeedsShell("syntax error")
                script += [command, operator]
                command = None
            else:
                command = [*(command or []), (operator, self._word_after(operator))]
        if command is not None:
            script.append(command)
        elif script and script[-1] == ";":
            script.pop()
        elif script:
            raise _NeedsShell("syntax error")
        return self._emit(script)

    # -- lexing ------------------------------------------------------------------------

    def _token(self) -> Any:
        """The next word (a list of parts), operator (a 1-tuple), or None at the end."""
        text = self.text
        while self.at < len(text) and text[self.at] in " \t":
            self.at += 1
        if self.at >= len(text):
            return None
        char = text[self.at]
        if char == "#":
            end = text.find("\n", self.at)
            self.at = len(text) if end < 0 else end
            return self._token()
        if char == "\\" and text[self.at + 1 : self.at + 2] == "\n":
            self.at += 2
            return self._token()
        if char.isdigit() and self._redirect_after_digit():
            return self._operator()
        if char in _OPERATOR_CHARS:
            return self._operator()
        return self._word()

    def _redirect_after_digit(self) -> bool:
        return self.text[self.at + 1 : self.at + 2] in ("<", ">")

    def _operator(self) -> tuple[str]:
        text, at = self.text, self.at
        fd = ""
        if text[at].isdigit():
            fd, at = text[at], at + 1
            if fd not in "012":
                raise _NeedsShell("descriptor above 2")
        for operator in (
            "&&",
            "||",
            ">>",
            ">&",
            "<&",
            "<<",
            "<>",
            ">|",
            "|",
            ";",
            "\n",
        ):
            if text.startswith(operator, at):
                break
        else:
            operator = text[at]
        self.at = at + len(operator)
        if operator in ("<<", "<>", ">|", "&", "(", ")", "\n"):
            # sh names a line in its messages: the runner's are all of line 1.
            kinds = {"<<": "heredoc", "&": "background", "\n": "several lines"}
            kinds |= {"(": "subshell", ")": "subshell"}
            raise _NeedsShell(kinds.get(operator, "redirection"))
        if operator in (">", ">>", "<", ">&", "<&"):
            if operator.endswith("&"):
                target = text[self.at : self.at + 1]
                if target not in ("0", "1", "2") or self._continues(self.at + 1):
                    raise _NeedsShell("redirection")
                self.at += 1
                return (f"{fd}{operator}{target}",)
            return (f"{fd}{operator}",)
        if fd:
            raise _NeedsShell("syntax error")
        return (operator,)

    def _continues(self, at: int) -> bool:
        rest = self.text[at : at + 1]
        return bool(rest) and rest not in " \t" and rest not in _OPERATOR_CHARS

    def _word(self) -> list[tuple[str, Any, bool]]:
        """A word's parts: ("text" | "var" | "out", value, quoted)."""
        parts: list[tuple[str, Any, bool]] = []
        text = self.text
        start = self.at
        while self.at < len(text):
            char = text[self.at]
            if char in " \t" or char in _OPERATOR_CHARS:
                break
            if char == "\\":
                following = text[self.at + 1 : self.at + 2]
                self.at += 2
                if following and following != "\n":
                    parts.append(("text", following, True))
            elif char == "'":
                end = text.find("'", self.at + 1)
                if end < 0:
                    raise _NeedsShell("syntax error")
                parts.append(("text", text[self.at + 1 : end], True))
                self.at = end + 1
            elif char == '"':
                self.at += 1
                parts += self._double_quoted()
            elif char == "$":
                parts.append(self._dollar(quoted=False))
            elif char == "`":
                raise _NeedsShell("backquote substitution")
            elif char == "~" and self.at == start:
                parts.append(self._tilde())
            else:
                parts.append(("text", char, False))
                self.at += 1
        return parts

    def _double_quoted(self) -> list[tuple[str, Any, bool]]:
        parts: list[tuple[str, Any, bool]] = []
        text = self.text
        while self.at < len(text):
            char = text[self.at]
            if char == '"':
                self.at += 1
                return parts or [("text", "", True)]
            if char == "\\":
                following = text[self.at + 1 : self.at + 2]
                self.at += 2
                if following in ("$", "`", '"', "\\"):
                    parts.append(("text", following, True))
                elif following != "\n":
                    parts.append(("text", "\\" + following, True))
            elif char == "$":
                parts.append(self._dollar(quoted=True))
            elif char == "`":
                raise _NeedsShell("backquote substitution")
            else:
                parts.append(("text", char, True))
                self.at += 1
        raise _NeedsShell("syntax error")

    def _dollar(self, *, quoted: bool) -> tuple[str, Any, bool]:
        text, at = self.text, self.at + 1
        following = text[at : at + 1]
        if text.startswith("((", at):
            raise _NeedsShell("arithmetic expansion")
        if following == "(":
            return ("out", self._substitution(at + 1), quoted)
        if following == "{":
            end = text.find("}", at)
            name = text[at + 1 : end] if end > 0 else ""
            if not _NAME.fullmatch(name):
                raise _NeedsShell("parameter expansion")
            self.at = end + 1
            return ("var", self.environ.get(name, ""), quoted)
        if following and following in _SPECIAL_PARAMETERS:
            raise _NeedsShell("special parameter")
        name_match = _NAME.match(text, at)
        if name_match is None:
            self.at = at
            return ("text", "$", quoted)
        self.at = name_match.end()
        return ("var", self.environ.get(name_match.group(), ""), quoted)

    def _substitution(self, start: int) -> list[Any]:
        """`$(...)`: the script inside, read by a reader of its own."""
        end = self._closing(start)
        script = _LineReader(self.text[start:end], self.environ).read()
        self.at = end + 1
        return script

    def _closing(self, start: int) -> int:
        """Where the `)` closing `$(` at `start` is, quotes and nesting considered."""
        depth, at, text = 1, start, self.text
        while at < len(text):
            char = text[at]
            if char == "\\":
                at += 2
                continue
            if char == "'":
                at = text.find("'", at + 1)
                if at < 0:
                    break
            elif char == '"':
                at += 1
                while at < len(text) and text[at] != '"':
                    at += 2 if text[at] == "\\" else 1
            elif char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    return at
            at += 1
        raise _NeedsShell("syntax error")

    def _tilde(self) -> tuple[str, Any, bool]:
        text, at = self.text, self.at + 1
        following = text[at : at + 1]
        if following and following not in "/ \t" and following not in _OPERATOR_CHARS:
            raise _NeedsShell("~user")
        home = self.environ.get("HOME")
        if home is None:
            raise _NeedsShell("~ without HOME")
        self.at = at
        return ("text", home, True)

    def _word_after(self, operator: str) -> Any:
        if operator[-1].isdigit():
            return None  # 2>&1: its target is in the operator
        token = self._token()
        if not isinstance(token, list):
            raise _NeedsShell("syntax error")
        word = self._emit_word(token)
        if len(word) != 1 or not isinstance(word[0], str):
            raise _NeedsShell("redirection to an expanded file name")
        return word[0]

    def _check_first(self, word: list[tuple[str, Any, bool]]) -> None:
        """A command's first word: no keyword, no assignment (`NAME=value cmd`)."""
        head = ""
        for kind, value, quoted in word:
            if kind != "text" or quoted:
                break
            head += value
        if head == "".join(str(v) for _, v, _ in word) and head in _KEYWORDS:
            raise _NeedsShell("compound command")
        name, equals, _ = head.partition("=")
        if equals and _NAME.fullmatch(name):
            raise _NeedsShell("assignment")

    # -- the runner's script -----------------------------------------------------------

    def _emit(self, raw: list[Any]) -> list[Any]:
        script: list[Any] = []
        for item in raw:
            if isinstance(item, str):
                script.append(item)
                continue
            words: list[Any] = []
            redirects: list[str] = []
            for element in item:
                if isinstance(element, tuple):
                    operator, target = element
                    redirects += [operator] + ([target] if target is not None else [])
                else:
                    words += self._emit_word(element)
            if not words:
                raise _NeedsShell("no command")
            self._check_builtin(words)
            script += [words, *redirects]
        return script

    def _emit_word(self, parts: list[tuple[str, Any, bool]]) -> list[Any]:
        """A word's fields: plain text, or fields()/glob()/output()/concat() as sh would
        compute it."""
        if not parts:
            return [""]
        if len(parts) == 1 and parts[0][0] in ("var", "out") and not parts[0][2]:
            kind, value, _ = parts[0]
            if kind == "out":
                return [output(value, split=True)]
            if _GLOB_MAGIC.search(value):
                raise _NeedsShell("pattern in an expansion")
            return fields(value)
        if any(k == "out" for k, _, _ in parts):
            if any(not q for k, v, q in parts if k != "text" or _GLOB_MAGIC.search(v)):
                raise _NeedsShell("command substitution inside a word")
            glued: list[Any] = []
            for kind, value, _ in parts:
                if kind == "out":
                    glued.append(output(value))
                elif glued and isinstance(glued[-1], str):
                    glued[-1] += value
                else:
                    glued.append(value)
            return [concat(*glued)]
        for kind, value, quoted in parts:
            if kind == "var" and not quoted and re.search(r"[ \t\n*?[]", value):
                raise _NeedsShell("expansion split inside a word")
        if not any(
            k == "text" and not q and _GLOB_MAGIC.search(v) for k, v, q in parts
        ):
            return ["".join(value for _, value, _ in parts)]
        template, values = "", []
        for kind, value, quoted in parts:
            if kind == "text" and not quoted:
                template += value.replace("{", "{{").replace("}", "}}")
            else:
                template += "{}"
                values.append(value)
        return [glob(template, *values)]

    def _check_builtin(self, words: list[Any]) -> None:
        program, *arguments = words
        if not isinstance(program, str):
            raise _NeedsShell("computed program name")
        if program in _BUILTINS:
            raise _NeedsShell("builtin")
        if program == "echo":
            # sh's echo takes one leading -n and may read backslashes, /bin/echo
            # differs (and which echo /bin/sh has varies): both must agree.
            if arguments[:1] == ["-n"]:
                arguments = arguments[1:]
            first = arguments[0] if arguments else ""
            if (isinstance(first, str) and first.startswith("-")) or any(
                not isinstance(word, str) or "\\" in word for word in arguments
            ):
                raise _NeedsShell("echo's options or escapes")


def _read_line(command: Any, env: Mapping[str, str] | None) -> _Line:
    """What the runtime can do with a command line sh would have run."""
    text = os.fsdecode(command) if isinstance(command, bytes) else command
    if not isinstance(text, str):
        return _Line(features=("a command that is not text",))
    try:
        script = _LineReader(text, os.environ if env is None else env).read()
    except _NeedsShell as needs:
        first = text.split(None, 1)[:1]
        program = first[0] if first and re.fullmatch(r"[\w./+-]+", first[0]) else None
        return _Line(features=(str(needs),), program=program)
    except RecursionError:
        return _Line(features=("nesting",))
    if not script:
        return _Line(features=("empty command",))
    first = script[0][0]
    program = first if isinstance(first, str) else None
    if len(script) == 1 and all(isinstance(w, str) for w in script[0]):
        if program != "cd" and _found(script[0][0], env):
            return _Line(argv=script[0], program=program, plain=True)
        return _Line(script=script, program=program, plain=True)
    return _Line(script=script, program=program)


def _found(program: str, env: Mapping[str, str] | None) -> bool:
    """Whether sh would find the program: else it is left to sh, whose status (127)
    and message the caller may rely on."""
    path = (env if env is not None else os.environ).get("PATH", os.defpath)
    return shutil.which(program, path=path) is not None


def _needs_shell(api: str, line: _Line) -> None:
    """Log a command line that needs /bin/sh; refuse it under ENFORCE_SHELL_FREE."""
    program = (
        {"program": _bounded(os.path.basename(line.program))} if line.program else {}
    )
    _log_at_site(SHELL_FEATURE_EVENT, api=api, features=list(line.features), **program)
    if _settings().enforce_shell_free:
        raise _rejected(
            "refused: the command needs a shell, which ENFORCE_SHELL_FREE forbids"
        )


def _run_as(command: Any, api: str) -> Sequence[Any] | None:
    """A command line given to `os.system`, `os.popen` or `getstatusoutput`, as what
    the runner runs; None when it needs /bin/sh (logged; under ENFORCE_SHELL_FREE,
    refused)."""
    line = _read_line(command, None)
    if line.argv is None and line.script is None:
        _needs_shell(api, line)
        return None
    return line.script or line.argv


class Rejected(ValueError):
    """A call refused under ENFORCE_VALIDATION or ENFORCE_RATE_LIMITS. What is raised
    also subclasses the framework's ToolError when one is loaded, so the client gets
    the message."""


class PermissionDenied(PermissionError):
    """A use outside the tool's policy, refused under ENFORCE_PERMISSIONS: what the
    audit hook raises inside the tool (a PermissionError, so code that handles OSError
    handles it too)."""

    # The process's one audit hook is the first copy's: another vendored copy of this
    # module knows its refusals by this mark, not by its own class.
    harden_permission_refusal = True


# --- settings: environment first, then configure(), then defaults ---------------------

_ENV_KEYS = (
    "ENFORCE_VALIDATION",
    "HARDEN_ALLOWED_ROOTS",
    "HARDEN_ALLOWED_HOSTS",
    "HARDEN_VALIDATION_SKIP_PARAMS",
    "HARDEN_MAX_STRING_LENGTH",
    "ENFORCE_RATE_LIMITS",
    "RATE_LIMIT_RPM",
    "ENFORCE_SHELL_FREE",
    "ENFORCE_SECRET_MASKING",
    "HARDEN_SECRET_ALLOW",
    "ENFORCE_PERMISSIONS",
    "HARDEN_ALLOWED_PROGRAMS",
    "HARDEN_ALLOWED_EGRESS",
    "AUTH_MODE",
    "HARDEN_AUTH_TOKENS",
    "HARDEN_AUTH_TOKENS_FILE",
    "HARDEN_AUTH_JWT_SECRET",
    "HARDEN_AUTH_AUDIENCE",
    "HARDEN_AUTH_ISSUER",
    "HARDEN_AUTH_VERIFIER",
    "HARDEN_AUTH_SCOPES",
    "HARDEN_AUTH_ENFORCE_AFTER",
    "HARDEN_AUTH_RESOURCE_URL",
)
_TRUE = frozenset({"1", "true", "yes", "on"})
_ENV_REFRESH_SECONDS = 1.0

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclasses.dataclass(frozen=True)
class _Settings:
    enforce_validation: bool
    allowed_roots: tuple[tuple[str, str], ...]  # (root, root with a trailing separator)
    # (root, a spelling of it, that spelling with a trailing separator): the real path,
    # and the path as the entry spelled it when a symbolic link leads there
    file_roots: tuple[tuple[str, str, str], ...]
    allowed_host_names: frozenset[str]
    allowed_host_networks: tuple[_Network, ...]
    skip_params: frozenset[str]
    max_string_length: int
    enforce_rate_limits: bool
    rate_limit_rpm: int
    enforce_shell_free: bool
    # "param" or "tool:param" -> the kinds configure() names it (path_params, ...)
    named_kinds: Mapping[str, int] = dataclasses.field(default_factory=dict)
    auth_mode: str = "shadow"  # one of AUTH_MODES
    auth_token_digests: frozenset[str] = frozenset()  # SHA-256 hex of the static tokens
    auth_jwt_secret: bytes | None = None
    auth_audience: frozenset[str] = frozenset()
    auth_issuer: str | None = None
    auth_verifier: str | None = None  # module:function
    auth_scopes: frozenset[str] = frozenset()
    auth_enforce_after: str | None = None
    auth_resource_url: str | None = None  # this server's URL: RFC 9728 metadata
    enforce_secret_masking: bool = False
    # (text, variable name, a character of the text to look for first) of each secret
    # the environment holds, longest text first
    secrets: tuple[tuple[str, str, str], ...] = ()
    secret_allow: frozenset[str] = frozenset()  # HARDEN_SECRET_ALLOW: names and values
    enforce_permissions: bool = False
    allowed_programs: frozenset[str] = frozenset()  # HARDEN_ALLOWED_PROGRAMS
    # HARDEN_ALLOWED_EGRESS: (host, or ".domain" for *.domain; port, None for any)
    allowed_egress: tuple[tuple[str, str | None], ...] = ()


class _SlidingWindows:
    """The call times of the last window per (caller, tool), for every rate-limited
    handler."""

    def __init__(self, max_keys: int) -> None:
        self._lock = threading.Lock()
        self._max_keys = max_keys
        self._calls: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()

    def admit(self, key: tuple[str, str], now: float, limit: int) -> bool:
        """Record a call at `now` and return True, or return False if `limit` calls
        were already made in the window. A refused call is not recorded: enforcing
        refuses exactly the calls the shadow mode reported."""
        cutoff = now - RATE_LIMIT_WINDOW_SECONDS
        with self._lock:
            calls = self._calls.get(key)
            if calls is None:
                if len(self._calls) >= self._max_keys:
                    # Forget the least recently seen caller: memory stays bounded
                    # however many sessions come and go; the worst a forgotten one gains
                    # is a fresh window.
                    self._calls.popitem(last=False)
                calls = self._calls[key] = deque()
            else:
                self._calls.move_to_end(key)
            while calls and calls[0] <= cutoff:
                calls.popleft()
            if len(calls) >= limit:
                return False
            calls.append(now)
            return True


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.overrides: dict[str, Any] = {}
        self.generation = 0
        self.loaded: tuple[tuple[int, int], float, _Settings] | None = None
        self.default_root: str | None = None
        self.clock: Callable[[], float] = time.monotonic
        self.windows = _SlidingWindows(RATE_LIMIT_MAX_KEYS)
        # HARDEN_AUTH_VERIFIER's functions as imported (None: it could not be).
        self.verifiers: dict[str, Callable[[str], Any] | None] = {}
        self.said: set[tuple[str, str]] = set()  # configuration errors already logged


_state = _State()


def configure(
    *,
    allowed_roots: Iterable[str] | None = None,
    allowed_hosts: Iterable[str] | None = None,
    skip_params: Iterable[str] | None = None,
    max_string_length: int | None = None,
    enforce_validation: bool | None = None,
    enforce_rate_limits: bool | None = None,
    rate_limit_rpm: int | None = None,
    enforce_shell_free: bool | None = None,
    enforce_permissions: bool | None = None,
    allowed_programs: Iterable[str] | None = None,
    allowed_egress: Iterable[str] | None = None,
    path_params: Iterable[str] | None = None,
    url_params: Iterable[str] | None = None,
    command_params: Iterable[str] | None = None,
    clock: Callable[[], float] | None = None,
) -> None:
    """Set options from code; an argument left None keeps its current value.

    The environment takes precedence for the switches and numbers
    (ENFORCE_VALIDATION, ENFORCE_RATE_LIMITS, RATE_LIMIT_RPM, ENFORCE_SHELL_FREE,
    ENFORCE_PERMISSIONS, HARDEN_MAX_STRING_LENGTH), so an operator can flip them
    without a code change. The allow-lists add to the environment's
    (HARDEN_ALLOWED_ROOTS, HARDEN_ALLOWED_HOSTS, HARDEN_VALIDATION_SKIP_PARAMS,
    HARDEN_ALLOWED_PROGRAMS, HARDEN_ALLOWED_EGRESS). `clock` (seconds,
    monotonic) drives the rate-limit window. `path_params`, `url_params` and
    `command_params` ("param" or "tool:param") are validated as paths, URLs or hosts,
    and commands whatever their names say.

    The environment is re-read at most once a second, and at once when a variable is
    added or removed; configure() with no arguments re-reads it now (needed only
    after changing, in the same process, the value of a variable that was already
    set)."""
    given = {
        "allowed_roots": None if allowed_roots is None else tuple(allowed_roots),
        "allowed_hosts": None if allowed_hosts is None else tuple(allowed_hosts),
        "skip_params": None if skip_params is None else tuple(skip_params),
        "max_string_length": max_string_length,
        "enforce_validation": enforce_validation,
        "enforce_rate_limits": enforce_rate_limits,
        "rate_limit_rpm": rate_limit_rpm,
        "enforce_shell_free": enforce_shell_free,
        "enforce_permissions": enforce_permissions,
        **{
            name: None if given is None else tuple(given)
            for name, given in (
                ("allowed_programs", allowed_programs),
                ("allowed_egress", allowed_egress),
                ("path_params", path_params),
                ("url_params", url_params),
                ("command_params", command_params),
            )
        },
    }
    state = _state
    with state.lock:
        state.overrides.update(
            {name: value for name, value in given.items() if value is not None}
        )
        if clock is not None:
            state.clock = clock
        state.generation += 1


def reset() -> None:
    """Forget what configure() set, the rate-limit history and the default allowed
    root."""
    global _state
    _state = _State()


def _settings() -> _Settings:
    # Reading the eight variables costs more than everything else a call does, so they
    # are re-read once a second, and at once when the environment gains or loses a
    # variable (a test setting one that was unset) or configure() is called.
    state = _state
    stamp = (state.generation, len(os.environ))
    now = time.monotonic()
    loaded = state.loaded
    if loaded is not None and loaded[0] == stamp and now < loaded[1]:
        return loaded[2]
    settings = _parse_settings(state, tuple(map(os.environ.get, _ENV_KEYS)))
    state.loaded = (stamp, now + _ENV_REFRESH_SECONDS, settings)
    return settings


@_as_runtime  # a tokens file read is the runtime's, not the tool's
def _parse_settings(state: _State, environ: tuple[Any, ...]) -> _Settings:
    (
        enforce_validation,
        roots,
        hosts,
        skip,
        max_length,
        enforce_rate_limits,
        rpm,
        shell_free,
        enforce_secret_masking,
        secret_allow,
        enforce_permissions,
        programs,
        egress,
        *auth,
    ) = environ
    overrides = state.overrides
    root_entries = [*overrides.get("allowed_roots", ()), *_split(roots, os.pathsep)]
    if not root_entries:
        if state.default_root is None:
            # The directory the server runs in, taken once: a later chdir must not widen
            # it.
            state.default_root = os.getcwd()
        root_entries = [state.default_root]
    host_names: set[str] = set()
    host_networks: list[_Network] = []
    for entry in [*overrides.get("allowed_hosts", ()), *_split(hosts, ",")]:
        host = entry.strip().strip("[]").rstrip(".").lower()
        try:
            host_networks.append(ipaddress.ip_network(host, strict=False))
        except ValueError:
            host_names.add(host)
    return _Settings(
        enforce_validation=_flag(
            enforce_validation, overrides.get("enforce_validation", False)
        ),
        allowed_roots=tuple(_root(entry) for entry in root_entries),
        file_roots=tuple(
            spelling for entry in root_entries for spelling in _spellings(entry)
        ),
        allowed_host_names=frozenset(host_names),
        allowed_host_networks=tuple(host_networks),
        skip_params=frozenset(
            entry.strip()
            for entry in [*overrides.get("skip_params", ()), *_split(skip, ",")]
        ),
        max_string_length=_number(
            max_length, overrides.get("max_string_length", DEFAULT_MAX_STRING_LENGTH)
        ),
        enforce_rate_limits=_flag(
            enforce_rate_limits, overrides.get("enforce_rate_limits", False)
        ),
        rate_limit_rpm=_number(
            rpm, overrides.get("rate_limit_rpm", DEFAULT_RATE_LIMIT_RPM)
        ),
        enforce_shell_free=_flag(
            shell_free, overrides.get("enforce_shell_free", False)
        ),
        named_kinds=_named_kinds(overrides),
        enforce_permissions=_flag(
            enforce_permissions, overrides.get("enforce_permissions", False)
        ),
        allowed_programs=frozenset(
            entry.strip()
            for entry in [
                *overrides.get("allowed_programs", ()),
                *_split(programs, ","),
            ]
        ),
        allowed_egress=tuple(
            _egress_entry(entry)
            for entry in [*overrides.get("allowed_egress", ()), *_split(egress, ",")]
        ),
        **_auth_settings(state, *auth),
        **_secret_settings(enforce_secret_masking, secret_allow),
    )


def _auth_settings(
    state: _State,
    mode: str | None,
    tokens: str | None,
    tokens_file: str | None,
    secret: str | None,
    audience: str | None,
    issuer: str | None,
    verifier: str | None,
    scopes: str | None,
    enforce_after: str | None,
    resource_url: str | None,
) -> dict[str, Any]:
    digests = {entry.strip().lower() for entry in _split(tokens, ",")}
    if tokens_file:
        try:
            with open(tokens_file, encoding="utf-8") as listed:
                digests |= {
                    line.strip().lower()
                    for line in listed
                    if line.strip() and not line.lstrip().startswith("#")
                }
        except (OSError, UnicodeDecodeError) as error:
            _config_error(state, "HARDEN_AUTH_TOKENS_FILE", error)
    audiences = frozenset(entry.strip() for entry in _split(audience, ","))
    if secret and not audiences:
        # The spec: a token issued for another server must be refused, so every JWT is
        # until the audience is known.
        _config_error(state, "HARDEN_AUTH_AUDIENCE", ValueError("required for JWTs"))
    mode = (mode or "shadow").strip().lower()
    return {
        "auth_mode": mode if mode in AUTH_MODES else "shadow",
        "auth_token_digests": frozenset(digests - {""}),
        "auth_jwt_secret": secret.encode() if secret else None,
        "auth_audience": audiences,
        "auth_issuer": issuer or None,
        "auth_verifier": verifier or None,
        "auth_scopes": frozenset((scopes or "").replace(",", " ").split()),
        "auth_enforce_after": enforce_after or None,
        "auth_resource_url": _resource_url(state, resource_url),
    }


def _resource_url(state: _State, url: str | None) -> str | None:
    """HARDEN_AUTH_RESOURCE_URL when it is an absolute http(s) URL without a fragment
    (RFC 9728's resource identifier); anything else is said once and not used."""
    if not url:
        return None
    url = url.strip()
    parts = urlsplit(url)
    if (
        parts.scheme in ("http", "https")
        and parts.netloc
        and not parts.fragment
        and url.isascii()  # an internationalised host goes in its punycode form
        and not any(c in url for c in '"\\ ')
        and url.isprintable()
    ):
        return url
    _config_error(state, "HARDEN_AUTH_RESOURCE_URL", ValueError("not an http(s) URL"))
    return None


def _config_error(state: _State, setting: str, error: BaseException) -> None:
    """Log, once per process, a setting the runtime cannot use."""
    key = (setting, type(error).__name__)
    if key not in state.said:
        state.said.add(key)
        _write(
            {
                "ts": _timestamp(),
                "event": "AUTH_CONFIG_ERROR",
                "setting": setting,
                "error": type(error).__name__,
            }
        )


def _named_kinds(overrides: Mapping[str, Any]) -> dict[str, int]:
    named: dict[str, int] = {}
    kinds = (("path_params", _PATH), ("url_params", _URL), ("command_params", _COMMAND))
    for key, kind in kinds:
        for entry in overrides.get(key, ()):
            named[entry.strip()] = named.get(entry.strip(), 0) | kind
    return named


def _split(value: str | None, separator: str) -> list[str]:
    return [entry for entry in (value or "").split(separator) if entry.strip()]


def _flag(value: str | None, default: bool) -> bool:
    return (
        default
        if value is None or not value.strip()
        else value.strip().lower() in _TRUE
    )


def _number(value: str | None, default: int) -> int:
    try:
        return default if value is None or not value.strip() else int(value)
    except ValueError:
        return default


def _egress_entry(entry: str) -> tuple[str, str | None]:
    """(host, port) of a HARDEN_ALLOWED_EGRESS entry: `host`, `host:port`, `*.domain`
    (stored as ".domain"), `*.domain:port`, `[v6 address]:port`; no port: any."""
    entry = entry.strip().lower()
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif entry.count(":") == 1:
        host, _, port = entry.partition(":")
    else:  # a name, or a bare IPv6 address
        host, port = entry, ""
    host = host.rstrip(".")
    return (host[1:] if host.startswith("*.") else host), port or None


def _root(entry: str) -> tuple[str, str]:
    root = os.path.normcase(os.path.realpath(os.path.expanduser(entry.strip())))
    return root, _with_separator(root)


def _spellings(entry: str) -> list[tuple[str, str, str]]:
    """How a path under the root may be spelled: an audit event gives the path as the
    code wrote it, links unresolved (resolving each would cost a system call)."""
    root, prefix = _root(entry)
    spelled = os.path.normcase(os.path.abspath(os.path.expanduser(entry.strip())))
    spellings = [(root, root, prefix)]
    if spelled != root:
        spellings.append((root, spelled, _with_separator(spelled)))
    return spellings


def _with_separator(folder: str) -> str:
    return folder if folder.endswith(os.sep) else folder + os.sep


# --- the decorators -------------------------------------------------------------------


@overload
def observe(fn: _F, /) -> _F: ...
@overload
def observe(
    *, tool: str | None = None, lowlevel: bool = False
) -> Callable[[_F], _F]: ...
def observe(
    fn: _F | None = None, /, *, tool: str | None = None, lowlevel: bool = False
) -> _F | Callable[[_F], _F]:
    """Log one JSON line per call on stderr; change nothing else.

    {"ts":"2026-05-09T12:00:00.123Z","event":"tool_call","tool":"read_file","caller":"local",
     "duration_ms":0.412,"params":{"path":"str"},"isError":false,"response_size":1834,
     "error":null}

    `params` maps each argument's name to its type's name, never its value; `isError`
    is true when the handler raised (`error` then names the exception's class) or
    returned a result whose `isError` is true; `response_size` estimates the result's
    size in characters."""
    return _decorator(fn, "observe", tool, lowlevel)


@overload
def validate(fn: _F, /) -> _F: ...
@overload
def validate(
    *,
    tool: str | None = None,
    lowlevel: bool = False,
    roots: Iterable[str | os.PathLike[str]] = (),
    names_only: Iterable[str] = (),
) -> Callable[[_F], _F]: ...
def validate(
    fn: _F | None = None,
    /,
    *,
    tool: str | None = None,
    lowlevel: bool = False,
    roots: Iterable[str | os.PathLike[str]] = (),
    names_only: Iterable[str] = (),
) -> _F | Callable[[_F], _F]:
    """Check string arguments, and what the SDK made of them: a `Path`, a pydantic
    model's or dataclass's fields, lists and dicts, four levels deep.

    Rules, in order. A parameter's kind comes from the words of its name (`file_path`,
    `targetUrl`), from `configure(path_params=..., url_params=..., command_params=...)`,
    and from the value's shape.
    - `max_length`: longer than HARDEN_MAX_STRING_LENGTH (default 10000).
    - `nul_byte`: contains a NUL character.
    - URL-like parameters (url, uri, endpoint, host, webhook, callback, proxy, address,
      ...), any value that is a whole `scheme://...` URL and any IP literal:
      `url_scheme` for gopher, dict, ldap, tftp, jar, netdoc, phar; `ssrf` for a host
      that is internal — loopback, private, link-local (169.254.169.254), unspecified,
      reserved, multicast, in any spelling (`0x7f000001`, `2130706433`, `0177.0.0.1`,
      `127.1`, `::ffff:127.0.0.1`, `[::1]`, `fd00::/8`, `fe80::/10`, full-width digits),
      or named localhost, *.localhost, *.local, *.internal, metadata.google.internal —
      unless listed in HARDEN_ALLOWED_HOSTS. Names are not resolved. A `file:` URL is
      checked as a path. A host that is not a URL holds no shell syntax
      (`shell_metachar`).
    - Path-like parameters (path, file, filename, dir, directory, folder, root, dest,
      cwd, ...) and absolute paths whose first folder exists here: `shell_metachar` for
      ; | ` $( or a line break in a path-like parameter; `path_traversal` for a `..`
      segment; `path_outside_roots` for an absolute (or `~`) path outside
      HARDEN_ALLOWED_ROOTS (default: the working directory at first use), where it
      really leads. In any other parameter a value without blanks that has a `..`
      segment is `path_traversal` too.
    - Command-like parameters (cmd, command, exec, shell, args, argv, program):
      `shell_metachar` for any of ; & | ` $ < > or a line break. A `query` is not
      command-like: SQL and search text use those characters legitimately.

    A violation logs one line per parameter and the call goes on:
    {"ts":"…","event":"VALIDATION_WOULD_REJECT","tool":"read_file","caller":"local",
     "rule":"path_traversal","param":"path"}
    With ENFORCE_VALIDATION=true the first violation is logged as
    `VALIDATION_REJECTED` and the call is refused with a message naming the
    parameter, never its value. HARDEN_VALIDATION_SKIP_PARAMS exempts `param` (any
    tool) or `tool:param`. A value equal to the parameter's own default is not checked.
    `roots=` adds folders this tool's own code reads paths under (phase 2 finds them
    in the code: defaults, what a path parameter is joined to) to the allowed roots.
    `names_only=` names host parameters the tool only shows or resolves, never
    connects to (phase 2 finds them too): no `ssrf` or `url_scheme` for them, but
    still `shell_metachar`.
    """
    folders = tuple(_root(os.fspath(root)) for root in roots)
    return _decorator(
        fn, "validate", tool, lowlevel, roots=folders, shown=frozenset(names_only)
    )


@overload
def rate_limit(fn: _F, /) -> _F: ...
@overload
def rate_limit(
    *, tool: str | None = None, lowlevel: bool = False
) -> Callable[[_F], _F]: ...
def rate_limit(
    fn: _F | None = None, /, *, tool: str | None = None, lowlevel: bool = False
) -> _F | Callable[[_F], _F]:
    """Allow RATE_LIMIT_RPM calls (default 120; 0 or less: no limit) per caller and
    tool in any sliding 60-second window. A call over the limit logs

    {"ts":"…","event":"RATE_LIMIT_WOULD_THROTTLE","tool":"read_file","caller":"session:4f2a…",
     "limit_rpm":120}

    and goes on; with ENFORCE_RATE_LIMITS=true it logs `RATE_LIMIT_ENFORCED` and is
    refused."""
    return _decorator(fn, "rate_limit", tool, lowlevel)


@overload
def authenticate(fn: _F, /) -> _F: ...
@overload
def authenticate(
    *, tool: str | None = None, lowlevel: bool = False
) -> Callable[[_F], _F]: ...
def authenticate(
    fn: _F | None = None, /, *, tool: str | None = None, lowlevel: bool = False
) -> _F | Callable[[_F], _F]:
    """Judge the bearer token of the HTTP request that carries each call (phase 4).

    Over stdio (and in memory) there is no HTTP request: the MCP authorization spec has
    such servers take credentials from the environment, and nothing is judged. Over
    HTTP the `Authorization: Bearer` header is checked against, in turn: SHA-256 hex
    digests of static tokens (HARDEN_AUTH_TOKENS, comma-separated, and
    HARDEN_AUTH_TOKENS_FILE, one per line; several at once for rotation), compared in
    constant time; an HS256 JWT signed with HARDEN_AUTH_JWT_SECRET whose `aud` is one of
    HARDEN_AUTH_AUDIENCE (required: a token issued for another server is refused),
    `iss` is HARDEN_AUTH_ISSUER when set, and `exp`/`nbf` hold (30 s leeway); a verifier
    of your own, HARDEN_AUTH_VERIFIER=module:function, sync or async, given the token
    and answering a falsy value to refuse it, or an object or mapping whose `scopes`,
    `expires_at` and `resource` are checked too (the SDKs' AccessToken).
    HARDEN_AUTH_SCOPES (blank- or comma-separated) are required of JWTs (`scope` or
    `scp`) and verified tokens; a static token has them all.

    AUTH_MODE=shadow (the default; any unknown value too) logs a missing or bad token

    {"ts":"…","event":"AUTH_WOULD_REJECT","tool":"read_file","caller":"session:4f2a…",
     "method":"tools/call","reason":"MISSING_TOKEN","token":null,"mode":"shadow"}

    and lets the call through; reasons are MISSING_TOKEN, INVALID_TOKEN, EXPIRED,
    WRONG_AUDIENCE and INSUFFICIENT_SCOPE, and `token` is the first 8 hex digits of the
    token's SHA-256 (never the token). AUTH_MODE=soft logs the same with
    `enforce_after` (HARDEN_AUTH_ENFORCE_AFTER). AUTH_MODE=enforce logs `AUTH_REJECTED`
    and refuses the call with a message asking for a valid bearer token; where the
    server's HTTP app was built by a `published()` server, its gate answers such a
    request with HTTP 401/403 before the call exists. A request the server's own
    authentication (an SDK's `auth=`) let in is not judged again."""
    return _decorator(fn, "authenticate", tool, lowlevel)


def _decorator(
    fn: _F | None,
    feature: str,
    tool: str | None,
    lowlevel: bool,
    keep: tuple[str, ...] = (),
    roots: tuple[tuple[str, str], ...] = (),
    shown: frozenset[str] = frozenset(),
    policy: _Policy | None = None,
) -> _F | Callable[[_F], _F]:
    def decorate(target: _F) -> _F:
        return _harden(target, feature, tool, lowlevel, keep, roots, shown, policy)

    return decorate if fn is None else decorate(fn)


@dataclasses.dataclass(frozen=True)
class _Handler:
    fn: Callable[..., Any]
    tool: str
    lowlevel: bool
    signature: inspect.Signature | None
    positional: tuple[str, ...]  # the names of the arguments a call passes by position
    # A method's `self` or `cls`: the instance a bound call passes first, not a tool
    # argument.
    receiver: bool = False
    observe: bool = False
    authenticate: bool = False
    rate_limit: bool = False
    validate: bool = False
    mask_errors: bool = False
    mask_secrets: bool = False
    # mask_errors(keep=...): the project's classes whose text is written for the client.
    keep: tuple[str, ...] = ()
    # validate(roots=...): folders the tool reads paths under, allowed beside the
    # settings' roots.
    roots: tuple[tuple[str, str], ...] = ()
    # validate(names_only=...): host parameters the tool only shows or resolves.
    shown: frozenset[str] = frozenset()
    # permissions(uses=...): the uses the tool may have; a low-level handler's, per tool
    # name. None: no policy, nothing judged.
    policy: _Policy | None = None
    # The declared defaults: a value equal to its parameter's default is never a
    # violation.
    defaults: Mapping[str, object] = dataclasses.field(default_factory=dict)


# The wrappers this module made, so stacking merges into one wrapper instead of nesting
# (one layer of cost, one caller lookup, and a decorator applied twice logs once). A
# user's wrapper in between is a different object, and is wrapped like any other
# function.
_handlers: weakref.WeakKeyDictionary[Callable[..., Any], _Handler] = (
    weakref.WeakKeyDictionary()
)


def _harden(
    fn: _F,
    feature: str,
    tool: str | None,
    lowlevel: bool,
    keep: tuple[str, ...] = (),
    roots: tuple[tuple[str, str], ...] = (),
    shown: frozenset[str] = frozenset(),
    policy: _Policy | None = None,
) -> _F:
    inner = _handlers.get(fn)
    if inner is None:
        signature = _signature(fn)
        positional = tuple(
            name
            for name, parameter in (signature.parameters.items() if signature else ())
            if parameter.kind
            in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        )
        receiver = bool(positional) and positional[0] in ("self", "cls")
        defaults = {
            name: parameter.default
            for name, parameter in (signature.parameters.items() if signature else ())
            if parameter.default is not parameter.empty
        }
        handler = _Handler(
            fn=fn,
            tool=tool or getattr(fn, "__name__", "tool"),
            lowlevel=lowlevel,
            signature=signature,
            positional=positional[receiver:],
            receiver=receiver,
            defaults=defaults,
        )
    else:
        handler = dataclasses.replace(
            inner, tool=tool or inner.tool, lowlevel=lowlevel or inner.lowlevel
        )
    if policy is not None or feature == "observe":
        _install_audit_hook()
    handler = dataclasses.replace(
        handler,
        keep=handler.keep + keep,
        roots=handler.roots + roots,
        shown=handler.shown | shown,
        # permissions brings its policy; every other decorator switches its feature on.
        **({feature: True} if policy is None else {"policy": policy}),
    )
    wrapper = _wrapper(handler)
    _handlers[wrapper] = handler
    return cast(_F, wrapper)


def _signature(fn: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(fn, eval_str=True)
    except Exception:
        # An annotation that cannot be evaluated yet (a forward reference): the plain
        # signature still lets the framework resolve it the way it would without the
        # wrapper.
        try:
            return inspect.signature(fn)
        except (TypeError, ValueError):
            return None


def _wrapper(handler: _Handler) -> Callable[..., Any]:
    fn = handler.fn
    wrapper: Callable[..., Any]
    # type(fn).__call__ covers a callable object whose __call__ is async, as frameworks
    # do.
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        type(fn).__call__
    ):

        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _serving():
                return await fn(*args, **kwargs)
            call = _Call(handler, args, kwargs)
            result = _started(call, args, kwargs)
            if call.refused:
                return call.finish(result, None)
            return await _awaited(call, result)

    else:

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _serving():
                return fn(*args, **kwargs)
            call = _Call(handler, args, kwargs)
            result = _started(call, args, kwargs)
            if not call.refused and inspect.isawaitable(result):
                # A plain function handing back a coroutine, which the framework awaits:
                # the call ends, or fails, only then.
                return _awaited(call, result)
            return call.finish(result, None)

    if handler.signature is not None:
        # With the hints evaluated, a framework that resolves string annotations against
        # the wrapper's globals (this module's) still sees the tool's own types: without
        # this, a module using `from __future__ import annotations` fails to register on
        # mcp < 1.22.
        wrapper.__signature__ = handler.signature  # type: ignore[attr-defined]
    return wrapper


def _started(call: _Call, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Admit the call and call the handler: its result (for an async handler, the
    coroutine still to await), or what a refused low-level call returns instead
    (`call.refused`)."""
    token = _current_call.set(call)
    try:
        refusal = call.admit()
        if refusal is not None:
            return refusal
        return call.handler.fn(*args, **kwargs)
    except BaseException as error:
        masked = _failed(call, error)
        if masked is None:
            raise
        raise masked from error
    finally:
        _current_call.reset(token)


async def _awaited(call: _Call, awaitable: Awaitable[Any]) -> Any:
    """The handler's awaited result, the call finished (logged) only once it is
    there."""
    token = _current_call.set(
        call
    )  # a tool it calls while awaited is part of this call
    try:
        result = await awaitable
    except BaseException as error:
        # A low-level handler is always awaited: only here can a refused use become the
        # error result it must return.
        answer = _refusal_result(call, error)
        if answer is not None:
            return call.finish(answer, error)
        masked = _failed(call, error)
        if masked is None:
            raise
        raise masked from error
    finally:
        _current_call.reset(token)
    return call.finish(result, None)


# How far back an error's causes are searched for the refusal it was raised over (a
# client library wraps the PermissionDenied it met: urllib's URLError).
_CHAINED_ERRORS = 8


def _refusal_result(call: _Call, error: BaseException) -> object | None:
    """For a low-level handler whose use was refused (the error is the refusal, or was
    raised while handling it), the error result it returns instead: mcp 2.x answers a
    raised exception with a protocol error. None: `error` is raised as it is."""
    if not call.handler.lowlevel or call.policy is None:
        return None
    refusal: BaseException | None = error
    for _ in range(_CHAINED_ERRORS):
        if refusal is None or _is_refusal(refusal):
            break
        refusal = refusal.__cause__ or refusal.__context__
    if refusal is None or not _is_refusal(refusal):
        return None
    masked = _masked(call, error)
    return _refuse(call, str(masked if masked is not None else refusal))


def _is_refusal(error: BaseException) -> bool:
    return getattr(error, "harden_permission_refusal", False) is True


def _failed(call: _Call, error: BaseException) -> Exception | None:
    """Log the failed call; what to raise instead of `error` (None: raise it as it
    is)."""
    call.finish(None, error)
    return _masked(call, error)


class _Call:
    """One call of a decorated handler: what the checks and the log lines share."""

    __slots__ = (
        "_caller",
        "arguments",
        "context",
        "handler",
        "names",
        "outside",
        "policy",
        "refused",
        "started",
        "tool",
        "uses",
    )

    def __init__(
        self, handler: _Handler, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self.handler = handler
        self.started = time.perf_counter()
        self._caller: str | None = None
        self.context: object | None = None
        self.refused = False  # admit() refused the call: the handler did not run
        # What the call did, as the audit hook saw it: "fs:read:/srv/app", "exec:git"
        self.uses: set[str] = set()
        self.arguments: Mapping[str, Any]
        if handler.lowlevel:
            tool, self.arguments, self.context = _lowlevel_call(args, kwargs)
            # A low-level server's tool name is whatever the client sent: bounded before
            # it is kept as a rate-limit key or written to the log.
            self.tool = _bounded(tool) if tool else handler.tool
        else:
            self.tool = handler.tool
            self.arguments = kwargs
            if handler.receiver:
                args = args[1:]
            if args:
                self.arguments = {
                    **dict(zip(handler.positional, args, strict=False)),
                    **kwargs,
                }
        policy = handler.policy
        # What the hook holds the call to (None: nothing); a low-level handler's policy
        # is the one of the tool the client named.
        self.policy: frozenset[str] | None = (
            policy.get(self.tool) if isinstance(policy, Mapping) else policy
        )
        # The uses outside the policy logged already: one line per call and use.
        self.outside: set[str] | None = None
        # port -> the `net:` use of the name the call last looked up for it (_by_name).
        self.names: dict[str, str] | None = None

    @property
    def caller(self) -> str:
        if self._caller is None:
            self._caller = _identify_caller(self)
        return self._caller

    def admit(self) -> object | None:
        """None to run the handler; else what a low-level handler returns instead (an
        error result). Raises the rejection for any other handler."""
        handler = self.handler
        if not (handler.authenticate or handler.rate_limit or handler.validate):
            return None
        # Refused until the checks let the handler run: one that raises its refusal
        # leaves the call refused too.
        self.refused = True
        settings = _settings()
        refusal = _check_auth(self, settings) if handler.authenticate else None
        if refusal is None and handler.rate_limit:
            refusal = _check_rate(self, settings)
        if refusal is None and handler.validate:
            refusal = _check_arguments(self, settings)
        self.refused = refusal is not None
        return refusal

    def finish(self, result: object, error: BaseException | None) -> Any:
        """Log the finished call; the result the client gets (secrets masked)."""
        if error is None and self.handler.mask_secrets and not self.refused:
            result, withheld = _mask_secrets(self, result)
            if withheld is not None:
                try:
                    result = _refuse(self, withheld)
                except Exception as refusal:
                    self._observed(None, refusal)
                    raise
        self._observed(result, error)
        return result

    def _observed(self, result: object, error: BaseException | None) -> None:
        if not self.handler.observe:
            return
        duration_ms = (time.perf_counter() - self.started) * 1000
        _write(
            {
                "ts": _timestamp(),
                "event": "tool_call",
                "tool": self.tool,
                "caller": self.caller,
                "duration_ms": round(duration_ms, 3),
                "params": {
                    str(name): type(value).__name__
                    for name, value in self.arguments.items()
                    if not _is_context(value)
                },
                "isError": error is not None or _is_error_result(result),
                "response_size": 0 if error is not None else _estimated_size(result),
                "error": None if error is None else type(error).__name__,
                # A call refused before the handler ran did nothing: not observed (no
                # key), which is not the same as observed doing nothing ([]).
                **({} if self.refused else {"uses": sorted(self.uses)}),
            }
        )


def _lowlevel_call(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[str | None, Mapping[str, Any], object | None]:
    """(tool name, arguments, request context) of a low-level server's call_tool
    handler."""
    values = (*args, *kwargs.values())
    for index, value in enumerate(values):
        if isinstance(value, str):
            # mcp 1.x: call_tool(name, arguments)
            following = values[index + 1] if index + 1 < len(values) else None
            return value, following if isinstance(following, Mapping) else {}, None
        name = getattr(value, "name", None)
        if isinstance(name, str) and hasattr(value, "arguments"):
            # mcp 2.x: on_call_tool(ctx, params), with params.name and params.arguments
            arguments = value.arguments
            context = values[index - 1] if index else None
            return name, arguments if isinstance(arguments, Mapping) else {}, context
    return None, {}, None


# --- the caller -----------------------------------------------------------------------

# Where the running framework publishes the current request, looked up only if already
# imported.
_REQUEST_CONTEXT_VARS = (
    (
        "mcp.server.lowlevel.server",
        "request_ctx",
    ),  # mcp 1.x, and fastmcp 2.x/3.x built on it
    ("fastmcp.server.dependencies", "fastmcp_request_ctx"),  # fastmcp 4.x on mcp 2.x
)
# A header or query value comes from the client: bound what is logged and kept per
# caller.
_MAX_ID_LENGTH = 128


def _identify_caller(call: _Call) -> str:
    """`session:<id>` (the mcp-session-id header, or the SSE transport's session_id),
    `addr:<host>` (an HTTP client without a session), or `local` (stdio, in-memory,
    unknown)."""
    try:
        # The session id is the client's to choose: bounded like a name.
        return _bounded(_caller_of(_http_request(call)))
    except Exception:
        # The caller is best effort: looking it up must never fail the call.
        return "local"


def _http_request(call: _Call) -> Any:
    """The HTTP request carrying the call: None over stdio, in memory, or outside a
    request. It may raise (a Context outside a request): callers guard it."""
    request_context = _request_context()
    if request_context is None:
        # mcp 2.x publishes no context variable: the Context argument (MCPServer) or
        # the low-level handler's ctx carries it.
        context = call.context
        if context is None:
            context = next((v for v in call.arguments.values() if _is_context(v)), None)
        request_context = getattr(context, "request_context", context)
    return getattr(request_context, "request", None)


def _serving() -> bool:
    """Whether the decorated call starting now is the framework serving a client's
    request.

    Not when a decorated call is already in progress (one handler calling another),
    in this copy of the runtime or in another one of the process. Otherwise: where
    the framework publishes the request it serves (mcp 1.x, fastmcp), when it
    publishes one now; where it publishes none (mcp 2.x), when the handler is called
    from the framework's own code."""
    if _current_call.get() is not None:
        return False
    if _published_request.get() is not None:
        return True
    published = False
    for module_name, name in _REQUEST_CONTEXT_VARS:
        variable = getattr(sys.modules.get(module_name), name, None)
        if variable is not None:
            if variable.get(None) is not None:
                return True
            published = True
    return not published and _called_by_framework()


# What calls a handler on the framework's behalf without being the framework: the event
# loops, worker threads and helpers between its code and the handler (mcp 2.x validates
# a resource function's arguments with pydantic's validate_call).
_PLUMBING = (
    *(
        "asyncio",
        "anyio",
        "sniffio",
        "concurrent",
        "threading",
        "contextlib",
        "functools",
    ),
    "pydantic",
)
_FRAMEWORKS = ("mcp", "fastmcp")


def _called_by_framework() -> bool:
    """Whether the nearest caller of the handler, past this module and the plumbing,
    is an MCP framework's code. A sync handler that the framework runs in a worker
    thread has only plumbing above it (anyio's worker): that counts too; a coroutine
    a test runs with `asyncio.run` has nothing above it, and does not."""
    frame: types.FrameType | None = sys._getframe(1)
    through_anyio = False
    while frame is not None:
        if frame.f_code.co_filename != __file__:
            module = str(frame.f_globals.get("__name__", "")).partition(".")[0]
            if module in _FRAMEWORKS:
                return True
            if module not in _PLUMBING:
                return False
            through_anyio |= module == "anyio"
        frame = frame.f_back
    return through_anyio


def _request_context() -> Any:
    """The request context the framework publishes while it serves a client's
    request; None outside one (a direct call), and always on mcp 2.x, which publishes
    none."""
    for module_name, name in _REQUEST_CONTEXT_VARS:
        variable = getattr(sys.modules.get(module_name), name, None)
        if variable is not None:
            request_context = variable.get(None)
            if request_context is not None:
                return request_context
    return _published_request.get()


def _caller_of(request: Any) -> str:
    if request is None:
        return "local"
    headers = getattr(request, "headers", None)
    session = headers.get("mcp-session-id") if headers is not None else None
    if not session:
        query = getattr(request, "query_params", None)
        session = query.get("session_id") if query is not None else None
    if session:
        return "session:" + str(session)[:_MAX_ID_LENGTH]
    host = getattr(getattr(request, "client", None), "host", None)
    return "addr:" + str(host)[:_MAX_ID_LENGTH] if host else "local"


def _is_context(value: object) -> bool:
    # mcp 1.x/2.x and fastmcp Context classes all expose `request_context`; the
    # framework injects them, the client never sends them.
    return hasattr(type(value), "request_context")


# --- rejecting ------------------------------------------------------------------------

_TOOL_ERROR_MODULES = (
    "fastmcp.exceptions",  # standalone fastmcp (its servers also load mcp's)
    "mcp.server.mcpserver.exceptions",  # mcp 2.x MCPServer
    "mcp.server.fastmcp.exceptions",  # mcp 1.x FastMCP
)


def _refuse(call: _Call, message: str) -> object:
    types: Any = sys.modules.get("mcp.types")
    if call.handler.lowlevel and hasattr(types, "CallToolResult"):
        # A low-level mcp 2.x server turns a raised exception into a protocol error, not
        # an error result; both 1.x and 2.x pass a returned CallToolResult through.
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=message)], isError=True
        )
    raise _rejected(message)


def _rejected(message: str) -> Exception:
    """The refusal to raise: the framework's ToolError too, when one is loaded, so the
    client gets the message as an error result."""
    tool_error = _tool_error_class()
    return (_rejection_class(tool_error) if tool_error else Rejected)(message)


def _tool_error_class() -> type[Exception] | None:
    """The running framework's ToolError: the first of their modules already
    imported."""
    for module_name in _TOOL_ERROR_MODULES:
        base = getattr(sys.modules.get(module_name), "ToolError", None)
        if isinstance(base, type) and issubclass(base, Exception):
            return base
    return None


@functools.cache
def _rejection_class(tool_error: type[Exception]) -> type[Exception]:
    # The framework sends a ToolError's message as the error result (mcp 2.x masks any
    # other exception's), and code around the server can still catch Rejected.
    return type("Rejected", (tool_error, Rejected), {"__module__": __name__})


# --- authentication (phase 4) ---------------------------------------------------------

_S = TypeVar("_S")


def published(server: _S) -> _S:
    """`server` itself, as phase 4 serves it (it wraps each server's construction).

    Each HTTP app the server builds (`streamable_http_app`, `sse_app`, fastmcp's
    `http_app`, and so `run()` over HTTP) gets AuthGate in front of its routes. On a
    framework that publishes no request context (mcp 2.x's MCPServer and low-level
    Server) it also adds a middleware to the server's own chain that records the
    request context while the rest of the chain runs, for the decorators. Calling it
    again changes nothing; an object of no MCP framework is returned untouched."""
    chain = getattr(server, "middleware", None)
    if (
        type(server).__module__.startswith("mcp.server.")
        and isinstance(chain, list)
        and not any(getattr(m, "_harden_publishes", False) for m in chain)
    ):
        chain.append(_publish_request)
    if type(server).__module__.partition(".")[0] in _FRAMEWORKS:
        _gate_http_apps(server)
    return server


async def _publish_request(ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
    token = _published_request.set(ctx)
    try:
        return await call_next(ctx)
    finally:
        _published_request.reset(token)


_publish_request._harden_publishes = True  # type: ignore[attr-defined]

# The methods that build a server's HTTP app, on every SDK line: mcp 1.x FastMCP and
# mcp 2.x (MCPServer and the low-level Server) `streamable_http_app` and `sse_app`,
# fastmcp `http_app`. Their `run()` builds its app through them too.
_HTTP_APP_BUILDERS = ("streamable_http_app", "sse_app", "http_app")


def _gate_http_apps(server: object) -> None:
    """Have each HTTP app `server` builds put AuthGate in front of its routes."""
    for name in _HTTP_APP_BUILDERS:
        build = getattr(server, name, None)
        if not callable(build) or getattr(build, "_harden_gated", False):
            continue

        @functools.wraps(build)
        def gated(*args: Any, _build: Callable[..., Any] = build, **kwargs: Any) -> Any:
            app = _build(*args, **kwargs)
            with contextlib.suppress(AttributeError, RuntimeError, TypeError):
                # Starlette's own list: the app stays the object the SDK returns.
                app.add_middleware(AuthGate)
            return app

        gated._harden_gated = True  # type: ignore[attr-defined]
        with contextlib.suppress(AttributeError, TypeError):
            setattr(server, name, gated)


# A request body read to name the method of a refused request, at most: the rest is
# passed on unread.
_MAX_PEEK_BYTES = 65536
_METADATA_PATH = "/.well-known/oauth-protected-resource"
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


class AuthGate:
    """The ASGI middleware phase 4 puts in front of a server's HTTP routes.

    AUTH_MODE=enforce: a request without a good bearer token is answered the way the
    MCP authorization spec has a resource server answer, before the SDK sees it: 401
    with `WWW-Authenticate: Bearer` (and `resource_metadata` when
    HARDEN_AUTH_RESOURCE_URL is set), or 403 `insufficient_scope` for a good token
    without the required scopes; `AUTH_REJECTED` is logged with the JSON-RPC method.
    Shadow and soft: every request goes on exactly as it came, and a bad token logs
    `AUTH_WOULD_REJECT` once, whatever the request (tool calls, initialize, listings,
    the event stream); soft also tells the client in response headers. The verdict is
    left in the request's scope, where the tool decorators take it instead of judging
    the token again. With HARDEN_AUTH_RESOURCE_URL, the RFC 9728 protected-resource
    metadata is served at /.well-known/oauth-protected-resource (and that path followed
    by the URL's path)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope.get("type") != "http" or _preflight(scope):
            # CORS preflights carry no credentials, by the Fetch standard.
            await self.app(scope, receive, send)
            return
        settings = _settings()
        resource = settings.auth_resource_url
        if resource and scope.get("path") in _metadata_paths(resource):
            await _send_json(send, 200, _resource_metadata(settings), {})
            return
        match = _BEARER.fullmatch(_header(scope, b"authorization") or "")
        token = match[1] if match else None
        digest = hashlib.sha256(token.encode()).hexdigest() if token else None
        reason = _judge_here(token, digest, settings)
        if reason is _ASK_VERIFIER and token:
            import asyncio  # the server's loop must not wait on the user's verifier

            reason = await asyncio.to_thread(_judge_verified, token, settings)
        # The tool decorators take this verdict instead of judging the token again.
        scope[_GATE_VERDICT] = reason
        if reason is None:
            await self.app(scope, receive, send)
            return
        messages = await _peek(receive)
        method, tool = _jsonrpc_call(messages)
        method_name = method or f"HTTP {scope.get('method')}"[:_MAX_ID_LENGTH]
        fields = _auth_fields(method_name, reason, digest, settings)
        caller = _caller_of(_Headers(scope))
        if settings.auth_mode == "enforce":
            _log("AUTH_REJECTED", tool, caller, **fields)
            await _send_refusal(send, reason, settings)
            return
        if settings.auth_mode == "soft":
            fields["enforce_after"] = settings.auth_enforce_after
            send = _with_headers(send, _soft_notice(settings))
        _log("AUTH_WOULD_REJECT", tool, caller, **fields)
        await self.app(scope, _replaying(messages, receive), send)


# Where the gate leaves its verdict in the ASGI scope: the reason, None for good.
_GATE_VERDICT = "harden.auth"


def _preflight(scope: Mapping[str, Any]) -> bool:
    return scope.get("method") == "OPTIONS" and (
        _header(scope, b"access-control-request-method") is not None
    )


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    """The first value of header `name` (lowercase), as Starlette reads it."""
    for key, value in scope.get("headers") or ():
        if bytes(key).lower() == name:
            return bytes(value).decode("latin-1")
    return None


class _Headers:
    """What _caller_of reads of a request, from an ASGI scope."""

    def __init__(self, scope: Mapping[str, Any]) -> None:
        self._headers: dict[str, str] = {}
        for key, value in scope.get("headers") or ():
            name = bytes(key).decode("latin-1").lower()
            self._headers.setdefault(name, bytes(value).decode("latin-1"))
        query = bytes(scope.get("query_string") or b"").decode("latin-1")
        self.query_params = dict(
            (name, unquote(value))
            for name, _, value in (p.partition("=") for p in query.split("&") if p)
        )
        client = scope.get("client")
        self.client = types.SimpleNamespace(host=client[0] if client else None)
        self.headers = self

    def get(self, name: str) -> str | None:
        return self._headers.get(name)


async def _peek(
    receive: Callable[[], Awaitable[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """The request's first messages, up to _MAX_PEEK_BYTES of body."""
    messages: list[dict[str, Any]] = []
    size = 0
    while size < _MAX_PEEK_BYTES:
        message = await receive()
        messages.append(message)
        size += len(message.get("body", b""))
        if message.get("type") != "http.request" or not message.get("more_body"):
            break
    return messages


def _replaying(
    messages: list[dict[str, Any]], receive: Callable[[], Awaitable[dict[str, Any]]]
) -> Callable[[], Awaitable[dict[str, Any]]]:
    pending = deque(messages)

    async def replay() -> dict[str, Any]:
        return pending.popleft() if pending else await receive()

    return replay


def _jsonrpc_call(messages: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """(method, tool name of a tools/call) of the JSON-RPC message the body holds (the
    first of a batch), if the whole body was read and is one."""
    if not messages or messages[-1].get("more_body"):
        return None, None
    try:
        body = json.loads(b"".join(m.get("body", b"") for m in messages))
    except (ValueError, RecursionError):
        return None, None
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, dict) or not isinstance(body.get("method"), str):
        return None, None
    method = body["method"][:_MAX_ID_LENGTH]
    params = body.get("params")
    name = params.get("name") if isinstance(params, dict) else None
    tool = (
        name[:_MAX_ID_LENGTH]
        if method == "tools/call" and isinstance(name, str)
        else None
    )
    return method, tool


def _metadata_paths(resource: str) -> tuple[str, str]:
    """Where RFC 9728 metadata is asked for: the well-known path, alone and followed by
    the resource's path (`/.well-known/oauth-protected-resource/mcp`)."""
    return _METADATA_PATH, _METADATA_PATH + urlsplit(resource).path.rstrip("/")


def _resource_metadata(settings: _Settings) -> dict[str, object]:
    metadata: dict[str, object] = {
        "resource": settings.auth_resource_url,
        "bearer_methods_supported": ["header"],
    }
    if settings.auth_issuer:
        metadata["authorization_servers"] = [settings.auth_issuer]
    if settings.auth_scopes:
        metadata["scopes_supported"] = sorted(settings.auth_scopes)
    return metadata


async def _send_refusal(
    send: Callable[[dict[str, Any]], Awaitable[None]], reason: str, settings: _Settings
) -> None:
    """401 or 403 with the `WWW-Authenticate` challenge of RFC 6750 and RFC 9728."""
    if reason == "INSUFFICIENT_SCOPE":
        status, error = 403, "insufficient_scope"
        description = "The bearer token lacks a scope this server requires."
    else:
        status, error = 401, "invalid_token"
        description = "Authentication required: send a valid bearer token."
    body = {"error": error, "error_description": description}
    challenge = _challenge(error, description, settings)
    await _send_json(send, status, body, {"www-authenticate": challenge})


def _challenge(error: str, description: str, settings: _Settings) -> str:
    parts = [f'error="{error}"', f'error_description="{description}"']
    # Only scope-tokens of RFC 6750 fit the header; a scope that is none is still
    # required of tokens, and not named here.
    scopes = sorted(s for s in settings.auth_scopes if _SCOPE_TOKEN.fullmatch(s))
    if scopes:
        parts.append(f'scope="{" ".join(scopes)}"')
    if settings.auth_resource_url:
        metadata = _metadata_paths(settings.auth_resource_url)[1]
        url = urlsplit(settings.auth_resource_url)
        parts.append(f'resource_metadata="{url.scheme}://{url.netloc}{metadata}"')
    return "Bearer " + ", ".join(parts)


def _soft_notice(settings: _Settings) -> list[tuple[bytes, bytes]]:
    """The headers telling a client in soft mode that its credentials will be required:
    a `WWW-Authenticate` challenge (HTTP allows one on any response, to say credentials
    would change it) and, for a HARDEN_AUTH_ENFORCE_AFTER date, `Sunset` (RFC 8594)."""
    day = _date(settings.auth_enforce_after)
    description = "Credentials will be required"
    description += f" after {day.date().isoformat()}." if day else "."
    notice = [("www-authenticate", _challenge("invalid_token", description, settings))]
    if day is not None:
        notice.append(("sunset", email.utils.format_datetime(day, usegmt=True)))
    return [(name.encode(), value.encode("latin-1")) for name, value in notice]


def _date(text: str | None) -> datetime.datetime | None:
    """HARDEN_AUTH_ENFORCE_AFTER as a UTC time, if it is an ISO 8601 date or time."""
    try:
        day = datetime.datetime.fromisoformat(text or "")
        if day.tzinfo is None:
            day = day.replace(tzinfo=datetime.UTC)
        return day.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        return None


def _with_headers(
    send: Callable[[dict[str, Any]], Awaitable[None]],
    headers: list[tuple[bytes, bytes]],
) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def sending(message: dict[str, Any]) -> None:
        if message.get("type") == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *headers]}
        await send(message)

    return sending


async def _send_json(
    send: Callable[[dict[str, Any]], Awaitable[None]],
    status: int,
    body: object,
    headers: Mapping[str, str],
) -> None:
    data = json.dumps(body).encode()
    fields = {
        "content-type": "application/json",
        "content-length": str(len(data)),
        **headers,
    }
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode(), v.encode("latin-1")) for k, v in fields.items()],
        }
    )
    await send({"type": "http.response.body", "body": data})


AUTH_MODES = ("shadow", "soft", "enforce")
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr][ \t]+(\S+)[ \t]*")
_JWT_LEEWAY_SECONDS = 30
_AUTH_REFUSALS = {
    "INSUFFICIENT_SCOPE": "The bearer token lacks the scope this tool requires.",
}
_AUTH_REFUSAL = "Authentication required: send a valid bearer token."


def _check_auth(call: _Call, settings: _Settings) -> object | None:
    try:
        request = _http_request(call)
    except Exception:
        request = None
    if request is None:
        return None  # stdio or in memory: no request to judge
    if _authenticated_by_server(request):
        return None
    scope = getattr(request, "scope", None)
    gate: Mapping[str, Any] = scope if isinstance(scope, Mapping) else {}
    judged = _GATE_VERDICT in gate
    # harden's gate judged this request and logged a bad token, with the tool: its
    # verdict stands, and only enforce has anything left to do.
    if judged and (gate[_GATE_VERDICT] is None or settings.auth_mode != "enforce"):
        return None
    headers = getattr(request, "headers", None)
    header = headers.get("authorization") if headers is not None else None
    match = _BEARER.fullmatch(header) if isinstance(header, str) else None
    token = match[1] if match else None
    digest = hashlib.sha256(token.encode()).hexdigest() if token else None
    reason = gate[_GATE_VERDICT] if judged else _judge_token(token, digest, settings)
    if reason is None:
        return None
    fields = _auth_fields("tools/call", reason, digest, settings)
    if settings.auth_mode == "enforce":
        _log_event("AUTH_REJECTED", call, **fields)
        return _refuse(call, _AUTH_REFUSALS.get(reason, _AUTH_REFUSAL))
    if settings.auth_mode == "soft":
        fields["enforce_after"] = settings.auth_enforce_after
    _log_event("AUTH_WOULD_REJECT", call, **fields)
    return None


def _auth_fields(
    method: str, reason: str, digest: str | None, settings: _Settings
) -> dict[str, object]:
    """The fields of an AUTH_REJECTED or AUTH_WOULD_REJECT line."""
    return {
        "method": method,
        "reason": reason,
        # A short hash prefix tells a rotated token from a stolen one's retries: never
        # more of it.
        "token": digest[:8] if digest else None,
        "mode": settings.auth_mode,
    }


def _authenticated_by_server(request: Any) -> bool:
    """Whether the server's own authentication (an SDK's `auth=`/`token_verifier=`) let
    this request in: it judged the token already, with settings harden does not know."""
    scope = getattr(request, "scope", None)
    user = scope.get("user") if isinstance(scope, Mapping) else None
    return getattr(user, "access_token", None) is not None


def _judge_token(
    token: str | None, digest: str | None, settings: _Settings
) -> str | None:
    """Why the token would be refused (None: it is good); `digest`: its SHA-256."""
    reason = _judge_here(token, digest, settings)
    if reason is _ASK_VERIFIER and token:
        return _judge_verified(token, settings)
    return reason


# What _judge_here answers when only the user's verifier can tell.
_ASK_VERIFIER = "ASK_VERIFIER"


def _judge_here(
    token: str | None, digest: str | None, settings: _Settings
) -> str | None:
    """_judge_token's answer from static tokens and JWTs, or _ASK_VERIFIER."""
    if not token or not digest:
        return "MISSING_TOKEN"
    # Every configured digest is compared, each in constant time.
    if sum(hmac.compare_digest(digest, known) for known in settings.auth_token_digests):
        return None
    if settings.auth_jwt_secret is not None and token.count(".") == 2:
        return _judge_jwt(token, settings)
    if settings.auth_verifier:
        return _ASK_VERIFIER
    return "INVALID_TOKEN"


def _judge_jwt(token: str, settings: _Settings) -> str | None:
    header_part, payload_part, signature_part = token.split(".")
    try:
        header = json.loads(_base64url(header_part))
        payload = json.loads(_base64url(payload_part))
        signature = _base64url(signature_part)
    except ValueError:
        return "INVALID_TOKEN"
    if not (isinstance(header, dict) and isinstance(payload, dict)):
        return "INVALID_TOKEN"
    if header.get("alg") != "HS256":
        return "INVALID_TOKEN"  # never "none", never another key's algorithm
    secret = settings.auth_jwt_secret or b""
    signed = f"{header_part}.{payload_part}".encode("ascii", "replace")
    expected = hmac.new(secret, signed, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        return "INVALID_TOKEN"
    now = time.time()
    expires, not_before = payload.get("exp"), payload.get("nbf")
    if expires is not None and not _is_number(expires):
        return "INVALID_TOKEN"
    if not_before is not None and not _is_number(not_before):
        return "INVALID_TOKEN"
    if not_before is not None and now < not_before - _JWT_LEEWAY_SECONDS:
        return "INVALID_TOKEN"
    if settings.auth_issuer and payload.get("iss") != settings.auth_issuer:
        return "INVALID_TOKEN"
    if expires is not None and now >= expires + _JWT_LEEWAY_SECONDS:
        return "EXPIRED"
    audience = payload.get("aud")
    audiences = [audience] if isinstance(audience, str) else audience
    if not isinstance(audiences, list) or settings.auth_audience.isdisjoint(
        a for a in audiences if isinstance(a, str)
    ):
        return "WRONG_AUDIENCE"
    return _judge_scopes(payload.get("scope", payload.get("scp")), settings)


@_as_runtime  # the operator's verifier (its network, its files) is not the tool's
def _judge_verified(token: str, settings: _Settings) -> str | None:
    verify = _verifier(settings.auth_verifier)
    if verify is None:
        return "INVALID_TOKEN"
    try:
        verified = verify(token)
        if inspect.isawaitable(verified):
            verified = _run_to_completion(verified)
    except Exception:
        return "INVALID_TOKEN"  # a verifier that fails refuses; it never fails the call
    if not verified:
        return "INVALID_TOKEN"
    if verified is True:
        return None
    expires = _claim(verified, "expires_at")
    if _is_number(expires) and time.time() >= expires:
        return "EXPIRED"
    resource = _claim(verified, "resource")
    audiences = {a.rstrip("/") for a in settings.auth_audience}
    if (
        isinstance(resource, str)
        and audiences
        and resource.rstrip("/") not in audiences
    ):
        return "WRONG_AUDIENCE"
    return _judge_scopes(_claim(verified, "scopes"), settings)


def _judge_scopes(granted: object, settings: _Settings) -> str | None:
    if not settings.auth_scopes:
        return None
    if isinstance(granted, str):
        granted = granted.split()
    have = (
        {s for s in granted if isinstance(s, str)}
        if isinstance(granted, (list, tuple, set, frozenset))
        else set()
    )
    return None if settings.auth_scopes <= have else "INSUFFICIENT_SCOPE"


def _claim(verified: object, name: str) -> object:
    if isinstance(verified, Mapping):
        return verified.get(name)
    return getattr(verified, name, None)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _base64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _verifier(spec: str) -> Callable[[str], Any] | None:
    """The function HARDEN_AUTH_VERIFIER names, imported once; None (said once in the
    log) when it cannot be."""
    cached = _state.verifiers.get(spec)
    if cached is not None or spec in _state.verifiers:
        return cached
    module_name, _, name = spec.partition(":")
    try:
        found = getattr(importlib.import_module(module_name), name)
        if not callable(found):
            raise TypeError(f"{spec} is not callable")
    except Exception as error:
        _config_error(_state, "HARDEN_AUTH_VERIFIER", error)
        found = None
    _state.verifiers[spec] = found
    return found


def _run_to_completion(awaitable: Awaitable[Any]) -> Any:
    """An async verifier's answer, from a synchronous check: awaited on an event loop of
    its own, in a thread, as the server's loop is busy running this call."""

    import asyncio  # only for an async verifier; the servers using one have it loaded

    async def wait() -> Any:
        return await awaitable

    answer: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            answer.append(asyncio.run(wait()))
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=run, name="harden-auth-verifier", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return answer[0]


def _check_rate(call: _Call, settings: _Settings) -> object | None:
    limit = settings.rate_limit_rpm
    if limit <= 0 or _state.windows.admit(
        (call.caller, call.tool), _state.clock(), limit
    ):
        return None
    if settings.enforce_rate_limits:
        _log_event("RATE_LIMIT_ENFORCED", call, limit_rpm=limit)
        return _refuse(call, "Rate limit exceeded for this tool; retry later.")
    _log_event("RATE_LIMIT_WOULD_THROTTLE", call, limit_rpm=limit)
    return None


def _check_arguments(call: _Call, settings: _Settings) -> object | None:
    for param, rule in _violations(call, settings):
        if settings.enforce_validation:
            _log_event("VALIDATION_REJECTED", call, rule=rule, param=param)
            # The parameter's name helps a legitimate client correct itself; a low-level
            # server's argument names come from the client, so only a plain name is
            # repeated.
            named = f" '{param}'" if param.isidentifier() and len(param) <= 64 else ""
            return _refuse(call, f"Argument{named} was rejected by input validation.")
        _log_event("VALIDATION_WOULD_REJECT", call, rule=rule, param=param)
    return None


# --- errors (phase 5): a reference for the client, the detail for the server log ------

ERROR_DETAIL_EVENT = "TOOL_ERROR_DETAIL"


def _shared_variable(name: str) -> contextvars.ContextVar[Any]:
    """A context variable of the whole process: a project holds a copy of this module
    in each folder of hardened modules, and a handler of one folder called by a handler
    of another is still a call within a call (`current_call`), a request one copy
    published is the request of every copy's handlers (`published_request`)."""
    holder = sys.modules.get(_SHARED_STATE)
    if holder is None:
        fresh = types.ModuleType(
            _SHARED_STATE, "State shared by harden_runtime copies."
        )
        holder = sys.modules.setdefault(_SHARED_STATE, fresh)
    # An older copy may have made the holder without this variable.
    variable = contextvars.ContextVar(f"harden_runtime_{name}", default=None)
    return cast(contextvars.ContextVar[Any], holder.__dict__.setdefault(name, variable))


_SHARED_STATE = "_harden_runtime_shared"
# The decorated handler call in progress, so that error_ref() can name its tool and
# caller.
_current_call: contextvars.ContextVar[_Call | None] = _shared_variable("current_call")
# The request context of the request being served, on a framework that publishes none
# (mcp 2.x), put there by the middleware `published()` registers.
_published_request: contextvars.ContextVar[Any] = _shared_variable("published_request")
# True while the runtime itself works (writes a log line, reads its settings): the audit
# hook counts none of that as the tool's.
_runtime_busy: contextvars.ContextVar[Any] = _shared_variable("runtime_busy")
# What a handler raises on purpose, for the client to read; the frameworks send these as
# they are (fastmcp passes its own FastMCPError subclasses through even with
# mask_error_details).
_DELIBERATE_ERRORS = (
    ("fastmcp.exceptions", "FastMCPError"),
    ("mcp.server.mcpserver.exceptions", "ToolError"),
    ("mcp.server.fastmcp.exceptions", "ToolError"),
    ("mcp.shared.exceptions", "McpError"),  # mcp 1.x: a JSON-RPC error the author chose
    ("mcp.shared.exceptions", "MCPError"),  # its mcp 2.x name
)
# Exceptions whose text names what was wrong with the client's own input: pydantic's
# ValidationError (a tool validating its arguments, or a model built from them).
_NAME_BYTES = 128  # longer tool, caller and argument names are bounded (_bounded)
_VALUE_DEPTH = (
    4  # how deep validate looks into the containers and models a tool receives
)
_CLIENT_ERRORS = frozenset({"pydantic_core._pydantic_core.ValidationError"})
_REF_ATTRIBUTE = "_harden_error_ref"


def error_ref(error: BaseException | None = None, detail: object = None) -> str:
    """The text a client gets in place of an exception's: `internal error (ref
    3f9c2a1b4d5e)`.

    The exception goes to stderr instead, as one JSON line with the same ref:

    {"ts":"…","event":"TOOL_ERROR_DETAIL","ref":"3f9c2a1b4d5e","tool":"query","caller":"local",
     "exception":"sqlite3.OperationalError","message":"no such table: users",
     "traceback":"Traceback (most recent call last): …"}

    `error` defaults to the exception being handled, as traceback.format_exc() reads
    it. `detail` is the part of it a message showed (`e.stderr`), logged as "detail".
    `tool` and `caller` are there when a decorated handler is running. An exception
    keeps its ref: asking again returns the same one, logging again only to add a
    detail."""
    if error is None:
        error = sys.exc_info()[1]
    ref = _safely(lambda: getattr(error, _REF_ATTRIBUTE, None), None)
    if ref is None or detail is not None:
        ref = ref or os.urandom(6).hex()
        _log_error(ref, error, detail)
    return f"internal error (ref {ref})"


@overload
def mask_errors(fn: _F, /) -> _F: ...
@overload
def mask_errors(
    *, tool: str | None = None, lowlevel: bool = False, keep: Iterable[str] = ()
) -> Callable[[_F], _F]: ...
def mask_errors(
    fn: _F | None = None,
    /,
    *,
    tool: str | None = None,
    lowlevel: bool = False,
    keep: Iterable[str] = (),
) -> _F | Callable[[_F], _F]:
    """Give the client a ref, not the text, of an exception the handler did not raise
    for it.

    mcp 1.x, fastmcp (without `mask_error_details=True`) and mcp 1.x low-level
    servers send the text of any exception a tool raises. Under this decorator such
    an exception, raised while the framework serves a client's request, is logged as
    error_ref() logs it and replaced by the framework's ToolError (raised from it)
    whose message is error_ref()'s text, so the client still gets an error result.
    What the handler raised on purpose passes unchanged: the framework's ToolError
    (fastmcp: any FastMCPError), an McpError, and validate's or rate_limit's
    rejections; so do exceptions that are not Exceptions (cancellation), and every
    exception of a direct call (a test, another module), which sees the handler as
    written. So do exceptions whose text is written for the client: pydantic's
    ValidationError (it names the invalid argument), and the project's own classes
    harden proved are raised only with such messages, given as `keep` by their file's
    path and name (`src.pkg.errors.PolicyError`; an exception whose class's module
    and name end one of them, or derives from such a class, is kept). mcp 2.x
    publishes no request context and needs none of this: it hides such text itself."""
    return _decorator(fn, "mask_errors", tool, lowlevel, tuple(keep))


def _masked(call: _Call, error: BaseException) -> Exception | None:
    """What a call of a mask_errors handler raises in place of `error`; None: `error`
    itself."""
    if not call.handler.mask_errors or not isinstance(error, Exception):
        return None
    if isinstance(error, Rejected) or _request_context() is None:
        return None
    for module_name, name in _DELIBERATE_ERRORS:
        deliberate = getattr(sys.modules.get(module_name), name, None)
        if isinstance(deliberate, type) and isinstance(error, deliberate):
            return None
    if _written_for_client(type(error), call.handler.keep):
        return None
    # A low-level mcp 1.x server sends any exception's text: one without a ToolError
    # loaded still gets the generic one.
    return (_tool_error_class() or RuntimeError)(error_ref(error))


def _bounded(text: str) -> str:
    """`text`, or for a long one its start and a digest: distinct names stay
    distinct, and a client cannot make the runtime keep (or log) megabytes per name."""
    if len(text) <= _NAME_BYTES:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]
    return f"{text[:64]}…{digest}"


def _written_for_client(kind: type, keep: tuple[str, ...]) -> bool:
    for cls in kind.__mro__:
        name = f"{cls.__module__}.{cls.__qualname__}"
        if name in _CLIENT_ERRORS or any(
            k == name or k.endswith("." + name) for k in keep
        ):
            return True
    return False


@_as_runtime
def _log_error(ref: str, error: BaseException | None, detail: object) -> None:
    record: dict[str, object] = {
        "ts": _timestamp(),
        "event": ERROR_DETAIL_EVENT,
        "ref": ref,
    }
    call = _current_call.get()
    if call is not None:
        record["tool"] = call.tool
        record["caller"] = call.caller
    if error is None:
        record.update(exception=None, message=None, traceback=None)
    else:
        kind = type(error)
        record["exception"] = (
            kind.__qualname__
            if kind.__module__ == "builtins"
            else f"{kind.__module__}.{kind.__qualname__}"
        )
        record["message"] = _safely(lambda: str(error), "<unprintable>")
        record["traceback"] = _safely(
            lambda: "".join(traceback.format_exception(error)), None
        )
        # Remembered on the exception itself (exceptions take no weak references); one
        # without a __dict__ gets a fresh ref each time.
        _safely(lambda: setattr(error, _REF_ATTRIBUTE, ref), None)
    if detail is not None:
        record["detail"] = _safely(lambda: str(detail), "<unprintable>")
    _write(record)


_T = TypeVar("_T")


def _safely(compute: Callable[[], _T], fallback: _T) -> _T:
    # An exception's own __str__ or attributes can raise; reporting it must never fail
    # the call.
    try:
        return compute()
    except Exception:
        return fallback


# --- secrets in results (phase 5): warn, redact under ENFORCE_SECRET_MASKING ---------

WOULD_REDACT_EVENT = "SECRET_WOULD_REDACT"
_REDACTED_EVENT = "SECRET_REDACTED"
# An environment variable whose name ends so (or says PASSWORD or SECRET anywhere) holds
# a secret: its value must not reach a client.
_SECRET_NAME = re.compile(
    # Not where a name only says where or which a secret is (PASSWORD_STORE_DIR,
    # AWS_ACCESS_KEY_ID, DB_PASSWORD_FILE).
    r"^(?!.*_(?:DIR|PATH|FILE|HOME|ID|NAME|URL|URI|HOST|PORT|USER|USERNAME|REGION"
    r"|TYPE|MODE)$)"
    r"(?:.*(?:^|_)(?:KEY|KEYS|APIKEY|TOKEN|TOKENS|SECRET|SECRETS|PASS|PASSWD|PWD|DSN"
    r"|CREDENTIAL|CREDENTIALS|COOKIE|AUTH)$|.*PASSWORD|.*SECRET)"
)
_NOT_SECRET_NAMES = frozenset(
    # The shell's working directories; the public key id of official Python images;
    # harden's own allow-list.
    {"PWD", "OLDPWD", "GPG_KEY", "HARDEN_SECRET_ALLOW"}
)
_MIN_SECRET_LENGTH = 8  # shorter values (DEBUG=1, PORT=8080) would mask ordinary text
# Values no secret has, and that ordinary text is full of: a path (a credentials
# file's), a number, a short lowercase word (SORT_KEY=customer_id).
_NOT_SECRET_VALUE = re.compile(r"(?:[/~]|\.{1,2}/|[A-Za-z]:\\).*|\d+|[a-z_.-]{1,19}")
_SECRET_DEPTH = 8  # how deep the check looks into a result's containers and models


@dataclasses.dataclass(frozen=True)
class _Shape:
    """A well-known kind of credential, found by its form wherever it comes from."""

    name: str  # what a redaction says: [redacted:NAME]
    # Characters every match holds: `in` finds one character with memchr, 50 times
    # faster than a word, so a text without them costs a fraction of a microsecond.
    needs: str
    # Each starts with a literal, so `re` finds its candidates as fast as `in` would (a
    # lookbehind or an alternation first would make it try every position of the text).
    patterns: tuple[re.Pattern[str], ...]
    keep: bool = False  # the match's first group stays (a URL's user name)
    # A match right after one of these characters is part of a longer word: no token.
    after_word: str = ""
    # How much of a match is the credential (0: none): for a pattern that only finds
    # candidates, so that it never backtracks on text a client can shape.
    measure: Callable[[str], int] | None = None

    def search(self, text: str) -> bool:
        return all(char in text for char in self.needs) and any(
            pattern.search(text) for pattern in self.patterns
        )

    def redact(self, text: str, allowed: frozenset[str]) -> tuple[str, int]:
        """`text` with each match replaced (but HARDEN_SECRET_ALLOW's); how many."""
        label = f"[redacted:{self.name}]"
        replaced = 0

        def replace(match: re.Match[str]) -> str:
            nonlocal replaced
            start, whole = match.start(), match[0]
            length = self.measure(whole) if self.measure else len(whole)
            secret = match[2] if self.keep else whole[:length]
            if (
                not length
                or secret in allowed
                or secret.startswith("[redacted:")  # redacted already
                or (start and text[start - 1] in self.after_word)
            ):
                return whole
            replaced += 1
            if self.keep:
                return f"://{match[1]}:{label}@"
            return label + whole[length:]

        for pattern in self.patterns:
            text = pattern.sub(replace, text)
        return text, replaced


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _jwt_length(run: str) -> int:
    """The length of the JWT `run` starts with (header.payload.signature, the first two
    base64url JSON objects), or 0."""
    parts = run.split(".", 3)
    if len(parts) < 3 or not parts[1].startswith("eyJ"):
        return 0
    if len(parts[0]) < 11 or len(parts[1]) < 11:
        return 0
    return len(parts[0]) + len(parts[1]) + len(parts[2]) + 2


_SHAPES = (
    _Shape(
        "PRIVATE_KEY",
        "GBK-",
        (
            # The body (base64, blanks, PEM headers) cannot run into a marker, and the
            # end marker is optional: no backtracking, however many headers there are.
            re.compile(
                r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----"
                r"(?:[A-Za-z0-9+/=\s:,.]|-(?!----)){0,20000}"
                r"(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----)?"
            ),
        ),
    ),
    _Shape(
        "AWS_ACCESS_KEY",
        "IA",
        tuple(
            re.compile(prefix + r"[A-Z0-9]{16}(?![A-Z0-9])")
            for prefix in ("AKIA", "ASIA")
        ),
        after_word=_ALNUM,
    ),
    _Shape(
        "GITHUB_TOKEN",
        "_h",
        (
            re.compile(r"gh[pousr]_[A-Za-z0-9]{36,255}"),
            re.compile(r"github_pat_[A-Za-z0-9_]{22,255}"),
        ),
        after_word=_ALNUM + "_",
    ),
    _Shape(
        "SLACK_TOKEN",
        "-x",
        (re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,250}"),),
        after_word=_ALNUM,
    ),
    _Shape(
        "SLACK_TOKEN",
        ":k",
        (re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{10,250}"),),
    ),
    _Shape(
        "JWT",
        "J.",
        # A whole run of the token alphabet at once (a match ends where the next begins,
        # so a long run is read once); _jwt_length says whether it starts with a JWT.
        (re.compile(r"eyJ[A-Za-z0-9_.-]{0,16384}"),),
        after_word=_ALNUM + "_-",
        measure=_jwt_length,
    ),
    _Shape(
        "URL_PASSWORD",
        "@:",
        # The user and password of a URL's authority (`postgres://app:s3cret@db`): the
        # password is replaced.
        # Neither part holds a quote or a backslash: a URL in compact JSON or a repr
        # ends at its closing quote, and never runs into the next field.
        (re.compile(r"://([^/\s:@\"'\\]{0,256}):([^/\s@\"'\\]{1,256})@"),),
        keep=True,
    ),
)


def _secret_settings(enforce: str | None, allow: str | None) -> dict[str, Any]:
    allowed = frozenset(entry.strip() for entry in _split(allow, ","))
    found: dict[str, str] = {}
    for name, value in os.environ.items():
        upper = name.upper()
        if (
            len(value) < _MIN_SECRET_LENGTH
            or upper in _NOT_SECRET_NAMES
            or name in allowed
            or value in allowed
            or _NOT_SECRET_VALUE.fullmatch(value)
            or not _SECRET_NAME.search(upper)
        ):
            continue
        found.setdefault(value, name)
        # As a JSON string shows it (a dumped config): quotes and backslashes escaped.
        escaped = json.dumps(value)[1:-1]
        found.setdefault(escaped, name)
    ordered = sorted(found.items(), key=lambda item: -len(item[0]))
    return {
        "enforce_secret_masking": _flag(enforce, False),
        "secrets": tuple((text, name, _probe(text)) for text, name in ordered),
        "secret_allow": allowed,
    }


def _probe(text: str) -> str:
    """The character of `text` least likely in ordinary text: one `in` test (memchr)
    rules most results out before the whole value is searched for."""
    return min(text, key=lambda char: (char.islower() or char == " ", char.isdigit()))


@overload
def mask_secrets(fn: _F, /) -> _F: ...
@overload
def mask_secrets(
    *, tool: str | None = None, lowlevel: bool = False
) -> Callable[[_F], _F]: ...
def mask_secrets(
    fn: _F | None = None, /, *, tool: str | None = None, lowlevel: bool = False
) -> _F | Callable[[_F], _F]:
    """Look for secrets in what the handler returns to a client.

    A secret is the value of an environment variable whose name says it holds one
    (`*_KEY`, `*_TOKEN`, `*_SECRET`, `*PASSWORD*`, `*_DSN`, `*_PASS`, `*_CREDENTIALS`,
    ...) and at least 8 characters long, or a credential of a well-known form wherever
    it comes from: a private-key block, an AWS access key id, a GitHub or Slack token, a
    JWT, the password of a URL. HARDEN_SECRET_ALLOW (comma-separated) names variables,
    or gives values, that are not secrets. The check reads text, JSON-able structures,
    models and dataclasses, and structured content, eight levels deep (not bytes).

    Each kind found in a result is logged once per call, never with its value:

    {"ts":"…","event":"SECRET_WOULD_REDACT","tool":"get_config","caller":"local",
     "kind":"env","name":"OPENAI_API_KEY","count":1}

    (`kind` is "env" with the variable's `name`, or the form's name: PRIVATE_KEY,
    AWS_ACCESS_KEY, GITHUB_TOKEN, SLACK_TOKEN, JWT, URL_PASSWORD) and the result goes
    out as it was. With ENFORCE_SECRET_MASKING=true the line says `SECRET_REDACTED` and
    each occurrence is replaced by `[redacted:NAME]`: the variable's name, or the
    form's."""
    return _decorator(fn, "mask_secrets", tool, lowlevel)


_WITHHELD = "The result was withheld: it held a secret that could not be redacted."


def _mask_secrets(call: _Call, result: object) -> tuple[object, str | None]:
    """`result`, or under ENFORCE_SECRET_MASKING a copy without the secrets it holds,
    and the message to refuse the call with instead when no such copy can be made;
    logs what it holds. A result it cannot read is returned as it is."""
    settings = _settings()
    found: dict[tuple[str, str | None], int] = {}
    try:
        # Counted in the text a client would read (keys and all, however deep), so the
        # warn-only lines say exactly what enforcing would keep from the client.
        redact = _redactor(settings, _text_of(result), found)
        if redact is None or not found:
            return result, None
    except Exception:
        return result, None
    enforce = settings.enforce_secret_masking
    masked, withheld = result, None
    if enforce:
        masked = _safely(lambda: _redacted(result, redact, 0), None)
        if masked is None or _safely(lambda: _holds_secrets(settings, masked), True):
            masked, withheld = result, _WITHHELD
    event = _REDACTED_EVENT if enforce else WOULD_REDACT_EVENT
    extra = {"withheld": True} if withheld else {}
    for (kind, name), count in found.items():
        _log_event(event, call, kind=kind, name=name, count=count, **extra)
    return masked, withheld


def _holds_secrets(settings: _Settings, value: object) -> bool:
    """Whether a client reading `value` would read a secret (one redaction missed)."""
    found: dict[tuple[str, str | None], int] = {}
    _redactor(settings, _text_of(value), found)
    return bool(found)


def _redactor(
    settings: _Settings, text: str, found: dict[tuple[str, str | None], int]
) -> Callable[[str], str] | None:
    """What replaces the secrets `text` holds in a string (counting them in `found`, for
    `text` already); None when it holds none."""
    # Both spellings of a variable's value (as is, JSON-escaped) once either is.
    names = {
        name
        for secret, name, probe in settings.secrets
        if probe in text and secret in text
    }
    secrets = [(secret, name) for secret, name, _ in settings.secrets if name in names]
    shapes = [shape for shape in _SHAPES if shape.search(text)]
    if not secrets and not shapes:
        return None
    counting = functools.partial(
        _redacted_text,
        secrets=secrets,
        shapes=shapes,
        allowed=settings.secret_allow,
    )
    counting(text, found=found)
    return functools.partial(counting, found={})


def _text_of(result: object) -> str:
    """All the text of `result` in one string, to look for secrets in at C speed: the
    result itself, its JSON, or (for models and other objects) its strings joined."""
    if isinstance(result, str):
        return result
    try:
        return _SECRETS_ENCODER.encode(result)
    except (TypeError, ValueError, RecursionError):
        texts: list[str] = []
        _texts_in(result, texts, 0)
        return "\0".join(texts)


# Non-ASCII stays as it is, so a value is found as the environment holds it.
_SECRETS_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False)


def _texts_in(value: object, texts: list[str], depth: int) -> None:
    if isinstance(value, str):
        texts.append(value)
        return
    if depth >= _SECRET_DEPTH:
        return
    for part in _parts(value).values():
        _texts_in(part, texts, depth + 1)


def _parts(value: object) -> Mapping[Any, Any]:
    """What a result holds that a framework sends: a mapping's values, a sequence's
    items, a model's or dataclass's fields, a framework object's attributes."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, (list, tuple)):
        return dict(enumerate(value))
    kind = type(value)
    fields = _model_fields(value)
    if fields is not None:
        # Private attributes too: fastmcp's ToolResult sends the one it keeps.
        private = getattr(value, "__pydantic_private__", None)
        return {
            **(private if isinstance(private, dict) else {}),
            **{name: getattr(value, name, None) for name in fields},
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if kind.__module__.partition(".")[0] in _FRAMEWORKS and hasattr(value, "__dict__"):
        return vars(value)  # fastmcp's ToolResult: a plain class
    return {}


def _model_fields(value: object) -> Mapping[str, Any] | None:
    """A pydantic model's fields (None: `value` is no model)."""
    fields = getattr(type(value), "model_fields", None)
    return (
        fields if isinstance(fields, Mapping) and hasattr(value, "model_copy") else None
    )


def _redacted(value: object, redact: Callable[[str], str], depth: int) -> object:
    """`value` with `redact` applied to each string it holds (the same object when
    that changed none)."""
    if isinstance(value, str):
        return redact(value)
    if depth >= _SECRET_DEPTH:
        return value
    parts = _parts(value)
    changed = {}
    for key, part in parts.items():
        new = _redacted(part, redact, depth + 1)
        if new is not part:
            changed[key] = new
    if not changed:
        return value
    if isinstance(value, Mapping):
        merged = {**value, **changed}
        return _safely(lambda: type(value)(merged), merged)  # an OrderedDict stays one
    if isinstance(value, (list, tuple)):
        items = [changed.get(index, item) for index, item in enumerate(value)]
        if isinstance(value, list):
            return items
        make = getattr(type(value), "_make", None)  # a named tuple stays one
        return make(items) if make else tuple(items)
    fields = _model_fields(value)
    if fields is not None:
        update = {name: new for name, new in changed.items() if name in fields}
        copied = value.model_copy(update=update)  # type: ignore[attr-defined]
        for name, new in changed.items():
            if name not in fields:
                setattr(copied, name, new)
        return copied
    copied = copy.copy(value)
    for name, new in changed.items():
        # object.__setattr__: a frozen dataclass's fields too.
        object.__setattr__(copied, name, new)
    return copied


def _redacted_text(
    text: str,
    *,
    secrets: list[tuple[str, str]],
    shapes: list[_Shape],
    allowed: frozenset[str],
    found: dict[tuple[str, str | None], int],
) -> str:
    for secret, name in secrets:
        if secret in text:
            key = ("env", name)
            found[key] = found.get(key, 0) + text.count(secret)
            text = text.replace(secret, f"[redacted:{name}]")
    for shape in shapes:
        text, count = shape.redact(text, allowed)
        if count:
            key = (shape.name, None)
            found[key] = found.get(key, 0) + count
    return text


# --- validation rules -----------------------------------------------------------------

_PATH, _URL, _COMMAND = 1, 2, 4
_SHOWN = 8  # a host the tool only shows or resolves (validate(names_only=...)): no SSRF
_PATH_WORDS = frozenset(
    [
        "path",
        "paths",
        "pathname",
        "filepath",
        "file",
        "files",
        "filename",
        "filenames",
        "dir",
        "dirs",
        "dirname",
        "dirpath",
        "directory",
        "directories",
        "folder",
        "folders",
        "root",
        "cwd",
        "workdir",
        "dest",
        "destination",
    ]
)
_URL_WORDS = frozenset(
    [
        "url",
        "urls",
        "uri",
        "uris",
        "endpoint",
        "endpoints",
        "host",
        "hosts",
        "hostname",
        "link",
        "href",
        "webhook",
        "webhooks",
        "callback",
        "proxy",
        "server",
        "address",
        "addresses",
        "addr",
        "domain",
        "origin",
        "redirect",
    ]
)
_COMMAND_WORDS = frozenset(
    ["cmd", "cmds", "command", "commands", "exec", "shell", "args", "argv", "program"]
)
_NAME_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_URL_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*\Z")
_SEPARATORS = re.compile(r"[\\/]")
_BLANK = re.compile(r"\s")
_SHELL_METACHARACTERS = re.compile(r"[;&|`$<>\n\r]")
# The characters of an IP literal (IPv6, IPv4 in any base): a cheap test before parsing.
_ADDRESS_CHARACTERS = re.compile(r"[0-9A-Fa-fxX.:\[\]%]{1,64}")
_PATTERN_CHARACTERS = re.compile(r"[*?\[\]()+^$|\\{}]")
# In a file name `&` and `$` occur ("Tom & Jerry.mp3"); these start another command.
_PATH_METACHARACTERS = re.compile(r"[;|`\n\r]|\$\(")
_UNSAFE_SCHEMES = frozenset(
    {"gopher", "dict", "ldap", "ldaps", "tftp", "jar", "netdoc", "phar"}
)
_INTERNAL_NAMES = frozenset(
    {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "metadata"}
    | {"metadata.google.internal", "instance-data"}
)
_INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain")
_INET_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")


def _kinds(name: str) -> int:
    # Argument names of a low-level call come from the client: only short ones are
    # cached.
    return _cached_kinds(name) if len(name) <= _NAME_BYTES else _kinds_of(name)


@functools.lru_cache(maxsize=4096)
def _cached_kinds(name: str) -> int:
    return _kinds_of(name)


def _kinds_of(name: str) -> int:
    kinds = 0
    for word in _NAME_WORD.findall(name):
        word = word.lower()
        if word in _PATH_WORDS:
            kinds |= _PATH
        if word in _URL_WORDS:
            kinds |= _URL
        if word in _COMMAND_WORDS:
            kinds |= _COMMAND
    return kinds


def _violations(call: _Call, settings: _Settings) -> Iterator[tuple[str, str]]:
    """(parameter, rule) for each parameter with a violation, the first rule it
    breaks."""
    skip = settings.skip_params
    defaults = call.handler.defaults
    if call.handler.roots:
        settings = _with_roots(settings, call.handler.roots)
    for name, value in call.arguments.items():
        if skip and (name in skip or f"{call.tool}:{name}" in skip):
            continue
        if name in defaults and _same(value, defaults[name]):
            # the tool's own default (`path="/"`): its author chose it, not a client
            continue
        kinds = _kinds(name)
        if name in call.handler.shown:
            kinds = (kinds & ~_URL) | _SHOWN
        if settings.named_kinds:
            named = settings.named_kinds
            kinds |= named.get(name, 0) | named.get(f"{call.tool}:{name}", 0)
        rule = _value_rule(value, kinds, settings, _VALUE_DEPTH)
        if rule is not None:
            yield name, rule


# A tool's own roots (validate(roots=...)) -> (the settings, those settings with them
# added): made once per change of the settings, not on every call.
_rooted: dict[tuple[tuple[str, str], ...], tuple[_Settings, _Settings]] = {}


def _with_roots(settings: _Settings, roots: tuple[tuple[str, str], ...]) -> _Settings:
    cached = _rooted.get(roots)
    if cached is None or cached[0] is not settings:
        merged = dataclasses.replace(
            settings, allowed_roots=settings.allowed_roots + roots
        )
        cached = _rooted[roots] = (settings, merged)
    return cached[1]


def _same(value: object, default: object) -> bool:
    try:
        return type(value) is type(default) and bool(value == default)
    except Exception:
        return False


def _value_rule(
    value: object, kinds: int, settings: _Settings, depth: int
) -> str | None:
    """The first rule a value breaks: a string, or what the SDK made of one (a `Path`, a
    pydantic model or dataclass, lists and dicts of them), `depth` levels deep."""
    if isinstance(value, str):
        return _rule(value, kinds, settings)
    if isinstance(value, os.PathLike):
        path = os.fspath(value)
        return _rule(path, kinds | _PATH, settings) if isinstance(path, str) else None
    if (
        depth <= 0
        or isinstance(value, (bytes, bytearray, int, float, bool, type))
        or value is None
    ):
        return None
    items: Iterable[tuple[int, object]]
    if isinstance(value, Mapping):
        # A key names its value too: {"url": ...} inside `options` is URL-like.
        items = (
            (kinds | _kinds(str(key)), item) for key, item in islice(value.items(), 256)
        )
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = ((kinds, item) for item in islice(value, 256))
    else:
        fields = getattr(value, "__dict__", None)  # a model's or dataclass's fields
        if not isinstance(fields, dict):
            return None
        items = (
            (kinds | _kinds(str(key)), item)
            for key, item in islice(fields.items(), 256)
        )
    for item_kinds, item in items:
        rule = _value_rule(item, item_kinds, settings, depth - 1)
        if rule is not None:
            return rule
    return None


def _rule(value: str, kinds: int, settings: _Settings) -> str | None:
    if len(value) > settings.max_string_length:
        return "max_length"
    if "\x00" in value:
        return "nul_byte"
    url_shaped = "://" in value and _URL_SHAPE.match(value) is not None
    # Shaped like an address whatever the parameter is called (`target`): an IP literal.
    address_shaped = (
        not kinds & _URL
        and _ADDRESS_CHARACTERS.fullmatch(value) is not None
        and _ip_address(value.strip("[]")) is not None
    )
    if kinds & _URL or url_shaped or address_shaped or kinds & _SHOWN:
        rule = None if kinds & _SHOWN else _url_rule(value, settings)
        if rule is not None:
            return rule
        if not url_shaped and _SHELL_METACHARACTERS.search(value):
            # A host name or address holds none: `host="x; touch PWNED"` is an injection
            # waiting for a shell. (A URL's query may hold `&` and `$`.)
            return "shell_metachar"
    url_like = kinds & _URL or url_shaped
    if kinds & _PATH or (not url_like and _path_shaped(value)):
        if kinds & _PATH and _PATH_METACHARACTERS.search(value):
            return "shell_metachar"
        rule = _path_rule(value, settings)
        if rule is not None:
            return rule
    elif (
        not url_like
        and ".." in value
        and not _BLANK.search(value)
        and ".." in _SEPARATORS.split(value)
    ):
        # A value shaped like a path in a parameter not named like one: only a `..`
        # segment counts, since any absolute-looking text ("/help", a regex) would be
        # noise.
        return "path_traversal"
    if kinds & _COMMAND and _SHELL_METACHARACTERS.search(value):
        return "shell_metachar"
    return None


def _path_shaped(value: str) -> bool:
    """An absolute path whatever the parameter's name (`location="/etc/passwd"`): one
    word, whose first folder exists here, so that "/help" or "/api/v1" is not taken
    for one."""
    if not value.startswith(("/", "~/")) or value.startswith("//"):
        return False
    if _BLANK.search(value) or _PATTERN_CHARACTERS.search(value):
        return False  # prose, or a pattern ("/usr/.*")
    if value.startswith("~/"):
        return _top_folder_exists("~")  # anything below the home folder
    first = value[1:].split("/", 1)[0]
    return bool(first) and _top_folder_exists("/" + first)


@functools.lru_cache(maxsize=256)
def _top_folder_exists(top: str) -> bool:
    return os.path.isdir(os.path.expanduser(top) if top.startswith("~") else top)


def _path_rule(path: str, settings: _Settings) -> str | None:
    if ".." in path and ".." in _SEPARATORS.split(path):
        return "path_traversal"
    if path.startswith("~"):
        path = os.path.expanduser(path)
    if not os.path.isabs(path):
        return None
    # Where it really leads: a link inside a root may point outside (one not there yet:
    # its folder's real path, which realpath gives for the part that exists).
    path = os.path.normcase(os.path.realpath(path))
    for root, prefix in settings.allowed_roots:
        if path == root or path.startswith(prefix):
            return None
    return "path_outside_roots"


def _url_rule(value: str, settings: _Settings) -> str | None:
    host: str | None
    if "://" in value or value[:5].lower() == "file:":
        try:
            parts = urlsplit(value)
        except ValueError:
            return "ssrf"  # an unparsable authority: clients disagree on where it goes
        scheme = parts.scheme.lower()
        if scheme == "file":
            return _path_rule(unquote(parts.path), settings)
        if scheme in _UNSAFE_SCHEMES:
            return "url_scheme"
        host = parts.hostname
    elif _ip_address(value.strip("[]")) is not None:
        # A bare address, IPv6 ones included, in a host-like parameter.
        host = value.strip("[]")
    else:
        try:
            # host[:port][/path] without a scheme
            host = urlsplit("//" + value).hostname
        except ValueError:
            return "ssrf"
    return "ssrf" if host and _is_internal_host(unquote(host), settings) else None


def _is_internal_host(host: str, settings: _Settings) -> bool:
    if not host.isascii():
        # As the resolver will read it: IDNA maps full-width digits, circled letters and
        # the ideographic full stop, to the address or name it stands for.
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return True  # not a name any resolver takes as written: refuse to guess
    host = host.rstrip(".").lower()
    if host in settings.allowed_host_names:
        return False
    address = _ip_address(host)
    if address is None:
        return host in _INTERNAL_NAMES or host.endswith(_INTERNAL_SUFFIXES)
    if any(address in network for network in settings.allowed_host_networks):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            address = embedded
        elif address.is_site_local:
            return True
    return not address.is_global or address.is_reserved or address.is_multicast


def _ip_address(host: str) -> _Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return _inet_aton(host)


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """The address C's inet_aton (and so many HTTP clients) reads from `host`: one to
    four parts, each decimal, octal (leading 0) or hex (0x), the last filling the
    remaining bytes — `2130706433`, `0x7f000001`, `0177.0.0.1` and `127.1` are all
    127.0.0.1."""
    parts = host.split(".")
    if len(parts) > 4 or not all(_INET_PART.fullmatch(part) for part in parts):
        return None
    numbers = [
        (
            int(part[2:] or "0", 16)
            if part[:2].lower() == "0x"
            else int(part, 8 if part[0] == "0" else 10)
        )
        for part in parts
    ]
    *head, last = numbers
    if any(number > 255 for number in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for index, number in enumerate(head):
        value |= number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


# --- what tools do (phase 6): the audit hook ------------------------------------------

WOULD_DENY_EVENT = "PERMISSION_WOULD_DENY"
_DENIED_EVENT = "PERMISSION_DENIED"


@overload
def permissions(fn: _F, /) -> _F: ...
@overload
def permissions(
    *,
    uses: Iterable[str] | Mapping[str, Iterable[str]] = (),
    tool: str | None = None,
    lowlevel: bool = False,
) -> Callable[[_F], _F]: ...
def permissions(
    fn: _F | None = None,
    /,
    *,
    uses: Iterable[str] | Mapping[str, Iterable[str]] = (),
    tool: str | None = None,
    lowlevel: bool = False,
) -> _F | Callable[[_F], _F]:
    """Hold each call to its policy: the uses the tool may have.

    `uses` are spelled as observe's `tool_call` line lists them: `fs:read:<folder>`,
    `fs:write:<folder>`, `exec:<program>`, `net:<host>:<port>`, and `net:<host>:` for
    a lookup that names no port (socket.gethostbyname, gethostbyaddr); `()` (or the
    bare decorator) allows none. A low-level call_tool handler (`lowlevel=True`) takes
    a mapping of tool name to uses instead: a tool absent from it is not judged. A use
    is inside the policy when it is listed; when it reads a folder the tool may write
    (`fs:write:X` covers `fs:read:X`); when it looks a host up that is listed on some
    port; when it runs a program HARDEN_ALLOWED_PROGRAMS names (comma-separated); when
    it reaches a host an HARDEN_ALLOWED_EGRESS entry matches (comma-separated `host`,
    `host:port`, `*.domain` for its subdomains, `*.domain:port`; without a port, any
    port).

    The audit hook judges each use as it happens. A use outside the policy is logged
    once per call, with the capability and never the path, command or value:

    {"ts":"…","event":"PERMISSION_WOULD_DENY","tool":"read_file","caller":"local",
     "capability":"net:example.com:443"}

    and goes ahead. With ENFORCE_PERMISSIONS=true the line says `PERMISSION_DENIED`
    and the hook raises PermissionDenied, a PermissionError (its message names the tool
    and the capability), inside the tool, before the file is opened or changed, the
    program started, the name looked up or the connection made; the refused use is not
    in the call's `uses`. mask_errors turns the error, as any other, into the generic
    one with a ref; a tool that catches OSError catches it too. A low-level handler
    returns the error result instead (mcp 2.x answers an exception with a protocol
    error). A call refused before its handler ran (validate, rate_limit,
    authenticate) did nothing: its `tool_call` line has no `uses`.

    A connection counts as the name the code asked for: an HTTP client looks a name
    up, then connects to an address it got. A connection (or datagram) to an address,
    on a port whose last lookup in the call was of a name, is that name's use (judged
    as the name, not listed apart); the hook cannot see what the lookup answered, so
    any address counts. An address the code names itself (a lookup of it, http.client
    given it, a connection with no lookup of a name before it) counts as itself.

    What the hook does not see, or credits to the wrong tool: a thread started
    without the call's context (threading.Thread, a ThreadPoolExecutor,
    loop.run_in_executor; asyncio.to_thread keeps it), and so asyncio's own
    getaddrinfo, which runs in its executor: an async client is judged by the address
    it connects to; a child process's doings (os.fork, os.spawn*, whatever a program
    started does); a C extension's own I/O; a path relative to a folder's descriptor
    where /proc does not name it; process-wide lazy set-up (zoneinfo's data,
    mimetypes' tables, tempfile's first gettempdir), credited to the first tool that
    triggers it. A guard rail, not a sandbox. Only a client's call is judged, as for
    the other decorators."""
    if isinstance(uses, Mapping) != lowlevel:
        raise TypeError(
            "permissions(uses=...) takes a mapping of tool name to uses with "
            "lowlevel=True, and the uses themselves otherwise"
        )
    policy: _Policy = (
        types.MappingProxyType(
            {str(name): _policy(listed) for name, listed in uses.items()}
        )
        if isinstance(uses, Mapping)
        else _policy(uses)
    )
    return _decorator(fn, "permissions", tool, lowlevel, policy=policy)


def _policy(uses: Iterable[str]) -> frozenset[str]:
    if isinstance(uses, str | bytes):
        # One string would be read as a set of one-character uses.
        raise TypeError("permissions(uses=...) takes a collection of use strings")
    return frozenset(uses)


# Audit events (CPython's table, 3.10 to 3.12) and what they say a tool did. An event
# naming files: for each path it reads or writes, the index of that path among the
# event's arguments and of the descriptor of the folder a relative one is in (dir_fd;
# None: the event has no such argument).
_PATHS: dict[str, tuple[tuple[int, int | None], ...]] = {
    "open": ((0, None),),  # os.open's dir_fd is not among its arguments
    "os.listdir": ((0, None),),
    "os.scandir": ((0, None),),
    "os.remove": ((0, 1),),
    "os.rmdir": ((0, 1),),
    "os.mkdir": ((0, 2),),
    "os.chmod": ((0, 2),),
    "os.chown": ((0, 3),),
    "os.utime": ((0, 3),),
    "os.truncate": ((0, None),),
    "os.rename": ((0, 2), (1, 3)),  # both ends are written
    "os.symlink": ((1, 2),),  # the link made, not what it points to
    "os.link": ((1, 3),),
    "shutil.copyfile": ((1, None),),
    "shutil.copytree": ((1, None),),
    "shutil.move": ((0, None), (1, None)),
    "shutil.rmtree": ((0, 1),),  # its dir_fd came in 3.11
}
_READS = frozenset({"open", "os.listdir", "os.scandir"})
_EXECS = frozenset(
    {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn"}
)
# What reaches an address (a connection, a datagram), and what names a host: a lookup
# (gethostbyname_ex raises gethostbyname's event) or http.client's connection.
_REACHES = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
_NETWORK = _REACHES | {
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "http.client.connect",
}
_DATABASE = "sqlite3.connect"
_AUDITED = frozenset(_PATHS) | _EXECS | _NETWORK | {_DATABASE}
_WRITE_MODES = frozenset("wax+")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_IMPORTING = "<frozen importlib"
# What an import reads (beside the folders it lists): only such a read, or one of a
# relative path, needs the look at the caller's frame that tells an import (or rmtree)
# from the tool (sys._getframe costs an event).
_MODULE_SUFFIXES = (".py", ".pyc", ".so", ".pyd", ".pth")
# Where an import writes the bytecode it compiled (through a temporary file of its own).
_BYTECODE_FOLDER = "__pycache__"


def _install_audit_hook() -> None:
    """Install the audit hook, once per process however many copies of this module
    there are (a hook can never be removed)."""
    holder = sys.modules.get(_SHARED_STATE)
    if holder is None or "audit_hook" in holder.__dict__:
        return
    with _write_lock:
        if "audit_hook" not in holder.__dict__:
            holder.__dict__["audit_hook"] = _audit
            sys.addaudithook(_audit)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Record what the tool call in progress does, and judge it by the call's policy.
    The one exception it raises is the refusal of a use outside the policy under
    ENFORCE_PERMISSIONS: any other would abort the tool's own operation."""
    if event not in _AUDITED:
        return
    call = _current_call.get()
    if call is None or _runtime_busy.get():
        return
    refused = None
    try:
        uses = _uses(event, args)
        if event in _NETWORK and uses:
            uses = [_by_name(call, event, uses[0])]
        policy = call.policy
        if policy is not None and not policy.issuperset(uses):
            refused = _judged(call, policy, uses)
        if refused is None:
            call.uses.update(uses)
    except Exception:  # nosec B110  # a hook that fails must not fail the tool
        pass
    if refused is not None:
        raise PermissionDenied(f"the tool {call.tool} may not use {refused}")


def _uses(event: str, args: tuple[Any, ...]) -> list[str]:
    if event == "open":  # the most frequent by far: its own short way
        path, mode, flags = args
        if isinstance(path, int):
            return []  # a descriptor opened already (a pipe; a file, judged then)
        text = path if isinstance(path, str) else os.fsdecode(path)
        # Relative, as a cheap look tells on POSIX (elsewhere: one look more, below).
        relative = text[:1] != os.sep
        if (
            relative or text.endswith(_MODULE_SUFFIXES) or _BYTECODE_FOLDER in text
        ) and _not_the_tools(sys._getframe(2), relative):
            return []
        if isinstance(mode, str):
            writes = not _WRITE_MODES.isdisjoint(mode)
        else:
            writes = bool(flags & _WRITE_FLAGS)
        return [_file_use("write" if writes else "read", text)]
    if event in _EXECS:
        return [_executed(event, args)]
    if event in _NETWORK:
        return _connected(event, args)
    if event == _DATABASE:
        return _database(args[0])
    paths = [
        (args[index], args[folder] if folder is not None and folder < len(args) else -1)
        for index, folder in _PATHS[event]
    ]
    if any(isinstance(path, int) for path, _ in paths):
        # A descriptor opened, and judged, already: os.ftruncate, os.fchmod,
        # os.listdir(fd).
        return []
    if _not_the_tools(sys._getframe(2), False):
        return []
    kind = "read" if event in _READS else "write"
    uses = []
    for path, folder in paths:
        located = _located(path, folder)
        if located is not None:
            uses.append(_file_use(kind, located))
    return uses


def _not_the_tools(caller: types.FrameType, relative: bool) -> bool:
    """Whether the code the event comes from (`caller`) does this on its own account,
    not the tool's: an import finding, reading or caching a module; rmtree opening
    each folder under the tree relative to its parent's descriptor (os.open's dir_fd,
    which the event leaves out), the tree judged by rmtree's own event."""
    if caller.f_code.co_filename.startswith(_IMPORTING):
        return True
    return (
        relative
        and caller.f_globals.get("__name__") == "shutil"
        and caller.f_code.co_name.startswith("_rmtree")
    )


def _located(path: Any, folder: Any) -> Any:
    """The path an event names, joined to the folder its descriptor (dir_fd) stands for
    when it is relative to one; None when where that folder is cannot be told."""
    if path is None:
        return "."  # os.listdir(), os.scandir(): the working directory
    if not isinstance(folder, int) or folder < 0:
        return path
    text = os.fsdecode(path)
    if os.path.isabs(text):
        return text
    try:
        # Linux names each descriptor's file here (os.readlink raises no event).
        base = os.readlink(f"/proc/self/fd/{folder}")
    except OSError:
        return None
    return os.path.join(base, text)


def _file_use(kind: str, path: object) -> str:
    """`fs:<kind>:<folder>`: the allowed root the path lies under, or its top folder —
    never the path itself."""
    try:
        text = os.fsdecode(path)  # type: ignore[call-overload]
    except TypeError:
        text = ""
    roots = _settings().file_roots
    if os.path.isabs(text):  # where a relative path leads depends on the directory
        return _absolute_file_use(kind, text, roots)
    return _folder_use(kind, os.path.normcase(os.path.abspath(text or ".")), roots)


@functools.lru_cache(maxsize=4096)
def _absolute_file_use(
    kind: str, text: str, roots: tuple[tuple[str, str, str], ...]
) -> str:
    # A tool reads the same files again and again: the answer for one is kept.
    return _folder_use(kind, os.path.normcase(os.path.normpath(text)), roots)


def _folder_use(kind: str, full: str, roots: tuple[tuple[str, str, str], ...]) -> str:
    for root, spelled, prefix in roots:
        if full == spelled or full.startswith(prefix):
            return f"fs:{kind}:{root}"
    parts = full.split(os.sep, 2)
    # The top folder of the path; for a path right under the root folder
    # (`/invoice.pdf`), the root folder itself: a file's own name is never the folder.
    top = os.sep + parts[1] if len(parts) > 2 and parts[1] else os.sep
    return f"fs:{kind}:{top}"


def _executed(event: str, args: tuple[Any, ...]) -> str:
    if event == "os.system":
        return "exec:sh"
    whole_line = False
    if event == "subprocess.Popen":
        executable, argv = args[0], args[1]
        if isinstance(argv, str | bytes | os.PathLike):
            argv = (argv,)  # a command line, as Windows passes it
        head = list(islice(argv, 2))
        program = executable or (head[0] if head else "")
        # A command line given as one string without a shell (POSIX takes all of it
        # for the program's path, which fails): its first word names the program. The
        # rest would be arguments, and an argument is never logged.
        whole_line = len(head) == 1 and program is head[0]
    elif event == "os.spawn":
        program = args[1]
    else:
        program = args[0]
    text = os.fsdecode(program) if program else ""
    if whole_line:
        text = next(iter(text.split(maxsplit=1)), "")
    name = os.path.basename(text) or "?"
    return f"exec:{_bounded(name)}"


def _by_name(call: _Call, event: str, use: str) -> str:
    """The use a network event counts as. Reaching an address (a connection, a
    datagram) on a port counts as the name the call last looked up for that port, as
    long as that lookup was of a name (which addresses it answered is invisible here);
    anything else counts as itself: a lookup of an address (forgetting the name looked
    up before it for the port), an address http.client was given, a host named
    without a port."""
    host, _, port = use[4:].rpartition(":")
    if not host or not port:
        return use  # a unix socket; a lookup of a host alone
    if event in _REACHES:
        if call.names and _is_address(host):
            return call.names.get(port, use)
    elif event == "socket.getaddrinfo":
        if not _is_address(host):
            if call.names is None:
                call.names = {}
            call.names[port] = use
        elif call.names:
            call.names.pop(port, None)
    return use


@functools.lru_cache(maxsize=1024)
def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _judged(call: _Call, policy: frozenset[str], uses: list[str]) -> str | None:
    """Log each use outside the call's policy, once per call; the first of them to
    refuse under ENFORCE_PERMISSIONS (None: all inside, or only warning)."""
    refused = None
    for use in uses:
        if use in policy or _permitted(use, policy):
            continue
        enforce = _settings().enforce_permissions
        if call.outside is None:
            call.outside = set()
        if use not in call.outside:
            call.outside.add(use)
            _log_outside(call, use, enforce)
        if enforce and refused is None:
            refused = use
    return refused


def _permitted(use: str, policy: frozenset[str]) -> bool:
    """Whether a use the policy does not list is inside it all the same."""
    kind, _, what = use.partition(":")
    if kind == "fs":
        return what.startswith("read:") and f"fs:write:{what[5:]}" in policy
    if kind == "exec":
        return what in _settings().allowed_programs
    if kind == "net":
        host, _, port = what.rpartition(":")
        if not port and any(listed.rpartition(":")[0] == use[:-1] for listed in policy):
            return True  # a lookup of a host alone: the host is listed, on some port
        host = host.rstrip(".")
        return any(
            (allowed_port is None or not port or allowed_port == port)
            and (host == allowed or (allowed[:1] == "." and host.endswith(allowed)))
            for allowed, allowed_port in _settings().allowed_egress
        )
    return False


@_as_runtime  # naming the caller and writing the line are the runtime's work
def _log_outside(call: _Call, use: str, enforce: bool) -> None:
    _log_event(_DENIED_EVENT if enforce else WOULD_DENY_EVENT, call, capability=use)


def _connected(event: str, args: tuple[Any, ...]) -> list[str]:
    """`net:<host>:<port>` of a network event; `net:<host>:` for a lookup that names no
    port (gethostbyname, gethostbyaddr, getaddrinfo without one)."""
    if event in _REACHES:
        address = args[1]
        if address is None:
            return []  # sendmsg on a connected socket: its connection was judged
        if not isinstance(address, tuple):
            return ["net:unix"]
        host, port = address[0], address[1]
    elif event == "http.client.connect":
        host, port = args[1], args[2]
    else:
        host = args[0]
        port = args[1] if event == "socket.getaddrinfo" else None
    if host is None:
        return []
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if isinstance(port, bytes):
        port = port.decode("ascii", "replace")
    return [f"net:{_bounded(str(host).lower())}:{'' if port is None else port}"]


def _database(database: Any) -> list[str]:
    """What sqlite3.connect opens: a write of the database's folder (a read for a URI's
    `mode=ro`); nothing for a database in memory or a temporary one."""
    try:
        text = os.fsdecode(database)
    except TypeError:
        return []
    kind = "write"
    if text.startswith("file:"):
        # A URI (the event does not say whether uri=True was passed; a file of that
        # name in the working directory is the rare case).
        uri = urlsplit(text)
        mode = dict(parse_qsl(uri.query)).get("mode")
        if mode == "memory":
            return []
        kind = "read" if mode == "ro" else "write"
        text = unquote(uri.path)
    if text in ("", ":memory:"):
        return []
    return [_file_use(kind, text)]


# --- attestation: the running server is the one that was reviewed --------------------

ATTESTATION_VERSION = 1
ATTESTATION_VARIABLE = "HARDEN_ATTESTATION"
_ATTESTATION_SUFFIXES = (".py", ".so", ".pyd")  # what an import loads
# Folders that hold no code the server imports, anywhere: tools' and environments' own,
# and test packages. A folder holding pyvenv.cfg (a virtualenv) is skipped too.
_NOT_SERVER_FOLDERS = frozenset(
    {"__pycache__", "node_modules", "site-packages", "tests", "test"}
)
# The project's own build output and docs: at its top only (a package may hold `build`).
_NOT_SERVER_TOP_FOLDERS = frozenset({"build", "dist", "docs"})


class AttestationError(Exception):
    """An attestation that cannot be read: no file, not JSON, not harden's format."""


def attestation_files(root: str) -> list[str]:
    """The files under `root` Python would import for the server, as sorted POSIX
    paths relative to it: modules and extension modules, linked folders followed,
    outside hidden folders, virtualenvs, test packages and modules (test_*.py,
    *_test.py, conftest.py), and the top's build, dist and docs."""
    found = []
    seen = {os.path.realpath(root)}
    for folder, folders, files in os.walk(root, followlinks=True):
        relative = os.path.relpath(folder, root)
        kept = []
        for name in folders:
            path = os.path.join(folder, name)
            real = os.path.realpath(path)
            if (
                name.startswith(".")
                or name in _NOT_SERVER_FOLDERS
                or (relative == "." and name in _NOT_SERVER_TOP_FOLDERS)
                or name.endswith(".egg-info")
                or os.path.exists(os.path.join(path, "pyvenv.cfg"))
                or real in seen  # a link back up the tree
            ):
                continue
            seen.add(real)
            kept.append(name)
        folders[:] = kept
        for name in files:
            if not name.endswith(_ATTESTATION_SUFFIXES) or _is_test_module(name):
                continue
            path = name if relative == "." else os.path.join(relative, name)
            found.append(path.replace(os.sep, "/"))
    return sorted(found)


def _is_test_module(name: str) -> bool:
    return (
        name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    )


def attestation_digests(root: str, paths: Iterable[str]) -> dict[str, str]:
    """The sha256 (hex) of each file, read once; a file that cannot be read is left
    out."""
    digests = {}
    for path in paths:
        try:
            with open(os.path.join(root, path), "rb") as opened:
                digests[path] = hashlib.sha256(opened.read()).hexdigest()
        except OSError:
            continue
    return digests


def attestation_digest(digests: Mapping[str, str]) -> str:
    """One digest over the files: the sha256 of `<sha256>  <path>` lines in path order,
    the text `sha256sum` prints for them."""
    lines = "".join(f"{digests[path]}  {path}\n" for path in sorted(digests))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def attestation_differences(path: str) -> list[tuple[str, str]]:
    """("changed" | "added" | "missing", file) for each server file that differs from
    the attestation at `path`, whose folder is the server's root; [] when none does."""
    try:
        with open(path, encoding="utf-8") as opened:
            record = json.load(opened)
        recorded = {entry["path"]: entry["sha256"] for entry in record["files"]}
        if record.get("version") != ATTESTATION_VERSION or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in recorded.items()
        ):
            raise ValueError("not a harden attestation")
    except (OSError, ValueError, KeyError, TypeError) as error:
        reason = (
            error.strerror if isinstance(error, OSError) else "not a harden attestation"
        )
        raise AttestationError(f"{path}: {reason}") from None
    root = os.path.dirname(os.path.abspath(path))
    present = attestation_files(root)
    current = attestation_digests(root, present)
    differences = [
        ("changed" if name in current else "missing", name)
        for name, digest in recorded.items()
        if current.get(name) != digest
    ]
    differences += [("added", name) for name in present if name not in recorded]
    return sorted(differences, key=lambda item: item[1])


def _check_attestation() -> None:
    """At start-up, with HARDEN_ATTESTATION set: log ATTESTATION_MISMATCH for the files
    that differ; with HARDEN_ATTESTATION_MODE=enforce, refuse to start instead. Once
    per process, however many copies of this module the server holds."""
    path = os.environ.get(ATTESTATION_VARIABLE)
    holder = sys.modules.get(_SHARED_STATE)
    if (
        not path
        or holder is None
        or holder.__dict__.setdefault("attested", path) != path
    ):
        return
    enforce = os.environ.get("HARDEN_ATTESTATION_MODE", "").strip().lower() == "enforce"
    try:
        differences = attestation_differences(path)
    except AttestationError as error:
        differences, problem = [], str(error)
    else:
        problem = ""
    if not differences and not problem:
        return
    files = [f"{kind}:{name}" for kind, name in differences]
    _write(
        {
            "ts": _timestamp(),
            "event": "ATTESTATION_MISMATCH",
            "attestation": path,
            "files": files,
            "error": problem or None,
            "mode": "enforce" if enforce else "warn",
        }
    )
    if enforce:
        shown = problem or f"{len(files)} file(s) differ: {', '.join(files[:10])}"
        raise SystemExit(f"harden_runtime: refusing to start: {shown} ({path})")


# --- the log --------------------------------------------------------------------------

_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)
_write_lock = threading.Lock()
# Every line starts with the version of its format, so `harden report` can read older
# logs.
LOG_FORMAT_VERSION = 1
_LINE_START = f'{{"v":{LOG_FORMAT_VERSION},'
LOG_FILE_VARIABLE = "HARDEN_LOG_FILE"
_log_file: tuple[str, int] | None = (
    None  # (path, its descriptor or -1 if it cannot be opened)
)
_second_cache: tuple[int, str] = (0, "")
_SIZE_DEPTH = 3
_SIZE_SAMPLE = 8


def _log_event(event: str, call: _Call, **fields: object) -> None:
    _log(event, call.tool, call.caller, **fields)


def _log(event: str, tool: str | None, caller: str, **fields: object) -> None:
    _write(
        {"ts": _timestamp(), "event": event, "tool": tool, "caller": caller, **fields}
    )


@_as_runtime
def _write(record: dict[str, object]) -> None:
    # The version goes first by splicing text: cheaper than copying the record on every
    # call.
    line = _LINE_START + _ENCODER.encode(record)[1:] + "\n"
    try:
        with _write_lock:
            # Looked up on every write: the server (or a test) may replace sys.stderr.
            stream = sys.stderr
            stream.write(line)
            stream.flush()
    except (AttributeError, OSError, ValueError):
        # No stderr, or a closed one: losing a log line must not fail the tool call.
        pass
    path = os.environ.get(LOG_FILE_VARIABLE)
    if path:
        _append(path, line.encode("utf-8"))


def _append(path: str, data: bytes) -> None:
    """Append one line to HARDEN_LOG_FILE with a single write on an O_APPEND
    descriptor: the kernel places each write at the end of the file in one piece, so
    the lines of several worker processes sharing the file never interleave."""
    global _log_file
    with _write_lock:
        opened = _log_file
        if opened is None or opened[0] != path:
            if opened is not None and opened[1] >= 0:
                _safely(lambda: os.close(opened[1]), None)
            try:
                fd = os.open(
                    path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600
                )
            except OSError:
                fd = -1  # remembered, so a bad path costs one open, not one per call
            opened = _log_file = (path, fd)
        if opened[1] < 0:
            return
        # A full disk must not fail the tool call; stderr still has the line.
        with contextlib.suppress(OSError):
            os.write(opened[1], data)


def _timestamp() -> str:
    global _second_cache
    now = time.time()
    second = int(now)
    cached = _second_cache
    if cached[0] != second:
        cached = _second_cache = (
            second,
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)),
        )
    return f"{cached[1]}.{int((now - second) * 1000):03d}Z"


def _is_error_result(result: object) -> bool:
    try:
        # mcp 1.x spells it isError, mcp 2.x is_error.
        return (
            getattr(result, "isError", None) is True
            or getattr(result, "is_error", None) is True
        )
    except Exception:
        return False


def _estimated_size(value: object, depth: int = 0) -> int:
    """Characters of text in `value`, counting into containers and objects' fields a
    few levels deep and extrapolating from the first few items, so a huge result
    costs no more to measure than a small one."""
    try:
        if isinstance(value, (str, bytes, bytearray)):
            return len(value)
        if value is None or isinstance(value, (bool, int, float)):
            return 4
        if depth >= _SIZE_DEPTH:
            return 0
        if isinstance(value, Mapping):
            items: list[Any] = list(islice(value.items(), _SIZE_SAMPLE))
            sampled = sum(
                _estimated_size(key, depth + 1) + _estimated_size(item, depth + 1)
                for key, item in items
            )
        elif isinstance(value, (list, tuple, set, frozenset)):
            items = list(islice(value, _SIZE_SAMPLE))
            sampled = sum(_estimated_size(item, depth + 1) for item in items)
        else:
            fields = getattr(value, "__dict__", None)
            return _estimated_size(fields, depth) if isinstance(fields, dict) else 0
        return sampled * len(value) // len(items) if items else 0
    except Exception:
        return 0


if __name__ != "harden.runtime":  # harden's own copy (the CLI) checks nothing at import
    _check_attestation()

"""harden_runtime: helpers a hardened MCP server imports. Vendored by `harden apply`.

This file is copied next to the server's modules as `harden_runtime.py`, so the server never
needs harden installed. Standard library only. Do not edit the vendored copy: `harden apply`
replaces it in place when a later phase needs more (the version line says which copy it is).

Command helpers: the shell-free versions of the standard library calls whose results a rewrite
must keep — `os.popen`'s file object (whose close() returns the wait status) and
`subprocess.getstatusoutput`'s (status, output) pair — taking an argument list instead of a
command string.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from typing import IO, Any

__version__ = "0.1.0"


class PipeFile:
    """What `os.popen` returns, for a process run without a shell: the pipe's file object,
    whose close() waits for the process and returns None on success, else its status << 8."""

    def __init__(self, stream: IO[str], process: subprocess.Popen[str]) -> None:
        self._stream = stream
        self._process = process

    def close(self) -> int | None:
        self._stream.close()
        returncode = self._process.wait()
        return None if returncode == 0 else returncode << 8

    def __enter__(self) -> PipeFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._stream)


def popen(argv: Sequence[str], mode: str = "r", buffering: int = -1) -> PipeFile:
    """`os.popen` for an argument list: same modes, buffering and file object, no shell."""
    if mode not in ("r", "w"):
        raise ValueError(f"invalid mode {mode!r}")
    if buffering == 0 or buffering is None:
        raise ValueError("popen() does not support unbuffered streams")
    if mode == "r":
        process = subprocess.Popen(argv, text=True, stdout=subprocess.PIPE, bufsize=buffering)
        assert process.stdout is not None
        return PipeFile(process.stdout, process)
    process = subprocess.Popen(argv, text=True, stdin=subprocess.PIPE, bufsize=buffering)
    assert process.stdin is not None
    return PipeFile(process.stdin, process)


def getstatusoutput(
    argv: Sequence[str], *, encoding: str | None = None, errors: str | None = None
) -> tuple[int, str]:
    """`subprocess.getstatusoutput` for an argument list: (status, stdout and stderr merged,
    one trailing newline removed)."""
    process = subprocess.run(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding=encoding,
        errors=errors,
    )
    output = process.stdout
    return process.returncode, output[:-1] if output.endswith("\n") else output

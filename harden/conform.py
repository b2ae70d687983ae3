"""Make the lines harden changed pass the project's own checks: added imports where its import
sorting puts them, changed statements as its formatter writes them, at its line length.

It runs ruff (a dependency of harden), or black when the project runs black and black is
installed, on the text harden wrote, and keeps only what falls inside the lines harden changed.
It never reformats the user's code: a formatter's change that reaches past those lines is
dropped, imports are sorted only in a file whose imports were sorted already (so only harden's
own imports move), and a result whose syntax tree differs from harden's text is not used. A
tool that is missing, fails or times out leaves the text as harden wrote it.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import shutil
import subprocess
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harden.line_moves import line_opcodes
from harden.project_style import ProjectStyle

# Their headers are the user's: harden only adds decorators above them.
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_TIMEOUT = 30  # seconds; a tool slower than this on one file is not waited for


@dataclass(frozen=True, slots=True)
class Conformed:
    text: str
    tools: tuple[str, ...] = ()  # what changed the text, for the review's notes


def conform(path: str, before: str, after: str, style: ProjectStyle) -> Conformed:
    """`after` (harden's rewrite of `before`, the file at `path` under the project's root)
    with its added imports sorted and its changed lines formatted as the project wants."""
    text, tools = after, []
    if _adds_imports(before, after):
        placed = _imports_sorted(path, before, after, style)
        if placed is not None and placed != text and _same_lines(text, placed):
            text = placed
            tools.append("ruff's import sorting (I001)")
    formatter, formatted = _formatted(path, before, text, style)
    if formatted != text:
        text = formatted
        tools.append(formatter)
    return Conformed(text, tuple(tools))


# What ruff and black read to decide how a file is formatted: settings in its folder and above.
_SETTINGS_FILES = ("pyproject.toml", "ruff.toml", ".ruff.toml", "setup.cfg", "tox.ini", ".flake8")


class ConformInputs:
    """What decides `conform`'s output for the files of one run: the tools it runs (where they
    are, their size and date) and the settings files they read, in a file's folder and above.
    Read once per folder, as a run changes none of them."""

    def __init__(self, style: ProjectStyle) -> None:
        self._root = Path(style.root)
        self._tools = []
        for program in (_ruff(), _program("black")):
            status = Path(program).stat() if program else None
            self._tools.append(
                f"{program}:{status.st_size}:{status.st_mtime_ns}" if status else "-"
            )
        self._folders: dict[Path, list[str]] = {}

    def of(self, path: str) -> str:
        """A text that changes whenever what conform makes of the file at `path` may."""
        parts = list(self._tools)
        folder = self._root
        for part in ("", *Path(path).parent.parts):
            folder /= part
            if folder not in self._folders:
                self._folders[folder] = _settings_in(folder)
            parts += self._folders[folder]
        return "\n".join(parts)


def _settings_in(folder: Path) -> list[str]:
    found = []
    for name in _SETTINGS_FILES:
        try:
            data = (folder / name).read_bytes()
        except OSError:
            continue
        found.append(f"{folder / name}:{hashlib.sha256(data).hexdigest()}")
    return found


def _adds_imports(before: str, after: str) -> bool:
    old = {line for line in before.splitlines() if line.startswith(("import ", "from "))}
    return any(
        line.startswith(("import ", "from ")) and line not in old for line in after.splitlines()
    )


def _imports_sorted(path: str, before: str, after: str, style: ProjectStyle) -> str | None:
    """`after` with its imports sorted, if `before`'s were sorted by the same rules."""
    check = ["check", "--no-cache", "--select", "I001", *_ruff_settings(style)]
    if _run(_ruff(), [*check, "--stdin-filename", path, "-"], before, style) is None:
        return None
    return _run(_ruff(), [*check, "--fix-only", "--stdin-filename", path, "-"], after, style)


def _formatted(path: str, before: str, text: str, style: ProjectStyle) -> tuple[str, str]:
    """The formatter used and `text` with the statements harden changed formatted by it: all
    of them when the project runs a formatter, else those longer than its line length."""
    lines = text.splitlines(keepends=True)
    blocks = _blocks(_whole_statements(text, _changed_lines(before, text)))
    if style.formatter is None:
        blocks = [(a, b) for a, b in blocks if _too_long(lines[a - 1 : b], style)]
    if not blocks:
        return "", text
    # One run over the whole file tells which blocks the formatter would change; only those
    # are formatted, each on its own, last first so that the earlier ones keep their lines.
    formatter, whole = _format(path, text, style)
    touched = _touched_lines(text, whole) if whole is not None else set()
    result = text
    for start, end in reversed(blocks):
        if not touched.intersection(range(start, end + 1)):
            continue
        formatted = _format(path, result, style, (start, end))[1]
        if formatted is not None and _only_between(result, formatted, start, end):
            result = formatted
    return formatter, result if _same_tree(text, result) else text


def _format(
    path: str, text: str, style: ProjectStyle, lines: tuple[int, int] | None = None
) -> tuple[str, str | None]:
    """The formatter's name and `text` formatted by it (only the statements on `lines`, first
    and last, when given)."""
    black = _program("black") if style.formatter == "black" else None
    if black is not None:
        only = [f"--line-ranges={lines[0]}-{lines[1]}"] if lines else []
        return "black", _run(black, ["-q", *only, "--stdin-filename", path, "-"], text, style)
    name = "ruff format" + (" (black is not installed here)" if style.formatter == "black" else "")
    only = [f"--range={lines[0]}-{lines[1] + 1}"] if lines else []
    args = ["format", "--no-cache", *_ruff_settings(style), *only, "--stdin-filename", path]
    return name, _run(_ruff(), [*args, "-"], text, style)


def _blocks(lines: set[int]) -> list[tuple[int, int]]:
    """Runs of consecutive line numbers, as (first, last)."""
    blocks: list[tuple[int, int]] = []
    for n in sorted(lines):
        if blocks and blocks[-1][1] == n - 1:
            blocks[-1] = (blocks[-1][0], n)
        else:
            blocks.append((n, n))
    return blocks


def _touched_lines(text: str, formatted: str) -> set[int]:
    """The 1-based lines of `text` that formatting changes, or beside which it adds lines."""
    touched: set[int] = set()
    for tag, i1, i2, _, _ in line_opcodes(text.splitlines(), formatted.splitlines()):
        if tag != "equal":
            touched.update(range(i1, i2 + 2) if i1 == i2 else range(i1 + 1, i2 + 1))
    return touched


def _only_between(text: str, formatted: str, start: int, end: int) -> bool:
    """`formatted` differs from `text` only in what stands between lines `start` and `end`."""
    old, new = text.splitlines(keepends=True), formatted.splitlines(keepends=True)
    head, tail = old[: start - 1], old[end:]
    return (
        len(new) >= len(head) + len(tail)
        and new[: len(head)] == head
        and new[len(new) - len(tail) :] == tail
    )


@functools.cache  # looked up once per process, not once per file and tool run
def _ruff() -> str | None:
    try:
        from ruff import find_ruff_bin

        return find_ruff_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("ruff")


@functools.cache
def _program(name: str) -> str | None:
    """The tool installed beside harden, else on PATH; never one from the tree harden reads
    (a program committed there is not the user's to run unasked)."""
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


def _ruff_settings(style: ProjectStyle) -> list[str]:
    return [part for setting in style.ruff_settings for part in ("--config", setting)]


def _run(program: str | None, args: Sequence[str], text: str, style: ProjectStyle) -> str | None:
    """The tool's output for `text` on stdin, None when it is missing, fails or finds fault."""
    if program is None:
        return None
    root = Path(style.root)
    try:
        done = subprocess.run(
            [program, *args],
            input=text,
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=root if root.is_dir() else None,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _changed_lines(before: str, after: str) -> set[int]:
    """The 1-based lines of `after` that are not lines of `before` kept as they were."""
    return {
        n + 1
        for tag, _, _, j1, j2 in line_opcodes(before.splitlines(), after.splitlines())
        if tag != "equal"
        for n in range(j1, j2)
    }


def _whole_statements(text: str, changed: set[int]) -> set[int]:
    """`changed`, grown to the whole of each simple statement (and compound statement's
    header) it touches: a formatter lays out a statement as one, so `shell=True` dropped from
    the middle of a call makes the call harden's to format."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return changed
    grown = set(changed)
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or isinstance(node, _DEFINITIONS):
            continue
        body = getattr(node, "body", None)
        last = body[0].lineno - 1 if isinstance(body, list) and body else node.end_lineno
        lines = range(node.lineno, (last or node.lineno) + 1)
        if any(n in changed for n in lines):
            grown.update(lines)
    return grown


def _too_long(lines: Sequence[str], style: ProjectStyle) -> bool:
    return any(len(line.rstrip("\r\n")) > style.line_length for line in lines)


def _same_lines(text: str, other: str) -> bool:
    """The same lines, blank ones aside, in another order: imports moved, nothing else."""
    return sorted(filter(str.strip, text.splitlines())) == sorted(
        filter(str.strip, other.splitlines())
    )


def _same_tree(text: str, other: str) -> bool:
    """Both parse to the same syntax tree: the change was layout only."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            return ast.dump(ast.parse(text)) == ast.dump(ast.parse(other))
        except (SyntaxError, ValueError):
            return False

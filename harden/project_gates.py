"""Keep the vendored runtime out of the project's own gates: coverage, and packaging.

The runtime is harden's code, tested by harden. Linters, formatters and type checkers honour
the header every copy starts with (vendoring.VENDORED_HEADER), but coverage has no such comment:
a project with `fail_under = 100` would fail on it. So when a change set carries a runtime copy
and the project measures coverage (a coverage section in `.coveragerc`, `setup.cfg`, `tox.ini`
or `pyproject.toml`, or pytest-cov's `--cov` in its pytest options), the file coverage reads
gets `*/harden_runtime.py` in its `[run] omit` list. And when setuptools installs top-level
modules listed one by one (`py-modules`) and a copy lands at the root, `harden_runtime` joins
the list, or the installed server would not find it.

Each edit is explained by a note for the review. It never removes, reorders or reformats what
the user wrote: TOML goes through tomlkit, which keeps comments and layout; an INI file gets
lines inserted. Nothing here reads or writes files: it is given their text and returns changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import Array, Table

from harden.changes import FileChange
from harden.vendoring import RUNTIME_FILENAME, RUNTIME_MODULE

OMIT_PATTERN = f"*/{RUNTIME_FILENAME}"

# The files coverage reads its settings from, in the order it tries them, with the section
# each names `[run]`; pytest's own files, which may hold pytest-cov's options.
_COVERAGE_FILES = (
    (".coveragerc", "run"),
    ("setup.cfg", "coverage:run"),
    ("tox.ini", "coverage:run"),
    ("pyproject.toml", "tool.coverage.run"),
)
PROJECT_FILES = (*(name for name, _ in _COVERAGE_FILES), "pytest.ini")
_PYTEST_COV = re.compile(r"--cov\b")


@dataclass(slots=True)
class GateEdits:
    changes: list[FileChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def gate_edits(texts: Mapping[str, str], runtime_paths: Sequence[str]) -> GateEdits:
    """The edits of the project's files (`texts`: those of PROJECT_FILES that exist, at the
    root) that the runtime copies `runtime_paths` call for. A file that does not parse is left
    as it is, and the note says what to add by hand."""
    edits = GateEdits()
    if not runtime_paths:
        return edits
    edited = dict(texts)
    wanted: list[tuple[str, Callable[[str], str], str, str]] = []  # file, edit, what, why
    try:
        coverage_file = _coverage_file(texts)
    except TOMLKitError:
        coverage_file = "pyproject.toml"  # tried below, and reported as not parsing
    if coverage_file is not None:
        what = f"coverage omits `{OMIT_PATTERN}`"
        why = "harden's vendored runtime is tested by harden, not by the project's coverage gate"
        wanted.append((coverage_file, partial(_with_omit, coverage_file), what, why))
    if any("/" not in path for path in runtime_paths) and "pyproject.toml" in texts:
        what = f"`[tool.setuptools] py-modules` lists `{RUNTIME_MODULE}`"
        why = "the installed server imports it beside its top-level modules"
        wanted.append(("pyproject.toml", _with_py_module, what, why))
    for name, edit, what, why in wanted:
        before = edited.get(name, "")
        try:
            after = edit(before)
        except TOMLKitError as error:
            edits.notes.append(
                f"{name} does not parse ({error}), so it was left alone: make sure {what}"
            )
            continue
        if after != before:
            edited[name] = after
            edits.notes.append(f"{name}: {what}, since {why}")
    for name in sorted(edited):
        if edited[name] != texts.get(name, ""):
            edits.changes.append(FileChange(name, texts.get(name, ""), edited[name]))
    return edits


def _coverage_file(texts: Mapping[str, str]) -> str | None:
    """The file coverage reads its settings from (to be created if the project measures
    coverage only through pytest-cov's options), or None when it measures none."""
    for name, _ in _COVERAGE_FILES:
        text = texts.get(name)
        if text is not None and (name == ".coveragerc" or _has_coverage_settings(name, text)):
            return name
    if any(_PYTEST_COV.search(text) for text in texts.values()):
        return "pyproject.toml" if "pyproject.toml" in texts else ".coveragerc"
    return None


def _has_coverage_settings(name: str, text: str) -> bool:
    if name == "pyproject.toml":
        tool = tomlkit.parse(text).get("tool")
        return isinstance(tool, Mapping) and "coverage" in tool
    return re.search(r"(?m)^\s*\[coverage:", text) is not None


def _with_omit(name: str, text: str) -> str:
    if OMIT_PATTERN in text:
        return text
    section = dict(_COVERAGE_FILES)[name]
    if name == "pyproject.toml":
        return _toml_with_omit(text)
    return _ini_with_omit(text, section)


def _toml_with_omit(text: str) -> str:
    document = tomlkit.parse(text)
    coverage = _table(_table(document, "tool", super_table=True), "coverage", super_table=True)
    run = coverage.get("run")
    if isinstance(run, Table):
        omit = run.get("omit")
        if isinstance(omit, Array):
            omit.append(OMIT_PATTERN)
        else:
            run["omit"] = [OMIT_PATTERN]
        return tomlkit.dumps(document)
    run = tomlkit.table()
    run.add("omit", [OMIT_PATTERN])
    run.add(tomlkit.nl())  # a blank line before whatever table follows
    coverage["run"] = run
    edited = tomlkit.dumps(document)
    return edited.rstrip("\n") + "\n" if not text.endswith("\n\n") else edited


def _table(parent: tomlkit.TOMLDocument | Table, key: str, *, super_table: bool) -> Table:
    existing = parent.get(key)
    if isinstance(existing, Table):
        return existing
    table = tomlkit.table(is_super_table=super_table)
    parent[key] = table
    return table


def _ini_with_omit(text: str, section: str) -> str:
    """`text` with the omit pattern added to `[section]`'s omit value (a continuation line), or
    an omit value added to the section, or the section added at the end."""
    lines = text.splitlines(keepends=True)
    header = re.compile(rf"^\s*\[{re.escape(section)}\]\s*$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    addition = f"    {OMIT_PATTERN}\n"
    if start is None:
        separator = (
            "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        )
        return f"{text}{separator}[{section}]\nomit =\n{addition}"
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines)
    )
    omit = next((i for i in range(start + 1, end) if re.match(r"omit\s*[=:]", lines[i])), None)
    if omit is None:
        return "".join([*lines[: start + 1], "omit =\n", addition, *lines[start + 1 :]])
    last = omit
    while last + 1 < end and lines[last + 1][:1] in (" ", "\t") and lines[last + 1].strip():
        last += 1
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    return "".join([*lines[: last + 1], addition, *lines[last + 1 :]])


def _with_py_module(text: str) -> str:
    """`text` with the runtime listed in `[tool.setuptools] py-modules`, where that list is how
    setuptools finds the top-level modules it installs."""
    document = tomlkit.parse(text)
    tool = document.get("tool")
    setuptools = tool.get("setuptools") if isinstance(tool, Table) else None
    modules = setuptools.get("py-modules") if isinstance(setuptools, Table) else None
    if not isinstance(modules, Array) or RUNTIME_MODULE in modules:
        return text
    modules.append(RUNTIME_MODULE)
    return tomlkit.dumps(document)

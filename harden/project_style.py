"""What the project's own style tools want of the code harden writes: which formatter it runs,
its line length, and how it sorts imports.

Read from the project's files at its root (pyproject.toml, ruff.toml or .ruff.toml, setup.cfg,
.isort.cfg, tox.ini, .flake8, .pre-commit-config.yaml, and the places CI commands live: a
Makefile, noxfile.py, GitHub workflows). It only reads text: running a tool is
harden.conform's job. A file that does not parse counts as absent, never as an error.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harden.vendoring import RUNTIME_MODULE

DEFAULT_LINE_LENGTH = 88  # black's and ruff's

# The files whose text shows which commands the project runs.
_COMMAND_FILES = (".pre-commit-config.yaml", "Makefile", "noxfile.py", "tox.ini")
_WORKFLOWS = ".github/workflows"
_INI_PLACES = {
    "flake8": (("setup.cfg", "flake8"), ("tox.ini", "flake8"), (".flake8", "flake8")),
    "isort": (
        *((".isort.cfg", "settings"), ("setup.cfg", "isort"), ("setup.cfg", "tool:isort")),
        ("tox.ini", "isort"),
    ),
}


@dataclass(frozen=True, slots=True)
class ProjectStyle:
    """`formatter`: "black", "ruff" or None (the project runs none); `line_length` for the
    lines harden writes; `ruff_settings`: `--config` overrides that make ruff sort imports
    and format as the project's isort and black settings say, for a project that configures
    them rather than ruff."""

    root: str
    formatter: str | None = None
    line_length: int = DEFAULT_LINE_LENGTH
    ruff_settings: tuple[str, ...] = ()


def read_style(root: Path) -> ProjectStyle:
    pyproject = _toml(root / "pyproject.toml")
    tools = pyproject.get("tool", {}) if isinstance(pyproject.get("tool"), dict) else {}
    ruff = _ruff_config(root, tools)
    black = tools.get("black") if isinstance(tools.get("black"), dict) else None
    ini = _ini_sections(root)
    commands = _command_text(root)
    runs_black = black is not None or _mentions(commands, "black")
    runs_ruff_format = isinstance(ruff.get("format"), dict) or _mentions(
        commands, "ruff format", "ruff-format"
    )
    formatter = "black" if runs_black else "ruff" if runs_ruff_format else None
    lengths = [
        ruff.get("line-length"),
        (black or {}).get("line-length"),
        _int(ini.get("flake8", {}).get("max-line-length")),
    ]
    line_length = next((n for n in lengths if isinstance(n, int) and n > 0), DEFAULT_LINE_LENGTH)
    settings = [f"line-length = {line_length}"] if "line-length" not in ruff else []
    if black is not None and black.get("skip-string-normalization") and "format" not in ruff:
        settings.append('format.quote-style = "preserve"')
    settings += _isort_settings(ruff, tools.get("isort"), ini.get("isort"))
    return ProjectStyle(str(root), formatter, line_length, tuple(settings))


def _ruff_config(root: Path, tools: Mapping[str, Any]) -> dict[str, Any]:
    for name in ("ruff.toml", ".ruff.toml"):
        found = _toml(root / name)
        if found:
            return found
    ruff = tools.get("ruff")
    return ruff if isinstance(ruff, dict) else {}


def _isort_settings(
    ruff: Mapping[str, Any], isort_toml: object, isort_ini: Mapping[str, str] | None
) -> list[str]:
    """The runtime is always first-party; an isort configuration (not ruff's) is translated
    for the settings that decide where an added import goes."""
    lint = ruff.get("lint") if isinstance(ruff.get("lint"), dict) else {}
    ruff_isort = lint.get("isort", ruff.get("isort"))
    ruff_isort = ruff_isort if isinstance(ruff_isort, dict) else {}
    isort: dict[str, Any] = {}
    if isinstance(isort_toml, dict):
        isort = {key.replace("-", "_"): value for key, value in isort_toml.items()}
    elif isort_ini:
        isort = {key.replace("-", "_"): _ini_value(value) for key, value in isort_ini.items()}
    first_party = ruff_isort.get("known-first-party") or isort.get("known_first_party") or []
    settings = [f"lint.isort.known-first-party = {_toml_list([*first_party, RUNTIME_MODULE])}"]
    if not ruff_isort and isort:
        if isort.get("known_third_party"):
            third = _toml_list(isort["known_third_party"])
            settings.append(f"lint.isort.known-third-party = {third}")
        if isort.get("force_sort_within_sections") in (True, "true", "True"):
            settings.append("lint.isort.force-sort-within-sections = true")
    return settings


def _toml_list(values: object) -> str:
    items = values if isinstance(values, list) else [values]
    return "[" + ", ".join(f'"{item}"' for item in items if isinstance(item, str)) + "]"


def _ini_value(value: str) -> object:
    """An isort INI value: a comma-separated list, or one word."""
    parts = [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]
    return parts if len(parts) != 1 else parts[0]


def _ini_sections(root: Path) -> dict[str, dict[str, str]]:
    """The flake8 and isort sections, each from the first file its tool would read."""
    parsed: dict[str, configparser.ConfigParser | None] = {}
    found: dict[str, dict[str, str]] = {}
    for tool, places in _INI_PLACES.items():
        for name, section in places:
            if name not in parsed:  # setup.cfg and tox.ini serve both tools
                parsed[name] = _ini(root / name)
            parser = parsed[name]
            if parser is not None and parser.has_section(section):
                found[tool] = dict(parser.items(section))
                break
    return found


def _ini(path: Path) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(_text(path))
    except configparser.Error:
        return None
    return parser


def _command_text(root: Path) -> str:
    texts = [_text(root / name) for name in _COMMAND_FILES]
    workflows = root / _WORKFLOWS
    if workflows.is_dir():
        texts += [_text(path) for path in sorted(workflows.glob("*.y*ml"))]
    return "\n".join(texts)


def _mentions(text: str, *commands: str) -> bool:
    """A command named as a word: `black` in `black --check .` or `id: black`, not `blacken`."""
    words = re.findall(r"[\w.-]+", text)
    phrases = [" ".join(words[i : i + 2]) for i in range(len(words))]
    return any(command in words or command in phrases for command in commands)


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_text(path))
    except tomllib.TOMLDecodeError:
        return {}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""

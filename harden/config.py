"""`[tool.harden]` in a project's pyproject.toml: which files, which branch, runtime defaults.

```toml
[tool.harden]
include = ["src/*"]             # fnmatch patterns on repository-relative paths; `*` spans `/`
exclude = ["tests/*", "*_pb2.py"]
select = ["shell-command", "B602"]   # rules `harden scan` shows: harden's ids or Bandit/ruff ids
ignore = ["mcp-tool-unlimited"]      # mapped to them; `--select` / `--ignore` replace these
branch_prefix = "harden/"

[tool.harden.validate]          # phase 2 defaults baked into the vendored runtime
allowed_roots = ["/srv/data"]
allowed_hosts = ["api.example.com", "10.20.0.0/16"]
skip_params = ["search:query"]
max_string_length = 20000
path_params = ["lookup:target"]  # validated as a path, an URL or host, a command, whatever
url_params = ["q"]               # the parameter is called ("param" or "tool:param")
command_params = []

[tool.harden.rate_limit]        # phase 3
rpm = 300
```

Command-line flags override these. The runtime settings become a `configure(...)` call at the
end of the vendored `harden_runtime.py`, so the server needs no pyproject.toml at run time, and
the environment variables still win over them. Keys harden does not know are returned for the
caller to report (a typo must not pass silently); a value of the wrong type is a ConfigError.
This module only reads.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_FILE = "pyproject.toml"
DEFAULT_BRANCH_PREFIX = "harden/"  # the phase branches' names start with it

# [tool.harden.<table>] key -> the runtime's configure() keyword, and the type it takes
_RUNTIME_KEYS: dict[str, dict[str, tuple[str, type]]] = {
    "validate": {
        "allowed_roots": ("allowed_roots", list),
        "allowed_hosts": ("allowed_hosts", list),
        "skip_params": ("skip_params", list),
        "max_string_length": ("max_string_length", int),
        # "param" or "tool:param", validated as paths, URLs/hosts or commands by name
        "path_params": ("path_params", list),
        "url_params": ("url_params", list),
        "command_params": ("command_params", list),
    },
    "rate_limit": {"rpm": ("rate_limit_rpm", int)},
}
_TOP_KEYS = {
    "include": list,
    "exclude": list,
    "select": list,
    "ignore": list,
    "branch_prefix": str,
}


class ConfigError(ValueError):
    """A [tool.harden] value harden cannot use; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Config:
    include: tuple[str, ...] = ()  # empty: every file
    exclude: tuple[str, ...] = ()
    select: tuple[str, ...] = ()  # rule selectors `harden scan` shows; empty: every rule
    ignore: tuple[str, ...] = ()
    branch_prefix: str = DEFAULT_BRANCH_PREFIX
    runtime: Mapping[str, Any] = field(default_factory=dict)  # configure() keyword -> value
    unknown: tuple[str, ...] = ()  # keys found but not understood, dotted

    def selects(self, path: str) -> bool:
        """Whether harden reads the file at `path` (POSIX, relative to the repository)."""
        if self.include and not any(fnmatch.fnmatchcase(path, p) for p in self.include):
            return False
        return not any(fnmatch.fnmatchcase(path, p) for p in self.exclude)


def load_config(root: Path) -> Config:
    """The [tool.harden] table of `root`/pyproject.toml; defaults when there is none."""
    path = root / CONFIG_FILE
    if not path.is_file():
        return Config()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: `tool` must be a table")
    table = tool.get("harden", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.harden] must be a table")
    unknown: list[str] = []
    top: dict[str, Any] = {}
    runtime: dict[str, Any] = {}
    for key, value in table.items():
        if key in _TOP_KEYS:
            top[key] = _checked(path, key, value, _TOP_KEYS[key])
        elif key in _RUNTIME_KEYS:
            if not isinstance(value, dict):
                raise ConfigError(
                    f"{path}: [tool.harden] {key} must be a table ([tool.harden.{key}])"
                )
            for inner, setting in value.items():
                if inner not in _RUNTIME_KEYS[key]:
                    unknown.append(f"{key}.{inner}")
                    continue
                keyword, kind = _RUNTIME_KEYS[key][inner]
                runtime[keyword] = _checked(path, f"{key}.{inner}", setting, kind)
        else:
            unknown.append(key)
    return Config(
        include=tuple(top.get("include", ())),
        exclude=tuple(top.get("exclude", ())),
        select=tuple(top.get("select", ())),
        ignore=tuple(top.get("ignore", ())),
        branch_prefix=top.get("branch_prefix", DEFAULT_BRANCH_PREFIX),
        runtime=runtime,
        unknown=tuple(unknown),
    )


def runtime_settings_code(runtime: Mapping[str, Any]) -> str:
    """The lines the vendored runtime ends with to apply the project's settings ("" if none)."""
    if not runtime:
        return ""
    arguments = ", ".join(f"{key}={value!r}" for key, value in sorted(runtime.items()))
    return (
        "\n\n# The project's [tool.harden] settings, written by `harden apply`; the environment"
        f"\n# variables still take precedence.\nconfigure({arguments})\n"
    )


def _checked(path: Path, key: str, value: object, kind: type) -> Any:
    if kind is list:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{path}: [tool.harden] {key} must be a list of strings")
        return value
    if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ConfigError(f"{path}: [tool.harden] {key} must be a whole number, 0 or more")
    if kind is str and not isinstance(value, str):
        raise ConfigError(f"{path}: [tool.harden] {key} must be a string")
    return value

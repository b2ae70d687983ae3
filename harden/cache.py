"""The result cache: what scan, plan and `apply --dry-run` found in each file, kept for the next
run, as ruff's and mypy's caches keep theirs.

A value is found again only under the key it was stored with, and a key holds everything the
value depends on: the engine builds each file's key from its bytes, its path, what the project
index and other modules tell about it, and the run's context (harden's version, the codemods,
the style the rewrite is conformed to). Nothing is trusted: a store whose checksum does not
match its text is ignored whole, and a caller that cannot read an entry treats it as missing.

Stores live in `.harden_cache/` at the project's root (it holds a .gitignore of `*`, like
`.ruff_cache`), or in HARDEN_CACHE_DIR: one JSON file per version and context, written to a
temporary file and renamed, so concurrent runs leave one valid store each time and a crash
leaves the last one. Entries unused for KEEP_DAYS, stores of other harden versions and all but
the MAX_STORES latest contexts are removed. It never writes anywhere but its folder, and an
unusable folder (read-only, not a folder) only means running without a cache.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harden import __version__

CACHE_DIR_ENV = "HARDEN_CACHE_DIR"
FOLDER_NAME = ".harden_cache"
KEEP_DAYS = 30
MAX_STORES = 8  # contexts (phases, codemod choices) kept side by side
_FORMAT = "harden-cache 1"
_SUFFIX = ".json"
_STALE_TEMPORARY_SECONDS = 600


def digest(*parts: str) -> str:
    """A short digest of the texts, each told apart from the next."""
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


def canonical(value: Any) -> str:
    """`value` as one text that is equal for equal values in any process: dataclasses by their
    fields, enums by value, sets and mappings in sorted order."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, *(_plain(getattr(value, f.name)) for f in _fields(value))]
    if isinstance(value, Mapping):
        return sorted([canonical(k), _plain(v)] for k, v in value.items())
    if isinstance(value, set | frozenset):
        return sorted(canonical(item) for item in value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _fields(value: Any) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(value) if f.init and f.compare)


def cache_folder(root: Path) -> Path:
    """Where the cache of the project at `root` lives."""
    return Path(os.environ.get(CACHE_DIR_ENV) or root / FOLDER_NAME)


def _code_identity() -> str:
    """harden's own code as installed: its version alone would let an edited checkout (an
    editable install) reuse what older code found."""
    package = Path(__file__).parent
    return digest(
        *(
            f"{path.relative_to(package)}:{status.st_size}:{status.st_mtime_ns}"
            for path in sorted(package.rglob("*.py"))
            if (status := path.stat())
        )
    )


class ResultCache:
    """The entries of one context (a run's codemods and settings), loaded once and saved once."""

    def __init__(self, folder: Path, context: str) -> None:
        self.folder = folder / __version__
        self.path = self.folder / f"{digest(_FORMAT, _code_identity(), context)}{_SUFFIX}"
        self._today = int(time.time() // 86400)
        self._entries: dict[str, list[Any]] = _load(self.path)
        self._changed = False

    def get(self, key: str) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] != self._today:
            entry[0] = self._today
            self._changed = True
        return entry[1]

    def forget(self, key: str) -> None:
        """Drop an entry the caller found unusable."""
        if self._entries.pop(key, None) is not None:
            self._changed = True

    def put(self, key: str, value: Any) -> None:
        self._entries[key] = [self._today, value]
        self._changed = True

    def save(self) -> None:
        """Write the entries (with those another run saved meanwhile), dropping old ones; a
        folder harden cannot write to is left as it is."""
        if not self._changed:
            return
        try:
            _prepare(self.folder.parent)
            merged = {**_load(self.path), **self._entries}
            oldest = self._today - KEEP_DAYS
            kept = {key: entry for key, entry in merged.items() if entry[0] >= oldest}
            _write(self.path, kept)
            _prune(self.folder.parent, self.folder, self.path)
        except OSError:
            return
        self._changed = False


def _load(path: Path) -> dict[str, list[Any]]:
    """The entries of the store at `path`; none when it is missing, torn or tampered with."""
    try:
        text = path.read_text(encoding="utf-8")
        check, _, body = text.partition("\n")
        if check != digest(_FORMAT, body):
            return {}
        entries = json.loads(body)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}
    if not isinstance(entries, dict):
        return {}
    return {
        key: entry
        for key, entry in entries.items()
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int)
    }


def _write(path: Path, entries: Mapping[str, list[Any]]) -> None:
    body = json.dumps(entries, separators=(",", ":"))
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(f"{digest(_FORMAT, body)}\n{body}")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _prepare(top: Path) -> None:
    """The cache's folders, the top one ignored by git."""
    fresh = not top.is_dir()
    (top / __version__).mkdir(parents=True, exist_ok=True)
    if fresh or not (top / ".gitignore").exists():
        (top / ".gitignore").write_text("# Created by harden: its result cache.\n*\n")


def _prune(top: Path, folder: Path, current: Path) -> None:
    """Remove the stores of other harden versions, all but the latest MAX_STORES of this one,
    and temporary files a killed run left."""
    for entry in top.iterdir():
        if entry.is_dir() and not entry.is_symlink() and entry != folder:
            shutil.rmtree(entry, ignore_errors=True)
    now = time.time()
    stores = []
    for entry in folder.iterdir():
        age = now - entry.stat().st_mtime
        if entry.suffix == ".tmp" and age > _STALE_TEMPORARY_SECONDS:
            entry.unlink(missing_ok=True)
        elif entry.suffix == _SUFFIX and entry != current:
            stores.append((age, entry))
    for _, stale in sorted(stores)[MAX_STORES - 1 :]:
        stale.unlink(missing_ok=True)

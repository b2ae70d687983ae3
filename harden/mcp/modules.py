"""Where an import leads: the project's modules by dotted name, and imports resolved to files.

The project index (project.py) follows names across modules; this module only answers, from the
paths of the files read, which file (or namespace folder) an `import` statement of one of them
names. Paths are POSIX and relative to the tree's root. A module is a file path (`pkg/app.py`,
`pkg/__init__.py`) or, for a folder without `__init__.py` (a namespace package), the folder with
a trailing slash (`pkg/`). It reads no file and never guesses: an absolute import that several
files could satisfy equally well resolves to none.
"""

from __future__ import annotations

from collections.abc import Iterable

INIT = "__init__.py"


class Layout:
    """The modules of a tree, found from its file paths alone."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.files = frozenset(paths)
        self._packages = frozenset(
            _parent(path) for path in self.files if path.rpartition("/")[2] == INIT
        )
        self._folder_set: frozenset[str] | None = None
        # the last part of a module's dotted name -> the modules so named: `a/b/c.py` and
        # `a/b/c/__init__.py` are both "c" (the root on sys.path is not known from paths)
        self._by_last: dict[str, list[str]] = {}
        for path in self.files:
            folder, _, filename = path.rpartition("/")
            last = folder.rpartition("/")[2] if filename == INIT else filename[:-3]
            self._by_last.setdefault(last, []).append(path)

    def is_package(self, folder: str) -> bool:
        return folder in self._packages

    def dotted_name(self, module: str) -> str:
        """The module's name as Python imports it: the package folders above it, up to the
        first folder that is not a regular package (a root on sys.path)."""
        if module.endswith("/"):
            folder, _, name = module[:-1].rpartition("/")
        else:
            folder, _, filename = module.rpartition("/")
            name = filename[:-3]
            if filename == INIT:
                folder, _, name = folder.rpartition("/")
        names = [name]
        while folder and self.is_package(folder):
            folder, _, name = folder.rpartition("/")
            names.append(name)
        return ".".join(reversed(names))

    def resolve(self, importer: str, module: str | None, level: int) -> str | None:
        """The module that `from <level dots><module> import ...` (or `import <module>`, level
        0) in file `importer` names, if it is one of the project's."""
        if level:
            base = _parent(importer)
            for _ in range(level - 1):
                base = _parent(base)
            if module:
                base = f"{base}/{module.replace('.', '/')}" if base else module.replace(".", "/")
            return self._at(base)
        if not module:
            return None
        return self._absolute(importer, module)

    def submodule(self, package: str, name: str) -> str | None:
        """The module `name` inside package `package` (its `__init__.py` or its folder)."""
        folder = _parent(package) if package.endswith(INIT) else package.rstrip("/")
        return self._at(f"{folder}/{name}" if folder else name)

    def _at(self, target: str) -> str | None:
        """The module at path `target` (no suffix): a file, a package, or a namespace folder."""
        if f"{target}.py" in self.files:
            return f"{target}.py"
        if f"{target}/{INIT}" in self.files:
            return f"{target}/{INIT}"
        if target and target in self._folders():
            return f"{target}/"
        return None

    def _absolute(self, importer: str, dotted: str) -> str | None:
        tail = dotted.replace(".", "/")
        candidates = [
            path
            for path in self._by_last.get(dotted.rpartition(".")[2], ())
            if _names(path, tail) and ("." in dotted or not self._in_package(path))
        ]
        if not candidates:  # a namespace package: a folder without __init__.py
            candidates = [
                f"{folder}/"
                for folder in self._folders()
                if (folder == tail or folder.endswith(f"/{tail}"))
                and ("." in dotted or not self.is_package(_parent(folder)))
            ]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        # Several copies (a vendored one, a test fixture): the one nearest the importer.
        nearness = {c: _shared_depth(importer, c) for c in candidates}
        best = max(nearness.values())
        nearest = [c for c, depth in nearness.items() if depth == best]
        return nearest[0] if len(nearest) == 1 else None

    def _in_package(self, module: str) -> bool:
        """Whether a module file sits inside a regular package (so is no top-level module)."""
        folder = _parent(module)
        return self.is_package(_parent(folder) if module.endswith(INIT) else folder)

    def _folders(self) -> frozenset[str]:
        if self._folder_set is None:
            folders: set[str] = set()
            for path in self.files:
                folder = _parent(path)
                while folder and folder not in folders:
                    folders.add(folder)
                    folder = _parent(folder)
            self._folder_set = frozenset(folders)
        return self._folder_set


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _names(path: str, tail: str) -> bool:
    """Whether file `path` is the module at the end of `tail` (`a/b` for `a.b`)."""
    for ending in (f"{tail}.py", f"{tail}/{INIT}"):
        if path == ending or path.endswith(f"/{ending}"):
            return True
    return False


def _shared_depth(one: str, other: str) -> int:
    depth = 0
    for a, b in zip(one.split("/")[:-1], other.split("/"), strict=False):
        if a != b:
            break
        depth += 1
    return depth

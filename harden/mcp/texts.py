"""The project's file texts as the project index reads them, remembering what it read.

The index (project.py) reads some files' texts (to parse them) and searches all of them for a
few strings (the callers of a function, the uses of a class). Its result depends on nothing else
of the texts but the set of paths, so a run that keeps those the same may reuse it (harden
.cross_module): every access goes through here and is recorded. Never changes a text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, KeysView, Sequence


class ProjectTexts:
    def __init__(self, files: Sequence[tuple[str, str]]) -> None:
        self._texts = dict(files)
        self.read: set[str] = set()  # the paths whose text was handed out
        self.needles: set[str] = set()  # the strings searched for in every text

    def paths(self) -> KeysView[str]:
        return self._texts.keys()

    def get(self, path: str) -> str | None:
        self.read.add(path)
        return self._texts.get(path)

    def containing(self, needles: Iterable[str]) -> Iterator[tuple[str, str]]:
        """(path, text) of each file whose text holds one of `needles`."""
        wanted = list(needles)
        self.needles.update(wanted)
        for path, text in self._texts.items():
            if any(needle in text for needle in wanted):
                self.read.add(path)
                yield path, text

    def everything(self) -> Iterator[tuple[str, str]]:
        """(path, text) of every file: all of them count as read."""
        self.read.update(self._texts)
        yield from self._texts.items()

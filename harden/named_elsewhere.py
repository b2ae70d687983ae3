"""Which private top-level functions of a module another module of the project names.

Phase 5 changes what a private runner (`def _run(cmd)`) takes when every call of it in its
module is known; a module that imports it (`from .util import _run`) holds calls harden did not
see. Reading the project's text is enough to rule that out: a function no other file names as a
word cannot be imported by name, and a name found in a comment or string only makes harden
more careful. Text only; it never parses and never changes anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

_PRIVATE_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+(_[A-Za-z0-9]\w*)[ \t]*\(", re.MULTILINE)
# The next top-level definition: a function's text runs at most up to it (and may take in the
# module-level code after it, which only makes harden more careful).
_NEXT_DEFINITION = re.compile(r"^(?:@|class\b|(?:async[ \t]+)?def\b)", re.MULTILINE)


def named_elsewhere(
    files: Sequence[tuple[str, str]], defined: Mapping[str, Sequence[str]]
) -> Mapping[str, frozenset[str]]:
    """For each file, those of its private runners (`defined`: by path, as `private_runners`
    finds them) that some other file names."""
    wanted = frozenset().union(*defined.values())
    return elsewhere(defined, {path: names_in(text, wanted) for path, text in files})


def names_in(text: str, wanted: frozenset[str]) -> list[str]:
    """Those of the `wanted` names that `text` holds as a word."""
    return sorted(name for name in wanted if name in text and re.search(rf"\b{name}\b", text))


def elsewhere(
    defined: Mapping[str, Sequence[str]], named: Mapping[str, Sequence[str]]
) -> Mapping[str, frozenset[str]]:
    """named_elsewhere's answer from the names each file holds (`named`, by path)."""
    named_in: dict[str, set[str]] = {}
    for path, names in named.items():
        for name in names:
            named_in.setdefault(name, set()).add(path)
    return {
        path: frozenset(name for name in names if named_in.get(name, set()) - {path})
        for path, names in defined.items()
        if names
    }


def private_runners(text: str, runs: Callable[[str], bool]) -> list[str]:
    """The private top-level functions whose definition `runs` accepts (those that may run a
    command); none when the file's text as a whole is not accepted."""
    if not runs(text):
        return []
    found = []
    for match in _PRIVATE_DEF.finditer(text):
        end = _NEXT_DEFINITION.search(text, match.end())
        if runs(text[match.start() : end.start() if end else len(text)]):
            found.append(match[1])
    return found

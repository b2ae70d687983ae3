"""What a file's result depends on beyond its own text: what the other modules of the project
tell about it, computed once per run for the engine.

Two things: the private runners another module names (harden.named_elsewhere) and the project
index's facts (harden.mcp.project). With a result cache (harden.cache) the run keeps what it
found and what that depended on, so the next run redoes only what a changed file can alter:
the per-file parts (harden.mcp's prefilter, the runners a file defines and those it names) for
the changed files alone; the index only when a changed file is one it read, holds a string it
searched every file for, or becomes or stops being a candidate, or a file came or went.
Reads texts only; never parses with libcst, never writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from harden.cache import ResultCache, canonical, digest
from harden.mcp.facts import NO_FACTS, ModuleFacts
from harden.mcp.frameworks import may_hold_handlers
from harden.mcp.project import ProjectIndex
from harden.named_elsewhere import elsewhere, names_in, private_runners
from harden.vendoring import is_runtime

NO_FACTS_KEY = digest(canonical(NO_FACTS))


@dataclass(slots=True)
class CrossModule:
    texts: Mapping[str, str]  # each file's digest, by path (only with a cache: its keys)
    elsewhere: Mapping[str, frozenset[str]]  # see harden.named_elsewhere
    seeds: frozenset[str]  # the files harden.mcp's prefilter lets through
    facts_keys: Mapping[str, str]  # a digest of each module's facts (absent: NO_FACTS)
    _facts: Mapping[str, ModuleFacts] | None  # None until needed, when the cache answered
    _files: Sequence[tuple[str, str]]

    def facts(self, paths: Iterable[str]) -> Mapping[str, ModuleFacts]:
        """The project index's facts, by path, for a run that needs those of `paths`: computed
        now if the cache answered before, and only if one of them has some."""
        if self._facts is None:
            if not any(path in self.facts_keys for path in paths):
                return {}
            self._facts = _index(self._files, self.seeds).facts
        return self._facts


@dataclass(frozen=True, slots=True)
class _Found:
    """What a run found across modules and what it depended on, kept for the next run."""

    files: dict[str, str]  # each file's digest, by path
    seeds: list[str]
    defined: dict[str, list[str]]  # the private runners of each file defining some
    named: dict[str, list[str]]  # the runners (of any file) each file naming some names
    facts: dict[str, str]  # a digest of each module's facts
    read: list[str]  # the files whose text the index read
    needles: list[str]  # the strings the index searched every file for


@dataclass(frozen=True, slots=True)
class _Index:
    facts: dict[str, ModuleFacts]
    read: set[str]
    needles: set[str]


NOTHING_FOUND = _Found({}, [], {}, {}, {}, [], [])


def cross_module(
    files: Sequence[tuple[str, str]],
    *,
    runs: Callable[[str], bool] | None,
    handlers: bool,
    cache: ResultCache | None,
) -> CrossModule:
    """The run's cross-module inputs: `runs` accepts a runner's text (None: no codemod looks
    for private runners); `handlers`: a codemod acts on MCP handlers, so the index is needed."""
    # Hashing every file is for the cache's keys: a run without one does not pay it.
    texts = {path: digest(text) for path, text in files} if cache is not None else {}
    key = f"cross-module:{bool(runs)}:{handlers}"
    last = _stored(cache, key) if cache is not None else NOTHING_FOUND
    if last.files and last.files == texts:
        named_by = elsewhere(last.defined, last.named)
        return CrossModule(texts, named_by, frozenset(last.seeds), last.facts, None, files)
    by_path = dict(files)
    changed = {path for path in by_path if cache is None or last.files.get(path) != texts[path]}
    redone = changed | (last.files.keys() - by_path.keys())
    seeds = set(last.seeds) - redone
    defined = {path: names for path, names in last.defined.items() if path not in redone}
    for path in sorted(changed):
        if is_runtime(path):
            continue
        if handlers and may_hold_handlers(by_path[path]):
            seeds.add(path)
        runners = private_runners(by_path[path], runs) if runs is not None else []
        if runners:
            defined[path] = runners
    wanted = frozenset().union(*defined.values())
    named, unnamed = {}, set(by_path)  # other names than last time: every file is read again
    if wanted == frozenset().union(*last.defined.values()):
        named = {path: names for path, names in last.named.items() if path not in redone}
        unnamed = changed
    for path in unnamed if wanted else ():
        if names := names_in(by_path[path], wanted):
            named[path] = names
    index = None
    if not handlers:
        facts_keys, read, needles = {}, [], []
    elif (
        last.files.keys() == by_path.keys()
        and seeds == set(last.seeds)
        and not redone.intersection(last.read)
        and not any(n in by_path[path] for path in redone for n in last.needles)
    ):
        facts_keys, read, needles = last.facts, last.read, last.needles
    else:
        index = _index(files, seeds)
        facts_keys = {path: digest(canonical(value)) for path, value in index.facts.items()}
        read, needles = sorted(index.read), sorted(index.needles)
    if cache is not None:
        found = _Found(texts, sorted(seeds), defined, named, facts_keys, read, needles)
        cache.put(key, asdict(found))
    facts = index.facts if index is not None else None
    return CrossModule(texts, elsewhere(defined, named), frozenset(seeds), facts_keys, facts, files)


def _index(files: Sequence[tuple[str, str]], seeds: Iterable[str]) -> _Index:
    index = ProjectIndex([(p, t) for p, t in files if not is_runtime(p)])
    facts = index.facts(sorted(seeds))
    return _Index(facts, index.symbols.texts.read, index.symbols.texts.needles)


def _stored(cache: ResultCache, key: str) -> _Found:
    """What the last run stored under `key`, if it has the right shape."""
    entry: Any = cache.get(key)
    try:
        found = _Found(**entry)
    except TypeError:
        found = None
    if found is None or not (
        _string_map(found.files)
        and _strings(found.seeds)
        and _list_map(found.defined)
        and _list_map(found.named)
        and _string_map(found.facts)
        and _strings(found.read)
        and _strings(found.needles)
    ):
        if entry is not None:
            cache.forget(key)
        return NOTHING_FOUND
    return found


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _string_map(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(item, str) for item in value.values())


def _list_map(value: Any) -> bool:
    return isinstance(value, dict) and all(_strings(item) for item in value.values())

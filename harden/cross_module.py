"""What a file's result depends on beyond its own text: what the other modules of the project
tell about it, computed once per run for the engine.

Two things: the private runners another module names (harden.named_elsewhere) and the project
index's facts (harden.mcp.project). Both are functions of every file's path and text, so with a
result cache (harden.cache) they are stored under a digest of all of them and reused while no
file changes; the cheap per-file parts (harden.mcp's prefilter, the private runners a file
defines) are stored by the file's own digest, so that one changed file costs only its own.
Reads texts only; never parses with libcst, never writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harden.cache import ResultCache, canonical, digest
from harden.mcp.facts import NO_FACTS, ModuleFacts
from harden.mcp.frameworks import may_hold_handlers
from harden.mcp.project import index_project
from harden.named_elsewhere import named_elsewhere, private_runners
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

    def facts(self) -> Mapping[str, ModuleFacts]:
        """The project index's facts, by path (computed now if the cache answered before)."""
        if self._facts is None:
            self._facts = _index(self._files, self.seeds)
        return self._facts


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
    project_key = "project:" + digest(
        canonical([bool(runs), handlers]), *(f"{p}\0{d}" for p, d in sorted(texts.items()))
    )
    if cache is not None and (stored := _stored(cache, project_key)) is not None:
        elsewhere, seeds, facts_keys = stored
        return CrossModule(texts, elsewhere, seeds, facts_keys, None, files)
    seeds: set[str] = set()
    defined: dict[str, list[str]] = {}
    for path, text in files:
        if is_runtime(path):
            continue
        seed, runners = _per_file(cache, texts.get(path, ""), text, runs, handlers)
        if seed:
            seeds.add(path)
        if runners:
            defined[path] = runners
    elsewhere = named_elsewhere(files, defined) if defined else {}
    facts = _index(files, seeds) if handlers else {}
    facts_keys = {path: digest(canonical(value)) for path, value in facts.items()}
    if cache is not None:
        cache.put(
            project_key,
            {
                "elsewhere": {path: sorted(names) for path, names in elsewhere.items()},
                "seeds": sorted(seeds),
                "facts": facts_keys,
            },
        )
    return CrossModule(texts, elsewhere, frozenset(seeds), facts_keys, facts, files)


def _index(
    files: Sequence[tuple[str, str]], seeds: frozenset[str] | set[str]
) -> dict[str, ModuleFacts]:
    return index_project([(p, t) for p, t in files if not is_runtime(p)], sorted(seeds))


def _per_file(
    cache: ResultCache | None,
    key: str,
    text: str,
    runs: Callable[[str], bool] | None,
    handlers: bool,
) -> tuple[bool, list[str]]:
    """Whether the file may hold MCP handlers, and the private runners it defines."""
    entry_key = f"text:{key}:{bool(runs)}:{handlers}"
    entry = cache.get(entry_key) if cache is not None else None
    if (
        isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], bool)
        and _strings(entry[1])
    ):
        return entry[0], entry[1]
    seed = handlers and may_hold_handlers(text)
    runners = private_runners(text, runs) if runs is not None else []
    if cache is not None:
        cache.put(entry_key, [seed, runners])
    return seed, runners


def _stored(
    cache: ResultCache, key: str
) -> tuple[dict[str, frozenset[str]], frozenset[str], dict[str, str]] | None:
    """What an earlier run stored under `key`, if it has the right shape."""
    entry: Any = cache.get(key)
    if not isinstance(entry, dict):
        return None
    elsewhere, seeds, facts = entry.get("elsewhere"), entry.get("seeds"), entry.get("facts")
    if not (
        isinstance(elsewhere, dict)
        and all(_strings(names) for names in elsewhere.values())
        and _strings(seeds)
        and isinstance(facts, dict)
        and _strings(list(facts.values()))
    ):
        cache.forget(key)
        return None
    return {p: frozenset(v) for p, v in elsewhere.items()}, frozenset(seeds), facts


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)

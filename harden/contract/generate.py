"""Calls generated from tools' input schemas (`--generate N`), for read-only tools only.

A tool is called with made-up arguments only when its annotations say `readOnlyHint: true`, or
the user listed it as safe: calling an unknown tool with arbitrary arguments can delete things.
That gate (`may_generate`) is the one place the decision is made; record uses it to generate,
verify uses it again before replaying a generated call (a tool may have lost the hint since).
Generation is deterministic (hypothesis, derandomized): the same schema gives the same calls.
This module never calls a server.
"""

from __future__ import annotations

from collections.abc import Iterable

from harden.contract.model import JSON, Call


def may_generate(tool: JSON, safe: frozenset[str]) -> bool:
    annotations = tool.get("annotations") or {}
    return annotations.get("readOnlyHint") is True or tool.get("name") in safe


def generated_calls(
    tools: Iterable[JSON], count: int, safe: frozenset[str]
) -> tuple[list[Call], list[tuple[str, str]]]:
    """Up to `count` distinct argument sets for each tool `may_generate` allows, in name order;
    and the tools whose schema could not be generated from, with why."""
    calls: list[Call] = []
    skipped: list[tuple[str, str]] = []
    for tool in sorted(tools, key=lambda t: str(t.get("name"))):
        if count <= 0 or not may_generate(tool, safe):
            continue
        name = tool["name"]
        try:
            examples = _examples(tool.get("inputSchema") or {}, count)
        except Exception as error:  # an unsupported schema: hypothesis says why, in its words
            skipped.append((f"generated:{name}", f"no arguments generated: {error}"))
            continue
        calls += [
            Call(f"generated:{name}#{index}", "tool", name, arguments, "generated")
            for index, arguments in enumerate(examples, 1)
        ]
    return calls, skipped


def _examples(schema: JSON, count: int) -> list[dict[str, JSON]]:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from hypothesis_jsonschema import from_schema

    # One strategy per argument, joined by hypothesis: hypothesis-jsonschema's own object
    # strategy needs a hypothesis internal that newer releases removed.
    shared = {key: schema[key] for key in ("$defs", "definitions") if key in schema}
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    strategies = {name: from_schema({**shared, **sub}) for name, sub in properties.items()}
    arguments = st.fixed_dictionaries(
        {name: strategies[name] for name in properties if name in required},
        optional={name: strategies[name] for name in properties if name not in required},
    )
    found: list[dict[str, JSON]] = []

    @settings(
        max_examples=count * 5,  # duplicates are dropped; a tiny schema may have fewer values
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(arguments)
    def collect(drawn: dict[str, JSON]) -> None:
        if len(found) < count and drawn not in found:
            found.append(drawn)

    collect()
    return found

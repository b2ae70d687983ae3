"""Fixtures for the MCP handler discovery tests: parse source text and discover its handlers.

They only parse text; they never import or run the code under analysis. Every discovery also
checks the engine's cheap gate: a file in which the finder sees anything must pass it, or the
engine would never show that file to the finder.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from harden.mcp.gate import may_register_handlers
from harden.mcp.handlers import Discovery, find_handlers


def discover_source(source: str) -> Discovery:
    text = textwrap.dedent(source)
    discovery = find_handlers(MetadataWrapper(cst.parse_module(text)))
    if discovery.handlers or discovery.unresolved:
        assert may_register_handlers(ast.parse(text)), "the gate would hide this file"
    return discovery


@pytest.fixture(scope="session")
def discover() -> Callable[[str], Discovery]:
    return discover_source

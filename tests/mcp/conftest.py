"""Fixtures for the MCP handler discovery tests: parse source text and discover its handlers.

They only parse text; they never import or run the code under analysis.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from harden.mcp import Discovery, find_handlers


def discover_source(source: str) -> Discovery:
    return find_handlers(MetadataWrapper(cst.parse_module(textwrap.dedent(source))))


@pytest.fixture(scope="session")
def discover() -> Callable[[str], Discovery]:
    return discover_source

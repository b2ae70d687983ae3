"""Fixtures for the findings tests: stored scanner outputs with their absolute paths restored.

These fixtures must never run a scanner: the outputs in data/outputs are what the tests read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

DATA = (Path(__file__).parent / "data").resolve()


@pytest.fixture
def data_dir() -> Path:
    """The project root the stored outputs were produced in."""
    return DATA


@pytest.fixture
def stored_output(tmp_path: Path) -> Callable[[str], Path]:
    """A stored scanner output, copied with the placeholders for this checkout's location filled."""

    def materialise(name: str) -> Path:
        text = (DATA / "outputs" / name).read_text(encoding="utf-8")
        text = text.replace("@DATA_URI@", DATA.as_uri()).replace(
            "@DATA@", json.dumps(str(DATA))[1:-1]
        )
        copy = tmp_path / name
        copy.write_text(text, encoding="utf-8")
        return copy

    return materialise

"""Fixtures shared across the test folders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harden import runtime


@pytest.fixture
def fresh_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The runtime as a server starts it: none of its environment switches set, nothing
    configured, no rate-limit history; and left that way for the next test."""
    for name in runtime._ENV_KEYS:
        monkeypatch.delenv(name, raising=False)
    runtime.reset()
    yield
    runtime.reset()

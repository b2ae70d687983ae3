"""Fixtures shared across the test folders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harden import runtime


def _runtime_as_started(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in runtime._ENV_KEYS:
        monkeypatch.delenv(name, raising=False)
    runtime.reset()
    yield
    runtime.reset()


@pytest.fixture
def fresh_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The runtime as a server starts it: none of its environment switches set, nothing
    configured, no rate-limit history; and left that way for the next test."""
    yield from _runtime_as_started(monkeypatch)


@pytest.fixture(scope="module")
def fresh_runtime_for_module() -> Iterator[None]:
    """The same for every test of a module (a hypothesis test cannot take a test's fixture)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from _runtime_as_started(monkeypatch)

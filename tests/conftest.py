"""Fixtures shared across the test folders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harden import runtime
from harden.cache import CACHE_DIR_ENV


@pytest.fixture(autouse=True, scope="session")
def _result_cache_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """harden's result cache, for every run the tests start (in process or not), in a folder of
    the session's: never in this checkout, never shared with another session."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path_factory.mktemp("harden_cache")))
        yield


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

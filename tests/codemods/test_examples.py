"""Every codemod's own BEFORE/AFTER examples, run exactly as the docs print them.

An example whose `after` equals its `before` must be left alone and reported with a reason that
contains its `unfixed` fragment. Every output must compile, and running the codemod again on it
must change nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harden.codemods.base import FileRun, PlannedCodemod
from harden.codemods.catalog import ALL_INFO, INFO_BY_ID
from harden.codemods.info import Example
from harden.codemods.registry import ALL, BY_ID

Apply = Callable[..., tuple[str, FileRun]]  # the `apply` fixture of conftest.py

CASES = [
    pytest.param(codemod, example, id=f"{codemod.INFO.id}-{index}")
    for codemod in ALL
    for index, example in enumerate(codemod.INFO.examples)
]


@pytest.mark.parametrize(("codemod", "example"), CASES)
def test_example_gives_its_after(
    apply: Apply, codemod: type[PlannedCodemod], example: Example
) -> None:
    compile(example.before, "before.py", "exec")
    new, run = apply(example.before, codemod, example.logs)
    assert new == example.after
    compile(new, "after.py", "exec")
    reasons = [unfixed.reason for unfixed in run.unfixed] + run.kept  # kept: left on purpose
    if example.after == example.before:
        assert example.unfixed, "an example left alone must say which reason it expects"
        assert not run.accepted
    else:
        assert run.accepted
    if example.unfixed:
        assert any(example.unfixed in reason for reason in reasons), reasons
    else:
        assert not reasons


@pytest.mark.parametrize(("codemod", "example"), CASES)
def test_example_is_idempotent(
    apply: Apply, codemod: type[PlannedCodemod], example: Example
) -> None:
    again, run = apply(example.after, codemod, example.logs)
    assert again == example.after
    assert not run.accepted


@pytest.mark.parametrize(("codemod", "example"), CASES)
def test_prefilter_lets_every_example_through(
    codemod: type[PlannedCodemod], example: Example
) -> None:
    # The engine never parses a file the prefilter rejects, so an example it rejects is a
    # place harden would silently miss.
    assert codemod.INFO.wants(example.before)


@pytest.mark.parametrize("codemod", ALL, ids=lambda codemod: codemod.INFO.id)
def test_codemod_shows_a_rewrite_and_a_refusal(codemod: type[PlannedCodemod]) -> None:
    examples = codemod.INFO.examples
    assert any(e.after != e.before for e in examples)
    assert any(e.after == e.before for e in examples)
    assert BY_ID[codemod.INFO.id] is codemod


def test_registry_and_catalog_list_the_same_codemods_in_one_order() -> None:
    assert tuple(codemod.INFO for codemod in ALL) == ALL_INFO
    assert all(INFO_BY_ID[info.id] is info for info in ALL_INFO)

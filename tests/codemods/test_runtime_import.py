"""The runtime's import is added once, where the decorators can see it."""

from __future__ import annotations

import libcst as cst
import pytest

from harden.codemods.runtime_import import add_runtime_import


@pytest.mark.parametrize(
    "source",
    [
        "import harden_runtime\n\nx = 1\n",
        "try:\n    from . import harden_runtime\nexcept ImportError:\n    import harden_runtime\n",
        "import os, harden_runtime\n",
    ],
)
def test_a_module_level_import_is_kept_alone(source: str) -> None:
    module = cst.parse_module(source)
    assert add_runtime_import(module, below_root=False).code == source


@pytest.mark.parametrize(
    "source",
    [
        "def f():\n    import harden_runtime\n",
        "class C:\n    import harden_runtime\n",
        "x = 'import harden_runtime'\n",
    ],
)
def test_an_import_the_decorators_cannot_see_gets_a_module_level_one(source: str) -> None:
    module = cst.parse_module(source)
    assert add_runtime_import(module, below_root=False).code == "import harden_runtime\n" + source

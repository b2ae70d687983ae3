"""The project's own exception classes whose messages are written for the client.

Each case lays out a small project and asks which names a server module's `except` clauses
catch are proven client-meant: defined in the project, computing nothing, and raised everywhere
only with literals and the raising function's plain-data arguments.
"""

from __future__ import annotations

import textwrap

import pytest

from harden.mcp.project import ProjectIndex

SERVER = """\
    from mcp.server.fastmcp import FastMCP

    from .errors import PolicyError

    mcp = FastMCP("x")


    @mcp.tool()
    def run(command: str) -> str:
        try:
            return command
        except PolicyError as e:
            return f"refused: {e}"
"""

CLEAN = """\
    class PolicyError(Exception):
        '''A command the policy refuses.'''

        code = 403


    def check(command: str, limit: int | None = None) -> None:
        if command.startswith("rm"):
            raise PolicyError(f"not allowed: {command}")
        if limit is not None and len(command) > limit:
            raise PolicyError("too long: %d > %d" % (len(command), limit))
        raise PolicyError
"""


def caught(modules: dict[str, str]) -> frozenset[str]:
    files = [(path, textwrap.dedent(text)) for path, text in modules.items()]
    return ProjectIndex(files).client_errors.names_in("pkg/server.py")


def test_a_class_raised_only_with_literals_and_plain_arguments_is_client_meant() -> None:
    assert caught({"pkg/__init__.py": "", "pkg/server.py": SERVER, "pkg/errors.py": CLEAN}) == {
        "PolicyError"
    }


def test_a_class_re_exported_by_the_package_and_derived_from_a_plain_base() -> None:
    errors = """\
        class AppError(Exception):
            pass


        class PolicyError(AppError):
            pass


        def check(name: str) -> None:
            raise PolicyError("no " + name)
    """
    modules = {
        "pkg/__init__.py": "from .errors import PolicyError\n",
        "pkg/server.py": SERVER.replace("from .errors import", "from pkg import"),
        "pkg/errors.py": errors,
    }
    assert caught(modules) == {"PolicyError"}


@pytest.mark.parametrize(
    "dirty",
    [
        # another exception's text
        "def wrap(e: Exception) -> None:\n    raise PolicyError(str(e))\n",
        # a parameter that is not plain data, or not annotated at all
        "def wrap(e: OSError) -> None:\n    raise PolicyError(f'failed: {e}')\n",
        "def wrap(detail) -> None:\n    raise PolicyError(detail)\n",
        # a local variable, and a parameter the function rebinds
        "def wrap() -> None:\n    detail = open('/etc/x').read()\n    raise PolicyError(detail)\n",
        "def wrap(d: str) -> None:\n    d = open(d).read()\n    raise PolicyError(d)\n",
        # a call's result
        "import os\n\ndef wrap() -> None:\n    raise PolicyError(os.getcwd())\n",
        # handed around as a value, then raised by whoever gets it
        "KINDS = [PolicyError]\n",
        # a class deriving from it, raised with another exception's text
        "class Sub(PolicyError):\n    pass\n\ndef wrap(e: Exception) -> None:\n"
        "    raise Sub(repr(e))\n",
    ],
)
def test_any_other_message_anywhere_in_the_project_disproves_it(dirty: str) -> None:
    modules = {
        "pkg/__init__.py": "",
        "pkg/server.py": SERVER,
        "pkg/errors.py": CLEAN,
        "pkg/other.py": "from .errors import PolicyError\n\n\n" + dirty,
    }
    assert caught(modules) == frozenset()


@pytest.mark.parametrize(
    "errors",
    [
        # it builds its own text
        "class PolicyError(Exception):\n    def __str__(self) -> str:\n"
        "        return open('/etc/hostname').read()\n",
        # its base is a library's, whose text harden cannot see
        "import httpx\n\nclass PolicyError(httpx.HTTPError):\n    pass\n",
    ],
)
def test_a_class_that_computes_its_text_or_derives_from_a_library_is_not(errors: str) -> None:
    modules = {"pkg/__init__.py": "", "pkg/server.py": SERVER, "pkg/errors.py": errors}
    assert caught(modules) == frozenset()


def test_every_class_of_the_project_sharing_the_name_must_be_plain() -> None:
    legacy = "class PolicyError(Exception):\n    def __init__(self) -> None:\n        pass\n"
    modules = {
        "pkg/__init__.py": "",
        "pkg/server.py": SERVER,
        "pkg/errors.py": CLEAN,
        "pkg/legacy.py": legacy,
    }
    assert caught(modules) == frozenset()


def test_a_library_class_is_never_the_projects() -> None:
    server = SERVER.replace(
        "from .errors import PolicyError", "from httpx import HTTPError as PolicyError"
    )
    assert caught({"pkg/__init__.py": "", "pkg/server.py": server}) == frozenset()

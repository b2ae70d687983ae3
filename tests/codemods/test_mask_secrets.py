"""The mask-secrets codemod's `secret-exposure` findings: which handler returns hand the process
environment or a secret variable to the client, in the forms real servers write them, and which
do not (a value used but not returned, a variable whose name is no secret's, a filtered copy, a
function that is no handler).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harden.codemods.base import FileRun
from harden.codemods.mask_secrets import SECRET_EXPOSURE, MaskSecrets
from harden.findings.model import Severity

HEADER = "import json\nimport os\nfrom os import environ, getenv\n\nfrom fastmcp import FastMCP\n\n"
HEADER += 'mcp = FastMCP("ops")\n\n\n@mcp.tool()\n'


Apply = Callable[..., tuple[str, FileRun]]  # the `apply` fixture of conftest.py


def exposures(apply: Apply, body: str, header: str = HEADER) -> list[tuple[int, str]]:
    """(line, what it shows) of each secret-exposure finding for a tool with this body."""
    source = header + "def tool(name: str):\n" + body
    _, run = apply(source, MaskSecrets)
    found = [u.finding for u in run.unfixed if u.finding.rule_id == SECRET_EXPOSURE]
    assert all(f.severity is Severity.HIGH for f in found)
    return [(f.line - header.count("\n"), f.message.partition(" returns ")[2]) for f in found]


ENVIRONMENT = "the process environment (os.environ) to its client"


@pytest.mark.parametrize(
    "body",
    [
        "    return os.environ\n",
        "    return dict(os.environ)\n",
        "    return environ.copy()\n",
        "    return {**os.environ}\n",
        "    return json.dumps(dict(os.environ), indent=2)\n",
        "    return str(os.environ)\n",
        "    return {k: v for k, v in os.environ.items()}\n",
        "    return [f'{k}={v}' for k, v in sorted(os.environ.items())]\n",
        "    env = os.environ.copy()\n    config = {'env': env}\n    return config\n",
        "    return {'ok': True, 'environment': dict(os.environ)}\n",
        "    return list(os.environ.items())\n",
        "    return {k: os.environ[k] for k in os.environ}\n",
    ],
)
def test_the_environment_returned_whole_is_found(apply: Apply, body: str) -> None:
    assert exposures(apply, body) == [(body.count("\n") + 1, ENVIRONMENT)]


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ("    return os.getenv('OPENAI_API_KEY')\n", "OPENAI_API_KEY"),
        ("    return {'dsn': getenv('DATABASE_DSN', '')}\n", "DATABASE_DSN"),
        ("    return f\"token={os.environ['GITHUB_TOKEN']}\"\n", "GITHUB_TOKEN"),
        ("    return 'pw: ' + os.environ.get('DB_PASSWORD')\n", "DB_PASSWORD"),
        ("    secret = environ['CLIENT_SECRET']\n    return [secret]\n", "CLIENT_SECRET"),
        ("    return 'key {}'.format(os.getenv('stripe_key'))\n", "stripe_key"),
    ],
)
def test_a_secret_variable_returned_is_found_by_its_name(
    apply: Apply, body: str, name: str
) -> None:
    line = body.count("\n") + 1
    assert exposures(apply, body) == [(line, f"the secret variable {name} to its client")]


@pytest.mark.parametrize(
    "body",
    [
        "    return os.getenv('REGION')\n",  # not a secret's name
        "    return os.getenv(name)\n",  # a name harden cannot read
        "    return os.environ['PWD']\n",  # the working directory, whatever its name says
        "    key = os.environ['API_KEY']\n    return call(key)\n",  # used, not returned
        "    return {k: v for k, v in os.environ.items() if k.startswith('APP_')}\n",
        "    return len(os.environ)\n",
        "    return sorted(os.environ)\n",  # the names alone
        "    return [k for k in os.environ]\n",
        "    return os.getenv('PASSWORD_STORE_DIR')\n",  # where a secret is, not the secret
        "    return sorted(os.environ)[0] if False else 'x'\n",
        "    def inner():\n        return dict(os.environ)\n    return 'ok'\n",
        "    env = dict(os.environ)\n    env = {}\n    return env\n",  # bound twice: unknown
    ],
)
def test_what_shows_no_secret_is_not_reported(apply: Apply, body: str) -> None:
    assert exposures(apply, body) == []


def test_only_handlers_are_judged_and_each_still_gets_the_decorator(apply: Apply) -> None:
    source = (
        HEADER.rpartition("@mcp.tool()\n")[0]
        + "def helper():\n    return dict(os.environ)\n\n\n"
        + "@mcp.resource('config://env')\ndef env():\n    return dict(os.environ)\n"
    )
    new, run = apply(source, MaskSecrets)
    found = [u.finding for u in run.unfixed if u.finding.rule_id == SECRET_EXPOSURE]
    assert [f.message for f in found] == [f"MCP resource `env` returns {ENVIRONMENT}"]
    assert "@mcp.resource('config://env')\n@harden_runtime.mask_secrets\ndef env():" in new
    assert "@harden_runtime.mask_secrets\ndef helper" not in new

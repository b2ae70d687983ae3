"""`harden attest`, `--verify`, the did:web document, and the hardened server's own check at
start-up (HARDEN_ATTESTATION), on a real project: a package whose tools live in modules
importing the server, hardened by `harden apply`, in a git repository, started as a process and
spoken to by the SDK's stdio client.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from pyld import jsonld
from pyld.documentloader.frozen import FrozenDocumentLoader
from typer.testing import CliRunner

from harden.cli import app

HARDEN = [sys.executable, "-m", "harden"]
SERVER = {
    "ledger/__init__.py": "",
    "ledger/server.py": (
        "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP('ledger')\n\n"
        "from ledger import tools  # noqa: E402,F401  (registers the tools)\n"
    ),
    "ledger/tools.py": (
        "from ledger.server import mcp\n\n\n@mcp.tool()\ndef balance(account: str) -> str:\n"
        "    return f'{account}: 42'\n"
    ),
    "ledger/__main__.py": "from ledger.server import mcp\n\nmcp.run()\n",
    "tests/test_tools.py": "def test_nothing():\n    pass\n",
    "docs/conf.py": "project = 'ledger'\n",
    "README.md": "# ledger\n",
}


def cli(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(arguments))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ledger server hardened with phase 1 in place, committed, and attested."""
    root = tmp_path_factory.mktemp("attested")
    for name, text in SERVER.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    subprocess.run(
        [*HARDEN, "apply", "--phase", "1", "--in-place", str(root)], check=True, capture_output=True
    )
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "ledger"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e", *command], cwd=root, check=True
        )
    status, _, _ = cli("attest", str(root), "--did-web", "ledger.example.com")
    assert status == 0
    return root


@pytest.fixture
def copy(project: Path, tmp_path: Path) -> Path:
    """A deployed copy of the attested project, free to change."""
    target = tmp_path / "deployed"
    shutil.copytree(project, target, ignore=shutil.ignore_patterns(".git", "__pycache__"))
    return target


def attestation(root: Path) -> dict[str, Any]:
    return json.loads((root / "harden-attestation.json").read_text())


def test_it_records_every_file_python_would_import_and_one_digest(project: Path) -> None:
    record = attestation(project)
    paths = [entry["path"] for entry in record["files"]]
    assert paths == [
        "ledger/__init__.py",
        "ledger/__main__.py",
        "ledger/harden_runtime.py",  # the vendored runtime is the server's code too
        "ledger/server.py",
        "ledger/tools.py",
    ]
    for entry in record["files"]:
        assert entry["sha256"] == hashlib.sha256((project / entry["path"]).read_bytes()).hexdigest()
    # The digest is sha256sum's listing of those files, hashed.
    listing = "".join(f"{e['sha256']}  {e['path']}\n" for e in record["files"])
    assert record["digest"] == hashlib.sha256(listing.encode()).hexdigest()
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    )
    assert record["commit"] == head.stdout.strip()
    assert record["generator"].startswith("harden ") and record["version"] == 1


def test_verify_passes_unchanged_and_names_each_changed_added_or_missing_file(
    copy: Path,
) -> None:
    assert cli("attest", "--verify", str(copy))[0] == 0
    (copy / "tests" / "test_tools.py").write_text("# tests are not the server\n")
    (copy / "docs" / "conf.py").write_text("project = 'x'\n")
    assert cli("attest", "--verify", str(copy))[0] == 0
    (copy / "ledger" / "tools.py").write_text(SERVER["ledger/tools.py"] + "# changed\n")
    (copy / "ledger" / "json.py").write_text("# would shadow the standard library's json\n")
    (copy / "ledger" / "__main__.py").unlink()
    status, output, _ = cli("attest", "--verify", str(copy))
    assert status == 1
    assert "missing: ledger/__main__.py" in output
    assert "added: ledger/json.py" in output
    assert "changed: ledger/tools.py" in output
    assert "3 file(s) differ" in output


def test_a_package_build_folder_and_a_linked_package_are_the_servers_code(tmp_path: Path) -> None:
    from harden import runtime

    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "helpers.py").write_text("X = 1\n")
    app = tmp_path / "app"
    (app / "srv" / "build").mkdir(parents=True)
    (app / "srv" / "build" / "steps.py").write_text("Y = 2\n")
    (app / "build").mkdir()
    (app / "build" / "lib.py").write_text("# build output\n")
    (app / "sharedpkg").symlink_to(tmp_path / "shared")
    (app / "loop").symlink_to(app)  # a link back up the tree is not followed twice
    assert runtime.attestation_files(str(app)) == ["sharedpkg/helpers.py", "srv/build/steps.py"]


def test_harden_itself_never_checks_an_attestation_at_start_up(copy: Path) -> None:
    """The deploy step that sets HARDEN_ATTESTATION can still run harden (to re-record)."""
    (copy / "ledger" / "server.py").write_text("# changed\n")
    attested = str(copy / "harden-attestation.json")
    environment = dict(os.environ, HARDEN_ATTESTATION=attested, HARDEN_ATTESTATION_MODE="enforce")
    process = subprocess.run(
        [*HARDEN, "attest", "--verify", str(copy)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert process.returncode == 1 and "changed: ledger/server.py" in process.stdout
    assert "refusing to start" not in process.stderr and "ATTESTATION" not in process.stderr


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for arguments, expected in [
        (["attest", "--verify", str(tmp_path)], "harden-attestation.json"),
        (["attest", str(tmp_path / "absent")], "not a directory"),
        (["attest", str(tmp_path), "--did-web", "https://bad domain"], "--did-web"),
    ]:
        process = subprocess.run([*HARDEN, *arguments], capture_output=True, text=True, check=False)
        assert process.returncode == 2, process
        assert process.stderr.count("\n") == 1 and expected in process.stderr
        assert "Traceback" not in process.stderr
    assert not (tmp_path / "harden-attestation.json").exists()


def test_the_did_document_is_json_ld_carrying_the_digest(project: Path) -> None:
    document = json.loads((project / "did.json").read_text())
    assert document["id"] == "did:web:ledger.example.com"
    expanded = jsonld.expand(document, {"documentLoader": FrozenDocumentLoader()})
    (node,) = expanded
    assert node["@id"] == "did:web:ledger.example.com"
    (service,) = node["https://www.w3.org/ns/did#service"]
    assert service["@type"] == ["urn:mcp-harden:MCPServerAttestation"]
    assert service["urn:mcp-harden:digestSha256"] == [{"@value": attestation(project)["digest"]}]
    assert service["https://www.w3.org/ns/did#serviceEndpoint"] == [
        {"@id": "https://ledger.example.com/.well-known/harden-attestation.json"}
    ]


def test_a_port_and_a_path_follow_the_did_web_rules(copy: Path) -> None:
    status, output, _ = cli("attest", str(copy), "--did-web", "Example.com:8443/teams/ops")
    assert status == 0
    assert "https://example.com:8443/teams/ops/did.json" in output
    assert json.loads((copy / "did.json").read_text())["id"] == (
        "did:web:example.com%3A8443:teams:ops"
    )


# -- the server's own check at start-up ---------------------------------------------------------


def start(root: Path, **environment: str) -> tuple[list[str] | None, str]:
    """The tools the server at `root` lists when started as a process with `environment`
    (None if it would not start), and what it wrote on stderr."""
    log = root / "stderr.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARDEN_")}
    parameters = StdioServerParameters(
        command=sys.executable, args=["-m", "ledger"], cwd=str(root), env=env | environment
    )

    async def listing() -> list[str] | None:
        with log.open("w") as errors:
            try:
                async with (
                    stdio_client(parameters, errlog=errors) as (read, write),
                    ClientSession(read, write) as session,
                ):
                    with anyio.fail_after(30):
                        await session.initialize()
                        return [tool.name for tool in (await session.list_tools()).tools]
            except Exception:
                return None

    return anyio.run(listing), log.read_text()


def mismatches(stderr: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith('{"v"')]
    return [line for line in lines if line["event"] == "ATTESTATION_MISMATCH"]


def test_an_unchanged_server_starts_silently_and_a_changed_one_says_which_file(
    copy: Path,
) -> None:
    attested = str(copy / "harden-attestation.json")
    tools, stderr = start(copy, HARDEN_ATTESTATION=attested, HARDEN_ATTESTATION_MODE="enforce")
    assert tools == ["balance"] and mismatches(stderr) == []
    tools_module = copy / "ledger" / "tools.py"
    tools_module.write_text(tools_module.read_text() + "# patched in place\n")
    tools, stderr = start(copy, HARDEN_ATTESTATION=attested)
    assert tools == ["balance"], "warn mode: the server still starts"
    (mismatch,) = mismatches(stderr)
    assert mismatch["files"] == ["changed:ledger/tools.py"] and mismatch["mode"] == "warn"
    tools, stderr = start(copy, HARDEN_ATTESTATION=attested, HARDEN_ATTESTATION_MODE="enforce")
    assert tools is None, "enforce: the server refuses to start"
    assert "refusing to start: 1 file(s) differ: changed:ledger/tools.py" in stderr

"""Every tool of the project's example servers (fixtures/servers) is found, and nothing else.

The expected names are the tools each server's own tests list over MCP; the servers' test
modules hold no handlers. Files are only parsed, never imported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harden.mcp import Framework, HandlerKind, may_hold_handlers
from harden.mcp.handlers import Discovery

SERVERS = Path(__file__).resolve().parents[2] / "fixtures" / "servers"

# file -> (function, registered name, decorator index) per handler, in source order
EXPECTED: dict[str, list[tuple[str, str | None, int | None]]] = {
    "mcp1_fastmcp/devops_tools.py": [
        ("git_log", "git_log", 0),
        ("git_status", "git_status", 0),
        ("git_commit", "git_commit", 0),
        ("disk_usage", "disk_usage", 0),
        ("disk_free", "disk_free", 0),
        ("grep_logs", "grep_logs", 0),
        ("tail_log", "tail", 0),
        ("resolve_host", "dns_lookup", 0),
        ("ping_host", "ping_host", 0),
        ("find_pods", "find_pods", 0),
        ("kubectl_logs", "pod_logs", 0),
    ],
    "fastmcp_standalone/sysinfo_server.py": [
        ("top_processes", "top_processes", 0),
        ("process_info", "process_info", 0),
        ("memory_info", "memory_info", 0),
        ("filesystems", "filesystems", 0),
        ("os_release", "os_release", 0),
        ("kernel_release", "kernel_release", 0),
        ("run_command", "run_command", 0),
    ],
    "fastmcp_standalone/notes_server.py": [
        ("list_notes", "list_notes", 0),
        ("search_notes", "search_notes", 0),
        ("create_note", "create_note", 0),
        ("journal", "journal", 0),
        ("notes_size", "notes_size", 0),
    ],
    "lowlevel/repo_search_server.py": [("handle_call_tool", None, 0)],
    # Bound methods registered in a loop and with add_tool: hardening goes above `def`.
    "mcp2_mcpserver/ops_server/server.py": [
        ("list_files", "list_files", None),
        ("find_files", "find_files", None),
        ("line_count", "line_count", None),
        ("checksum", "checksum", None),
        ("kernel", "kernel", None),
        ("workspace_size", "workspace_size", None),
        ("recent_changes", "recent_changes", None),
        ("archive_workspace", "archive_workspace", None),
        ("write_runbook", "write_runbook", None),
        ("record_deploy", "record_deploy", None),
        ("deployments", "k8s_deployments", None),
        ("rollout_restart", "k8s_rollout_restart", None),
    ],
}

FRAMEWORKS = {
    "mcp1_fastmcp/devops_tools.py": {Framework.MCP1_FASTMCP},
    "fastmcp_standalone/sysinfo_server.py": {Framework.FASTMCP},
    "fastmcp_standalone/notes_server.py": {Framework.FASTMCP, Framework.MCP1_FASTMCP},
    "lowlevel/repo_search_server.py": {Framework.LOWLEVEL_V1},
    "mcp2_mcpserver/ops_server/server.py": {Framework.MCP2_MCPSERVER},
}

FILES = sorted(path.relative_to(SERVERS).as_posix() for path in SERVERS.rglob("*.py"))


def test_every_server_file_is_covered() -> None:
    assert set(EXPECTED) <= set(FILES)


@pytest.mark.parametrize("name", FILES)
def test_fixture_server_handlers(name: str, discover: Callable[[str], Discovery]) -> None:
    text = (SERVERS / name).read_text(encoding="utf-8")
    discovery = discover(text)
    expected = EXPECTED.get(name, [])
    assert [
        (h.function.name.value, h.name, h.decorator_index) for h in discovery.handlers
    ] == expected
    assert discovery.unresolved == ()
    for handler in discovery.handlers:
        assert handler.frameworks == FRAMEWORKS[name]
        lowlevel = Framework.LOWLEVEL_V1 in handler.frameworks
        assert handler.kind is (HandlerKind.LOWLEVEL_CALL_TOOL if lowlevel else HandlerKind.TOOL)
    if expected:
        assert may_hold_handlers(text)

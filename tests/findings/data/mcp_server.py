"""A deliberately vulnerable MCP server: scanners' findings on it are stored beside it."""

import asyncio
import os
import subprocess

from mcp.server.fastmcp import FastMCP

mcp = FastMCP("vulnerable")


@mcp.tool()
def grep_logs(pattern: str) -> str:
    return subprocess.check_output(f"grep -r {pattern} /var/log", shell=True, text=True)


@mcp.tool()
def ping(host: str) -> int:
    return os.system("ping -c 1 " + host)


@mcp.tool()
def disk_usage(path: str) -> str:
    return os.popen(f"du -sh {path}").read()


@mcp.tool()
def whoami() -> str:
    return subprocess.getoutput("whoami")


@mcp.tool()
async def list_dir(path: str) -> bytes:
    proc = await asyncio.create_subprocess_shell(f"ls -la {path}", stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    return out


@mcp.tool()
def safe_echo(text: str) -> str:
    return subprocess.run(["echo", text], capture_output=True, text=True, check=True).stdout

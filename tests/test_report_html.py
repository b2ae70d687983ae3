"""The HTML report, as a person opens it: headless Chromium loads the page, renders it to a
screenshot, and reports nothing on its console; the page holds a chart per tool."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_report import DAY, START, calls_over, line, report, write

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium (make test installs it where apt-get runs as root)"
)
# Flags a closed network needs: without them Chromium keeps trying Google's hosts.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)


def chromium(page: Path, profile: Path, *action: str) -> tuple[str, list[str]]:
    """What Chromium printed, and the console messages it logged, opening `page`."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *action, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout, re.findall(r":CONSOLE[^\]]*\] (.*)", done.stderr)


def html_report(tmp_path: Path) -> Path:
    events = [
        line(START + DAY * 2, "VALIDATION_WOULD_REJECT", rule="path_traversal", param="path"),
        line(START + DAY * 5, "RATE_LIMIT_WOULD_THROTTLE", tool="fetch", caller="c9"),
    ]
    lines = [*calls_over(8), *calls_over(8, per_day=2, tool="fetch"), *events]
    lines.sort(key=lambda text: re.search(r'"ts":"([^"]+)"', text)[1])  # type: ignore[index]
    code, page = report(str(write(tmp_path / "a.log", lines)), "--format", "html")
    assert code == 0
    path = tmp_path / "report.html"
    path.write_text(page)
    return path


def test_the_page_holds_the_verdicts_and_a_chart_per_tool(tmp_path: Path) -> None:
    page = html_report(tmp_path).read_text()
    assert page.count('<svg class="chart calls"') == 2
    assert page.count('<svg class="chart warnings"') == 2
    assert "<title>2026-05-03: 1 warn-only events</title>" in page
    assert 'class="review">review</td>' in page
    assert "skip_params = [&quot;read_file:path&quot;]" in page
    assert "<script" not in page and "http" not in page.split("</style>", 1)[1]


@needs_chromium
def test_chromium_renders_the_page_without_a_console_message(tmp_path: Path) -> None:
    page = html_report(tmp_path)
    dom, console = chromium(page, tmp_path / "profile", "--dump-dom")
    assert console == []
    assert len(re.findall(r'<svg class="chart (?:calls|warnings)"', dom)) == 4
    assert len(re.findall(r'<rect class="calls"', dom)) == 18  # 9 days x 2 tools
    shot = tmp_path / "report.png"
    _, console = chromium(
        page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1100,1600"
    )
    assert console == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


@needs_chromium
def test_the_console_check_sees_what_a_page_would_load(tmp_path: Path) -> None:
    """The same check fails for a page that tries to load something: it can fail."""
    page = html_report(tmp_path)
    page.write_text(
        page.read_text().replace("</body>", '<img src="http://x.invalid/a.png"></body>')
    )
    _, console = chromium(page, tmp_path / "profile", "--dump-dom")
    assert any("Content Security Policy" in message for message in console)

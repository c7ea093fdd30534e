"""The triage board in a real browser: JupyterLab on 127.0.0.1 and headless Chromium.

Runs a generated notebook, ticks the first row of the board's table, clicks Acknowledge and
waits for the Delta table to say so. Needs a Chromium binary (Debian's ``chromium``; test
tools cannot download browsers here): without one the test skips, unless
``ALERTKIT_REQUIRE_BROWSER=1`` (set in CI), which makes a missing browser a failure.
Screenshots are kept in ``test-artifacts/`` (``triage_board.png``, and ``triage_chart.png``
when :mod:`alertkit.charts` is present: its chart is drawn below the board and must draw).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat
import polars as pl
import pytest

from alertkit import Alert, SyncAlertManager

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
HOSTILE = "<img src=x onerror=alert(1)>"
T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
INSTALL_HINT = (
    "no Chromium found: install Debian's package with `sudo apt-get install -y chromium`"
    " (or point ALERTKIT_CHROMIUM at a Chromium binary); ALERTKIT_REQUIRE_BROWSER=1 turns"
    " this skip into a failure"
)


def find_chromium() -> str | None:
    for candidate in (
        os.environ.get("ALERTKIT_CHROMIUM"),
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture
def chromium() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("ALERTKIT_REQUIRE_BROWSER") == "1":
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def charts_available() -> bool:
    try:
        from alertkit.charts import alerts_by_rule, interactive_chart  # noqa: F401
    except ImportError:
        return False
    return True


def write_notebook(root: Path, lake: str, with_chart: bool) -> Path:
    setup = f"""\
from datetime import UTC, datetime
from alertkit import SyncAlertManager
from alertkit.widgets import TriageBoard

def now():
    return datetime(2026, 1, 5, 18, tzinfo=UTC)

manager = SyncAlertManager({lake!r}, clock=now)
board = TriageBoard(manager, user="browser")
board"""
    cells = [nbformat.v4.new_code_cell(setup)]
    if with_chart:
        cells.append(
            nbformat.v4.new_code_cell(
                "from alertkit.charts import alerts_by_rule, interactive_chart\n"
                "chart = interactive_chart(alerts_by_rule(manager.board(), select=True))\n"
                "board.follow_chart(chart)\n"
                "chart"
            )
        )
    path = root / "triage.ipynb"
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": kernel}), path)
    return path


@pytest.fixture
def lake(tmp_path: Path) -> str:
    manager = SyncAlertManager(tmp_path / "lake" / "alerts", maintain_every=0)
    manager.initialize()
    manager.insert_alerts(
        [
            Alert(
                alert_id=f"browser-{i}",
                type="critical" if i == 0 else "warning",
                severity="immediate" if i == 0 else "high",
                status="active",
                title=HOSTILE if i == 0 else f"Close position: rule_{i}",
                message=f"alert number {i}",
                rule=f"rule_{i}",
                symbol=HOSTILE if i == 0 else "SPY",
                strategy_id=i,
                metadata={"i": i, "html": HOSTILE},
                created_at=T0 + timedelta(minutes=i),
            )
            for i in range(3)
        ]
    )
    return manager.path


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[str]:
    """A JupyterLab server on a free 127.0.0.1 port, rooted in tmp_path; its URL."""
    root = tmp_path / "root"
    root.mkdir()
    home = tmp_path / "jupyter"
    env = {
        **os.environ,
        # Keep the user's own Jupyter and IPython settings out, and ours out of theirs.
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    # Start the notebook's kernel without asking, and no "Jupyter news?" toast over the board.
    for plugin, values in {
        "notebook-extension/tracker": {"autoStartDefaultKernel": True},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        settings = home / "settings" / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text(json.dumps(values))
    port = free_port()
    log = (tmp_path / "jupyter.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--IdentityProvider.token=",
            f"--ServerApp.root_dir={root}",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # CI containers run as root
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=2) as response:
                    json.load(response)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        "JupyterLab did not start:\n" + (tmp_path / "jupyter.log").read_text()
                    )
                time.sleep(0.2)
        yield url
    finally:
        # SIGTERM makes the server shut its kernels down before it exits.
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(5)
        log.close()


def test_acknowledge_from_the_browser(chromium: str, lake: str, lab: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with_chart = charts_available()
    write_notebook(tmp_path / "root", lake, with_chart)
    ARTIFACTS.mkdir(exist_ok=True)
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            page.goto(f"{lab}/lab/tree/triage.ipynb")
            # Run All before the kernel is up does nothing: wait until the status bar says so.
            kernel = page.locator(".jp-StatusBar-Widget", has_text="ipykernel) | Idle")
            expect(kernel.first).to_be_visible(timeout=30_000)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
            # Widget clicks reach the kernel only between cells: wait for the last to finish.
            last_prompt = page.locator(".jp-Notebook .jp-Cell").last.locator(".jp-InputPrompt")
            expect(last_prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=40_000)
            rows = page.locator(".alertkit-board .alertkit-row")
            expect(rows).to_have_count(3, timeout=10_000)
            if with_chart:
                drawn = page.locator(".vega-embed").locator("svg, canvas")
                expect(drawn.first).to_be_attached(timeout=15_000)

            # Hostile text arrives as text: no <img> element, no script run, shown verbatim.
            hostile = page.locator('.alertkit-row td[data-col="title"]', has_text=HOSTILE)
            expect(hostile).to_have_count(1)
            hostile.click()  # focuses the row: the detail panel shows it, escaped
            expect(page.locator(".alertkit-detail-panel h4")).to_have_text(HOSTILE)

            first = rows.first
            alert_id = first.get_attribute("data-alert-id")
            assert alert_id == "browser-2"  # newest first
            first.locator(".alertkit-row-select").check()
            page.locator("button.alertkit-acknowledge").click()

            deadline = time.monotonic() + 30
            while True:
                frame = pl.read_delta(lake).filter(pl.col("alert_id") == alert_id)
                if frame["status"].item() == "acknowledged" or time.monotonic() > deadline:
                    break
                time.sleep(0.25)
            assert frame["status"].item() == "acknowledged"
            assert json.loads(frame["history"].item())[-1]["by"] == "browser"
            expect(page.locator(f'.alertkit-row[data-alert-id="{alert_id}"]')).to_have_attribute(
                "data-status", "acknowledged", timeout=15_000
            )
            expect(page.locator(".alertkit-status-line")).to_contain_text(
                "acknowledged 1 of 1 selected alerts"
            )
            assert page.locator(".alertkit-board img").count() == 0
            assert dialogs == []
            page.screenshot(path=ARTIFACTS / "triage_board.png")
            if with_chart:
                chart = page.locator(".vega-embed").first
                chart.scroll_into_view_if_needed()
                chart.screenshot(path=ARTIFACTS / "triage_chart.png")
        except BaseException:
            page.screenshot(path=ARTIFACTS / "triage_board_failed.png")
            raise
        finally:
            browser.close()

"""A real Prometheus Alertmanager for tests: Debian's binary on a free port of 127.0.0.1.

:func:`running_alertmanager` starts it with a temporary ``--storage.path``, clustering off
(``--cluster.listen-address=`` empty: no gossip port, no peers) and a minimal config: one
receiver, a webhook to ``webhook_url`` with ``send_resolved`` when given (else a receiver
that sends nothing), groups flushed within a second, ``resolve_timeout`` of one hour. It
waits for ``/-/ready`` and kills the process on exit.

Missing binary: the test skips, or fails when ``ALERTKIT_REQUIRE_ALERTMANAGER=1`` (CI).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

INSTALL_HINT = (
    "no prometheus-alertmanager found: install Debian's package with"
    " `sudo apt-get install -y prometheus-alertmanager` (or `make alertmanager` as root);"
    " ALERTKIT_REQUIRE_ALERTMANAGER=1 turns this skip into a failure"
)
RESOLVE_TIMEOUT_S = 3600


def find_alertmanager() -> str:
    """The binary's path, else skip (or fail under ALERTKIT_REQUIRE_ALERTMANAGER=1)."""
    for candidate in (
        os.environ.get("ALERTKIT_ALERTMANAGER"),
        "/usr/bin/prometheus-alertmanager",
        shutil.which("prometheus-alertmanager"),
        shutil.which("alertmanager"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    if os.environ.get("ALERTKIT_REQUIRE_ALERTMANAGER") == "1":
        pytest.fail(INSTALL_HINT)
    pytest.skip(INSTALL_HINT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(webhook_url: str | None) -> str:
    receiver: dict[str, Any] = {"name": "only"}
    if webhook_url is not None:
        receiver["webhook_configs"] = [{"url": webhook_url, "send_resolved": True}]
    config = {  # JSON is YAML
        "global": {"resolve_timeout": f"{RESOLVE_TIMEOUT_S}s"},
        "route": {
            "receiver": "only",
            "group_by": ["alertname", "symbol", "strategy_id"],
            "group_wait": "100ms",
            "group_interval": "1s",
            "repeat_interval": "1h",
        },
        "receivers": [receiver],
    }
    return json.dumps(config)


@dataclass(frozen=True)
class Alertmanager:
    url: str
    log: Path

    def alerts(self, **filters: str) -> list[dict[str, Any]]:
        """GET /api/v2/alerts (Alertmanager lists only alerts that have not ended)."""
        query = "&".join(f"filter={k}%3D%22{v}%22" for k, v in filters.items())
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts?{query}", timeout=5) as answer:
            return json.loads(answer.read())  # type: ignore[no-any-return]


@contextmanager
def running_alertmanager(tmp: Path, webhook_url: str | None = None) -> Iterator[Alertmanager]:
    binary = find_alertmanager()
    (tmp / "data").mkdir(parents=True, exist_ok=True)
    (tmp / "alertmanager.yml").write_text(_config(webhook_url), encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}"
    log = tmp / "alertmanager.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={tmp / 'alertmanager.yml'}",
                f"--storage.path={tmp / 'data'}",
                f"--web.listen-address={url.removeprefix('http://')}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(url, process, log)
        yield Alertmanager(url, log)
    finally:
        process.kill()
        process.wait(timeout=10)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"alertmanager exited {process.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"alertmanager not ready within 30s: {log.read_text()}")

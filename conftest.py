"""Repository-wide pytest setup: no test, doctest or notebook touches the checkout's lakes.

- Doctests in alertkit/ run inside a temp dir, so an example that writes ``data/lake/...``
  never touches the checkout (as deltalake's conftest does).
- The notebooks keep their lakes in a temp dir of the run (``ALERTKIT_NOTEBOOK_LAKES``,
  inherited by nbval's kernels), not under the checkout's ``data/lake/notebooks``.
- A user who ran the README's examples has alerts in ``data/lake``: the run fails if any test
  changed anything under the checkout's ``data/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

CHECKOUT_DATA = Path(__file__).resolve().parent / "data"
NOTEBOOK_LAKES = "ALERTKIT_NOTEBOOK_LAKES"
_DATA_BEFORE = pytest.StashKey[dict[str, tuple[int, int]]]()


def pytest_configure(config: pytest.Config) -> None:
    if NOTEBOOK_LAKES not in os.environ:
        lakes = tempfile.mkdtemp(prefix="alertkit-notebook-lakes-")
        os.environ[NOTEBOOK_LAKES] = lakes
        config.add_cleanup(lambda: shutil.rmtree(lakes, ignore_errors=True))


def data_state(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and modification time (ns)."""
    if not root.exists():
        return {}
    return {
        str(path.relative_to(root)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in root.rglob("*")
        if path.is_file()
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_DATA_BEFORE] = data_state(CHECKOUT_DATA)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_DATA_BEFORE, None)
    if before is None:
        return
    after = data_state(CHECKOUT_DATA)
    changed = sorted(set(before) ^ set(after) | {k for k in before if after.get(k) != before[k]})
    if changed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"FAILED: tests changed the checkout's {CHECKOUT_DATA}: {changed[:10]}"
        if reporter is not None:
            reporter.write_line(message, red=True)


@pytest.fixture(autouse=True)
def _doctests_in_tmp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    if isinstance(request.node, pytest.DoctestItem):
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(tmp_path)
            yield
    else:
        yield

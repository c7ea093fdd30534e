"""Repository-wide pytest setup: doctests in alertkit/ run inside a temp dir, so an example
that writes ``data/lake/...`` never touches the checkout (as deltalake's conftest does)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _doctests_in_tmp(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    if isinstance(request.node, pytest.DoctestItem):
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(tmp_path)
            yield
    else:
        yield

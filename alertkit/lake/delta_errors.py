"""deltalake's errors as alertkit's: the one mapping every table operation uses.

delta-rs raises its own exceptions (and appends a Rust backtrace to some messages); callers
of alertkit see only the :mod:`alertkit.model.errors` tree, each error's first line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deltalake.exceptions import CommitFailedError, DeltaError, DeltaProtocolError
from deltalake.exceptions import SchemaMismatchError as DeltaSchemaMismatchError
from deltalake.exceptions import TableNotFoundError as DeltaTableNotFoundError

from alertkit.lake.paths import is_local
from alertkit.model.errors import (
    AlertkitError,
    SchemaMismatchError,
    StoreError,
    TableNotFoundError,
)

__all__ = ["delta_errors", "first_line"]


@contextmanager
def delta_errors(uri: str, doing: str) -> Iterator[None]:
    """deltalake's errors as alertkit's: the one mapping every store method uses.

    ``CommitFailedError`` passes through (a concurrent commit won: :meth:`AlertStore.retrying`
    re-decides), as do alertkit's own errors; ``doing`` opens the :class:`StoreError` message
    (``"merge into /data/alerts failed"``).

    Examples
    --------
    >>> from deltalake.exceptions import DeltaError
    >>> with delta_errors("/data/alerts", "merge into /data/alerts failed"):
    ...     raise DeltaError("disk full")
    Traceback (most recent call last):
    ...
    alertkit.model.errors.StoreError: merge into /data/alerts failed: disk full
    """
    try:
        yield
    except (CommitFailedError, AlertkitError):
        raise
    except DeltaTableNotFoundError as exc:
        log_dir = Path(uri, "_delta_log")
        if is_local(uri) and log_dir.is_dir() and not os.access(log_dir, os.R_OK | os.X_OK):
            raise StoreError(
                f"cannot read the alerts table at {uri}: this process may not read {log_dir}"
            ) from exc
        raise TableNotFoundError(f"no Delta table at {uri}; call initialize() first") from exc
    except DeltaSchemaMismatchError as exc:
        raise SchemaMismatchError(f"rows do not fit the table at {uri}: {exc}") from exc
    except (DeltaProtocolError, DeltaError, OSError) as exc:
        raise StoreError(f"{doing}: {first_line(exc)}") from exc


def first_line(exc: BaseException) -> str:
    """The first line of ``exc``'s message: delta-rs appends a Rust backtrace to some."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__

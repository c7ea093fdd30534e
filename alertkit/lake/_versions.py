"""Time travel: which table version a user asked for, and clear errors when there is none.

``version`` arguments (``board(version=...)``, ``query_alerts``, ``scan_alerts``) take a table
version number, or an instant: an aware or naive (local time) ``datetime``, or ISO-8601 text.
:func:`check_table_version` turns them into an ``int`` or an aware UTC ``datetime`` or says
what was expected; :func:`open_version` loads that table version and refuses, with an alertkit
error naming the version, an instant before the table existed (delta-rs would silently give
its first version: an empty board), a version past the latest, and a version whose data files
a vacuum has deleted (delta-rs opens it, and the read then fails with a raw
``FileNotFoundError``). :func:`version_read_errors` maps what a read of such a table version
can still raise on object storage, where the files are not checked up front.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Final

from deltalake import DeltaTable
from deltalake.exceptions import DeltaError

from alertkit.lake.delta_errors import first_line
from alertkit.lake.paths import LocalTable, local_file_paths
from alertkit.model._time import to_utc
from alertkit.model.errors import AlertkitError, StoreError, ValidationError

__all__ = ["check_table_version", "open_version", "version_read_errors"]

_EXPECTED: Final = (
    "a table version number >= 0, a datetime, or an ISO-8601 instant such as"
    " '2026-01-05T15:00:00+00:00'"
)


def check_table_version(value: object) -> int | datetime:
    """``value`` as a version number or an aware UTC instant, or :class:`ValidationError`.

    Examples
    --------
    >>> check_table_version(3)
    3
    >>> check_table_version("2026-01-05T15:00:00Z")
    datetime.datetime(2026, 1, 5, 15, 0, tzinfo=datetime.timezone.utc)
    >>> check_table_version("yesterday")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    alertkit.model.errors.ValidationError: version: expected a table version number >= 0, ...
    """
    if isinstance(value, bool):
        pass  # a bool is an int to Python, never a version to a user
    elif isinstance(value, int):
        if value >= 0:
            return value
    elif isinstance(value, datetime):
        return to_utc(value, "version")
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return to_utc(parsed, "version")  # naive text is local time, like a naive datetime
    raise ValidationError(f"version: expected {_EXPECTED}, got {value!r}")


def open_version(
    uri: str, storage_options: dict[str, str] | None, version: object, *, local: bool = False
) -> DeltaTable:
    """The table at ``uri`` as of ``version`` (see :func:`check_table_version`); ``local``
    says ``uri`` is a local path (whose files polars must be given decoded).

    Raises
    ------
    ValidationError
        ``version`` is malformed, past the latest version, or an instant before the table
        was created.
    StoreError
        The version can no longer be read (its log or data files were cleaned up).
    """
    wanted = check_table_version(version)
    kind = LocalTable if local else DeltaTable
    table = kind(uri, storage_options=storage_options)
    if isinstance(wanted, int):
        latest = table.version()
        if wanted > latest:
            raise ValidationError(
                f"version: expected a table version from 0 to {latest} (the latest), got {wanted}"
            )
    else:
        created_ms = table.metadata().created_time
        created = None if created_ms is None else datetime.fromtimestamp(created_ms / 1000, UTC)
        if created is not None and wanted < created:
            raise ValidationError(
                f"version: the alerts table at {uri} did not exist at {wanted.isoformat()};"
                f" it was created at {created.isoformat()}"
            )
    try:
        table.load_as_version(wanted)
    except DeltaError as exc:
        raise StoreError(
            f"version {version!r} of the alerts table at {uri} cannot be read: {first_line(exc)}"
        ) from exc
    _check_files_present(table, uri, version)
    return table


def _check_files_present(table: DeltaTable, uri: str, version: object) -> None:
    # Only local tables: listing an object store per time-travel read would cost more than
    # the read; there version_read_errors catches the failure when it comes.
    if "://" in uri and not uri.startswith("file://"):
        return
    missing = [str(path) for path in local_file_paths(table) if not path.exists()]
    if missing:
        raise StoreError(
            _vacuumed(uri, version, f"{len(missing)} of its data files, e.g. {missing[0]}")
        )


def _vacuumed(uri: str, version: object, what: str) -> str:
    return (
        f"version {version!r} of the alerts table at {uri} can no longer be read: {what}"
        " were deleted by a vacuum (time travel reaches back only as far as the vacuum"
        " retention)"
    )


@contextmanager
def version_read_errors(uri: str, version: object) -> Iterator[None]:
    """Turn a failed read of a table version into a :class:`StoreError`: wrap the ``collect()`` of
    a scan. With a ``version`` the message names it (its files were vacuumed); without one
    the latest version references a file that is gone (the table is damaged).

    Examples
    --------
    >>> with version_read_errors("s3://bucket/alerts", 3):  # doctest: +ELLIPSIS
    ...     raise FileNotFoundError("No such file: part-0.parquet")
    Traceback (most recent call last):
    ...
    alertkit.model.errors.StoreError: version 3 of the alerts table at s3://bucket/alerts can no ...
    """
    try:
        yield
    except FileNotFoundError as exc:
        if isinstance(exc, AlertkitError):
            raise
        if version is None:
            raise StoreError(
                f"the alerts table at {uri} is damaged: a data file its latest version"
                f" references is missing ({first_line(exc)})"
            ) from exc
        raise StoreError(_vacuumed(uri, version, f"its data files ({first_line(exc)})")) from exc

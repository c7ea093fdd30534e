"""Where a lake is: local paths delta-rs and polars can both use, and S3 credentials.

delta-rs parses local table paths as URLs and gives back percent-encoded file URIs, which
polars looks up literally; polars reads ``name=value`` path segments as hive partitions. This
module owns the translation between them (``local_table_path``, ``LocalTable``), refuses the
paths delta-rs cannot use before anything is written, and tells, without touching the network,
whether an ``s3://`` lake can have credentials at all.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from deltalake import DeltaTable

from alertkit.model.errors import ValidationError

__all__ = [
    "DEFAULT_LAKE_PATH",
    "LocalTable",
    "is_local",
    "local_file_paths",
    "local_table_path",
    "missing_s3_credentials",
    "on_ec2",
]


DEFAULT_LAKE_PATH: Final = "data/lake/alerts"
"""The alerts table of the managers, the CLI, the board and ``scan_alerts`` by default."""


def is_local(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


_UNUSABLE: Final = re.compile(r"[\[\]\\]|%[0-9A-Fa-f]{2}")
"""What delta-rs 1.6 cannot use in a local table path, however it is spelled: it parses the
path as a URL and decodes a ``%XX`` sequence (even an escaped one, ``%2520``), so it writes
the first commit at one path and reads at another; ``[`` or ``]`` make it panic (an invalid
URL host) and a backslash becomes a path separator."""


def local_table_path(uri: str) -> str:
    """The absolute, normalised local path a local table ``uri`` names.

    ``file://`` URIs are decoded (``file:///data/my%20alerts`` is ``/data/my alerts``);
    relative paths are made absolute and ``..`` segments resolved lexically (as delta-rs
    resolves them). A path delta-rs cannot use (see ``_UNUSABLE``) is refused with a
    :class:`~alertkit.model.errors.ValidationError` before anything reads or writes it.

    Examples
    --------
    >>> local_table_path("file:///data/my%20alerts/lake")
    '/data/my alerts/lake'
    >>> local_table_path("/data/x/../alerts")
    '/data/alerts'
    >>> local_table_path("/data/[old]/alerts")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    alertkit.model.errors.ValidationError: lake path: '/data/[old]/alerts' holds '[', which ...
    """
    text = uri
    if text.startswith("file://"):
        parts = urlsplit(text)
        if parts.netloc not in ("", "localhost"):
            raise ValidationError(
                f"lake path: expected a file:// URI of this machine, got host {parts.netloc!r}"
                f" in {uri!r}"
            )
        text = unquote(parts.path) or "/"
    path = os.path.normpath(os.path.abspath(text))
    bad = _UNUSABLE.search(path)
    if bad is not None:
        raise ValidationError(
            f"lake path: {path!r} holds {bad.group()!r}, which delta-rs cannot use in a table"
            " path ('[', ']', a backslash, or '%' followed by two hex digits); choose another"
            " directory name"
        )
    return path


_POLARS_SPECIAL: Final = re.compile(r"[=*?]")
"""In a lake's path, what polars reads into a file path: ``name=value`` segments become hive
partitions (ancestors of the table included) and ``*`` or ``?`` make it a glob."""
_PROC_FD: Final = Path("/proc/self/fd")
_root_fds: dict[str, int] = {}
_root_fds_lock = threading.Lock()


def _fd_alias(root: str) -> str | None:
    """``/proc/self/fd/N``: the directory ``root`` under a name polars reads nothing into, or
    None where there is no such name (not Linux). The descriptor stays open for the process
    (one per such lake), and is reopened if ``root`` was replaced by another directory."""
    if not _PROC_FD.is_dir():
        return None
    with _root_fds_lock:
        fd = _root_fds.get(root)
        try:
            now = os.stat(root)
        except OSError:
            return None
        if fd is not None:
            held = os.fstat(fd)
            if (held.st_dev, held.st_ino) != (now.st_dev, now.st_ino):
                os.close(fd)
                fd = None
        if fd is None:
            fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
            _root_fds[root] = fd
    return str(_PROC_FD / str(fd))


class LocalTable(DeltaTable):
    """A DeltaTable of a local path whose :meth:`file_uris` polars can open.

    delta-rs gives local files as percent-encoded paths (``/data/my%20alerts/...``), which
    polars looks up literally: they are decoded here. A lake whose path holds ``=``, ``*`` or
    ``?`` (see ``_POLARS_SPECIAL``) is handed to polars as ``/proc/self/fd/N/...`` on Linux,
    a name of the same directory in which polars finds no partition and no glob.
    """

    def file_uris(self, partition_filters: Any = None, **kwargs: Any) -> list[str]:
        uris = super().file_uris(partition_filters, **kwargs)
        if not uris:
            return uris
        root = local_table_path(self.table_uri)
        special = _POLARS_SPECIAL.search(root) is not None
        if not special and not any("%" in u for u in uris):
            return uris  # the common case: polars pairs these with the logged file sizes
        prefix = (_fd_alias(root) if special else None) or root
        encoded_root = self.table_uri.removeprefix("file://").rstrip("/") + "/"
        return [f"{prefix}/{unquote(u.removeprefix(encoded_root))}" for u in uris]


def local_file_paths(table: DeltaTable) -> list[Path]:
    """The data files of the local ``table`` as filesystem paths (decoded)."""
    root = Path(local_table_path(table.table_uri))
    encoded_root = table.table_uri.removeprefix("file://").rstrip("/") + "/"
    return [root / unquote(u.removeprefix(encoded_root)) for u in DeltaTable.file_uris(table)]


_AWS_CREDENTIAL_ENV: Final = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_SKIP_SIGNATURE",
)
_AWS_CREDENTIAL_OPTIONS: Final = re.compile(r"(?i)access_key|secret|token|profile|skip_signature")
_DMI_VENDOR_FILES: Final = ("sys_vendor", "board_vendor", "bios_vendor")


def on_ec2(dmi: Path = Path("/sys/devices/virtual/dmi/id")) -> bool:
    """Whether this machine says (in its DMI data, read locally) that it is an EC2 instance,
    where an instance role may supply credentials through the metadata service."""
    for name in _DMI_VENDOR_FILES:
        try:
            vendor = (dmi / name).read_text(errors="replace")
        except OSError:
            continue
        if "amazon" in vendor.lower():
            return True
    return False


def missing_s3_credentials(
    uri: str, storage_options: Mapping[str, str] | None, *, dmi: Path | None = None
) -> str | None:
    """Why ``uri`` (an ``s3://`` URI) cannot be authenticated, or None when it may be.

    Credentials may come from ``storage_options``, the environment, the AWS config files or,
    on EC2, the instance metadata service. Without any of them delta-rs asks that service
    anyway, retrying for seconds and logging warnings: so unless this machine is an EC2
    instance (its local DMI data says so, and ``AWS_EC2_METADATA_DISABLED`` is not true),
    the answer is "no credentials" at once. Nothing here touches the network.
    """
    if not uri.lower().startswith(("s3://", "s3a://")):
        return None
    if storage_options and any(_AWS_CREDENTIAL_OPTIONS.search(k) for k in storage_options):
        return None
    if any(os.environ.get(name) for name in _AWS_CREDENTIAL_ENV):
        return None
    aws = Path.home() / ".aws"
    if (aws / "credentials").is_file() or (aws / "config").is_file():
        return None
    metadata_disabled = os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true"
    if not metadata_disabled and (on_ec2() if dmi is None else on_ec2(dmi)):
        return None
    return (
        f"no AWS credentials for {uri}: none in the storage options, the environment"
        " (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...) or ~/.aws, and this is no EC2 instance whose"
        " metadata service could supply them"
    )

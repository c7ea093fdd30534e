"""The lifecycle and concurrent writers on object storage: an S3-compatible server (moto, from
PyPI) that these tests start on 127.0.0.1, an ``s3://`` table, and ``storage_options``.

Safe concurrent commits on S3 rest on conditional put (``If-None-Match: *``): delta-rs 1.x
writes each commit file with it, so of two writers racing for version N exactly one wins and
the other re-reads and commits N + 1; no lock table is needed. moto honours the header, which
`test_a_stale_writer_never_overwrites_a_commit` proves on every run.
"""

from __future__ import annotations

import multiprocessing
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from _workers import check_plans, make_plan, run_plan
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError

from alertkit import AlertQuery, SyncAlertManager
from alertkit.lake.query import scan_alerts, scan_transitions
from alertkit.model.mapping import decision_to_alert
from alertkit.model.schema import ALERT_SCHEMA, alerts_to_frame
from conftest import close_now, position

HOST = "127.0.0.1"  # the only address these tests ever talk to
BUCKET = "alertkit"
T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def wait_until_listening(port: int, server: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"moto server exited with {server.returncode}")
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"moto server not listening on {HOST}:{port} after {timeout}s")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Any]]:
    """A moto S3 server on 127.0.0.1 with one bucket: (storage_options, boto3 client)."""
    import boto3  # installed with moto[server]; only these tests need it

    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_listening(port, server)
        endpoint = f"http://{HOST}:{port}"
        options = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",  # the local server speaks plain HTTP
        }
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=options["AWS_REGION"],
            aws_access_key_id=options["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=options["AWS_SECRET_ACCESS_KEY"],
        )
        client.create_bucket(Bucket=BUCKET)
        yield options, client
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def s3_options(s3_server: tuple[dict[str, str], Any]) -> dict[str, str]:
    """storage_options for deltalake and polars (the same keys work for both)."""
    return s3_server[0]


@pytest.fixture
def s3_lake() -> str:
    return f"s3://{BUCKET}/{uuid.uuid4().hex}/alerts"


def test_lifecycle_on_s3(s3_lake: str, s3_options: dict[str, str]) -> None:
    manager = SyncAlertManager(s3_lake, storage_options=s3_options, maintain_every=0)
    manager.initialize()
    assert manager.path == s3_lake

    first = manager.create_alert(close_now(), position("SPY", 1, minutes=0))
    repeat = manager.create_alert(close_now(), position("SPY", 1, minutes=5))
    other = manager.create_alert(close_now(), position("QQQ", 2, minutes=1))
    assert first is not None and repeat is not None and other is not None
    assert (repeat.alert_id, repeat.occurrences) == (first.alert_id, 2)
    created_version = DeltaTable(s3_lake, storage_options=s3_options).version()

    acked = manager.acknowledge_alert(first.alert_id, by="ana", at=T0 + timedelta(minutes=6))
    resolved = manager.resolve_alert(first.alert_id, note="closed it", at=T0 + timedelta(minutes=7))
    dismissed = manager.dismiss_alert(other.alert_id, at=T0 + timedelta(minutes=8))
    assert (acked.status.value, resolved.status.value, dismissed.status.value) == (
        "acknowledged",
        "resolved",
        "dismissed",
    )
    assert manager.get_alert(first.alert_id) == resolved
    assert [a.alert_id for a in manager.query_alerts(AlertQuery(symbol="SPY"))] == [first.alert_id]
    assert manager.get_alert_count("resolved") == 1
    assert manager.get_active_alerts() == []

    # Time travel: by version number and by instant.
    then = manager.read_board(version=created_version)
    assert dict(zip(then["alert_id"], then["status"], strict=True)) == {
        first.alert_id: "active",
        other.alert_id: "active",
    }
    assert manager.get_alert(first.alert_id, version=created_version).occurrences == 2
    assert manager.get_alert(first.alert_id, version=datetime.now(UTC)) == resolved

    # Other readers: alertkit's scan, polars directly, the transition log.
    board = manager.read_board()
    assert (
        scan_alerts(s3_lake, storage_options=s3_options)
        .collect()
        .sort("alert_id")
        .equals(board.sort("alert_id"))
    )
    direct = pl.read_delta(s3_lake, storage_options=s3_options).select(list(ALERT_SCHEMA))
    assert direct.sort("alert_id").equals(board.sort("alert_id"))
    actions = scan_transitions(board.lazy()).filter(pl.col("alert_id") == first.alert_id)
    assert actions.collect()["action"].to_list() == ["create", "acknowledge", "resolve"]

    # Maintenance works on object storage too, and changes no alert.
    report = manager.maintain()
    assert (report.files_before, report.files_after) == (2, 1)  # one month: one file
    assert report.checkpoint_version == DeltaTable(s3_lake, storage_options=s3_options).version()
    assert manager.read_board().sort("alert_id").equals(board.sort("alert_id"))

    # Plain Delta that every engine reads (Spark, Databricks, Trino, DuckDB): the lowest
    # protocol, no table features, one partition column.
    table = DeltaTable(s3_lake, storage_options=s3_options)
    protocol = table.protocol()
    assert (protocol.min_reader_version, protocol.min_writer_version) == (1, 2)
    assert (protocol.reader_features, protocol.writer_features) == (None, None)
    assert table.metadata().partition_columns == ["created_month"]


def test_the_server_honours_if_none_match(s3_server: tuple[dict[str, str], Any]) -> None:
    """The precondition of safe commits: a second create of the same key is refused."""
    client = s3_server[1]
    key = f"{uuid.uuid4().hex}/_delta_log/00000000000000000001.json"
    client.put_object(Bucket=BUCKET, Key=key, Body=b"first", IfNoneMatch="*")
    with pytest.raises(client.exceptions.ClientError, match="PreconditionFailed"):
        client.put_object(Bucket=BUCKET, Key=key, Body=b"second", IfNoneMatch="*")
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"first"


def test_a_stale_writer_never_overwrites_a_commit(s3_lake: str, s3_options: dict[str, str]) -> None:
    """Two writers decide on the same table version and both write: without conditional put the
    second commit file would replace the first and its alert would vanish. Here the second
    is refused (its read set changed), and redone on the fresh table it lands as well."""
    manager = SyncAlertManager(s3_lake, storage_options=s3_options, maintain_every=0)
    manager.initialize()
    store = manager.store
    stale_a = DeltaTable(s3_lake, storage_options=s3_options)
    stale_b = DeltaTable(s3_lake, storage_options=s3_options)
    alerts = [decision_to_alert(close_now(), position(s, 1), T0) for s in ("SPY", "QQQ")]
    assert alerts[0] is not None and alerts[1] is not None
    rows = alerts_to_frame([a for a in alerts if a is not None]).with_columns(
        expected_revision=pl.lit(None, pl.Int64)
    )
    read = stale_a.version()
    written = store.merge_rows(stale_a, rows[0:1], reads="table", custom_metadata={"t": "a"})
    assert written.version == read + 1
    with pytest.raises(CommitFailedError):
        store.merge_rows(stale_b, rows[1:2], reads="table", custom_metadata={"t": "b"})
    again = store.merge_rows(store.table(), rows[1:2], reads="table", custom_metadata={"t": "b"})
    assert again.version == read + 2
    board = pl.read_delta(s3_lake, storage_options=s3_options)
    assert sorted(board["symbol"]) == ["QQQ", "SPY"]


@pytest.mark.slow
def test_three_processes_on_s3_lose_nothing(s3_lake: str, s3_options: dict[str, str]) -> None:
    SyncAlertManager(s3_lake, storage_options=s3_options).initialize()
    shared = range(3)
    plans = [
        make_plan(w, 60, range(1000 * (w + 1), 1000 * (w + 1) + 6), shared, shared_share=0.3)
        for w in range(3)
    ]
    context = multiprocessing.get_context("spawn")  # deltalake's runtime panics after fork
    with context.Pool(3) as pool:
        pending = [
            pool.apply_async(
                run_plan,
                (s3_lake, plan),
                {"worker": w, "storage_options": s3_options, "maintain_every": 25},
            )
            for w, plan in enumerate(plans)
        ]
        outcomes = [p.get(timeout=600) for p in pending]
    check_plans(pl.read_delta(s3_lake, storage_options=s3_options), plans, outcomes, shared)

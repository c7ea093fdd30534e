"""AlertManager against raw deltalake/polars doing the same work (issue 2's four ratios)."""

from __future__ import annotations

import itertools
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
from deltalake import write_deltalake

from alertkit import Decision, DecisionAction, SyncAlertManager, Urgency
from alertkit.lake.layout import TABLE_CONFIGURATION
from alertkit.model._ids import new_alert_ids
from alertkit.model.alerts import AlertQuery, AlertStatus
from alertkit.model.schema import ALERT_SCHEMA, ALERTS_TABLE, PARTITION_COLUMN
from bench._harness import Comparison, interleaved_medians

START = datetime(2025, 1, 1, tzinfo=UTC)
RULES = ["take_profit_full", "stop_loss_hard", "dte_roll", "gamma_risk", "vix_level", "iv_crush"]


def raw_write(path: Path, rows: pl.DataFrame, mode: Literal["error", "append"] = "error") -> None:
    """deltalake's own write of ``rows`` in the layout alertkit gives its tables (month
    partitions, its target file size): the raw baselines do the same work alertkit does.
    ``rows`` go as polars' own Arrow stream, deltalake's fastest input (faster than a
    ``.to_arrow()`` table: its batches are written in parallel)."""
    write_deltalake(
        path, rows, mode=mode, partition_by=[PARTITION_COLUMN], configuration=TABLE_CONFIGURATION
    )


def stored(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as the alerts table stores it (with its month partition column), for the raw
    baselines to write what alertkit writes."""
    return ALERTS_TABLE.physical(frame)


def alert_frame(
    n: int, seed: int = 0, open_share: float = 0.02, *, varied_metadata: bool = False
) -> pl.DataFrame:
    """``n`` alerts spread over a year, mostly closed (as a lived-in table is); metadata the
    same text on every row, or with ``varied_metadata`` a different P&L on each."""
    rng = np.random.default_rng(seed)
    step = timedelta(days=365) / n
    created = pl.datetime_range(
        START, START + step * (n - 1), step, time_unit="us", time_zone="UTC", eager=True
    )[:n]
    status = rng.choice(
        ["active", "acknowledged", "resolved", "dismissed"],
        n,
        p=[open_share / 2, open_share / 2, 0.9 - open_share, 0.1],
    )
    frame = pl.DataFrame(
        {
            "alert_id": new_alert_ids(created, seed=seed),
            "type": rng.choice(["info", "warning", "critical"], n),
            "severity": rng.choice(["immediate", "high", "normal", "low"], n),
            "status": status,
            "title": "Close position: take_profit_full",
            "message": "Up 82% of max profit",
            "rule": rng.choice(RULES, n),
            "symbol": rng.choice(["SPY", "QQQ", "IWM"], n),
            "strategy_id": np.arange(n, dtype=np.int64),  # unique: open fingerprints never clash
            "metadata": (
                [f'{{"upl_pct":{x:.6f},"threshold":0.8}}' for x in rng.uniform(-1, 1, n)]
                if varied_metadata
                else '{"upl_pct":0.82,"threshold":0.8}'
            ),
            "created_at": created,
        }
    )
    closed = pl.col("status").is_in(["resolved", "dismissed"])
    return frame.with_columns(
        acknowledged_at=pl.when(pl.col("status") == "acknowledged").then(pl.col("created_at")),
        resolved_at=pl.when(closed).then(pl.col("created_at") + pl.duration(hours=1)),
        occurrences=pl.lit(1, pl.Int64),
        last_seen_at=pl.col("created_at"),
        engine_rule=pl.lit("take_profit"),
        rule_priority=pl.lit(2.0),
        revision=pl.lit(0, pl.Int64),
        # The create event every stored alert begins with (later events are not needed here).
        history=pl.concat_str(
            pl.lit('[{"at":"'),
            pl.col("created_at").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ"),
            pl.lit('","action":"create","from":null,"to":"active","by":null,"note":null}]'),
        ),
        created_date=pl.col("created_at").dt.date(),
        notify_pending=pl.lit(None, pl.String),
        silenced_by=pl.lit(None, pl.String),
        snoozed_until=pl.lit(None, ALERT_SCHEMA["snoozed_until"]),
        snoozed_at=pl.lit(None, ALERT_SCHEMA["snoozed_at"]),
        assignee=pl.lit(None, pl.String),
        flapping=pl.lit(False),
    ).select([pl.col(c).cast(t) for c, t in ALERT_SCHEMA.items()])


def table_of(n: int, root: Path, name: str, open_share: float = 0.02) -> SyncAlertManager:
    manager = SyncAlertManager(root / name, maintain_every=0)
    manager.initialize()
    manager.insert_alerts(alert_frame(n, open_share=open_share))
    return manager


def bench_create(root: Path, repeats: int) -> Comparison:
    manager = table_of(10_000, root, "create")
    raw_path = root / "create_raw"
    raw_write(raw_path, stored(alert_frame(10_000)))
    counter = itertools.count(10_000_000)
    decision = Decision(DecisionAction.CLOSE, "Stop loss", "stop_loss_hard", Urgency.IMMEDIATE)
    now = datetime(2026, 1, 5, 15, tzinfo=UTC)

    def ours() -> None:
        manager.create_alert(decision, {"symbol": "SPY", "strategy_id": next(counter)}, at=now)

    one_row = stored(alert_frame(1, seed=9))

    def raw() -> None:
        raw_write(raw_path, one_row, mode="append")

    ours_s, raw_s = interleaved_medians(ours, raw, repeats)
    return Comparison(
        "create_alert (first firing, 10k-alert table)",
        ours_s,
        raw_s,
        3.0,
        "raw 1-row append",
        "one MERGE that decides identity and writes atomically (the old blind append raced)",
    )


def bench_acknowledge(root: Path, repeats: int) -> Comparison:
    big = table_of(1_000_000, root, "ack_1m")
    # Enough active alerts on the small table to acknowledge one per repeat.
    small = table_of(1_000, root, "ack_1k", open_share=0.2)

    def active_ids(manager: SyncAlertManager) -> list[str]:
        return (
            manager.scan_alerts()
            .filter(pl.col("status") == "active")
            .select("alert_id")
            .collect()["alert_id"]
            .shuffle(seed=1)
            .to_list()
        )

    big_ids, small_ids = iter(active_ids(big)), iter(active_ids(small))
    big_s, small_s = interleaved_medians(
        lambda: big.acknowledge_alert(next(big_ids)),
        lambda: small.acknowledge_alert(next(small_ids)),
        repeats,
    )
    return Comparison(
        "acknowledge_alert, 1M-alert table",
        big_s,
        small_s,
        2.0,
        "same on 1k-alert table",
        "partition from the time-ordered id; one file rewritten",
    )


def bench_query(root: Path, repeats: int) -> Comparison:
    manager = table_of(1_000_000, root, "query_1m")
    query = AlertQuery(symbol="SPY", status=AlertStatus.ACTIVE, limit=100)

    def raw() -> pl.DataFrame:
        return (
            pl.scan_delta(manager.path)
            .filter((pl.col("symbol") == "SPY") & (pl.col("status") == "active"))
            .sort(["created_at", "alert_id"], descending=True)
            .head(100)
            .collect()
        )

    assert [a.alert_id for a in manager.query_alerts(query)] == raw()["alert_id"].to_list()
    ours_s, raw_s = interleaved_medians(lambda: manager.query_alerts(query), raw, repeats)
    return Comparison(
        "query_alerts(symbol, status, limit=100), 1M alerts",
        ours_s,
        raw_s,
        1.5,
        "raw pl.scan_delta, same filter/sort/limit",
        "includes building 100 Alert objects",
    )


def bench_bulk_insert(
    root: Path, repeats: int, *, varied_metadata: bool, arrow_baseline: bool
) -> Comparison:
    """insert_alerts of 1M alerts against deltalake writing the same rows in the same
    layout: given as an Arrow table (``arrow_baseline``, the baseline issue 23 quoted), or as
    polars' Arrow stream (deltalake's fastest input)."""
    frame = alert_frame(1_000_000, seed=3, varied_metadata=varied_metadata)
    rows = stored(frame)  # what the raw side writes: the same rows and layout
    written: Any = rows.to_arrow() if arrow_baseline else rows
    counter = itertools.count()
    paths: dict[str, Path] = {}

    def fresh() -> None:
        i = next(counter)
        tag = f"{i}_{varied_metadata}_{arrow_baseline}"
        paths["ours"], paths["raw"] = root / f"bulk_ours_{tag}", root / f"bulk_raw_{tag}"
        SyncAlertManager(paths["ours"]).initialize()

    def ours() -> None:
        SyncAlertManager(paths["ours"], maintain_every=0).insert_alerts(frame)

    def raw() -> None:
        write_deltalake(
            paths["raw"],
            written,
            partition_by=[PARTITION_COLUMN],
            configuration=TABLE_CONFIGURATION,
        )

    ours_s, raw_s = interleaved_medians(ours, raw, repeats, setup=fresh)
    return Comparison(
        "insert_alerts, 1M alerts in one commit"
        + (", every metadata text different" if varied_metadata else ""),
        ours_s,
        raw_s,
        1.5,
        "raw write_deltalake of the same rows"
        + (" as an Arrow table" if arrow_baseline else " as a polars stream"),
        "includes validating every row",
    )


def run(quick: bool = False) -> list[Comparison]:
    with tempfile.TemporaryDirectory(prefix="alertkit-bench-") as tmp:
        root = Path(tmp)
        return [
            bench_create(root, repeats=7 if quick else 21),
            bench_acknowledge(root, repeats=5 if quick else 15),
            bench_query(root, repeats=5 if quick else 15),
            *(
                bench_bulk_insert(
                    root, 1 if quick else 3, varied_metadata=varied, arrow_baseline=arrow
                )
                for varied in (False, True)
                for arrow in (True, False)
            ),
        ]

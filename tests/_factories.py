"""Test data built in one place: alerts, one-row alert frames, and hostile values.

``an_alert`` is the one Alert factory: every field has a valid default and any may be given
by name; a test that needs its own defaults binds them once with ``functools.partial``.
Imported by name (``from _factories import an_alert``): tests/ is on ``sys.path``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from alertkit import Alert, Decision
from alertkit.model._ids import new_alert_id, new_alert_ids
from alertkit.model.mapping import decision_to_alert
from alertkit.model.schema import ALERT_SCHEMA, alerts_to_frame
from alertkit.model.snapshot_schema import SNAPSHOT_SCHEMA

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
LONE = "\udcff"  # what a non-UTF-8 byte on the command line decodes to (surrogateescape)
INF = float("inf")


def an_alert(
    alert_id: str | None = None,
    minutes: float = 0,
    *,
    ack_after: float | None = None,
    closed_after: float | None = None,
    **fields: Any,
) -> Alert:
    """An active warning on SPY created ``minutes`` after T0; ``fields`` override any field.

    ``ack_after`` and ``closed_after`` set ``acknowledged_at`` and ``resolved_at`` that many
    minutes after creation; without ``alert_id`` the id is a fresh one of the creation instant.
    """
    created = fields.pop("created_at", T0 + timedelta(minutes=minutes))
    rule = fields.get("rule", "stop_loss_hard")
    values: dict[str, Any] = {
        "alert_id": new_alert_id(created) if alert_id is None else alert_id,
        "type": "warning",
        "severity": "high",
        "status": "active",
        "title": f"Close position: {rule}",
        "message": "m",
        "rule": rule,
        "symbol": "SPY",
        "strategy_id": 1,
        "metadata": {},
        "created_at": created,
    }
    if ack_after is not None:
        values["acknowledged_at"] = created + timedelta(minutes=ack_after)
    if closed_after is not None:
        values["resolved_at"] = created + timedelta(minutes=closed_after)
    values.update(fields)
    return Alert(**values)


def close_now(rule: str = "catastrophe_drop") -> Decision:
    return Decision("close", "Underlying fell 4% in an hour", rule, "immediate", {"change": -0.04})


def roll(rule: str = "dte_roll") -> Decision:
    return Decision("roll", "DTE 23 <= 25: roll to 45 DTE", rule, "normal", {"dte": 23})


def position(symbol: str = "SPY", strategy_id: int = 1, minutes: int = 0) -> dict[str, object]:
    return {"symbol": symbol, "strategy_id": strategy_id, "as_of": T0 + timedelta(minutes=minutes)}


def alert_frame(**values: Any) -> pl.DataFrame:
    """One valid alert row (IWM, strategy 99, as the engine writes it), columns set to literals."""
    alert = decision_to_alert(close_now(), position("IWM", 99), T0)
    assert alert is not None
    return alerts_to_frame([alert]).with_columns(**{k: pl.lit(v) for k, v in values.items()})


def alert_frame_typed(**values: Any) -> pl.DataFrame:
    """``alert_frame`` with columns replaced typed as the table (so nulls keep their dtype)."""
    return alert_frame().with_columns(
        **{k: pl.lit(v, dtype=ALERT_SCHEMA[k]) for k, v in values.items()}
    )


def nested(depth: int) -> dict[str, Any]:
    """``{"a": {"a": ... {"leaf": 1}}}``: a JSON object ``depth`` levels deep."""
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def book(n: int, *, vix: float = 40.0, at: datetime = T0) -> pl.DataFrame:
    """``n`` iron condors at ``at``; with vix above 35 every one of them trips vix_level."""
    return pl.DataFrame(
        {
            "as_of": [at] * n,
            "strategy_id": list(range(n)),
            "symbol": ["SPY", "QQQ", "IWM"] * (n // 3) + ["SPY"] * (n % 3),
            "strategy_type": ["iron_condor"] * n,
            "dte": [40] * n,
            "upl_pct": [0.1] * n,
            "vix": [vix] * n,
        }
    )


def many_alerts(n: int, start: datetime, span: timedelta, seed: int = 0) -> pl.DataFrame:
    """``n`` valid active alerts (one position each) created evenly over ``span`` from
    ``start``, with time-ordered ids, in a shuffled row order."""
    created = pl.Series([start + span * i / n for i in range(n)], dtype=ALERT_SCHEMA["created_at"])
    return (
        alert_frame()[[0] * n]
        .with_columns(
            alert_id=pl.Series(new_alert_ids(created, seed=seed)),
            strategy_id=pl.int_range(n, dtype=pl.Int64),
            created_at=created,
            last_seen_at=created,
            created_date=created.dt.date(),
        )
        .sample(fraction=1.0, shuffle=True, seed=seed)
    )


def condor_history(*positions: list[dict[str, Any]]) -> pl.DataFrame:
    """Half-hourly snapshots from T0 of iron condors on SPY (strategy ids 1, 2, ...), entry
    1000 USD: one list of column values per position."""
    rows = [
        {
            "as_of": T0 + timedelta(minutes=30 * i),
            "strategy_id": sid,
            "symbol": "SPY",
            "strategy_type": "iron_condor",
            "expiry": date(2026, 2, 20),
            "entry_price": 1000.0,
            **values,
        }
        for sid, snapshots in enumerate(positions, start=1)
        for i, values in enumerate(snapshots)
    ]
    return pl.DataFrame(rows, schema=SNAPSHOT_SCHEMA)

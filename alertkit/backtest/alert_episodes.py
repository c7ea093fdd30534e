"""Vectorized mode: alert identity and the quiet period as frame operations.

The step-by-step definition is in :mod:`alertkit.backtest.replay` (engine mode); this is the
same thing over the whole decisions frame, which must be in time order with one row per
position per instant:

- a *firing* is a row whose ``trigger`` is not null; its fingerprint is
  (trigger, strategy_id, symbol);
- without a quiet period, the first firing of a fingerprint opens its only alert;
- with ``quiet_period`` = Q, a firing at t whose fingerprint last fired at t0 opens a new
  alert iff its position has a snapshot s with t0 < s < t and s - t0 >= Q, i.e. iff the
  position's snapshot just before t is at or after t0 + Q (the engine resolved the old alert
  at that s, and nothing fired it in between);
- an alert's ``resolved_at`` is the first snapshot of its position at or after
  last_seen_at + Q (null when the history ends first); it falls before the next opening by
  the rule above.

Only the rows that open an alert go through Python, where
:func:`~alertkit.rules.decision_from_row` and :func:`~alertkit.mapping.decision_to_alert` make
type, severity, title, message and metadata exactly as in the engine and the live manager.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import polars as pl

from alertkit._ids import deterministic_alert_ids
from alertkit._json import dumps_metadata
from alertkit.alerts import AlertStatus
from alertkit.backtest.replay import RESOLVED_BY, quiet_note
from alertkit.mapping import decision_to_alert
from alertkit.market import SnapshotRow
from alertkit.rules import Rule, decision_from_row
from alertkit.schema import ALERT_SCHEMA, history_event

__all__ = ["EPISODE_SCHEMA", "FINGERPRINT", "alert_episodes", "episode_alerts"]

FINGERPRINT: Final = ("trigger", "strategy_id", "symbol")

_TS: Final = pl.Datetime("us", "UTC")
EPISODE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "trigger": pl.String(),
    "strategy_id": pl.Int64(),
    "symbol": pl.String(),
    "created_at": _TS,
    "last_seen_at": _TS,
    "occurrences": pl.Int64(),
    "resolved_at": _TS,
    "opening_row": pl.UInt32(),
}
"""One row per alert; ``opening_row`` is the index of its first firing in the decisions."""

_ROW: Final = "__alertkit_row"
# alertkit.schema.EVENT_TIME_FORMAT in chrono's spelling (%f alone would be nanoseconds).
_EVENT_TIME: Final = "%Y-%m-%dT%H:%M:%S%.6fZ"


def alert_episodes(decisions: pl.DataFrame, quiet_period: timedelta | None = None) -> pl.DataFrame:
    """The alerts a backtest raises on ``decisions``, one row each (:data:`EPISODE_SCHEMA`),
    in order of their first firing. See the module docstring for the rules."""
    rows = decisions.lazy().select("as_of", *FINGERPRINT).with_row_index(_ROW)
    # Inside the window below, shift(1) is the fingerprint's previous firing.
    previous_firing = pl.col("as_of").shift(1)
    opens = previous_firing.is_null()
    if quiet_period is not None:
        rows = rows.with_columns(previous_snapshot=pl.col("as_of").shift(1).over("strategy_id"))
        opens = opens | (pl.col("previous_snapshot") >= previous_firing + quiet_period)
    # Grouping by category codes rather than strings: the same groups, hashed faster.
    codes = {"__trigger": "trigger", "__symbol": "symbol"}
    keys = [*codes, "strategy_id"]
    episodes = (
        rows.filter(pl.col("trigger").is_not_null())
        .with_columns(
            pl.col(name).cast(pl.Categorical).to_physical().alias(code)
            for code, name in codes.items()
        )
        .with_columns(episode=opens.cum_sum().over(keys))
        .group_by(*keys, "episode")
        .agg(
            pl.col("trigger", "symbol").first(),
            created_at=pl.col("as_of").first(),
            last_seen_at=pl.col("as_of").last(),
            occurrences=pl.len().cast(pl.Int64),
            opening_row=pl.col(_ROW).first(),
        )
    )
    if quiet_period is None:
        episodes = episodes.with_columns(resolved_at=pl.lit(None, dtype=_TS))
    else:
        snapshots = decisions.lazy().select("strategy_id", resolved_at=pl.col("as_of"))
        episodes = (
            episodes.with_columns(due=pl.col("last_seen_at") + quiet_period)
            .sort("due")
            .join_asof(
                snapshots,
                left_on="due",
                right_on="resolved_at",
                by="strategy_id",
                strategy="forward",
                check_sortedness=False,  # decisions are in time order; the left side is sorted
            )
        )
    return episodes.select(list(EPISODE_SCHEMA)).sort("opening_row").collect()


def episode_alerts(
    decisions: pl.DataFrame,
    episodes: pl.DataFrame,
    rules: Sequence[Rule],
    quiet_period: timedelta | None = None,
) -> pl.DataFrame:
    """Table rows (``ALERT_SCHEMA``) for ``episodes``, sorted by (created_at, alert_id)."""
    opening = decisions[episodes["opening_row"]]
    made: dict[str, list[Any]] = {
        "type": [],
        "severity": [],
        "title": [],
        "message": [],
        "metadata": [],
        "engine_rule": [],
        "rule_priority": [],
    }
    for named in opening.iter_rows(named=True):
        # The frame was normalised and validated as the engine does each row: mark the row
        # as such, so the rules do not normalise it again.
        row = SnapshotRow(named)
        alert = decision_to_alert(decision_from_row(row, rules), row, row["as_of"])
        assert alert is not None  # an opening row fired, so it is not HOLD
        made["type"].append(alert.type.value)
        made["severity"].append(alert.severity.value)
        made["title"].append(alert.title)
        made["message"].append(alert.message)
        made["metadata"].append(dumps_metadata(alert.metadata))
        made["engine_rule"].append(alert.engine_rule)
        made["rule_priority"].append(alert.rule_priority)
    resolved = pl.col("resolved_at").is_not_null()
    frame = episodes.with_columns(
        *pl.DataFrame(made, schema={name: ALERT_SCHEMA[name] for name in made}).get_columns(),
        alert_id=deterministic_alert_ids(
            episodes["created_at"], [episodes[key] for key in FINGERPRINT]
        ),
        status=pl.when(resolved)
        .then(pl.lit(AlertStatus.RESOLVED.value))
        .otherwise(pl.lit(AlertStatus.ACTIVE.value)),
        rule=pl.col("trigger"),
        acknowledged_at=pl.lit(None, dtype=_TS),
        revision=pl.lit(0, dtype=pl.Int64),
        history=_history_json(quiet_period),
        created_date=pl.col("created_at").dt.date(),
    )
    return frame.select(list(ALERT_SCHEMA)).sort("created_at", "alert_id")


def _history_json(quiet_period: timedelta | None) -> pl.Expr:
    """The history column: the create event, then the resolve event where resolved, in the
    live manager's JSON (the event dicts come from the same function)."""
    create = _event_parts(history_event(_MARK, "create", None, AlertStatus.ACTIVE, None, None))
    events = pl.concat_str(pl.lit("["), *_at(create, "created_at"))
    if quiet_period is None:
        return pl.concat_str(events, pl.lit("]"))
    resolve = _event_parts(
        history_event(
            _MARK,
            "resolve",
            AlertStatus.ACTIVE.value,
            AlertStatus.RESOLVED,
            RESOLVED_BY,
            quiet_note(quiet_period),
        )
    )
    return (
        pl.when(pl.col("resolved_at").is_not_null())
        .then(pl.concat_str(events, pl.lit(","), *_at(resolve, "resolved_at"), pl.lit("]")))
        .otherwise(pl.concat_str(events, pl.lit("]")))
    )


_MARK: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _event_parts(event: dict[str, Any]) -> tuple[str, str]:
    """An event's compact JSON split around its time: (text before, text after)."""
    text = json.dumps(event, separators=(",", ":"))
    before, _, after = text.partition(json.dumps(event["at"]))
    return before + '"', '"' + after


def _at(parts: tuple[str, str], column: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    return pl.lit(parts[0]), pl.col(column).dt.strftime(_EVENT_TIME), pl.lit(parts[1])

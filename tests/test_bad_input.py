"""Bad input: each case is a clear alertkit error that writes nothing and changes no alert."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from deltalake import DeltaTable

from alertkit import (
    AlertkitError,
    AlertManager,
    AlertNotFoundError,
    AlertQuery,
    Decision,
    DecisionEngine,
    MetadataError,
    SchemaMismatchError,
    StoreError,
    SyncAlertManager,
    TableNotFoundError,
    ValidationError,
    cli,
)
from alertkit.lake.query import scan_transitions
from alertkit.model.mapping import decision_to_alert
from alertkit.model.schema import ALERT_SCHEMA, alerts_to_frame
from alertkit.rules import default_rules, evaluate_frame
from conftest import close_now, position

NOW = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
INF = float("inf")
LONE = "\udcff"  # what a non-UTF-8 byte on the command line decodes to (surrogateescape)
INFINITE = "expected a finite number or None (an infinity is never a real input), got "


def _frame_without(column: str) -> pl.DataFrame:
    alert = decision_to_alert(close_now(), position("IWM", 99), NOW)
    assert alert is not None
    return alerts_to_frame([alert]).drop(column)


def _frame_with(**values: Any) -> pl.DataFrame:
    alert = decision_to_alert(close_now(), position("IWM", 99), NOW)
    assert alert is not None
    return alerts_to_frame([alert]).with_columns(**{k: pl.lit(v) for k, v in values.items()})


def _frame_set(**values: Any) -> pl.DataFrame:
    """One valid alert row with some columns replaced (typed as the table, nulls included)."""
    return _frame_with().with_columns(
        **{k: pl.lit(v, dtype=ALERT_SCHEMA[k]) for k, v in values.items()}
    )


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def _containing_itself() -> dict[str, Any]:
    loop: dict[str, Any] = {"x": 1}
    loop["me"] = loop
    return loop


def _evaluate(
    m: SyncAlertManager, snapshot: dict[str, Any], market_data: dict[str, Any] | None = None
) -> object:
    """The engine, with an alert manager on the same lake attached."""
    engine = DecisionEngine(alert_manager=AlertManager(m.path, maintain_every=0))
    return asyncio.run(engine.evaluate(snapshot, market_data))


def _snapshot(**values: Any) -> dict[str, Any]:
    return {
        "as_of": NOW,
        "strategy_id": 7,
        "symbol": "QQQ",
        "strategy_type": "iron_condor",
        "upl_pct": 0.1,
        "dte": 30,
        **values,
    }


def _history_with(column: str, value: float, row: int = 3) -> pl.DataFrame:
    history = _history()
    return history.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(value).otherwise(pl.col(column)).alias(column)
    )


def _backtest(m: SyncAlertManager, history: pl.DataFrame, mode: str = "vectorized") -> object:
    from alertkit.backtest import run_backtest

    return run_backtest(history, lake=m.path, mode=mode, progress=False)  # type: ignore[arg-type]


Case = Callable[[SyncAlertManager, str], object]

CASES: list[tuple[str, Case, type[Exception], str]] = [
    (
        "decision is a dict",
        lambda m, a: m.create_alert({"action": "close"}, position()),  # type: ignore[arg-type]
        ValidationError,
        "decision: expected a Decision, got dict",
    ),
    (
        "metadata NaN",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"upl": float("nan")}), position("QQQ")
        ),
        MetadataError,
        "metadata['upl']: expected a finite number, got nan",
    ),
    (
        "metadata inf nested",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"g": {"d": [float("-inf")]}}),
            position("QQQ"),
        ),
        MetadataError,
        "metadata['g']['d'][0]: expected a finite number, got -inf",
    ),
    (
        "metadata oversized",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"blob": "x" * 70_000}),
            position("QQQ"),
        ),
        MetadataError,
        "metadata: expected at most 65536 bytes of JSON",
    ),
    (
        "metadata set",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"s": {1}}), position("QQQ")
        ),
        MetadataError,
        "metadata['s']: expected a JSON-compatible value, got set",
    ),
    (
        "strategy_id a string",
        lambda m, a: m.create_alert(close_now(), {"symbol": "SPY", "strategy_id": "7"}),
        ValidationError,
        "strategy_id: expected an int or None, got str '7'",
    ),
    (
        "strategy_id beyond int64",
        lambda m, a: m.create_alert(close_now(), {"symbol": "SPY", "strategy_id": 2**63}),
        ValidationError,
        "strategy_id: expected a value within int64",
    ),
    (
        "symbol empty",
        lambda m, a: m.create_alert(close_now(), {"symbol": " ", "strategy_id": 1}),
        ValidationError,
        "symbol: expected a non-empty string",
    ),
    (
        "as_of not a datetime",
        lambda m, a: m.create_alert(
            close_now(), {"symbol": "SPY", "strategy_id": 1, "as_of": "2026-01-05"}
        ),
        ValidationError,
        "snapshot.as_of: expected a datetime, got str",
    ),
    (
        "unknown action",
        lambda m, a: m.transition(a, "snooze"),
        ValidationError,
        "action: expected one of acknowledge, resolve, dismiss (any case), got 'snooze'",
    ),
    (
        "id with quotes",
        lambda m, a: m.acknowledge_alert("abc' OR '1'='1"),
        AlertNotFoundError,
        "no alert with alert_id=\"abc' OR '1'='1\"",
    ),
    (
        "id predicate text",
        lambda m, a: m.resolve_alert("1 = 1 OR alert_id IS NOT NULL"),
        AlertNotFoundError,
        "no alert with alert_id='1 = 1 OR alert_id IS NOT NULL'",
    ),
    (
        "id with comment",
        lambda m, a: m.dismiss_alert(a + "'--"),
        AlertNotFoundError,
        "no alert with alert_id=",
    ),
    (
        "id not a string",
        lambda m, a: m.acknowledge_alert(42),  # type: ignore[arg-type]
        ValidationError,
        "alert_id: expected a str, got int 42",
    ),
    (
        "by not a string",
        lambda m, a: m.acknowledge_alert(a, by=7),  # type: ignore[arg-type]
        ValidationError,
        "by: expected a str or None, got 7",
    ),
    (
        "at not a datetime",
        lambda m, a: m.acknowledge_alert(a, at="now"),  # type: ignore[arg-type]
        ValidationError,
        "at: expected a datetime, got str 'now'",
    ),
    (
        "limit zero",
        lambda m, a: m.query_alerts(AlertQuery(limit=0)),
        ValidationError,
        "limit: expected a positive int up to 4294967295, got 0",
    ),
    (
        "start after end",
        lambda m, a: m.query_alerts(
            AlertQuery(
                start_time=datetime(2026, 2, 1, tzinfo=UTC),
                end_time=datetime(2026, 1, 1, tzinfo=UTC),
            )
        ),
        ValidationError,
        "start_time: expected <= end_time",
    ),
    (
        "naive and aware mixed",
        lambda m, a: m.query_alerts(
            AlertQuery(start_time=datetime(2026, 1, 1), end_time=datetime(2026, 2, 1, tzinfo=UTC))
        ),
        ValidationError,
        "start_time/end_time: expected both naive (local time) or both timezone-aware",
    ),
    (
        "unknown status in count",
        lambda m, a: m.get_alert_count("open"),
        ValidationError,
        "status: expected one of active, acknowledged, resolved, dismissed (any case), got 'open'",
    ),
    (
        "query of the wrong type",
        lambda m, a: m.query_alerts({"symbol": "SPY"}),  # type: ignore[arg-type]
        ValidationError,
        "query: expected an AlertQuery, got dict",
    ),
    (
        "bulk frame missing a column",
        lambda m, a: m.insert_alerts(_frame_without("severity")),
        ValidationError,
        "alerts frame: missing column 'severity'",
    ),
    (
        "bulk frame unknown enum",
        lambda m, a: m.insert_alerts(_frame_with(status="snoozed")),
        ValidationError,
        "alerts frame: 1 rows: status is not a known AlertStatus",
    ),
    (
        "bulk frame hostile id",
        lambda m, a: m.insert_alerts(_frame_with(alert_id="x'; DROP")),
        ValidationError,
        "alerts frame: 1 rows: alert_id has an invalid form",
    ),
    (
        "bulk frame repeated id",
        lambda m, a: m.insert_alerts(pl.concat([_frame_with()] * 2)),
        ValidationError,
        "alerts frame: 2 rows: alert_id repeats; 2 rows: open fingerprint",
    ),
    (
        "bulk frame open fingerprint twice",
        lambda m, a: m.insert_alerts(pl.concat([_frame_with(), _frame_with()])),
        ValidationError,
        "alerts frame: 2 rows: open fingerprint (rule, strategy_id, symbol) repeats",
    ),
    (
        "bulk frame mistyped column",
        lambda m, a: m.insert_alerts(
            _frame_with().with_columns(pl.col("strategy_id").cast(pl.String))
        ),
        ValidationError,
        "alerts frame: strategy_id is String, expected Int64",
    ),
    (
        "decision with empty rule",
        lambda m, a: m.create_alert(Decision("close", "x", " "), position()),
        ValidationError,
        "rule: expected a non-empty str",
    ),
    (
        "bulk frame empty title",
        lambda m, a: m.insert_alerts(_frame_with(title="  ")),
        ValidationError,
        "alerts frame: 1 rows: title is empty",
    ),
    (
        "unknown decision action",
        lambda m, a: m.create_alert(Decision("snooze", "x", "vix_level"), position()),
        ValidationError,
        "action: expected one of hold, close, roll, adjust, reduce (any case), got 'snooze'",
    ),
    (
        "unknown severity in a query",
        lambda m, a: m.query_alerts(AlertQuery(severity="urgent")),
        ValidationError,
        "severity: expected one of immediate, high, normal, low (any case), got 'urgent'",
    ),
    (
        "strategy_id a bool",
        lambda m, a: m.create_alert(close_now(), {"symbol": "SPY", "strategy_id": True}),
        ValidationError,
        "strategy_id: expected an int or None, got bool True",
    ),
    (
        "strategy_id below int64",
        lambda m, a: m.query_alerts(AlertQuery(strategy_id=-(2**63) - 1)),
        ValidationError,
        "strategy_id: expected a value within int64",
    ),
    (
        "note not a string",
        lambda m, a: m.resolve_alert(a, note=b"bytes"),  # type: ignore[arg-type]
        ValidationError,
        "note: expected a str or None, got b'bytes'",
    ),
    (
        "bulk frame naive timestamps",
        lambda m, a: m.insert_alerts(
            _frame_with().with_columns(pl.col("created_at").dt.replace_time_zone(None))
        ),
        ValidationError,
        "alerts frame: created_at is Datetime(time_unit='us', time_zone=None), expected"
        " Datetime(time_unit='us', time_zone='UTC')",
    ),
    (
        "bulk frame resolved without resolved_at",
        lambda m, a: m.insert_alerts(_frame_with(status="resolved")),
        ValidationError,
        "alerts frame: 1 rows: terminal status without resolved_at",
    ),
]

# --- issue 14: nothing unreadable gets in ------------------------------------------------------

# Defect 1: each of these rows was accepted by the bulk check, and then broke the whole board.
FRAME_CASES: list[tuple[str, Case, type[Exception], str]] = [
    (
        "bulk acknowledged without acknowledged_at",
        lambda m, a: m.insert_alerts(_frame_set(status="acknowledged")),
        ValidationError,
        "alerts frame: 1 rows: acknowledged status without acknowledged_at",
    ),
    (
        "bulk empty symbol",
        lambda m, a: m.insert_alerts(_frame_set(symbol="")),
        ValidationError,
        "alerts frame: 1 rows: symbol is empty",
    ),
    (
        "bulk symbol of what str.strip() removes",
        lambda m, a: m.insert_alerts(_frame_set(symbol="\x1c\u3000")),
        ValidationError,
        "alerts frame: 1 rows: symbol is empty",
    ),
    (
        "bulk null message",
        lambda m, a: m.insert_alerts(_frame_set(message=None)),
        ValidationError,
        "alerts frame: 1 rows: message is null",
    ),
    (
        "bulk 20,000-character title",
        lambda m, a: m.insert_alerts(_frame_set(title="x" * 20_000)),
        ValidationError,
        "alerts frame: 1 rows: title is too long (over 10000 characters)",
    ),
    (
        "bulk empty engine_rule",
        lambda m, a: m.insert_alerts(_frame_set(engine_rule=" ")),
        ValidationError,
        "alerts frame: 1 rows: engine_rule is empty",
    ),
    (
        "bulk NaN rule_priority",
        lambda m, a: m.insert_alerts(_frame_set(rule_priority=float("nan"))),
        ValidationError,
        "alerts frame: 1 rows: rule_priority is NaN or infinite",
    ),
    (
        "bulk infinite rule_priority",
        lambda m, a: m.insert_alerts(_frame_set(rule_priority=-INF)),
        ValidationError,
        "alerts frame: 1 rows: rule_priority is NaN or infinite",
    ),
    (
        "bulk metadata not JSON",
        lambda m, a: m.insert_alerts(_frame_set(metadata="{'upl': 1}")),
        ValidationError,
        "alerts frame: 1 rows: metadata is not valid JSON (first: Expecting property name",
    ),
    (
        "bulk metadata a JSON list",
        lambda m, a: m.insert_alerts(_frame_set(metadata="[1, 2]")),
        ValidationError,
        "alerts frame: 1 rows: metadata is not a JSON object (first: a JSON list)",
    ),
    (
        "bulk metadata JSON null",
        lambda m, a: m.insert_alerts(_frame_set(metadata="null")),
        ValidationError,
        "alerts frame: 1 rows: metadata is not a JSON object",
    ),
    (
        "bulk metadata null",
        lambda m, a: m.insert_alerts(_frame_set(metadata=None)),
        ValidationError,
        "alerts frame: 1 rows: metadata is null",
    ),
    (
        "bulk metadata with a lone surrogate escape",
        lambda m, a: m.insert_alerts(_frame_set(metadata='{"note": "\\udcff"}')),
        ValidationError,
        "alerts frame: 1 rows: metadata holds a value alertkit refuses (first: metadata['note']:"
        " expected a string of valid Unicode, got a lone surrogate '\\udcff' at position 0",
    ),
    (
        "bulk metadata nested 65 deep",
        lambda m, a: m.insert_alerts(_frame_set(metadata=json.dumps(_nested(65)))),
        ValidationError,
        "alerts frame: 1 rows: metadata holds a value alertkit refuses (first: metadata['a']",
    ),
    (
        "bulk metadata nested 2000 deep",
        lambda m, a: m.insert_alerts(_frame_set(metadata='{"a":' * 2000 + "1" + "}" * 2000)),
        ValidationError,
        "alerts frame: 1 rows: metadata is nested too deeply (first: more than 64 levels)",
    ),
    (
        "bulk metadata number beyond float",
        lambda m, a: m.insert_alerts(_frame_set(metadata='{"upl": 1e400}')),
        ValidationError,
        "alerts frame: 1 rows: metadata holds a value alertkit refuses (first: metadata['upl']:"
        " expected a finite number, got inf)",
    ),
    (
        "bulk history not JSON",
        lambda m, a: m.insert_alerts(_frame_set(history="created")),
        ValidationError,
        "alerts frame: 1 rows: history is not a JSON list of alertkit events",
    ),
    (
        "bulk history without the create event",
        lambda m, a: m.insert_alerts(_frame_set(history="[]")),
        ValidationError,
        "alerts frame: 1 rows: history does not begin with the create event",
    ),
    (
        "bulk history null",
        lambda m, a: m.insert_alerts(_frame_set(history=None)),
        ValidationError,
        "alerts frame: 1 rows: history is null",
    ),
    (
        "bulk history on 30 February",
        lambda m, a: m.insert_alerts(
            _frame_set(
                history='[{"at":"2026-02-30T15:00:00.000000Z","action":"create","from":null,'
                '"to":"active","by":null,"note":null}]'
            )
        ),
        ValidationError,
        "alerts frame: 1 rows: history is not a JSON list of alertkit events",
    ),
    (
        "bulk history with a lone surrogate note",
        lambda m, a: m.insert_alerts(
            _frame_set(
                history='[{"at":"2026-01-05T15:00:00.000000Z","action":"create","from":null,'
                '"to":"active","by":null,"note":"\\ud800"}]'
            )
        ),
        ValidationError,
        "alerts frame: 1 rows: history is not a JSON list of alertkit events",
    ),
    (
        "bulk null revision",
        lambda m, a: m.insert_alerts(_frame_set(revision=None)),
        ValidationError,
        "alerts frame: 1 rows: revision is null or negative",
    ),
    (
        "bulk id with a trailing newline",
        lambda m, a: m.insert_alerts(_frame_set(alert_id="abc-1\n")),
        ValidationError,
        "alerts frame: 1 rows: alert_id has an invalid form",
    ),
    (
        "bulk created before 1970",
        lambda m, a: m.insert_alerts(
            _frame_set(created_at=datetime(1969, 7, 20, tzinfo=UTC), created_date=date(1969, 7, 20))
        ),
        ValidationError,
        "alerts frame: 1 rows: created_at is before 1970-01-01 (alert ids cannot encode it)",
    ),
    (
        "bulk last seen in year 10000",
        lambda m, a: m.insert_alerts(
            _frame_with().with_columns(
                last_seen_at=pl.lit(253_402_300_800_000_000).cast(pl.Datetime("us", "UTC"))
            )
        ),
        ValidationError,
        "alerts frame: 1 rows: last_seen_at is after 9999-12-31 (Python cannot read it)",
    ),
    (
        "bulk every problem named at once",
        lambda m, a: m.insert_alerts(_frame_set(symbol="", message=None, revision=None)),
        ValidationError,
        "alerts frame: 1 rows: revision is null or negative; 1 rows: message is null;"
        " 1 rows: symbol is empty",
    ),
]

# Defects 3, 5 and 6 through the API.
API_CASES: list[tuple[str, Case, type[Exception], str]] = [
    (
        "created before 1970",
        lambda m, a: m.create_alert(close_now(), position(), at=datetime(1969, 12, 31, tzinfo=UTC)),
        ValidationError,
        "created_at: expected an instant from 1970-01-01 00:00:00 to 9999-12-31 23:59:59.999999"
        " UTC (the range alert ids can encode), got 1969-12-31T00:00:00+00:00",
    ),
    (
        "naive year 1",
        lambda m, a: m.create_alert(close_now(), position(), at=datetime(1, 1, 1)),
        ValidationError,
        "at: expected an instant between 0001-01-01 and 9999-12-31 UTC",
    ),
    (
        "naive year 1 in a query",
        lambda m, a: m.query_alerts(AlertQuery(end_time=datetime(1, 1, 1))),
        ValidationError,
        "end_time: expected an instant between 0001-01-01 and 9999-12-31 UTC",
    ),
    (
        "metadata nested 990 deep",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", _nested(990)), position("QQQ")
        ),
        MetadataError,
        "metadata['a']['a']['a']",
    ),
    (
        "metadata containing itself",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", _containing_itself()),
            position("QQQ"),
        ),
        MetadataError,
        "metadata['me']['me']",
    ),
    (
        "metadata surrogate value",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"k": LONE}), position("QQQ")
        ),
        MetadataError,
        "metadata['k']: expected a string of valid Unicode, got a lone surrogate '\\udcff'",
    ),
    (
        "metadata surrogate key",
        lambda m, a: m.create_alert(
            Decision("close", "x", "stop_loss_hard", "high", {"k" + LONE: 1}), position("QQQ")
        ),
        MetadataError,
        "metadata: expected keys of valid Unicode, got a lone surrogate '\\udcff' at position 1",
    ),
    (
        "surrogate in symbol",
        lambda m, a: m.create_alert(close_now(), {"symbol": "SP" + LONE, "strategy_id": 2}),
        ValidationError,
        "symbol: expected valid Unicode text, got a lone surrogate '\\udcff' at position 2",
    ),
    (
        "surrogate in reason",
        lambda m, a: m.create_alert(Decision("close", "fell" + LONE, "vix_level"), position()),
        ValidationError,
        "reason: expected valid Unicode text, got a lone surrogate '\\udcff' at position 4",
    ),
    (
        "surrogate by",
        lambda m, a: m.acknowledge_alert(a, by=LONE),
        ValidationError,
        "by: expected valid Unicode text, got a lone surrogate '\\udcff' at position 0",
    ),
    (
        "surrogate note",
        lambda m, a: m.resolve_alert(a, note="done " + LONE),
        ValidationError,
        "note: expected valid Unicode text, got a lone surrogate '\\udcff' at position 5",
    ),
    (
        "surrogate symbol in a query",
        lambda m, a: m.query_alerts(AlertQuery(symbol=LONE)),
        ValidationError,
        "symbol: expected valid Unicode text",
    ),
    (
        "limit 2**63",
        lambda m, a: m.query_alerts(AlertQuery(limit=2**63)),
        ValidationError,
        "limit: expected a positive int up to 4294967295, got 9223372036854775808",
    ),
    (
        "board(-1)",
        lambda m, a: m.board(-1),
        ValidationError,
        "version: expected a table version number >= 0, a datetime, or an ISO-8601 instant"
        " such as '2026-01-05T15:00:00+00:00', got -1",
    ),
    (
        "board('yesterday')",
        lambda m, a: m.board("yesterday"),
        ValidationError,
        "version: expected a table version number >= 0, a datetime, or an ISO-8601 instant"
        " such as '2026-01-05T15:00:00+00:00', got 'yesterday'",
    ),
    (
        "board(True)",
        lambda m, a: m.board(True),
        ValidationError,
        "version: expected a table version number >= 0",
    ),
    (
        "board(1900)",
        lambda m, a: m.board(datetime(1900, 1, 1, tzinfo=UTC)),
        ValidationError,
        "version: the alerts table at ",
    ),
    (
        "board past the latest version",
        lambda m, a: m.board(99),
        ValidationError,
        "version: expected a table version from 0 to 1 (the latest), got 99",
    ),
    (
        "query at a version given as garbage text",
        lambda m, a: m.query_alerts(version="v2"),
        ValidationError,
        "version: expected a table version number >= 0",
    ),
    (
        "get at a naive year-1 instant",
        lambda m, a: m.get_alert(a, version=datetime(1, 1, 1)),
        ValidationError,
        "version: expected an instant between 0001-01-01 and 9999-12-31 UTC",
    ),
    (
        "id with a trailing newline",
        lambda m, a: m.get_alert(a + "\n"),
        AlertNotFoundError,
        "no alert with alert_id='",
    ),
    (
        "transition of an id with a trailing newline",
        lambda m, a: m.acknowledge_alert(a + "\n"),
        AlertNotFoundError,
        "no alert with alert_id='",
    ),
]

# Defect 2: infinity at the snapshot boundary, in the engine, the cycle and the backtest alike.
ENGINE_CASES: list[tuple[str, Case, type[Exception], str]] = [
    (
        "engine upl_pct inf",
        lambda m, a: _evaluate(m, _snapshot(upl_pct=INF)),
        ValidationError,
        "upl_pct: " + INFINITE + "inf",
    ),
    (
        "engine derived upl_pct inf",
        lambda m, a: _evaluate(
            m, _snapshot(upl_pct=None, unrealized_pnl=-1e308, entry_price=1e-10)
        ),
        ValidationError,
        "upl_pct: " + INFINITE + "-inf",
    ),
    (
        "engine vix -inf in market_data",
        lambda m, a: _evaluate(m, _snapshot(), {"vix": -INF}),
        ValidationError,
        "vix: " + INFINITE + "-inf",
    ),
    (
        "engine net_gamma inf",
        lambda m, a: _evaluate(m, _snapshot(net_gamma=INF)),
        ValidationError,
        "net_gamma: " + INFINITE + "inf",
    ),
    (
        "engine an int beyond float",
        lambda m, a: _evaluate(m, _snapshot(entry_price=10**400)),
        ValidationError,
        "entry_price: " + INFINITE + "1000",
    ),
    (
        "engine surrogate symbol",
        lambda m, a: _evaluate(m, _snapshot(symbol="Q" + LONE, upl_pct=0.9)),
        ValidationError,
        "symbol: expected valid Unicode text, got a lone surrogate",
    ),
    (
        "cycle upl_pct inf",
        lambda m, a: m.run_cycle([_snapshot(upl_pct=INF)]),
        ValidationError,
        "upl_pct: " + INFINITE + "inf",
    ),
    (
        "evaluate_frame upl_pct inf",
        lambda m, a: evaluate_frame(_history_with("upl_pct", INF), default_rules()),
        ValidationError,
        "upl_pct: " + INFINITE + "inf",
    ),
    (
        "evaluate_frame iv_change_1h -inf",
        lambda m, a: evaluate_frame(_history_with("iv_change_1h", -INF).lazy(), default_rules()),
        ValidationError,
        "iv_change_1h: " + INFINITE + "-inf",
    ),
    (
        "backtest upl_pct inf",
        lambda m, a: _backtest(m, _history_with("upl_pct", INF)),
        ValidationError,
        "upl_pct: " + INFINITE + "inf",
    ),
    (
        "backtest in engine mode vix inf",
        lambda m, a: _backtest(m, _history_with("vix", INF), mode="engine"),
        ValidationError,
        "vix: " + INFINITE + "inf",
    ),
]

ALL_CASES = CASES + FRAME_CASES + API_CASES + ENGINE_CASES


@pytest.mark.parametrize(
    ("case", "call", "error", "message"), ALL_CASES, ids=[c[0] for c in ALL_CASES]
)
def test_bad_input_is_refused_cleanly(
    sync_manager: SyncAlertManager,
    lake: str,
    case: str,
    call: Case,
    error: type[Exception],
    message: str,
) -> None:
    existing = sync_manager.create_alert(close_now(), position("SPY", 1))
    assert existing is not None
    version = DeltaTable(lake).version()
    before = pl.read_delta(lake)
    with pytest.raises(error) as info:
        call(sync_manager, existing.alert_id)
    assert isinstance(info.value, AlertkitError)
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)  # one clear line
    assert DeltaTable(lake).version() == version
    assert pl.read_delta(lake).equals(before)


def test_hostile_notes_and_names_round_trip_exactly(sync_manager: SyncAlertManager) -> None:
    alert = sync_manager.create_alert(close_now(), position())
    other = sync_manager.create_alert(close_now(), position("QQQ"))
    assert alert is not None and other is not None
    note = "it's done'; DELETE FROM alerts; -- \\' \n <script>alert(1)</script> ünï 🚀"
    by = "o'brien\\"
    done = sync_manager.resolve_alert(alert.alert_id, by=by, note=note)
    assert (done.history[-1]["by"], done.history[-1]["note"]) == (by, note)
    stored = sync_manager.get_alert(alert.alert_id)
    assert (stored.history[-1]["by"], stored.history[-1]["note"]) == (by, note)
    assert sync_manager.get_alert(other.alert_id) == other


def test_directory_that_is_not_a_delta_table(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "readme.txt").write_text("not a table")
    with pytest.raises(TableNotFoundError, match=r"is a non-empty directory but not a Delta table"):
        SyncAlertManager(folder).initialize()
    assert sorted(p.name for p in folder.iterdir()) == ["readme.txt"]


def test_file_instead_of_a_table(tmp_path: Path) -> None:
    path = tmp_path / "alerts"
    path.write_text("x")
    with pytest.raises(TableNotFoundError, match=r"is a file, not a Delta table directory"):
        SyncAlertManager(path).initialize()


def test_table_with_an_incompatible_schema(tmp_path: Path) -> None:
    path = tmp_path / "alerts"
    pl.DataFrame({"alert_id": ["a"], "status": [1]}).write_delta(path)
    with pytest.raises(SchemaMismatchError) as info:
        SyncAlertManager(path).initialize()
    message = str(info.value)
    assert "column 'status' is Int64, expected String" in message
    assert "missing column 'severity' (String)" in message


def test_corrupted_commit_file(sync_manager: SyncAlertManager, lake: str) -> None:
    sync_manager.create_alert(close_now(), position())
    (Path(lake) / "_delta_log" / "00000000000000000001.json").write_text("{not json")
    with pytest.raises(StoreError, match=r"^cannot open the alerts table at "):
        SyncAlertManager(lake).initialize()


def test_operations_before_initialize_say_so(tmp_path: Path) -> None:
    manager = SyncAlertManager(tmp_path / "never")
    with pytest.raises(TableNotFoundError, match=r"call initialize\(\) first"):
        manager.get_alert_count()


def test_a_table_with_naive_timestamps_is_refused(tmp_path: Path) -> None:
    """timestamp_ntz columns (a table written from naive datetimes) do not fit the schema."""
    path = tmp_path / "alerts"
    frame = _frame_with().with_columns(
        pl.col("created_at", "last_seen_at").dt.replace_time_zone(None)
    )
    frame.write_delta(path)
    with pytest.raises(SchemaMismatchError) as info:
        SyncAlertManager(path).initialize()
    assert str(info.value) == (
        f"the table at {path} is not an alertkit alerts table: column 'created_at' is"
        " Datetime(time_unit='us', time_zone=None), expected Datetime(time_unit='us',"
        " time_zone='UTC'); column 'last_seen_at' is Datetime(time_unit='us', time_zone=None),"
        " expected Datetime(time_unit='us', time_zone='UTC')"
    )


# --- history files (alertkit.backtest.load_history) --------------------------------------

HISTORY_HEADER = "history does not fit the snapshot schema (alertkit.SNAPSHOT_SCHEMA): "


def _history() -> pl.DataFrame:
    from alertkit.backtest import synthetic_history

    return synthetic_history(2, seed=1)


def _write(frame: pl.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.write_csv(path)
    elif path.suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_delta(path)
    return path


HISTORY_CASES: list[tuple[str, Callable[[pl.DataFrame], pl.DataFrame], str, str]] = [
    (
        "parquet missing a column",
        lambda h: h.drop("strategy_id"),
        "history.parquet",
        HISTORY_HEADER + "1 problem\n  - missing column strategy_id (Int64): add an integer id"
        " per position",
    ),
    (
        "csv with text in a number column",
        lambda h: h.with_columns(pl.lit("n/a").alias("net_delta")),
        "history.csv",
        HISTORY_HEADER + "1 problem\n  - mistyped column net_delta: expected Float64, got String",
    ),
    (
        "delta table with a mistyped column",
        lambda h: h.with_columns(pl.col("strategy_id").cast(pl.String)),
        "history",
        HISTORY_HEADER + "1 problem\n  - mistyped column strategy_id: expected Int64, got String",
    ),
    (
        "parquet missing and mistyped columns",
        lambda h: h.drop("symbol", "strategy_type").with_columns(pl.col("dte").cast(pl.Float64)),
        "history.parquet",
        HISTORY_HEADER + "3 problems\n"
        "  - missing column symbol (String): add the underlying's ticker per position\n"
        "  - missing column strategy_type (String): add one of butterfly, calendar_spread,"
        " custom, iron_condor, long_call, long_put, short_call, short_put, strangle,"
        " vertical_spread per position\n"
        "  - mistyped column dte: expected Int32, got Float64",
    ),
    # "parquet with naive as_of" left this table in issue 18: a naive as_of is local time, as
    # a naive datetime is everywhere (tests/backtest/test_history_files.py).
]


@pytest.mark.parametrize(
    ("case", "damage", "name", "message"), HISTORY_CASES, ids=[c[0] for c in HISTORY_CASES]
)
def test_bad_history_files_are_refused_cleanly(
    sync_manager: SyncAlertManager,
    lake: str,
    tmp_path: Path,
    case: str,
    damage: Callable[[pl.DataFrame], pl.DataFrame],
    name: str,
    message: str,
) -> None:
    from alertkit.backtest import load_history

    path = _write(damage(_history()), tmp_path / name)
    files_before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    version = DeltaTable(lake).version()
    with pytest.raises(ValidationError) as info:
        load_history(path)
    assert str(info.value).startswith(message), str(info.value)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == files_before
    assert DeltaTable(lake).version() == version


# --- the command line: exit 2 and one clear line, nothing written ------------------------------

CLI_CASES: list[tuple[str, list[str], str]] = [
    ("list --limit 2**63", ["list", "--limit", str(2**63)], "limit: expected a positive int up to"),
    ("list --limit -1", ["list", "--limit", "-1"], "limit: expected a positive int up to"),
    ("ack with a non-UTF-8 --by", ["ack", "{id}", "--by", "ann" + LONE], "--by: expected valid"),
    ("resolve with a non-UTF-8 --note", ["resolve", "{id}", "--note", LONE], "--note: expected"),
    ("list with a non-UTF-8 --symbol", ["list", "--symbol", LONE], "--symbol: expected valid"),
    ("show an id with a trailing newline", ["show", "{id}\n"], "no alert with alert_id='"),
    ("dismiss an id with a trailing newline", ["dismiss", "{id}\n"], "no alert with alert_id="),
    ("list --status open", ["list", "--status", "open"], "status: expected one of active,"),
]


@pytest.mark.parametrize(("case", "args", "message"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_bad_command_lines_exit_2_with_one_line(
    sync_manager: SyncAlertManager,
    lake: str,
    capsys: pytest.CaptureFixture[str],
    case: str,
    args: list[str],
    message: str,
) -> None:
    existing = sync_manager.create_alert(close_now(), position("SPY", 1))
    assert existing is not None
    version = DeltaTable(lake).version()
    before = pl.read_delta(lake)
    status = cli.main(["--lake", lake, *(a.replace("{id}", existing.alert_id) for a in args)])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.startswith("alertkit: error: " + message), err
    assert err.count("\n") == 1, err
    assert DeltaTable(lake).version() == version
    assert pl.read_delta(lake).equals(before)


def test_a_non_utf8_lake_path_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--lake", "data/" + LONE, "list"]) == 2
    assert capsys.readouterr().err == (
        "alertkit: error: --lake: expected valid Unicode text, got a lone surrogate '\\udcff'"
        " at position 5 (not storable as UTF-8)\n"
    )


# --- whole scenarios, one per defect ------------------------------------------------------------


def test_infinity_never_enters_a_peak(sync_manager: SyncAlertManager, lake: str) -> None:
    """Defect 2: upl_pct=inf fired trailing_stop and stayed the peak, so every later snapshot
    was a trailing stop and real stop losses were never written."""
    engine = DecisionEngine(alert_manager=AlertManager(lake, maintain_every=0))
    with pytest.raises(ValidationError, match=r"^upl_pct: expected a finite number"):
        asyncio.run(engine.evaluate(_snapshot(upl_pct=INF)))
    assert engine.peak(7) is None
    decision = asyncio.run(engine.evaluate(_snapshot(upl_pct=-2.5, as_of=NOW + timedelta(hours=1))))
    assert (decision.rule, engine.peak(7)) == ("stop_loss_hard", -2.5)
    [alert] = sync_manager.query_alerts(AlertQuery(strategy_id=7))
    assert (alert.rule, alert.metadata["upl_pct"]) == ("stop_loss_hard", -2.5)


def test_the_last_instant_of_9999_round_trips(sync_manager: SyncAlertManager, lake: str) -> None:
    """Defect 3: the whole supported range reads back and transitions; a float timestamp made
    this id name year 10000, and reading it raised a raw ValueError."""
    last = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    alert = sync_manager.create_alert(close_now(), position("DIA", 9), at=last)
    assert alert is not None
    assert sync_manager.get_alert(alert.alert_id).created_at == last
    done = sync_manager.acknowledge_alert(alert.alert_id, at=last)
    assert done.acknowledged_at == last
    assert sync_manager.query_alerts()[0].alert_id == alert.alert_id
    first = sync_manager.create_alert(
        close_now(), position("DIA", 10), at=datetime(1970, 1, 1, tzinfo=UTC)
    )
    assert first is not None and sync_manager.get_alert(first.alert_id) == first


def test_bulk_inserted_alerts_carry_their_create_event(sync_manager: SyncAlertManager) -> None:
    """Defect 1: alerts inserted in bulk had an empty history, so after an acknowledge their
    history read ['acknowledge']."""
    alert = decision_to_alert(close_now(), position("IWM", 99), NOW)
    assert alert is not None and alert.history == []
    assert sync_manager.insert_alerts([alert]) == 1
    sync_manager.acknowledge_alert(alert.alert_id, by="ann", at=NOW + timedelta(minutes=5))
    stored = sync_manager.get_alert(alert.alert_id)
    assert [e["action"] for e in stored.history] == ["create", "acknowledge"]
    assert stored.history[0] == {
        "at": "2026-01-05T15:00:00.000000Z",
        "action": "create",
        "from": None,
        "to": "active",
        "by": None,
        "note": None,
    }
    events = scan_transitions(sync_manager.scan_alerts()).filter(
        pl.col("alert_id") == alert.alert_id
    )
    assert events.select("action").collect().to_series().to_list() == ["create", "acknowledge"]


def test_time_travel_to_a_vacuumed_version_says_so(tmp_path: Path) -> None:
    """Defect 6: delta-rs opens a version whose files a vacuum deleted, and the read then
    failed with a raw FileNotFoundError."""
    manager = SyncAlertManager(tmp_path / "alerts", maintain_every=0)
    manager.initialize()
    for strategy_id in (1, 2, 3):
        manager.create_alert(close_now(), position("SPY", strategy_id))
    manager.maintain()
    DeltaTable(manager.path).vacuum(
        retention_hours=0, enforce_retention_duration=False, dry_run=False
    )
    message = (
        f"version 2 of the alerts table at {manager.path} can no longer be read: 2 of its data"
        " files, e.g. "
    )
    for read in (manager.board, manager.query_alerts, manager.scan_alerts):
        with pytest.raises(StoreError) as info:
            read(version=2)  # type: ignore[operator]
        assert str(info.value).startswith(message), str(info.value)
        assert str(info.value).endswith(
            " were deleted by a vacuum (time travel reaches back only as far as the vacuum"
            " retention)"
        )
    assert manager.board(version=manager.version()).height == 3


def test_time_travel_by_instant_names_the_creation_time(sync_manager: SyncAlertManager) -> None:
    created = datetime.fromtimestamp(
        DeltaTable(sync_manager.path).metadata().created_time / 1000, UTC
    )
    with pytest.raises(ValidationError) as info:
        sync_manager.board(datetime(1900, 1, 1))
    assert str(info.value) == (
        f"version: the alerts table at {sync_manager.path} did not exist at"
        f" 1900-01-01T00:00:00+00:00; it was created at {created.isoformat()}"
    )
    assert sync_manager.board(created).height == 0
    assert sync_manager.board(created.isoformat()).height == 0


def test_metadata_of_exactly_64_levels_and_64_kib_is_stored(sync_manager: SyncAlertManager) -> None:
    deep = sync_manager.create_alert(
        Decision("close", "x", "stop_loss_hard", "high", _nested(64)), position("QQQ")
    )
    assert deep is not None and sync_manager.get_alert(deep.alert_id).metadata == _nested(64)
    blob = "x" * (64 * 1024 - len('{"b":""}'))
    big = sync_manager.create_alert(
        Decision("close", "x", "vix_level", "high", {"b": blob}), position("QQQ")
    )
    assert big is not None and sync_manager.get_alert(big.alert_id).metadata == {"b": blob}


def test_the_bad_input_suite_is_large_enough() -> None:
    assert len(ALL_CASES) + len(CLI_CASES) + len(HISTORY_CASES) >= 60

"""notifications_per_day_chart: marks, encodings and the embedded per-day values, on to_dict()."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from _factories import T0, an_alert

from alertkit.backtest import NotificationDryRun, dry_run_notifications
from alertkit.charts import MAX_ROWS, notifications_per_day_chart
from alertkit.model.errors import ValidationError
from alertkit.model.schema import alerts_to_frame
from alertkit.notify.subscriptions import Subscription

D = timedelta(days=1)
_ids = itertools.count(1)


def dry_run(days: int = 3, handlers: tuple[str, ...] = ("desk", "pager")) -> NotificationDryRun:
    # Two alerts on day 0 (one immediate), none on day 1, one on day 2.
    alerts = [
        an_alert(created_at=T0, severity="immediate", strategy_id=next(_ids)),
        an_alert(created_at=T0, strategy_id=next(_ids)),
        an_alert(created_at=T0 + 2 * D, strategy_id=next(_ids)),
    ]
    subs = [
        Subscription.create(print, name=handlers[0]),
        *(Subscription.create(print, name=h, severities=["immediate"]) for h in handlers[1:]),
    ]
    cycles = sorted({T0, T0 + 2 * D, T0 + (days - 1) * D})
    return dry_run_notifications(alerts_to_frame(alerts), subs, cycles=cycles)


def data(spec: dict[str, Any], layer: dict[str, Any]) -> list[dict[str, Any]]:
    values: list[dict[str, Any]] = spec["datasets"][layer["data"]["name"]]
    return values


def test_bars_per_day_and_handler_beside_the_alerts_opened() -> None:
    spec = notifications_per_day_chart(dry_run()).to_dict()
    bars, line = spec["layer"]
    assert [bars["mark"]["type"], line["mark"]["type"]] == ["bar", "line"]
    assert spec["title"] == "Notifications per day, per handler (dashed: alerts opened)"
    enc = bars["encoding"]
    assert (enc["x"]["field"], enc["x"]["type"]) == ("day", "ordinal")
    assert (enc["xOffset"]["field"], enc["xOffset"]["sort"]) == ("handler", ["desk", "pager"])
    assert enc["color"]["field"] == "handler"
    assert enc["color"]["scale"]["domain"] == ["desk", "pager"]
    assert enc["y"]["field"] == "notifications"
    assert [t["field"] for t in enc["tooltip"]] == ["day", "handler", "notifications", "alerts"]
    assert data(spec, bars) == [
        {"day": "2026-01-05", "handler": "desk", "notifications": 2, "alerts": 2},
        {"day": "2026-01-05", "handler": "pager", "notifications": 1, "alerts": 1},
        {"day": "2026-01-06", "handler": "desk", "notifications": 0, "alerts": 0},
        {"day": "2026-01-06", "handler": "pager", "notifications": 0, "alerts": 0},
        {"day": "2026-01-07", "handler": "desk", "notifications": 1, "alerts": 1},
        {"day": "2026-01-07", "handler": "pager", "notifications": 0, "alerts": 0},
    ]
    assert line["mark"]["strokeDash"] == [4, 3]
    assert (line["encoding"]["x"]["field"], line["encoding"]["y"]["field"]) == ("day", "alerts")
    assert data(spec, line) == [
        {"day": "2026-01-05", "alerts": 2},
        {"day": "2026-01-06", "alerts": 0},
        {"day": "2026-01-07", "alerts": 1},
    ]


def test_the_bars_alone_and_the_same_spec_every_time() -> None:
    run = dry_run()
    spec = notifications_per_day_chart(run, opened=False).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar"]
    assert spec["title"] == "Notifications per day, per handler"
    assert notifications_per_day_chart(run).to_dict() == notifications_per_day_chart(run).to_dict()


def test_too_many_days_times_handlers_is_refused() -> None:
    days = MAX_ROWS // 3 + 1
    with pytest.raises(ValidationError, match="notifications_per_day_chart: 2,001 rows"):
        notifications_per_day_chart(dry_run(days, ("a", "b", "c")))

"""The Alertmanager channel against a real Prometheus Alertmanager (tests/_alertmanager.py).

Alertmanager's own webhook receiver posts back to a RecordingServer, so a close is seen
arriving as Alertmanager's "resolved" notification with alertkit's ``resolved_at``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from _alertmanager import Alertmanager, running_alertmanager
from _factories import T0, an_alert
from _http import RecordingServer, Reply

from alertkit import NotificationError, ValidationError
from alertkit.notify import ALERTMANAGER_REASONS, alertmanager_handler
from alertkit.notify.notification import Notification
from alertkit.notify.subscriptions import Subscription


@pytest.fixture(scope="module")
def receiver() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        yield server


@pytest.fixture(scope="module")
def am(
    receiver: RecordingServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Alertmanager]:
    with running_alertmanager(tmp_path_factory.mktemp("alertmanager"), receiver.url + "/am") as am:
        yield am


def stamp(moment: datetime) -> str:
    """A datetime as Alertmanager writes it back."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def told(receiver: RecordingServer, symbol: str, n: int) -> list[dict[str, Any]]:
    """Alertmanager's first ``n`` webhook notifications for the group of ``symbol``."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        mine = [
            body
            for body in (r.json() for r in receiver.requests)
            if body["groupLabels"].get("symbol") == symbol
        ]
        if len(mine) >= n:
            return mine
        time.sleep(0.05)
    raise AssertionError(f"Alertmanager sent fewer than {n} notifications for {symbol}")


def test_posted_alerts_are_listed_with_their_labels_annotations_and_start(am: Alertmanager) -> None:
    first = an_alert("a-1", rule="take_profit_full", symbol="AM1", engine_rule="take_profit")
    second = an_alert(
        "a-2", 2, rule="take_profit_full", symbol="AM1", strategy_id=None, type="critical"
    )
    # Alertmanager keeps times to the millisecond: compare at that precision.
    now = datetime.now(UTC)
    before = now.replace(microsecond=now.microsecond // 1000 * 1000)
    alertmanager_handler(am.url, generator_url="http://desk.test/alerts/{alert_id}")(
        Notification((first, second), group={"rule": "take_profit_full"})
    )
    listed = sorted(am.alerts(symbol="AM1"), key=lambda a: a["annotations"]["alert_id"])
    assert [
        {k: a[k] for k in ("labels", "annotations", "startsAt", "generatorURL")} | a["status"]
        for a in listed
    ] == [
        {
            "labels": {
                "alertname": "take_profit_full",
                "symbol": "AM1",
                "strategy_id": "1",
                "severity": "high",
                "type": "warning",
                "engine_rule": "take_profit",
            },
            "annotations": {
                "title": "Close position: take_profit_full",
                "message": "m",
                "alert_id": "a-1",
            },
            "startsAt": "2026-01-05T15:00:00.000Z",
            "generatorURL": "http://desk.test/alerts/a-1",
            "state": "active",
            "silencedBy": [],
            "inhibitedBy": [],
        },
        {
            "labels": {
                "alertname": "take_profit_full",
                "symbol": "AM1",
                "severity": "high",
                "type": "critical",
            },
            "annotations": {
                "title": "Close position: take_profit_full",
                "message": "m",
                "alert_id": "a-2",
            },
            "startsAt": "2026-01-05T15:02:00.000Z",
            "generatorURL": "http://desk.test/alerts/a-2",
            "state": "active",
            "silencedBy": [],
            "inhibitedBy": [],
        },
    ]
    # Posted without endsAt: Alertmanager ends them resolve_timeout (1h here) after the post,
    # unless a reminder posts them again first.
    for alert in listed:
        ends = datetime.fromisoformat(alert["endsAt"])
        assert before + timedelta(hours=1) <= ends <= datetime.now(UTC) + timedelta(hours=1)


def test_a_resolved_notification_resolves_it_in_alertmanager(
    am: Alertmanager, receiver: RecordingServer
) -> None:
    handler = alertmanager_handler(am.url)
    handler(Notification((an_alert("a-3", symbol="AM2"),)))
    [firing] = told(receiver, "AM2", 1)
    assert (firing["status"], [a["status"] for a in firing["alerts"]]) == ("firing", ["firing"])
    closed = an_alert("a-3", symbol="AM2", status="resolved", closed_after=5)
    handler(Notification((closed,), "resolved"))
    assert am.alerts(symbol="AM2") == []  # Alertmanager lists only alerts that have not ended
    _, resolved = told(receiver, "AM2", 2)
    [alert] = resolved["alerts"]
    assert (resolved["status"], alert["status"]) == ("resolved", "resolved")
    assert (alert["startsAt"], alert["endsAt"]) == ("2026-01-05T15:00:00Z", "2026-01-05T15:05:00Z")
    assert alert["labels"]["alertname"] == "stop_loss_hard"


def test_hold_posts_open_alerts_with_an_explicit_end(am: Alertmanager) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    handler = alertmanager_handler(am.url, hold=timedelta(hours=6), clock=lambda: now)
    handler(an_alert("a-4", symbol="AM3"))
    [alert] = am.alerts(symbol="AM3")
    assert (alert["endsAt"], alert["status"]["state"]) == (
        stamp(now + timedelta(hours=6)),
        "active",
    )


def test_the_exact_post_and_a_refusal_with_its_first_line() -> None:
    answer = Reply(400, b'{"code":400,"message":"start time must be before end time"}\nmore')
    with RecordingServer(200, answer) as server:
        handler = alertmanager_handler(server.url + "/")
        handler(Notification((an_alert("a-5", strategy_id=7, engine_rule="stop"),)))
        with pytest.raises(NotificationError) as info:
            handler(an_alert("a-6"))
        first, _ = server.wait_for(2)
    assert (first.method, first.path, first.headers["content-type"]) == (
        "POST",
        "/api/v2/alerts",
        "application/json",
    )
    assert first.json() == [
        {
            "labels": {
                "alertname": "stop_loss_hard",
                "symbol": "SPY",
                "strategy_id": "7",
                "severity": "high",
                "type": "warning",
                "engine_rule": "stop",
            },
            "annotations": {
                "title": "Close position: stop_loss_hard",
                "message": "m",
                "alert_id": "a-5",
            },
            "startsAt": T0.isoformat(),
        }
    ]
    assert str(info.value) == (
        f"alertmanager {server.url} answered 400:"
        ' {"code":400,"message":"start time must be before end time"}'
    )


def test_it_hears_of_closes_and_names_itself_by_its_url() -> None:
    handler = alertmanager_handler("http://127.0.0.1:9093/")
    assert handler.name == "alertmanager http://127.0.0.1:9093"
    assert handler.reasons == ALERTMANAGER_REASONS == {"new", "reminder", "resolved"}
    subscription = Subscription.create(handler)
    assert (subscription.name, subscription.reasons) == (handler.name, ALERTMANAGER_REASONS)
    assert subscription.takes_notifications


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "127.0.0.1:9093"}, r"url: expected an http\(s\) URL"),
        ({"generator_url": "desk"}, r"generator_url: expected an http\(s\) URL, got 'desk'"),
        (
            {"hold": 0},
            r"hold: expected a positive timedelta or seconds, got datetime.timedelta\(0\)",
        ),
        ({"clock": 5}, "clock: expected a callable returning a datetime, got 5"),
    ],
)
def test_bad_options_are_refused_at_creation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        alertmanager_handler(**{"url": "http://127.0.0.1:9093"} | kwargs)

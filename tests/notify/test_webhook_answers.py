"""The webhook against a real server: what it posts, and every way the receiver can answer."""

from __future__ import annotations

import time

import pytest
from _factories import an_alert
from _http import Hang, RecordingServer, Redirect, Reply

from alertkit import NotificationError, ValidationError
from alertkit.notify import webhook_handler
from alertkit.notify.notification import Notification as Note


def alert_one() -> dict[str, object]:
    return {
        "schema": "alertkit.alert/1",
        "alert_id": "a-1",
        "type": "warning",
        "severity": "high",
        "status": "active",
        "title": "Close position: stop_loss_hard",
        "message": "m",
        "rule": "stop_loss_hard",
        "engine_rule": None,
        "symbol": "SPY",
        "strategy_id": 1,
        "created_at": "2026-01-05T15:00:00+00:00",
        "occurrences": 1,
        "metadata": {"delta": 0.28},
    }


def test_one_alert_posts_the_alert_1_shape_exactly() -> None:
    with RecordingServer(200) as server:
        hook = webhook_handler(server.url + "/hook", headers={"Authorization": "Bearer t"})
        hook(Note((an_alert("a-1", metadata={"delta": 0.28}),)))
        [request] = server.wait_for(1)
    assert (request.method, request.path) == ("POST", "/hook")
    assert request.json() == alert_one()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer t"
    assert request.headers["x-alertkit-reason"] == "new"


def test_a_bare_alert_still_posts_the_alert_1_shape() -> None:
    with RecordingServer(204) as server:
        webhook_handler(server.url + "/hook")(an_alert("a-1", metadata={"delta": 0.28}))
        [request] = server.wait_for(1)
    assert request.json() == alert_one()


def test_a_grouped_notification_posts_the_notification_1_shape() -> None:
    first = an_alert("a-1", rule="take_profit_full")
    second = an_alert("a-2", 1, rule="take_profit_full", symbol="QQQ", strategy_id=2)
    with RecordingServer(200) as server:
        hook = webhook_handler(server.url + "/hook")
        hook(Note((first,), "reminder", {"rule": "take_profit_full"}))
        hook(Note((first, second), "new"))
        one_of_a_group, two = (r.json() for r in server.wait_for(2))
    alert_1 = {k: v for k, v in alert_one().items() if k != "metadata"} | {"metadata": {}}
    as_group = alert_1 | {"rule": "take_profit_full", "title": "Close position: take_profit_full"}
    assert one_of_a_group == {
        "schema": "alertkit.notification/1",
        "reason": "reminder",
        "group": {"rule": "take_profit_full"},
        "alerts": [as_group],
    }
    assert two == {
        "schema": "alertkit.notification/1",
        "reason": "new",
        "group": {},
        "alerts": [
            as_group,
            as_group
            | {
                "alert_id": "a-2",
                "symbol": "QQQ",
                "strategy_id": 2,
                "created_at": "2026-01-05T15:01:00+00:00",
            },
        ],
    }


def test_a_500_is_a_notification_error_with_the_answers_first_line() -> None:
    with RecordingServer(Reply(500, b"database down\ntraceback...")) as server:
        hook = webhook_handler(server.url + "/hook")
        with pytest.raises(NotificationError) as info:
            hook(an_alert())
    assert str(info.value) == f"webhook {server.url}/hook answered 500: database down"
    assert isinstance(info.value, OSError)


def test_a_redirect_is_not_followed_and_is_a_notification_error() -> None:
    with RecordingServer(Redirect("/moved", 302), default=200) as server:
        hook = webhook_handler(server.url + "/hook")
        with pytest.raises(NotificationError, match="redirected") as info:
            hook(an_alert())
        time.sleep(0.2)  # a followed redirect would have arrived by now
        requests = server.requests
    assert str(info.value) == (
        f"webhook {server.url}/hook redirected (302) to /moved; redirects are not followed"
        " (the body would be dropped): configure the final URL"
    )
    assert [(r.method, r.path) for r in requests] == [("POST", "/hook")]


@pytest.mark.parametrize("status", [301, 303, 307, 308])
def test_every_redirect_status_is_refused(status: int) -> None:
    with RecordingServer(Redirect("http://127.0.0.1:1/x", status)) as server:
        with pytest.raises(NotificationError, match=f"redirected \\({status}\\) to http://127"):
            webhook_handler(server.url + "/hook")(an_alert())
        assert len(server.requests) == 1


def test_a_server_that_never_answers_fails_within_the_timeout() -> None:
    with RecordingServer(Hang(10)) as server:
        hook = webhook_handler(server.url + "/hook", timeout=0.5)
        start = time.monotonic()
        with pytest.raises(NotificationError, match="timed out"):
            hook(an_alert())
        elapsed = time.monotonic() - start
    assert 0.5 <= elapsed < 1.5


def test_nobody_listening_is_a_notification_error() -> None:
    with RecordingServer() as server:
        url = server.url + "/hook"
    with pytest.raises(NotificationError, match=f"webhook {url} failed: .*refused"):
        webhook_handler(url)(an_alert())


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.test/x", r"url: expected an http\(s\) URL, got 'ftp://example.test/x'"),
        ("127.0.0.1:9000/hook", r"url: expected an http\(s\) URL"),
        ("http:///hook", r"url: expected an http\(s\) URL with a host, got 'http:///hook'"),
        ("http://127.0.0.1:99999/", r"url: expected an http\(s\) URL, got .*Port out of range"),
        (None, r"url: expected an http\(s\) URL, got None"),
    ],
)
def test_bad_urls_are_refused_at_creation(url: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        webhook_handler(url)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": 0}, "timeout: expected a positive number of seconds, got 0"),
        ({"timeout": float("inf")}, "timeout: expected a positive number of seconds, got inf"),
        ({"name": " "}, "name: expected a non-empty str, got ' '"),
    ],
)
def test_bad_options_are_refused_at_creation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        webhook_handler("http://127.0.0.1:9000/hook", **kwargs)  # type: ignore[arg-type]


def test_names_say_where_it_delivers_without_the_password() -> None:
    assert (
        webhook_handler("http://127.0.0.1:9000/hook").name == "webhook http://127.0.0.1:9000/hook"
    )
    assert (
        webhook_handler("https://u:s3cret@127.0.0.1/h").name == "webhook https://u:***@127.0.0.1/h"
    )
    assert webhook_handler("http://127.0.0.1/h", name="desk").name == "desk"
    assert webhook_handler("http://127.0.0.1/h").takes_notifications is True

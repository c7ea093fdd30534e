"""The apprise channel against a real server: apprise's JSON service posting to 127.0.0.1."""

from __future__ import annotations

import pytest
from _factories import an_alert
from _http import RecordingServer, Reply

from alertkit import NotificationError, ValidationError
from alertkit.notify import apprise_handler
from alertkit.notify.apprise_channel import apprise_message
from alertkit.notify.notification import Notification


def json_url(server: RecordingServer, path: str = "/path") -> str:
    return server.url.replace("http://", "json://") + path


def test_one_alert_is_one_message_with_its_title_body_and_type() -> None:
    with RecordingServer(200) as server:
        handler = apprise_handler(json_url(server))
        handler(Notification((an_alert("a-1", type="critical", message="SPY fell 4%"),)))
        [request] = server.wait_for(1)
    assert (request.method, request.path) == ("POST", "/path")
    assert request.json() == {
        "version": "1.0",
        "title": "Close position: stop_loss_hard",
        "message": "SPY strategy 1 (stop_loss_hard): SPY fell 4%",
        "attachments": [],
        "type": "failure",
    }


def test_a_group_is_one_message_listing_its_alerts() -> None:
    alerts = (
        an_alert("a-1", rule="take_profit_full", type="info", message="up 50%"),
        an_alert("a-2", rule="take_profit_full", symbol="QQQ", strategy_id=2, message="up 60%"),
        an_alert("a-3", rule="take_profit_full", symbol=None, strategy_id=None, type="info"),
    )
    with RecordingServer(200) as server:
        apprise_handler(json_url(server))(Notification(alerts, group={"rule": "take_profit_full"}))
        [request] = server.wait_for(1)
    body = request.json()
    assert (body["title"], body["message"], body["type"]) == (
        "3 new alerts: take_profit_full",
        "SPY strategy 1 (take_profit_full): up 50%\n"
        "QQQ strategy 2 (take_profit_full): up 60%\n"
        "(take_profit_full): m",
        "warning",  # the most serious of the group
    )


@pytest.mark.parametrize(
    ("alerts", "reason", "title", "notify_type"),
    [
        ((an_alert(type="info"),), "reminder", "Reminder: Close position: stop_loss_hard", "info"),
        (
            (an_alert(status="resolved", closed_after=1),),
            "resolved",
            "Closed: Close position: stop_loss_hard",
            "success",
        ),
        (
            (an_alert(), an_alert(rule="dte_roll")),
            "reminder",
            "2 open alerts: stop_loss_hard, dte_roll",
            "warning",
        ),
        (
            (an_alert(), an_alert()),
            "flapping_started",
            "2 flapping started alerts: stop_loss_hard",
            "warning",
        ),
    ],
)
def test_titles_and_types_follow_the_reason(
    alerts: tuple[object, ...], reason: str, title: str, notify_type: str
) -> None:
    message = apprise_message(Notification(alerts, reason))  # type: ignore[arg-type]
    assert (message["title"], message["notify_type"]) == (title, notify_type)


def test_a_given_title_replaces_the_made_up_one() -> None:
    with RecordingServer(200) as server:
        apprise_handler(json_url(server), title="desk alerts")(an_alert())
        [request] = server.wait_for(1)
    assert request.json()["title"] == "desk alerts"


def test_a_refusal_is_a_notification_error_without_the_password() -> None:
    with RecordingServer(Reply(500, b"down")) as server:
        url = server.url.replace("http://", "json://user:hunter2@") + "/path"
        handler = apprise_handler(url)
        with pytest.raises(NotificationError) as info:
            handler(an_alert())
        [request] = server.wait_for(1)
    assert request.headers["authorization"].startswith("Basic ")  # apprise sent the password
    port = server.url.rpartition(":")[2]
    assert str(info.value) == (
        f"apprise json://user:****@127.0.0.1:{port}/path failed:"
        " Failed to send JSON POST notification: Internal server error., error=500."
    )


def test_with_several_services_the_error_says_which_refused() -> None:
    with RecordingServer(200) as ok, RecordingServer(Reply(503)) as down:
        handler = apprise_handler(json_url(ok, "/a"), json_url(down, "/b"))
        with pytest.raises(NotificationError) as info:
            handler(an_alert())
        assert (len(ok.wait_for(1)), len(down.wait_for(1))) == (1, 1)
    port = down.url.rpartition(":")[2]
    assert str(info.value).endswith(
        f" failed: json://127.0.0.1:{port}/b: Failed to send JSON POST notification:"
        " Servers are overloaded., error=503."
    )


def test_names_never_hold_secrets() -> None:
    handler = apprise_handler(
        "json://user:hunter2@127.0.0.1:8000/hook?-X-Token=abc123",
        "tgram://123456789:AAbbccddSECRET/42",
    )
    assert "hunter2" not in handler.name and "abc123" not in handler.name
    assert "SECRET" not in handler.name
    assert handler.name.startswith("apprise json://user:****@127.0.0.1:8000/hook tgram://")
    assert apprise_handler("json://127.0.0.1:8000/", name="desk").name == "desk"
    assert handler.takes_notifications is True


@pytest.mark.parametrize(
    ("urls", "message"),
    [
        ((), "urls: expected one or more apprise URLs, got none"),
        (("nosuchscheme://x",), r"urls\[0\]: apprise cannot use this nosuchscheme:// URL"),
        (("json://127.0.0.1/", "json://"), r"urls\[1\]: apprise cannot use this json:// URL"),
        ((42,), r"urls\[0\]: apprise cannot use this 42:// URL"),
    ],
)
def test_urls_apprise_cannot_use_are_refused_at_creation(
    urls: tuple[str, ...], message: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ValidationError, match=message):
        apprise_handler(*urls)

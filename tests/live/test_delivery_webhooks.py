"""A webhook through the whole pipeline, on both managers: a 500 then a 200 is retried and
sent, a redirect fails without reaching its target, a hang is cut off; each outcome is in
the log with its attempts and error.
"""

from __future__ import annotations

from _factories import close_now, position
from _http import Hang, RecordingServer, Redirect
from _managers import MakeDriver

from alertkit.notify import webhook_handler


def outcomes(m: object) -> list[tuple[object, ...]]:
    log = m.notification_log()  # type: ignore[attr-defined]
    return log.select("handler", "outcome", "attempts", "error").rows()


def test_a_500_then_a_200_is_retried_and_sent_once(either: MakeDriver) -> None:
    m = either()
    with RecordingServer(500) as server:
        m.add_handler(webhook_handler(server.url + "/hook"), name="hook", backoff=0.01)
        alert = m.create_alert(close_now(), position())
        assert m.core.flush_notifications(30)
        first, second = server.wait_for(2)
    assert first.json() == second.json()
    assert second.json()["alert_id"] == alert.alert_id
    assert outcomes(m) == [("hook", "sent", 2, None)]


def test_a_redirect_is_a_failure_and_its_target_gets_nothing(either: MakeDriver) -> None:
    m = either()
    with RecordingServer(Redirect("/elsewhere"), default=Redirect("/elsewhere")) as server:
        m.add_handler(
            webhook_handler(server.url + "/hook"), name="hook", max_attempts=2, backoff=0.01
        )
        m.create_alert(close_now(), position())
        assert m.core.flush_notifications(30)
        assert [r.path for r in server.requests] == ["/hook", "/hook"]
    assert outcomes(m) == [
        (
            "hook",
            "failed",
            2,
            f"NotificationError: webhook {server.url}/hook redirected (302) to /elsewhere;"
            " redirects are not followed (the body would be dropped): configure the final URL",
        )
    ]


def test_a_hanging_webhook_is_cut_off_at_its_timeout(either: MakeDriver) -> None:
    m = either()
    with RecordingServer(Hang(20), default=Hang(20)) as server:
        hook = webhook_handler(server.url + "/hook", timeout=0.3)
        m.add_handler(hook, name="hook", max_attempts=1, timeout=5)
        m.create_alert(close_now(), position())
        assert m.core.flush_notifications(30)
    assert outcomes(m) == [
        ("hook", "failed", 1, f"NotificationError: webhook {server.url}/hook failed: timed out")
    ]

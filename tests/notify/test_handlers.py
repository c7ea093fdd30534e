"""Notification handlers: run after persistence, filtered, failures counted, webhooks POST JSON."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from alertkit import (
    Alert,
    AlertManager,
    NotificationError,
    SyncAlertManager,
    ValidationError,
)
from alertkit.notify import NotificationHub, logging_handler, webhook_handler
from conftest import close_now, position, roll


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        type(self).received.append(
            {"body": json.loads(self.rfile.read(length)), "ctype": self.headers["Content-Type"]}
        )
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook_server() -> Iterator[tuple[str, type[_Receiver]]]:
    receiver = type("Receiver", (_Receiver,), {"received": [], "status": 200})
    server = HTTPServer(("127.0.0.1", 0), receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", receiver
    server.shutdown()
    server.server_close()


def test_webhook_posts_each_new_alert_as_json(
    sync_manager: SyncAlertManager, webhook_server: tuple[str, type[_Receiver]]
) -> None:
    url, receiver = webhook_server
    sync_manager.notifications.add(webhook_handler(url), name="hook")
    alert = sync_manager.create_alert(close_now(), position("SPY", 5))
    sync_manager.create_alert(close_now(), position("SPY", 5, minutes=1))  # repeat: no post
    assert alert is not None
    assert len(receiver.received) == 1
    body = receiver.received[0]["body"]
    assert receiver.received[0]["ctype"] == "application/json"
    assert isinstance(body, dict)
    assert {
        k: body[k]
        for k in (
            "alert_id",
            "type",
            "severity",
            "rule",
            "symbol",
            "strategy_id",
            "created_at",
            "metadata",
        )
    } == {
        "alert_id": alert.alert_id,
        "type": "critical",
        "severity": "immediate",
        "rule": "catastrophe_drop",
        "symbol": "SPY",
        "strategy_id": 5,
        "created_at": "2026-01-05T15:00:00+00:00",
        "metadata": {"change": -0.04},
    }
    assert set(body) == {
        *("schema", "alert_id", "type", "severity", "status", "title", "message", "rule"),
        *("engine_rule", "symbol", "strategy_id", "created_at", "occurrences", "metadata"),
    }
    assert body["schema"] == "alertkit.alert/1"
    assert sync_manager.notifications.delivered["hook"] == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: NotificationHub().add(42), "handler: expected a callable, got 42"),  # type: ignore[arg-type]
        (lambda: webhook_handler("ftp://x"), r"url: expected an http\(s\) URL"),
    ],
)
def test_bad_handlers_are_a_validation_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        call()


def test_failing_handler_is_recorded_and_loses_nothing(
    sync_manager: SyncAlertManager, webhook_server: tuple[str, type[_Receiver]]
) -> None:
    url, receiver = webhook_server
    receiver.status = 500
    seen: list[str] = []

    def boom(alert: Alert) -> None:
        raise RuntimeError("pager down")

    sync_manager.add_handler(boom, name="boom", max_attempts=1)
    sync_manager.add_handler(webhook_handler(url), name="hook", max_attempts=1)
    sync_manager.add_handler(lambda a: seen.append(a.rule), name="collector")
    alert = sync_manager.create_alert(close_now(), position())
    assert alert is not None
    assert sync_manager.get_alert_count() == 1
    assert sync_manager.flush_notifications(30)
    assert seen == ["catastrophe_drop"]
    assert sync_manager.handler_failures == {"boom": 1, "hook": 1}
    log = sync_manager.notification_log().sort("handler")
    assert log.select("handler", "outcome", "error").rows() == [
        ("boom", "failed", "RuntimeError: pager down"),
        ("collector", "sent", None),
        ("hook", "failed", f"NotificationError: webhook {url} answered 500"),
    ]
    # The refused webhook raised an alertkit error that is also the built-in OSError.
    with pytest.raises(NotificationError, match=r"webhook .* answered 500") as info:
        webhook_handler(url)(alert)
    assert isinstance(info.value, OSError)


def test_filters_and_async_handlers_on_the_async_manager(manager: AlertManager) -> None:
    critical: list[str] = []
    info: list[str] = []

    async def page(alert: Alert) -> None:
        await asyncio.sleep(0)
        critical.append(alert.rule)

    manager.add_handler(page, severities=["immediate"])
    manager.add_handler(lambda a: info.append(a.rule), types=["info"], name="info")

    async def go() -> None:
        await manager.initialize()
        await manager.create_alert(close_now(), position("SPY", 1))
        await manager.create_alert(roll(), position("SPY", 2))

    asyncio.run(go())
    assert manager.sync.flush_notifications(30)
    assert (critical, info) == (["catastrophe_drop"], ["dte_roll"])
    assert manager.handler_failures == {}


def test_logging_handler_writes_one_line(
    sync_manager: SyncAlertManager, caplog: pytest.LogCaptureFixture
) -> None:
    sync_manager.add_handler(logging_handler(), name="log")
    with caplog.at_level(logging.WARNING, logger="alertkit.model.alerts"):
        sync_manager.create_alert(close_now(), position("IWM", 8))
        assert sync_manager.flush_notifications(30)
    assert [r.getMessage() for r in caplog.records] == [
        "[critical/immediate] Close position: catastrophe_drop (IWM 8):"
        " Underlying fell 4% in an hour"
    ]

"""A handlers file: each entry built into the exact subscription, every bad input refused with
the file, the entry and the key named, and nothing registered when any entry is bad."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from alertkit import SyncAlertManager, ValidationError
from alertkit.live.registration import register_handlers
from alertkit.model.alerts import AlertSeverity, AlertType
from alertkit.notify import REASONS, load_handlers, parse_duration, webhook_handler
from alertkit.notify.alertmanager import AlertmanagerHandler
from alertkit.notify.apprise_channel import AppriseHandler
from alertkit.notify.handlers import WebhookHandler

FULL = """
[[handler]]
name = "desk-hook"
webhook = "http://127.0.0.1:9000/hook"
headers = {Authorization = "Bearer t0ken"}
group_by = ["rule"]
repeat_interval = "4h"
severities = ["immediate", "HIGH"]
types = ["critical"]
reasons = ["new", "reminder", "resolved"]
max_attempts = 2
backoff = "0.5s"
timeout = "3s"

[[handler]]
alertmanager = "http://127.0.0.1:9093/"
hold = "10m"
generator_url = "http://127.0.0.1:8888/alerts/{alert_id}"
repeat_interval = 240

[[handler]]
name = "chat"
apprise = ["json://127.0.0.1:8000/hook", "json://127.0.0.1:8001/hook"]
title = "Desk alerts"

[[handler]]
log = true
"""


def handlers_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "handlers.toml"
    path.write_text(text)
    return path


def test_a_full_file_builds_the_exact_subscriptions(tmp_path: Path) -> None:
    hook, am, chat, log = load_handlers(handlers_file(tmp_path, FULL))

    assert isinstance(hook.handler, WebhookHandler)
    assert (hook.handler.url, hook.handler.headers, hook.handler.timeout) == (
        "http://127.0.0.1:9000/hook",
        {"Authorization": "Bearer t0ken"},
        3.0,  # the socket waits follow the subscription's timeout
    )
    assert (
        hook.name,
        hook.severities,
        hook.types,
        hook.group_by,
        hook.repeat_interval,
        hook.reasons,
        hook.max_attempts,
        hook.backoff,
        hook.timeout,
    ) == (
        "desk-hook",
        frozenset({AlertSeverity.IMMEDIATE, AlertSeverity.HIGH}),
        frozenset({AlertType.CRITICAL}),
        ("rule",),
        timedelta(hours=4),
        frozenset({"new", "reminder", "resolved"}),
        2,
        timedelta(seconds=0.5),
        timedelta(seconds=3),
    )

    assert isinstance(am.handler, AlertmanagerHandler)
    assert (am.name, am.handler.url, am.handler.hold, am.handler.generator_url) == (
        "alertmanager http://127.0.0.1:9093",  # the channel's own name
        "http://127.0.0.1:9093",
        timedelta(minutes=10),
        "http://127.0.0.1:8888/alerts/{alert_id}",
    )
    assert (am.repeat_interval, am.reasons, am.handler.timeout) == (
        timedelta(minutes=4),
        frozenset({"new", "reminder", "resolved"}),  # the channel's own default
        5.0,
    )
    assert (am.severities, am.types, am.group_by) == (None, None, None)
    assert (am.max_attempts, am.backoff, am.timeout) == (
        4,
        timedelta(seconds=0.5),
        timedelta(seconds=10),
    )

    assert isinstance(chat.handler, AppriseHandler)
    assert (chat.name, chat.handler.name, chat.handler.title) == (
        "chat",
        "apprise json://127.0.0.1:8000/hook json://127.0.0.1:8001/hook",
        "Desk alerts",
    )
    assert log.name == "log" and log.reasons == frozenset({"new", "reminder"})


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ('"30s"', 30),
        ('"5m"', 300),
        ('"4h"', 14_400),
        ('"1d"', 86_400),
        ('"0.5s"', 0.5),
        ('"1h30m"', 5_400),
        ('"1d2h3m4s"', 93_784),
        ("45", 45),
        ("2.25", 2.25),
    ],
)
def test_durations_are_read_exactly(tmp_path: Path, written: str, seconds: float) -> None:
    path = handlers_file(tmp_path, f"[[handler]]\nlog = true\nbackoff = {written}\n")
    assert load_handlers(path)[0].backoff == timedelta(seconds=seconds)
    assert parse_duration(written.strip('"') if '"' in written else float(written), "x") == (
        timedelta(seconds=seconds)
    )


def test_a_valid_file_registers_every_handler(tmp_path: Path) -> None:
    manager = SyncAlertManager(str(tmp_path / "lake" / "alerts"))
    names = register_handlers(manager, load_handlers(handlers_file(tmp_path, FULL)))
    assert names == ["desk-hook", "alertmanager http://127.0.0.1:9093", "chat", "log"]
    assert [s.name for s in manager.notifications.subscriptions] == names
    hook = manager.notifications.subscriptions[0]
    assert (hook.group_by, hook.repeat_interval, hook.max_attempts) == (
        ("rule",),
        timedelta(hours=4),
        2,
    )


GOOD = '[[handler]]\nname = "ok"\nwebhook = "http://127.0.0.1:9000/ok"\n\n'

BAD = [
    (
        '[[handler]]\nname = "x"\nwebhook = "http://127.0.0.1:1/x"\ncolour = "red"\n',
        "handler[1] ('x'): colour: unknown key (expected one of webhook, alertmanager, apprise,"
        " log, name, severities, types, group_by, repeat_interval, reasons, max_attempts,"
        " backoff, timeout, headers, generator_url, hold, title)",
    ),
    (
        '[[handler]]\nname = "x"\n',
        "handler[1] ('x'): expected exactly one channel key (webhook, alertmanager, apprise or"
        " log), got none",
    ),
    (
        '[[handler]]\nwebhook = "http://127.0.0.1:1/x"\nlog = true\n',
        "handler[1]: expected exactly one channel key (webhook, alertmanager, apprise or log),"
        " got webhook and log",
    ),
    (
        '[[handler]]\nname = "x"\nlog = true\nrepeat_interval = "4 hours"\n',
        'handler[1] (\'x\'): repeat_interval: expected a duration such as "30s", "5m", "4h",'
        " \"1d\" or seconds, got '4 hours'",
    ),
    (
        '[[handler]]\nname = "x"\nlog = true\nbackoff = "0s"\n',
        "handler[1] ('x'): backoff: expected a positive duration, got '0s'",
    ),
    (
        '[[handler]]\nname = "x"\nlog = true\ntimeout = -3\n',
        "handler[1] ('x'): timeout: expected a positive duration, got -3",
    ),
    (
        '[[handler]]\nname = "x"\nlog = true\ntimeout = nan\n',
        "handler[1] ('x'): timeout: expected a positive duration, got nan",
    ),
    (
        '[[handler]]\nname = "x"\nlog = true\nbackoff = true\n',
        'handler[1] (\'x\'): backoff: expected a duration such as "30s", "5m", "4h", "1d"'
        " or seconds, got True",
    ),
    (
        '[[handler]]\nname = "x"\nwebhook = "ftp://127.0.0.1/x"\n',
        "handler[1] ('x'): webhook: expected an http(s) URL, got 'ftp://127.0.0.1/x'",
    ),
    (
        '[[handler]]\nname = "x"\nalertmanager = "http:///nohost"\n',
        "handler[1] ('x'): alertmanager: expected an http(s) URL with a host, got 'http:///nohost'",
    ),
    (
        '[[handler]]\nname = "x"\napprise = "json://127.0.0.1/x"\n',
        "handler[1] ('x'): apprise: expected a list of one or more strings, got"
        " 'json://127.0.0.1/x'",
    ),
    (
        '[[handler]]\nname = "x"\napprise = ["nosuchservice://x"]\n',
        "handler[1] ('x'): apprise: urls[0]: apprise cannot use this nosuchservice:// URL (an"
        " unsupported service, or a URL missing its parts; see https://appriseit.com/services/)",
    ),
    (
        '[[handler]]\nname = "x"\nlog = false\n',
        "handler[1] ('x'): log: expected true (log one line per alert), got False",
    ),
    (
        '[[handler]]\nname = "x"\nlog = true\nheaders = {A = "b"}\n',
        "handler[1] ('x'): headers: applies to webhook handlers only",
    ),
    (
        '[[handler]]\nname = "x"\nwebhook = "http://127.0.0.1:1/x"\nheaders = {A = 1}\n',
        "handler[1] ('x'): headers: expected a table of header values, got {'A': 1}",
    ),
    (
        '[[handler]]\nname = "x"\nlog = true\nseverities = ["urgent"]\n',
        "handler[1] ('x'): severities: expected one of immediate, high, normal, low (any"
        " case), got 'urgent'",
    ),
    (
        '[[handler]]\nname = "x"\nlog = true\nseverities = "high"\n',
        "handler[1] ('x'): severities: expected a list of one or more strings, got 'high'",
    ),
    (
        '[[handler]]\nname = "x"\nlog = true\ngroup_by = ["desk"]\n',
        "handler[1] ('x'): group_by: expected fields among ('rule', 'symbol', 'strategy_id',"
        " 'severity', 'type', 'engine_rule'), got ('desk',)",
    ),
    (
        '[[handler]]\nname = "x"\nlog = true\nreasons = ["paged"]\n',
        f"handler[1] ('x'): reasons: expected some of {REASONS}, got ['paged']",
    ),
    (
        '[[handler]]\nname = "x"\nlog = true\nmax_attempts = 0\n',
        "handler[1] ('x'): max_attempts: expected an int >= 1, got 0",
    ),
    (
        '[[handler]]\nname = ""\nlog = true\n',
        "handler[1] (''): name: expected a non-empty str, got ''",
    ),
    (
        '[[handler]]\nname = "ok"\nlog = true\n',
        "handler[1] ('ok'): name: 'ok' is handler[0]'s name too; a name identifies one"
        " destination, give each handler its own",
    ),
]


@pytest.mark.parametrize(("entry", "message"), BAD)
def test_a_bad_entry_is_refused_naming_file_entry_and_key_and_registers_nothing(
    tmp_path: Path, entry: str, message: str
) -> None:
    path = handlers_file(tmp_path, GOOD + entry)  # the good entry first: it is not kept
    manager = SyncAlertManager(str(tmp_path / "lake" / "alerts"))
    with pytest.raises(ValidationError) as info:
        register_handlers(manager, load_handlers(path))
    assert str(info.value) == f"{path}: {message}"
    assert manager.notifications.subscriptions == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected one or more [[handler]] tables, found none"),
        ("handler = []\n", "expected one or more [[handler]] tables, found none"),
        (
            "[handler]\nlog = true\n",
            "handler: expected [[handler]] tables (an array), got one [handler] table",
        ),
        ("[[handlers]]\nlog = true\n", "handlers: unknown key (expected [[handler]] tables)"),
        ("handler = [1]\n", "handler[0]: expected a [[handler]] table, got 1"),
        (
            "[[handler]]\nlog = true\nlog = true\n",
            "not valid TOML: Cannot overwrite a value (at line 3, column 11)",
        ),
    ],
)
def test_a_bad_file_is_refused_naming_it(tmp_path: Path, text: str, message: str) -> None:
    path = handlers_file(tmp_path, text)
    with pytest.raises(ValidationError) as info:
        load_handlers(path)
    assert str(info.value) == f"{path}: {message}"


def test_a_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        load_handlers(tmp_path / "nowhere.toml")
    assert str(info.value) == f"{tmp_path / 'nowhere.toml'}: no such handlers file"


def test_a_name_already_registered_registers_nothing(tmp_path: Path) -> None:
    manager = SyncAlertManager(str(tmp_path / "lake" / "alerts"))
    manager.add_handler(webhook_handler("http://127.0.0.1:9000/x"), name="log")
    path = handlers_file(tmp_path, GOOD + "[[handler]]\nlog = true\n")
    with pytest.raises(ValidationError) as info:
        register_handlers(manager, load_handlers(path))
    assert str(info.value) == "handlers[1]: name: a handler named 'log' is already registered"
    assert [s.name for s in manager.notifications.subscriptions] == ["log"]


def test_the_log_channel_logs_one_line_per_alert(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from _factories import close_now, position

    manager = SyncAlertManager(str(tmp_path / "lake" / "alerts"), maintain_every=0)
    manager.initialize()
    register_handlers(manager, load_handlers(handlers_file(tmp_path, "[[handler]]\nlog = true\n")))
    with caplog.at_level(logging.WARNING, logger="alertkit.model.alerts"):
        alert = manager.create_alert(close_now(), position("SPY", 7))
        assert manager.flush_notifications(30)
    assert alert is not None
    assert [r.getMessage() for r in caplog.records if r.name == "alertkit.model.alerts"] == [
        f"[critical/immediate] {alert.title} (SPY 7): {alert.message}"
    ]
    assert manager.notification_log().select("handler", "outcome").rows() == [("log", "sent")]

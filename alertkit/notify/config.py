"""A desk's handlers in a TOML file: each channel and its settings, checked whole before use.

One ``[[handler]]`` table per handler::

    [[handler]]
    name = "desk-hook"                        # default: the channel's own name
    webhook = "http://127.0.0.1:9000/hook"    # the channel: exactly one of the four below
    group_by = ["rule"]
    repeat_interval = "4h"
    severities = ["immediate", "high"]
    types = ["critical"]
    reasons = ["new", "reminder", "resolved"]
    max_attempts = 4
    backoff = "0.5s"
    timeout = "10s"

=================  ===================================================================
key                value
=================  ===================================================================
webhook            a URL: :func:`~alertkit.notify.webhook_handler` (option ``headers``,
                   a table of header names to values)
alertmanager       Alertmanager's base URL: :func:`~alertkit.notify.alertmanager_handler`
                   (options ``generator_url``, ``hold``, a duration)
apprise            a list of apprise URLs: :func:`~alertkit.notify.apprise_handler`
                   (option ``title``)
log                ``true``: :func:`~alertkit.notify.logging_handler` (default name ``log``)
name, severities,  as :meth:`SyncAlertManager.add_handler <alertkit.SyncAlertManager.add_handler>`
types, group_by,   takes them; lists are TOML arrays of strings
reasons,
max_attempts
repeat_interval,   durations: ``"30s"``, ``"5m"``, ``"4h"``, ``"1d"``, combined as ``"1h30m"``,
backoff, timeout   or a number of seconds. ``timeout`` also bounds the HTTP channels' waits
                   on the socket, so a slow receiver is given the whole of it
=================  ===================================================================

:func:`load_handlers` builds a :class:`~alertkit.notify.Subscription` per entry, so every
value is checked as registration checks it; the first problem is a ``ValidationError``
naming the file, the entry (its index and name) and the key, and then nothing is returned,
so nothing gets registered. ``register_handlers`` (:mod:`alertkit.live.registration`)
registers them on a manager.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from alertkit.model.errors import ValidationError
from alertkit.notify._http import check_http_url
from alertkit.notify.alertmanager import alertmanager_handler
from alertkit.notify.apprise_channel import apprise_handler
from alertkit.notify.handlers import logging_handler, webhook_handler
from alertkit.notify.subscriptions import AlertHandler, Subscription

__all__ = ["CHANNELS", "load_handlers", "parse_duration"]

CHANNELS: Final = ("webhook", "alertmanager", "apprise", "log")
"""The keys that choose a handler's channel; each entry has exactly one."""

_OPTIONS: Final[dict[str, tuple[str, ...]]] = {
    "webhook": ("headers",),
    "alertmanager": ("generator_url", "hold"),
    "apprise": ("title",),
    "log": (),
}
_SETTINGS: Final = (
    "name",
    "severities",
    "types",
    "group_by",
    "repeat_interval",
    "reasons",
    "max_attempts",
    "backoff",
    "timeout",
)
_KEYS: Final = (*CHANNELS, *_SETTINGS, *(o for options in _OPTIONS.values() for o in options))
_PART: Final = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_DURATION: Final = re.compile(rf"(?:{_PART.pattern})+")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object, field: str) -> timedelta:
    """A positive duration: ``"30s"``, ``"5m"``, ``"4h"``, ``"1d"``, parts combined
    (``"1h30m"``), or a number of seconds; else :class:`~alertkit.ValidationError`.

    Examples
    --------
    >>> parse_duration("1h30m", "repeat_interval")
    datetime.timedelta(seconds=5400)
    >>> parse_duration(0.25, "backoff")
    datetime.timedelta(microseconds=250000)
    """
    expected = f'{field}: expected a duration such as "30s", "5m", "4h", "1d" or seconds'
    if isinstance(value, str) and _DURATION.fullmatch(value):
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(value))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ValidationError(f"{expected}, got {value!r}")
    if not math.isfinite(seconds) or seconds <= 0:  # TOML has nan and inf
        raise ValidationError(f"{field}: expected a positive duration, got {value!r}")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise ValidationError(
            f"{field}: expected a duration below 999999999 days, got {value!r}"
        ) from None


def load_handlers(path: str | Path) -> list[Subscription]:
    """The handlers the TOML file at ``path`` describes (module docstring), in file order.

    Every entry is built and checked before any is returned: a bad one raises
    :class:`~alertkit.ValidationError` (``"<path>: handler[1] ('desk-hook'): backoff: ..."``).
    """
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such handlers file") from None
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read the handlers file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"{path}: not valid TOML: {exc}") from None
    for key in data:
        if key != "handler":
            raise ValidationError(f"{path}: {key}: unknown key (expected [[handler]] tables)")
    entries = data.get("handler")
    if isinstance(entries, dict):
        raise ValidationError(
            f"{path}: handler: expected [[handler]] tables (an array), got one [handler] table"
        )
    if not isinstance(entries, list) or not entries:
        raise ValidationError(f"{path}: expected one or more [[handler]] tables, found none")
    subscriptions: list[Subscription] = []
    for index, entry in enumerate(entries):
        where = _where(path, index, entry)
        try:
            subscription = _subscription(entry)
        except ValidationError as exc:
            raise ValidationError(f"{where}: {exc}") from None
        for earlier, other in enumerate(subscriptions):
            if other.name == subscription.name:
                raise ValidationError(
                    f"{where}: name: {subscription.name!r} is handler[{earlier}]'s name too;"
                    " a name identifies one destination, give each handler its own"
                )
        subscriptions.append(subscription)
    return subscriptions


def _where(path: str | Path, index: int, entry: object) -> str:
    name = entry.get("name") if isinstance(entry, dict) else None
    return f"{path}: handler[{index}]" + (f" ({name!r})" if isinstance(name, str) else "")


def _subscription(entry: object) -> Subscription:
    if not isinstance(entry, dict):
        raise ValidationError(f"expected a [[handler]] table, got {entry!r}")
    for key in entry:
        if key not in _KEYS:
            raise ValidationError(f"{key}: unknown key (expected one of {', '.join(_KEYS)})")
    channels = [c for c in CHANNELS if c in entry]
    if len(channels) != 1:
        raise ValidationError(
            "expected exactly one channel key (webhook, alertmanager, apprise or log), got "
            + (" and ".join(channels) if channels else "none")
        )
    channel = channels[0]
    for options_channel, options in _OPTIONS.items():
        for option in options:
            if option in entry and options_channel != channel:
                raise ValidationError(f"{option}: applies to {options_channel} handlers only")
    timeout = None if "timeout" not in entry else parse_duration(entry["timeout"], "timeout")
    handler = _channel(channel, entry, timeout)
    settings: dict[str, Any] = {
        key: _strings(entry[key], key)
        for key in ("severities", "types", "group_by", "reasons")
        if key in entry
    }
    for key in ("repeat_interval", "backoff"):
        if key in entry:
            settings[key] = parse_duration(entry[key], key)
    if timeout is not None:
        settings["timeout"] = timeout
    if "max_attempts" in entry:
        settings["max_attempts"] = entry["max_attempts"]
    name = entry.get("name", "log" if channel == "log" else None)
    return Subscription.create(handler, name=name, **settings)


def _channel(channel: str, entry: Mapping[str, Any], timeout: timedelta | None) -> AlertHandler:
    # The channel's socket timeout follows the subscription's, else its own default.
    http_timeout: dict[str, Any] = {} if timeout is None else {"timeout": timeout.total_seconds()}
    value = entry[channel]
    if channel == "webhook":
        headers = entry.get("headers")
        if headers is not None and not (
            isinstance(headers, dict) and all(isinstance(v, str) for v in headers.values())
        ):
            raise ValidationError(f"headers: expected a table of header values, got {headers!r}")
        return webhook_handler(check_http_url(value, "webhook"), headers=headers, **http_timeout)
    if channel == "alertmanager":
        generator_url = entry.get("generator_url")
        if generator_url is not None:
            check_http_url(generator_url, "generator_url")
        hold = None if "hold" not in entry else parse_duration(entry["hold"], "hold")
        return alertmanager_handler(
            check_http_url(value, "alertmanager"),
            generator_url=generator_url,
            hold=hold,
            **http_timeout,
        )
    if channel == "apprise":
        urls = _strings(value, "apprise")
        title = entry.get("title")
        if title is not None and (not isinstance(title, str) or not title.strip()):
            raise ValidationError(f"title: expected a non-empty str, got {title!r}")
        try:
            return apprise_handler(*urls, title=title)
        except ImportError as exc:  # the optional dependency: say so as a config problem
            raise ValidationError(f"apprise: {exc}") from None
        except ValidationError as exc:
            raise ValidationError(f"apprise: {exc}") from None
    if value is not True:
        raise ValidationError(f"log: expected true (log one line per alert), got {value!r}")
    return logging_handler()


def _strings(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"{key}: expected a list of one or more strings, got {value!r}")
    return value

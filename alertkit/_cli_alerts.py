"""The CLI's read commands on alerts: ``list``, ``show`` and ``history``.

``alertkit.cli`` parses and dispatches; this module adds these commands' arguments, builds
``list``'s query before the lake is opened (a bad filter reads nothing), and prints what the
manager returns in the format ``--format`` names (:mod:`alertkit._cli_format`).

``list --status open`` means the open statuses (:data:`alertkit.model.status.OPEN_STATUSES`:
active or acknowledged). When ``--limit`` cuts rows, ``list`` says how many it shows of how
many match.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from enum import Enum
from functools import reduce
from typing import Any, Final

import polars as pl

from alertkit import _cli_policies
from alertkit._cli_format import (
    ALERT_FIELDS,
    add_format_argument,
    alert_record,
    notice,
    write_csv,
    write_json,
)
from alertkit._console import print_board, print_table
from alertkit.lake.query import query_filter, scan_transitions
from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model.alerts import MAX_QUERY_LIMIT, Alert, AlertQuery, AlertSeverity, AlertType
from alertkit.model.errors import ValidationError
from alertkit.model.schema import alert_from_row, alert_to_row, alerts_to_frame
from alertkit.model.status import OPEN_STATUSES, AlertStatus

__all__ = ["COMMANDS", "HISTORY_COLUMNS", "add_commands", "check_arguments", "run"]

COMMANDS: Final = frozenset({"list", "show", "history"})
"""The top-level commands this module runs."""

DEFAULT_LIMIT: Final = 50
HISTORY_COLUMNS: Final = ("at", "action", "from_status", "to_status", "by", "note")
"""The columns of ``history``, and of the history ``show`` prints."""
TOLD_COLUMNS: Final = ("at", "handler", "reason", "outcome", "attempts", "error")
"""The notification log's columns ``show`` prints for its alert."""

_OPEN: Final = "open"
_NEWEST_FIRST: Final = ["created_at", "alert_id"]


def _choices(members: type[Enum]) -> str:
    return ", ".join(str(m.value) for m in members)


def add_commands(sub: Any) -> None:
    """Add ``list``, ``show`` and ``history`` to the CLI's subparsers ``sub``."""
    board = sub.add_parser(
        "list",
        help="the board, newest first",
        description="The alerts matching every filter given, newest first. When --limit"
        " cuts rows, a line after them says how many match.",
    )
    board.add_argument(
        "--status",
        metavar="STATUS",
        help=f"only alerts of this status: {_OPEN} (= {' or '.join(OPEN_STATUSES)}),"
        f" or one of {_choices(AlertStatus)} (any case; default any)",
    )
    board.add_argument(
        "--type",
        metavar="TYPE",
        help=f"only alerts of this type: {_choices(AlertType)} (any case; default any)",
    )
    board.add_argument(
        "--severity",
        metavar="SEVERITY",
        help=f"only alerts of this severity: {_choices(AlertSeverity)} (any case; default any)",
    )
    board.add_argument(
        "--symbol", help="only alerts on this underlying symbol (any case; default any)"
    )
    _cli_policies.add_list_filters(board)
    size = board.add_mutually_exclusive_group()
    size.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"show the newest N matching alerts (default {DEFAULT_LIMIT})",
    )
    size.add_argument("--all", action="store_true", help="show every matching alert")
    add_format_argument(board, json_shape="a list of alert objects", rows="one line per alert")

    show = sub.add_parser(
        "show",
        help="one alert: every field, its history and its notifications",
        description="One alert: every field, its lifecycle history and the notification"
        " log's rows for it.",
    )
    show.add_argument("alert_id", metavar="ID", help="the alert's id")
    add_format_argument(
        show,
        json_shape="one object: the alert's fields, with its notifications",
        rows="the alert's line",
    )
    history = sub.add_parser(
        "history",
        help="one alert's lifecycle events, oldest first",
        description="One alert's lifecycle events (create, acknowledge, resolve, dismiss,"
        " ...), oldest first.",
    )
    history.add_argument("alert_id", metavar="ID", help="the alert's id")
    add_format_argument(history, json_shape="a list of event objects", rows="one line per event")


def check_arguments(args: argparse.Namespace) -> None:
    """Build ``list``'s query (``args.query``) and its extra filters (``args.extra``) before
    the lake is opened, refusing a bad filter."""
    if args.command != "list":
        return
    open_only = args.status is not None and args.status.strip().lower() == _OPEN
    if args.status is not None and not open_only:
        try:
            AlertStatus.parse(args.status, "--status")
        except ValidationError:
            raise ValidationError(
                f"--status: expected {_OPEN} or one of {_choices(AlertStatus)} (any case),"
                f" got {args.status!r}"
            ) from None
    args.query = AlertQuery(
        status=None if open_only else args.status,  # parsed by AlertQuery
        type=args.type,
        symbol=args.symbol,
        severity=args.severity,
        assignee=args.assignee,
        limit=MAX_QUERY_LIMIT if args.all else args.limit,
    )
    args.extra = []
    if open_only:
        args.extra.append(pl.col("status").is_in(OPEN_STATUSES))
    if args.flapping:
        args.extra.append(pl.col("flapping").fill_null(False))


def run(manager: SyncAlertManager, args: argparse.Namespace) -> int:
    """Run the command ``args`` names on ``manager``; the exit status."""
    if args.command == "list":
        _list(manager, args)
    elif args.command == "show":
        _show(manager, args)
    else:
        events = _history(manager.get_alert(args.alert_id))
        if args.format == "json":
            write_json(events.to_dicts())
        elif args.format == "csv":
            write_csv(events.to_dicts(), HISTORY_COLUMNS)
        else:
            print_table(events)
    return 0


def _list(manager: SyncAlertManager, args: argparse.Namespace) -> None:
    alerts, total = _listed(manager, args.query, args.extra)
    if args.format == "json":
        write_json([alert_record(a) for a in alerts])
    elif args.format == "csv":
        write_csv([alert_record(a) for a in alerts], ALERT_FIELDS)
    elif alerts:
        print_board(pl.DataFrame([alert_to_row(a) for a in alerts]), rows=len(alerts))
    else:
        print("no alerts match these filters")
    if total > len(alerts):
        notice(
            f"showing {len(alerts):,} of {total:,} alerts; --limit N or --all for more",
            args.format,
        )


def _listed(
    manager: SyncAlertManager, query: AlertQuery, extra: list[pl.Expr]
) -> tuple[list[Alert], int]:
    """The alerts ``list`` prints (newest first, at most ``query.limit``) and how many match."""
    where = reduce(lambda a, b: a & b, extra, query_filter(query))
    if not extra:
        alerts = manager.query_alerts(query)
    else:
        rows = (
            manager.scan_alerts()
            .filter(where)
            .sort(_NEWEST_FIRST, descending=True)
            .head(query.limit)
            .collect()
        )
        alerts = [alert_from_row(row) for row in rows.iter_rows(named=True)]
    if len(alerts) < query.limit:
        return alerts, len(alerts)
    # Counted only when the limit may have cut rows: the count is a second read.
    return alerts, int(manager.scan_alerts().filter(where).select(pl.len()).collect().item())


def _history(alert: Alert) -> pl.DataFrame:
    """``alert``'s lifecycle events, oldest first, in :data:`HISTORY_COLUMNS`."""
    return scan_transitions(alerts_to_frame([alert]).lazy()).select(HISTORY_COLUMNS).collect()


def _show(manager: SyncAlertManager, args: argparse.Namespace) -> None:
    alert = manager.get_alert(args.alert_id)
    # not the stored outbox: what the log says was told, failed or is pending
    told = manager.notification_log(alert_id=args.alert_id).select(TOLD_COLUMNS)
    record = alert_record(alert) | {"notifications": told.to_dicts()}
    if args.format == "json":
        write_json(record)
        return
    if args.format == "csv":
        write_csv([record], [*ALERT_FIELDS, "notifications"])
        return
    fields = [name for name in ALERT_FIELDS if name != "history"]
    print_table(
        pl.DataFrame(
            {"field": fields, "value": [_cell(record[name]) for name in fields]},
            schema={"field": pl.String, "value": pl.String},
        ),
        str_lengths=1000,
    )
    print("\nhistory:")
    print_table(_history(alert))
    if told.is_empty():
        print("\nnotifications: none")
    else:
        print("\nnotifications:")
        print_table(told)


def _cell(value: object) -> str:
    """A field's value as the other tables print it (polars' forms: ``null``, ``true``,
    ``2026-01-05 15:00:00 UTC``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        utc = value.astimezone(UTC)
        fraction = f".{utc.microsecond:06d}" if utc.microsecond else ""
        return f"{utc:%Y-%m-%d %H:%M:%S}{fraction} UTC"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)

"""The CLI's notification commands: ``notify --pending`` and ``notifications``.

``alertkit.cli`` parses and dispatches; this module adds these commands' arguments and runs
them on the manager the CLI opened. Handlers come from a handlers file
(:mod:`alertkit.notify.config`), as ``watch --handlers`` takes them too.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any, Final

import polars as pl

from alertkit._cli_format import add_format_argument, notice, write_csv, write_json
from alertkit._console import print_table
from alertkit.live.registration import register_handlers
from alertkit.live.sync_manager import SyncAlertManager
from alertkit.model.errors import ValidationError
from alertkit.notify import Subscription, load_handlers

__all__ = ["add_commands", "deliver_pending", "handlers_of", "show_notifications"]

LOG_COLUMNS: Final = ("at", "alert_id", "handler", "reason", "outcome", "attempts", "error")


def add_commands(sub: Any) -> None:
    """Add ``notify`` and ``notifications`` to the CLI's subparsers ``sub``."""
    notify = sub.add_parser(
        "notify",
        help="deliver what earlier commits left pending, through a handlers file",
        description="Deliver what earlier commits left pending to the handlers of --handlers;"
        " exit 1 when some notification failed.",
    )
    # A flag rather than the default: other ways to notify (a test message) may join it.
    notify.add_argument(
        "--pending", action="store_true", required=True, help="deliver what is pending"
    )
    add_handlers_argument(notify)
    log = sub.add_parser(
        "notifications",
        help="the notification log, pending included",
        description="The notification log (sent, failed, suppressed and pending), oldest"
        " first. When --limit cuts rows, a line after them says how many match.",
    )
    log.add_argument(
        "--since",
        metavar="ISO",
        help="only rows at or after this ISO-8601 time (naive: local; default any)",
    )
    log.add_argument("--handler", metavar="NAME", help="only this handler's rows (default any)")
    log.add_argument("--alert", metavar="ID", help="only this alert's rows (default any)")
    size = log.add_mutually_exclusive_group()
    size.add_argument(
        "--limit", type=int, default=50, metavar="N", help="the latest N rows (default 50)"
    )
    size.add_argument("--all", action="store_true", help="every matching row")
    add_format_argument(
        log, json_shape="a list of notification objects", rows="one line per notification"
    )


def add_handlers_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--handlers",
        metavar="FILE",
        help="a TOML file of the desk's handlers ([[handler]] tables; see alertkit.notify.config)",
    )


def handlers_of(args: argparse.Namespace) -> list[Subscription] | None:
    """The handlers of ``--handlers``, read and checked whole (None without the option), so
    a bad file is refused before the lake is opened."""
    path = getattr(args, "handlers", None)
    return None if path is None else load_handlers(path)


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse what no lake could answer, before it is opened."""
    if args.command == "notifications" and args.limit < 1:
        raise ValidationError(f"--limit: expected a positive number, got {args.limit}")


def deliver_pending(
    manager: SyncAlertManager, args: argparse.Namespace, handlers: list[Subscription] | None
) -> int:
    """``notify --pending``: 0 when nothing failed, 1 when some notification failed."""
    if handlers is None:
        # Pending entries name their handler; only a process holding a handler of that name
        # can deliver them, so a run without handlers could only ever do nothing.
        raise ValidationError(
            "--handlers FILE is required: a pending notification can only be delivered by"
            f" the handler it is for (registered under its name); pending now: {_pending(manager)}"
        )
    register_handlers(manager, handlers)
    rows = manager.deliver_pending().sort("alert_id", "handler", "reason")
    for row in rows.iter_rows(named=True):
        print(_outcome_line(row))
    counts = dict(rows.group_by("outcome").len().iter_rows())
    failed = counts.get("failed", 0)
    print(
        f"delivered {counts.get('sent', 0)}, failed {failed},"
        f" suppressed {counts.get('suppressed', 0)}"
    )
    left = manager.notification_log().filter(pl.col("outcome") == "pending")
    if not left.is_empty():
        # Not ours to deliver: saying so keeps a desk from thinking the outbox is empty.
        print(f"still pending for handlers not in {args.handlers}: {_pending(manager)}")
    return 1 if failed else 0


def _outcome_line(row: dict[str, Any]) -> str:
    attempts = row["attempts"]
    line = (
        f"{row['alert_id']} {row['outcome']} {row['reason']} to {row['handler']}"
        f" ({attempts} attempt{'' if attempts == 1 else 's'})"
    )
    return line if row["error"] is None else f"{line}: {row['error']}"


def _pending(manager: SyncAlertManager) -> str:
    """What is pending, per handler: ``3 for 'desk-hook', 1 for 'pager'``."""
    pending = manager.notification_log().filter(pl.col("outcome") == "pending")
    counts = pending.group_by("handler").len().sort("handler")
    if counts.is_empty():
        return "nothing"
    return ", ".join(f"{n} for {name!r}" for name, n in counts.iter_rows())


def show_notifications(manager: SyncAlertManager, args: argparse.Namespace) -> int:
    """``notifications``: the log's latest ``--limit`` rows matching the filters (every one
    with ``--all``), in the ``--format`` asked for."""
    log = manager.notification_log(
        since=None if args.since is None else _instant(args.since, "--since"),
        handler=args.handler,
        alert_id=args.alert,
    )
    shown = (log if args.all else log.tail(args.limit)).select(LOG_COLUMNS)
    if args.format == "json":
        write_json(shown.to_dicts())
    elif args.format == "csv":
        write_csv(shown.to_dicts(), LOG_COLUMNS)
    elif shown.is_empty():
        print("no notifications match")
    else:
        print_table(shown)
    if shown.height < log.height:
        notice(
            f"showing the latest {shown.height:,} of {log.height:,} notifications;"
            " --limit N or --all for more",
            args.format,
        )
    return 0


def _instant(text: str, option: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{option}: expected an ISO-8601 time such as 2026-01-05T15:00:00+00:00, got {text!r}"
        ) from None

"""Notifications: what recording and delivering them costs.

- a 10,000-position cycle (1,500 new alerts, 1,500 repeats) with a grouped handler
  registered, whose commit records the 1,500 notifications it makes due (the outbox), against
  the same cycle with no handler, on identical 100k-alert lakes, interleaved (target 1.2x);
  the delivery round that follows (send, log, clear) is reported beside it;
- delivering 1,000 pending alerts in 10 groups to a webhook on 127.0.0.1 with
  ``deliver_pending`` (absolute target 1 s), against 10 raw urllib POSTs of the same payloads.
"""

from __future__ import annotations

import itertools
import json
import statistics
import tempfile
import threading
import time
import urllib.request
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import polars as pl

from alertkit import SyncAlertManager
from alertkit.notify import NOTIFICATION_SCHEMA, alert_payload, webhook_handler
from bench._harness import Comparison, Figure, interleaved_medians, timed
from bench.bench_cycle import BOOK, FIRING, T, positions
from bench.bench_store import table_of


def _ignore(notification: object) -> None:
    """A handler that does nothing: the benchmark measures alertkit's side."""


def bench_cycle_recording(root: Path, repeats: int) -> list[Comparison | Figure]:
    told = table_of(100_000, root, "told")
    told.add_handler(_ignore, name="desk", group_by=("rule",))
    silent = table_of(100_000, root, "silent")
    half = FIRING // 2
    opened = [len(told.run_cycle(positions(BOOK, T, range(FIRING))).new_alerts)]
    silent.run_cycle(positions(BOOK, T, range(FIRING)))
    assert told.flush_notifications(300)
    cycles = {id(told): itertools.count(1), id(silent): itertools.count(1)}
    rounds: list[float] = []

    def cycle(manager: SyncAlertManager) -> None:
        k = next(cycles[id(manager)])
        book = positions(BOOK, T + timedelta(minutes=k), range(half * k, half * k + FIRING))
        result = manager.run_cycle(book)
        if manager is told:
            opened.append(len(result.new_alerts))

    def settle() -> None:  # the previous cycle's delivery, outside both timings
        rounds.append(timed(lambda: told.flush_notifications(300)))

    ours_s, raw_s = interleaved_medians(
        lambda: cycle(told), lambda: cycle(silent), repeats, setup=settle
    )
    settle()
    log = told.notification_log()
    sent = log.filter(pl.col("outcome") == "sent").height
    assert sent == sum(opened) == log.height, (sent, opened)
    return [
        Comparison(
            "run_cycle 10k positions recording 1.5k notifications (outbox)",
            ours_s,
            raw_s,
            1.2,
            "the same cycle, no handler",
        ),
        Figure(
            "delivery round after it (1 grouped send, log append, outbox clear), median",
            statistics.median(rounds[1:]),
            "s",
            None,
            "off the committing thread",
        ),
    ]


class _Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _pending_lake(path: Path, k: int) -> SyncAlertManager:
    """1,000 alerts of 10 symbols, each with a notification pending for "hook" (written by a
    commit whose delivery never ran, as after a kill)."""
    writer = SyncAlertManager(path, maintain_every=0)
    writer.initialize()
    writer.add_handler(_ignore, name="hook")
    writer.delivery.submit = lambda *a, **kw: None  # type: ignore[method-assign,assignment]
    frame = positions(1_000, T, range(1_000)).with_columns(
        symbol=pl.format("S{}", pl.col("strategy_id") % 10), as_of=pl.lit(T + timedelta(days=k))
    )
    writer.run_cycle(frame)
    return writer


def bench_deliver_1000(root: Path, repeats: int) -> list[Comparison | Figure]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    lakes = iter(range(10_000))
    bodies: list[bytes] = []
    try:

        def ours() -> None:
            manager = SyncAlertManager(root / f"pending{next(lakes)}", maintain_every=0)
            manager.add_handler(webhook_handler(url), name="hook", group_by=("symbol",))
            done = manager.deliver_pending()
            assert done.height == 1_000 and done["notification_id"].n_unique() == 10

        def raw() -> None:
            for body in bodies:
                request = urllib.request.Request(url, data=body, method="POST")
                with urllib.request.urlopen(request, timeout=5):
                    pass

        prepared = [_pending_lake(root / f"pending{i}", i) for i in range(repeats)]
        alerts = prepared[0].query_alerts()
        for symbol in sorted({str(a.symbol) for a in alerts}):
            group = [alert_payload(a) for a in alerts if a.symbol == symbol]
            payload = {"schema": NOTIFICATION_SCHEMA, "reason": "new", "alerts": group}
            bodies.append(json.dumps(payload).encode())
        ours_s, raw_s = interleaved_medians(ours, raw, repeats)
    finally:
        server.shutdown()
        server.server_close()
    return [
        Comparison(
            "deliver_pending: 1,000 alerts in 10 groups to a local webhook",
            ours_s,
            raw_s,
            None,
            "10 raw urllib POSTs of the same bodies",
            "includes reading the outbox, the log append and the outbox clear",
        ),
        Figure("deliver_pending 1,000 alerts in 10 groups, median", ours_s, "s", 1.0),
    ]


def run(quick: bool = False) -> list[Comparison | Figure]:
    with tempfile.TemporaryDirectory(prefix="alertkit-bench-") as tmp:
        root = Path(tmp)
        repeats = 3 if quick else 9
        started = time.monotonic()
        results = [*bench_cycle_recording(root, repeats), *bench_deliver_1000(root, repeats)]
        results.append(Figure("bench_notify wall time", time.monotonic() - started, "s", None))
        return results

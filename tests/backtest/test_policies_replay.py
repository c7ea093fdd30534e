"""Replaying policies (docs/policies.md): exact notifications and muted dues, one policy at a
time and together, on the hand-built histories of tests/_policy_book.py (read its docstring
for the alerts); the policy columns a backtest writes; engine == vectorized with policies."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import polars as pl
import pytest
from _factories import T0, an_alert
from _policy_book import (
    BOOK,
    BOOK_QUIET,
    FLAPPY,
    FLAPPY_QUIET,
    c,
    ids,
    muted,
    names,
    told,
)

from alertkit.backtest import BacktestResult, dry_run_notifications, run_backtest, synthetic_history
from alertkit.backtest.notifications import SUPPRESSED_SCHEMA
from alertkit.model.errors import ValidationError
from alertkit.model.schema import alerts_to_frame
from alertkit.notify.subscriptions import Subscription
from alertkit.policy import (
    Escalation,
    FlapDetection,
    Inhibition,
    Policies,
    Silence,
    SnoozeRule,
)

HALF_HOUR = timedelta(minutes=30)
HOUR = timedelta(hours=1)
SIL_1 = "sil-000000000001"
SIL_2 = "sil-000000000002"


def sub(name: str = "desk", **options: Any) -> Subscription:
    return Subscription.create(print, name=name, **options)


DESK = sub(reasons=["new", "resolved", "reminder"], repeat_interval=HALF_HOUR)


def silence(matchers: dict[str, str], start: float, end: float, sid: str = SIL_1) -> Silence:
    return Silence(matchers, c(start), c(end), "desk", "known", silence_id=sid)


CRASH = Inhibition(
    {"rule": "catastrophe_*"},
    {"rule": "!~catastrophe_.*"},
    equal=("symbol",),
    inhibition_id="inh-000000000001",
)
ESCALATION = Escalation({"high": timedelta(hours=1), "immediate": HALF_HOUR}, handlers=["pager"])


@pytest.fixture(scope="module")
def book() -> BacktestResult:
    return run_backtest(BOOK, quiet_period=BOOK_QUIET, progress=False)


def test_the_book_has_the_alerts_its_docstring_says(book: BacktestResult) -> None:
    rows = book.alerts.select("created_at", "last_seen_at", "resolved_at").rows()
    by_name = dict(zip([names(book)[i] for i in book.alerts["alert_id"]], rows, strict=True))
    assert by_name == {
        "tp1": (c(1), c(3), c(5)),
        "vix3": (c(2), c(4), c(6)),
        "cat2": (c(2), c(2), c(4)),
        "ivp2": (c(5), c(9), None),
        "vix2": (c(7), c(7), c(9)),
    }


# -- silences ---------------------------------------------------------------------------------


def test_a_silence_mutes_what_it_covers_and_its_end_is_told(book: BacktestResult) -> None:
    # 15:45-16:45 covers vix3's firings at c2 and c3: its new (c2) and its first reminder
    # (c3, due 30 min after its creation, as it was never told) are muted; the silence ends
    # at 16:45, first seen by c4, where vix3 is still open: silence_ended, and the reminder
    # goes through.
    quiet = silence({"rule": "=~vix_.*"}, 1.5, 3.5)
    dry = dry_run_notifications(book, DESK, policies=Policies(silences=[quiet]))
    assert told(dry, book) == [
        ("desk", "new", 1, ["tp1"]),
        ("desk", "new", 2, ["cat2"]),
        ("desk", "reminder", 2, ["tp1"]),
        ("desk", "reminder", 3, ["tp1"]),
        ("desk", "reminder", 3, ["cat2"]),
        ("desk", "reminder", 4, ["tp1"]),
        ("desk", "reminder", 4, ["vix3"]),
        ("desk", "resolved", 4, ["cat2"]),
        ("desk", "silence_ended", 4, ["vix3"]),
        ("desk", "new", 5, ["ivp2"]),
        ("desk", "reminder", 5, ["vix3"]),
        ("desk", "resolved", 5, ["tp1"]),
        ("desk", "reminder", 6, ["ivp2"]),
        ("desk", "resolved", 6, ["vix3"]),
        ("desk", "new", 7, ["vix2"]),
        ("desk", "reminder", 7, ["ivp2"]),
        ("desk", "reminder", 8, ["ivp2"]),
        ("desk", "reminder", 8, ["vix2"]),
        ("desk", "reminder", 9, ["ivp2"]),
        ("desk", "resolved", 9, ["vix2"]),
    ]
    assert muted(dry, book) == [
        ("desk", "new", 2, "vix3", "suppressed", f"silence: {SIL_1}"),
        ("desk", "reminder", 3, "vix3", "suppressed", f"silence: {SIL_1}"),
    ]
    assert dry.suppressed.schema == pl.Schema(SUPPRESSED_SCHEMA)
    assert dry.suppressed["rule"].to_list() == ["vix_level", "vix_level"]
    assert repr(dry) == "NotificationDryRun(1 handlers, 10 cycles: 20 notifications, 2 muted)"


def test_silenced_by_is_the_silence_of_the_earliest_covered_firing() -> None:
    # vix3 fires at c2, c3, c4: c3 is its earliest covered firing, by "vix" alone. vix2 fires
    # at c7 under "vix" and "two": the earlier start wins over the smaller id. ivp2 fires at
    # c8 and c9 under "two".
    three = silence({"strategy_id": "3"}, 3.5, 9, "sil-000000000003")
    vix = silence({"rule": "vix_level"}, 2.5, 9, "sil-000000000002")
    two = silence({"strategy_id": "2"}, 6, 9, "sil-000000000001")
    result = run_backtest(
        BOOK, quiet_period=BOOK_QUIET, progress=False, policies=Policies([three, vix, two])
    )
    marks = dict(zip(result.alerts["alert_id"], result.alerts["silenced_by"], strict=True))
    assert {names(result)[i]: m for i, m in marks.items()} == {
        "tp1": None,
        "vix3": "sil-000000000002",
        "cat2": None,
        "ivp2": "sil-000000000001",
        "vix2": "sil-000000000002",
    }


def test_with_a_bare_frame_only_creation_and_last_firing_are_firings(
    book: BacktestResult,
) -> None:
    # 16:15-16:45 covers vix3's middle firing (c3) only: the result knows it, a frame cannot
    only_c3 = Policies(silences=[silence({"rule": "vix_level"}, 2.5, 3.5)])
    cycles = book.decisions["as_of"].unique().sort()
    from_result = dry_run_notifications(book, sub(), policies=only_c3)
    from_frame = dry_run_notifications(book.alerts, sub(), cycles=cycles, policies=only_c3)
    assert muted(from_result, book) == []  # its new (c2) and the end (c4) are outside
    ends = [r for r in told(from_result, book) if r[1] == "silence_ended"]
    assert ends == [("desk", "silence_ended", 4, ["vix3"])]
    assert [r for r in told(from_frame, book) if r[1] == "silence_ended"] == []
    assert from_frame.notifications.height == from_result.notifications.height - 1


# -- inhibition -------------------------------------------------------------------------------


def test_an_open_catastrophe_alert_inhibits_the_other_alerts_of_its_symbol(
    book: BacktestResult,
) -> None:
    # cat2 (SPY) is open at c2 and c3: tp1 (SPY) is reminded at c2 and c3 in vain, and told
    # at c4 (cat2 closed there). vix3 is on QQQ; cat2 never inhibits itself.
    dry = dry_run_notifications(book, DESK, policies=Policies(inhibitions=[CRASH]))
    cat2 = ids(book)["cat2"]
    assert muted(dry, book) == [
        ("desk", "reminder", 2, "tp1", "inhibited", f"inhibition: {cat2}"),
        ("desk", "reminder", 3, "tp1", "inhibited", f"inhibition: {cat2}"),
    ]
    assert [r for r in told(dry, book) if r[3] == ["tp1"]] == [
        ("desk", "new", 1, ["tp1"]),
        ("desk", "reminder", 4, ["tp1"]),
        ("desk", "resolved", 5, ["tp1"]),
    ]
    assert [r for r in told(dry, book) if r[3] == ["vix3"]][:2] == [
        ("desk", "new", 2, ["vix3"]),
        ("desk", "reminder", 3, ["vix3"]),
    ]


# -- snooze -----------------------------------------------------------------------------------


def test_a_snooze_rule_mutes_until_the_wake_and_a_more_severe_alert_wakes_it() -> None:
    # ivp2 opens at c5 (17:30), snoozed for 2 h; vix2 (high > normal) opens on the same
    # position at c7 (18:30) and wakes it. Its new (c5) and its reminder at c6 are muted; the
    # reminder due since c6 goes at c7.
    policies = Policies(snoozes=[SnoozeRule({"rule": "=~iv_.*"}, timedelta(hours=2))])
    result = run_backtest(BOOK, quiet_period=BOOK_QUIET, progress=False, policies=policies)
    ivp2 = result.alerts.filter(pl.col("rule") == "iv_percentile_exit")
    assert ivp2.select("snoozed_at", "snoozed_until").row(0) == (c(5), c(9))
    assert result.alerts["snoozed_at"].null_count() == 4
    dry = result.dry_run_notifications(DESK)
    wake = "snooze: until 2026-01-05T18:30:00+00:00"
    assert muted(dry, result) == [
        ("desk", "new", 5, "ivp2", "suppressed", wake),
        ("desk", "reminder", 6, "ivp2", "suppressed", wake),
    ]
    assert [r for r in told(dry, result) if r[3] == ["ivp2"]] == [
        ("desk", "reminder", 7, ["ivp2"]),
        ("desk", "reminder", 8, ["ivp2"]),
        ("desk", "reminder", 9, ["ivp2"]),
    ]


# -- escalation, ack delay --------------------------------------------------------------------


def test_escalation_tells_the_named_handlers_of_what_is_still_active(
    book: BacktestResult,
) -> None:
    # cat2 (immediate, 30 min) escalates at c3, vix3 (high, 1 h) at c4; vix2 (high) would at
    # c9, where it is closed. Only "pager" is named; its filters take immediate and high.
    pager = sub("pager", severities=["immediate", "high"])
    dry = dry_run_notifications(book, [sub("new"), pager], policies=Policies(escalation=ESCALATION))
    assert [r for r in told(dry, book) if r[1] != "new"] == [
        ("pager", "escalated", 3, ["cat2"]),
        ("pager", "escalated", 4, ["vix3"]),
    ]
    low = sub("pager", severities=["immediate"])
    dry = dry_run_notifications(book, [sub("new"), low], policies=Policies(escalation=ESCALATION))
    assert [r for r in told(dry, book) if r[1] != "new"] == [("pager", "escalated", 3, ["cat2"])]


def test_ack_delay_acknowledges_before_the_close_and_stops_escalation_and_reminders() -> None:
    # One hour after opening: cat2 (closed at exactly 1 h) and vix2 (likewise) are not
    # acknowledged; vix3 is, at 17:00 = its escalation's cycle, so it does not escalate.
    policies = Policies(escalation=ESCALATION, ack_delay=timedelta(hours=1))
    result = run_backtest(BOOK, quiet_period=BOOK_QUIET, progress=False, policies=policies)
    short = names(result)
    columns = result.alerts.select("alert_id", "acknowledged_at", "status").rows()
    assert {short[a]: (at, status) for a, at, status in columns} == {
        "tp1": (c(3), "resolved"),
        "vix3": (c(4), "resolved"),
        "cat2": (None, "resolved"),
        "ivp2": (c(7), "acknowledged"),
        "vix2": (None, "resolved"),
    }
    vix3 = result.alerts.filter(pl.col("alert_id") == ids(result)["vix3"])
    assert [
        (e["action"], e["from"], e["to"], e["by"], e["note"])
        for e in json.loads(vix3["history"][0])
    ] == [
        ("create", None, "active", None, None),
        ("acknowledge", "active", "acknowledged", "backtest", "ack_delay 1:00:00"),
        ("resolve", "acknowledged", "resolved", "backtest", "trigger quiet for 1:00:00"),
    ]
    desk = sub(reasons=["new", "reminder"], repeat_interval=HALF_HOUR)
    pager = sub("pager", severities=["immediate", "high"])
    assert told(result.dry_run_notifications([desk, pager]), result) == [
        ("desk", "new", 1, ["tp1"]),
        ("desk", "new", 2, ["vix3"]),
        ("desk", "new", 2, ["cat2"]),
        ("desk", "reminder", 2, ["tp1"]),  # 16:00, before its acknowledgement at 16:30
        ("pager", "new", 2, ["vix3"]),
        ("pager", "new", 2, ["cat2"]),
        ("desk", "reminder", 3, ["vix3"]),
        ("desk", "reminder", 3, ["cat2"]),
        ("pager", "escalated", 3, ["cat2"]),
        ("desk", "new", 5, ["ivp2"]),
        ("desk", "reminder", 6, ["ivp2"]),
        ("desk", "new", 7, ["vix2"]),
        ("pager", "new", 7, ["vix2"]),
        ("desk", "reminder", 8, ["vix2"]),
    ]


# -- flapping ---------------------------------------------------------------------------------


def test_flapping_starts_mutes_and_stops() -> None:
    result = run_backtest(
        FLAPPY,
        quiet_period=FLAPPY_QUIET,
        progress=False,
        policies=Policies(flapping=FlapDetection(4, 10)),
    )
    # flapping at the alert's latest firing: a1 (c1) and a2 (c3) before it starts, a3 (c6)
    assert result.alerts.sort("created_at")["flapping"].to_list() == [False, False, True]
    dry = result.dry_run_notifications(sub(reasons=["new", "resolved"]))
    assert told(dry, result) == [
        ("desk", "new", 1, ["a1"]),
        ("desk", "resolved", 2, ["a1"]),
        ("desk", "new", 3, ["a2"]),
        ("desk", "flapping_started", 4, ["a2"]),  # the latest alert created by then
        ("desk", "flapping_stopped", 13, ["a3"]),
    ]
    why = "flapping: 4 changes in the last 10 evaluations"
    assert muted(dry, result) == [
        ("desk", "resolved", 4, "a2", "suppressed", why),
        ("desk", "new", 6, "a3", "suppressed", why),
        ("desk", "resolved", 7, "a3", "suppressed", why),
    ]
    # a handler that does not hear of new alerts hears nothing of the flapping either
    closes = dry_run_notifications(result, sub("closes", reasons=["resolved"]))
    assert told(closes, result) == [("closes", "resolved", 2, ["a1"])]
    assert [r[:4] for r in muted(closes, result)] == [
        ("closes", "resolved", 4, "a2"),
        ("closes", "resolved", 7, "a3"),
    ]


def test_flap_detection_needs_a_backtest_result(book: BacktestResult) -> None:
    cycles = book.decisions["as_of"].unique().sort()
    with pytest.raises(ValidationError, match=r"policies\.flapping: flap detection needs"):
        dry_run_notifications(
            book.alerts, sub(), cycles=cycles, policies=Policies(flapping=FlapDetection())
        )


# -- stages in order --------------------------------------------------------------------------


def two_silences_and_the_crash() -> Policies:
    return Policies(
        silences=[
            silence({"strategy_id": "1"}, 2.5, 3.5, SIL_1),  # 16:15-16:45, tp1's c3 firing
            silence({"symbol": "SPY"}, 3.5, 4.5, SIL_2),  # 16:45-17:15: c4
        ],
        inhibitions=[CRASH],
    )


def test_the_first_stage_that_mutes_says_why(book: BacktestResult) -> None:
    # tp1's reminders: c2 inhibited (cat2 open), c3 under SIL_1 and the inhibition: the
    # silence stage comes first; c4 under SIL_2, which also mutes SIL_1's end and cat2's close.
    dry = dry_run_notifications(book, DESK, policies=two_silences_and_the_crash())
    cat2 = ids(book)["cat2"]
    assert muted(dry, book) == [
        ("desk", "reminder", 2, "tp1", "inhibited", f"inhibition: {cat2}"),
        ("desk", "reminder", 3, "tp1", "suppressed", f"silence: {SIL_1}"),
        ("desk", "reminder", 4, "tp1", "suppressed", f"silence: {SIL_2}"),
        ("desk", "resolved", 4, "cat2", "suppressed", f"silence: {SIL_2}"),
        ("desk", "silence_ended", 4, "tp1", "suppressed", f"silence: {SIL_2}"),
    ]
    assert told(dry, book) == [
        ("desk", "new", 1, ["tp1"]),
        ("desk", "new", 2, ["vix3"]),
        ("desk", "new", 2, ["cat2"]),
        ("desk", "reminder", 3, ["vix3"]),
        ("desk", "reminder", 3, ["cat2"]),
        ("desk", "reminder", 4, ["vix3"]),
        ("desk", "new", 5, ["ivp2"]),
        ("desk", "reminder", 5, ["vix3"]),
        ("desk", "resolved", 5, ["tp1"]),
        ("desk", "reminder", 6, ["ivp2"]),
        ("desk", "resolved", 6, ["vix3"]),
        ("desk", "new", 7, ["vix2"]),
        ("desk", "reminder", 7, ["ivp2"]),
        ("desk", "reminder", 8, ["ivp2"]),
        ("desk", "reminder", 8, ["vix2"]),
        ("desk", "reminder", 9, ["ivp2"]),
        ("desk", "resolved", 9, ["vix2"]),
    ]


def test_the_policy_report_counts_what_was_told_and_hidden_per_day_and_rule() -> None:
    result = run_backtest(
        BOOK, quiet_period=BOOK_QUIET, progress=False, policies=two_silences_and_the_crash()
    )
    day = c(0).date()
    assert result.policy_report(DESK).rows() == [
        (day, "catastrophe_drop", 2, 2, 1, 0, 0, 0),
        (day, "iv_percentile_exit", 5, 5, 0, 0, 0, 0),
        (day, "take_profit_partial", 2, 2, 3, 1, 0, 0),
        (day, "vix_level", 8, 8, 0, 0, 0, 0),
    ]
    # by default one ungrouped handler hearing every reason, without reminders
    assert result.policy_report().rows() == [
        (day, "catastrophe_drop", 1, 1, 1, 0, 0, 0),
        (day, "iv_percentile_exit", 1, 1, 0, 0, 0, 0),
        (day, "take_profit_partial", 2, 2, 1, 0, 0, 0),
        (day, "vix_level", 4, 4, 0, 0, 0, 0),
    ]
    grouped = sub("grouped", group_by=("symbol",))
    assert result.policy_report(grouped).rows() == [
        (day, "catastrophe_drop", 1, 1, 0, 0, 0, 0),
        (day, "iv_percentile_exit", 1, 1, 0, 0, 0, 0),
        (day, "take_profit_partial", 1, 1, 1, 0, 0, 0),  # its silence's end, under SIL_2
        (day, "vix_level", 2, 2, 0, 0, 0, 0),  # QQQ at c2, SPY at c7
    ]


# -- no policy, and policies that change nothing ----------------------------------------------


def test_policies_that_mute_nothing_tell_what_no_policies_tell(book: BacktestResult) -> None:
    plain = dry_run_notifications(book, DESK)
    nothing = Policies(
        silences=[silence({"symbol": "IWM"}, 0, 9)],
        inhibitions=[Inhibition({"rule": "time_exit"}, {"rule": "*"})],
    )
    replayed = dry_run_notifications(book, DESK, policies=nothing)
    assert replayed.notifications.equals(plain.notifications)
    assert replayed.suppressed.is_empty()
    assert dry_run_notifications(book, DESK, policies=Policies()).notifications.equals(
        plain.notifications
    )


def test_a_result_with_policies_replays_any_other_set_from_its_plain_alerts(
    book: BacktestResult,
) -> None:
    every = Policies(
        silences=[silence({"rule": "=~vix_.*"}, 1.5, 3.5)],
        inhibitions=[CRASH],
        snoozes=[SnoozeRule({"rule": "=~iv_.*"}, timedelta(hours=2))],
        escalation=ESCALATION,
        ack_delay=timedelta(minutes=45),
    )
    marked = run_backtest(BOOK, quiet_period=BOOK_QUIET, progress=False, policies=every)
    assert marked.policies is every and book.policies is None
    assert repr(marked).startswith(
        "BacktestResult(mode='vectorized', quiet_period=1:00:00, policies='policies': 30"
    )
    assert not marked.alerts.equals(book.alerts)
    subs = [DESK, sub("pager", severities=["immediate", "high"])]
    none = dry_run_notifications(marked, subs, policies=Policies())
    assert none.notifications.equals(dry_run_notifications(book, subs).notifications)
    other = Policies(inhibitions=[CRASH], ack_delay=timedelta(hours=1))
    assert dry_run_notifications(marked, subs, policies=other).notifications.equals(
        dry_run_notifications(book, subs, policies=other).notifications
    )
    own = marked.dry_run_notifications(subs)  # default: the result's own policies
    again = dry_run_notifications(book, subs, policies=every)
    assert own.notifications.equals(again.notifications)
    assert own.suppressed.equals(again.suppressed)


def test_bad_policies_are_refused(book: BacktestResult) -> None:
    with pytest.raises(ValidationError, match=r"policies: expected an alertkit\.policy\.Policies"):
        dry_run_notifications(book, sub(), policies=[CRASH])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"policies: expected an alertkit\.policy\.Policies"):
        run_backtest(BOOK, progress=False, policies={"silences": []})  # type: ignore[arg-type]


# -- engine == vectorized ---------------------------------------------------------------------


EVERYTHING = Policies(
    silences=[silence({"rule": "=~vix_.*"}, 1.5, 3.5), silence({"symbol": "SPY"}, 3.5, 4.5, SIL_2)],
    inhibitions=[CRASH],
    snoozes=[SnoozeRule({"rule": "=~iv_.*"}, timedelta(hours=2))],
    flapping=FlapDetection(4, 10),
    escalation=ESCALATION,
    ack_delay=timedelta(minutes=45),
)


@pytest.mark.parametrize(
    ("history", "quiet"),
    [
        (BOOK, BOOK_QUIET),
        (FLAPPY, FLAPPY_QUIET),
        (synthetic_history(12, seed=5), timedelta(hours=4)),
    ],
    ids=["book", "flappy", "synthetic"],
)
def test_engine_and_vectorized_modes_replay_policies_identically(
    history: pl.DataFrame, quiet: timedelta
) -> None:
    runs = [
        run_backtest(history, quiet_period=quiet, progress=False, policies=EVERYTHING, mode=m)
        for m in ("vectorized", "engine")
    ]
    assert runs[0].alerts.equals(runs[1].alerts)
    assert runs[0].policy_report().equals(runs[1].policy_report())
    subs = [DESK, sub("pager", severities=["immediate", "high"], group_by=("rule",))]
    dry = [r.dry_run_notifications(subs) for r in runs]
    assert dry[0].notifications.equals(dry[1].notifications)
    assert dry[0].suppressed.equals(dry[1].suppressed)
    assert dry[0].notifications.height > 0


# -- an alerts frame, alerts between cycles ---------------------------------------------------


def test_a_frame_replays_with_alerts_created_between_cycles() -> None:
    # Hourly cycles from T0. crash (15:10-17:10) is seen at 16:00 and closed at 18:00; an
    # inhibition with no equal fields mutes every other alert while it is open (16:00, 17:00).
    # vix (15:20) escalates at 18:00 (2 h after, seen then) and is acknowledged at 19:20 by
    # the ack delay. iv (16:10, snoozed 90 min): its new at 17:00 is inhibited first (the
    # stage before snooze), its reminders count from its creation (never told): 18:00, 19:00,
    # and 20:00 under the SPY silence. acked (15:00) was acknowledged at 15:30 already: the
    # delay leaves it; snoozed from 15:00 to 16:30, its new is muted and it is never reminded.
    crash = an_alert(
        minutes=10,
        strategy_id=1,
        rule="catastrophe_drop",
        severity="immediate",
        type="critical",
        status="resolved",
        closed_after=120,
    )
    vix = an_alert(minutes=20, strategy_id=2, rule="vix_level", symbol=None)
    iv = an_alert(minutes=70, strategy_id=None, rule="iv_crush", severity="normal")
    acked = an_alert(
        minutes=0,
        strategy_id=3,
        rule="iv_crush",
        severity="normal",
        status="acknowledged",
        ack_after=30,
    )
    policies = Policies(
        inhibitions=[Inhibition({"rule": "catastrophe_*"}, {"rule": "!~catastrophe_.*"})],
        silences=[
            Silence({"symbol": "SPY"}, T0 + 5 * HOUR, T0 + 6 * HOUR, "a", "b", silence_id=SIL_1)
        ],
        snoozes=[SnoozeRule({"rule": "iv_crush"}, timedelta(minutes=90))],
        escalation=Escalation({"high": 2 * HOUR}, ["desk"]),
        ack_delay=timedelta(hours=4),
    )
    desk = sub(repeat_interval=HOUR, reasons=["new", "reminder", "resolved"])
    dry = dry_run_notifications(
        alerts_to_frame([crash, vix, iv, acked]),
        desk,
        cycles=[T0 + i * HOUR for i in range(8)],
        policies=policies,
    )
    short = {
        crash.alert_id: "crash",
        vix.alert_id: "vix",
        iv.alert_id: "iv",
        acked.alert_id: "acked",
    }
    hours = [
        (r, (at - T0) / HOUR, [short[i] for i in a])
        for r, at, a in dry.notifications.select("reason", "at", "alert_ids").rows()
    ]
    assert hours == [
        ("new", 1, ["crash"]),
        ("reminder", 2, ["crash"]),
        ("reminder", 3, ["vix"]),
        ("reminder", 3, ["iv"]),
        ("resolved", 3, ["crash"]),
        ("escalated", 3, ["vix"]),
        ("reminder", 4, ["vix"]),
        ("reminder", 4, ["iv"]),
    ]
    inhibited = f"inhibition: {crash.alert_id}"
    assert [
        (r, (at - T0) / HOUR, short[a], o, w)
        for r, at, a, o, w in dry.suppressed.select(
            "reason", "at", "alert_id", "outcome", "why"
        ).rows()
    ] == [
        ("new", 0, "acked", "suppressed", "snooze: until 2026-01-05T16:30:00+00:00"),
        ("new", 1, "vix", "inhibited", inhibited),
        ("new", 2, "iv", "inhibited", inhibited),
        ("reminder", 2, "vix", "inhibited", inhibited),
        ("reminder", 5, "iv", "suppressed", f"silence: {SIL_1}"),
    ]

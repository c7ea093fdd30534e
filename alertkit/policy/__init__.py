"""Policies: what decides, after an alert is decided, whether and when anyone is told.

- :class:`Silence` (:mod:`~alertkit.policy.silences`): matching alerts are recorded but not
  notified for a time window;
- :class:`Inhibition` (:mod:`~alertkit.policy.inhibitions`): an open alert mutes related ones;
- :class:`SnoozeRule` and snoozing by hand (:mod:`~alertkit.policy.snooze`);
- :class:`FlapDetection` (:mod:`~alertkit.policy.flapping`): a fingerprint that keeps changing
  status is muted while it flaps;
- :class:`Escalation` (:mod:`~alertkit.policy.escalation`): an alert not acknowledged in time
  is told to a second handler set;
- :class:`Policies` (:mod:`~alertkit.policy.policies`): all of them, for a live manager and
  for a replay over history.

This package is data and pure functions over alerts; the live managers store and apply them
(:mod:`alertkit.live`), the replay replays them (:mod:`alertkit.backtest`).
"""

from alertkit.policy.escalation import Escalation
from alertkit.policy.flapping import FlapDetection
from alertkit.policy.inhibitions import Inhibition
from alertkit.policy.matchers import MATCHER_FIELDS, Matcher, Matchers
from alertkit.policy.policies import Policies
from alertkit.policy.silences import DEFAULT_MAX_SHARE, Silence
from alertkit.policy.snooze import SnoozeRule

__all__ = [
    "DEFAULT_MAX_SHARE",
    "MATCHER_FIELDS",
    "Escalation",
    "FlapDetection",
    "Inhibition",
    "Matcher",
    "Matchers",
    "Policies",
    "Silence",
    "SnoozeRule",
]

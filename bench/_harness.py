"""Timing helpers: medians over repeats and ratios against a raw baseline run alongside.

The machine is shared and noisy, so every figure is a median and every verdict is a ratio
between alertkit and the raw library doing the same work in the same run, interleaved so
that a burst of noise hits both sides.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Comparison:
    name: str
    ours_s: float
    baseline_s: float
    target: float | None  # ratio must be <= target (None: informational)
    baseline_name: str
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours_s / self.baseline_s

    @property
    def ok(self) -> bool:
        return self.target is None or self.ratio <= self.target

    def row(self) -> str:
        target = "-" if self.target is None else f"<= {self.target:g}"
        verdict = "ok" if self.ok else "MISSED"
        return (
            f"| {self.name} | {self.ours_s * 1000:.1f} ms | {self.baseline_name}:"
            f" {self.baseline_s * 1000:.1f} ms | {self.ratio:.2f} | {target} | {verdict} |"
            f" {self.note} |"
        )


@dataclass(frozen=True)
class Figure:
    """A stand-alone measurement with an absolute target (e.g. seconds, GiB)."""

    name: str
    value: float
    unit: str
    target: float | None
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.target is None or self.value <= self.target

    def row(self) -> str:
        target = "-" if self.target is None else f"<= {self.target:g} {self.unit}"
        verdict = "ok" if self.ok else "MISSED"
        return (
            f"| {self.name} | {self.value:.3g} {self.unit} | {target} | {verdict} | {self.note} |"
        )


def timed(fn: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved_medians(
    ours: Callable[[], object],
    baseline: Callable[[], object],
    repeats: int,
    setup: Callable[[], object] | None = None,
) -> tuple[float, float]:
    """Median seconds of ``ours`` and ``baseline``, alternating which runs first."""
    a: list[float] = []
    b: list[float] = []
    for i in range(repeats):
        pair = [(ours, a), (baseline, b)]
        if i % 2:
            pair.reverse()
        for fn, sink in pair:
            if setup is not None:
                setup()
            sink.append(timed(fn))
    return statistics.median(a), statistics.median(b)

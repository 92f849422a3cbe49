"""Output of benchmark figures in the card's line format.

Every benchmark program of the card prints one line per figure:

    <bench> <runtime> loops=<n> <metric>=<value> <unit>

or, with --json, one JSON object per line with the keys bench, runtime, loops,
metric, value and unit. The problem size a run used is always printed as an
extra figure named ``n`` (unit: what was counted), so a scaled-down run says so
and the driver can tell when two runtimes ran different sizes.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass


class VerificationError(Exception):
    """A benchmark computed a wrong result; the program exits non-zero."""


@dataclass(frozen=True)
class Figure:
    bench: str
    runtime: str
    metric: str
    value: float
    unit: str
    loops: int = 1


def format_value(value: float) -> str:
    """Fixed-point text with enough digits for both 812.3 ns and 0.042 s."""
    if isinstance(value, int):
        return str(value)
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.4f}"


class FigureWriter:
    """Prints figures as text lines or JSON lines; flushes after each one."""

    def __init__(self, as_json: bool, n: int, scaled: bool) -> None:
        self._as_json = as_json
        self._n = n
        self._scaled = scaled

    def emit(self, figure: Figure) -> None:
        if self._as_json:
            record = {
                "bench": figure.bench,
                "runtime": figure.runtime,
                "loops": figure.loops,
                "metric": figure.metric,
                "value": figure.value,
                "unit": figure.unit,
                "n": self._n,
                "scaled": self._scaled,
            }
            line = json.dumps(record)
        else:
            line = (f"{figure.bench} {figure.runtime} loops={figure.loops} "
                    f"{figure.metric}={format_value(figure.value)} {figure.unit}")
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

"""The card's chart: one bar panel per bench, drawn by gnuplot.

Each panel shows the bench's primary metric for every runtime that ran it:
the bar is the median, the whisker the min-max over repeats. coreio's three
modes are blue, the Python peers orange, Boost.Fiber green, Boost.Asio
purple. A panel whose values span more than `log_span` uses a log scale.
The first panel carries the legend (runtime -> colour); the title names the
machine, core count and commit. Writes PREFIX.svg, and PREFIX.png when gnuplot
has the pngcairo terminal.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

from .catalog import higher_is_better
from .summary import BenchSummary

COLORS = {
    "coreio-1": 0x9ECAE1,
    "coreio-sn": 0x4292C6,
    "coreio-ws": 0x08519C,
    "asyncio": 0xFDAE6B,
    "uvloop": 0xE6550D,
    "boost.fiber-rr": 0xA1D99B,
    "boost.fiber-ws": 0x31A354,
    "asio": 0x756BB1,
}
OTHER_COLOR = 0x969696
LOG_SPAN = 30.0
COLUMNS = 3


def gnuplot_has_terminal(name: str) -> bool:
    probe = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True, check=False)
    return re.search(rf"^\s*{re.escape(name)}\s", probe.stdout + probe.stderr, re.MULTILINE) is not None


def legend(summaries: list[BenchSummary]) -> str:
    """keyentry items for every runtime on the chart, in card order."""
    names: list[str] = []
    for summary in summaries:
        names += [c.runtime for c in summary.cells if summary.primary in c.metrics and c.runtime not in names]
    return ", ".join(f"keyentry with boxes lc rgb {COLORS.get(n, OTHER_COLOR)} title '{n}'" for n in names)


def panel(summary: BenchSummary, index: int, key: str = "") -> str | None:
    cells = [c for c in summary.cells if summary.primary in c.metrics]
    if not cells:
        return None
    unit = summary.unit(summary.primary)
    rows = []
    for i, cell in enumerate(cells):
        stat = cell.metrics[summary.primary]
        color = COLORS.get(cell.runtime, OTHER_COLOR)
        rows.append(f'{i} "{cell.runtime}" {stat.median!r} {stat.low!r} {stat.high!r} {color}')
    values = [c.metrics[summary.primary].low for c in cells] + [c.metrics[summary.primary].high for c in cells]
    positive = [v for v in values if v > 0]
    log = len(positive) == len(values) and max(positive) / min(positive) > LOG_SPAN
    direction = "higher" if higher_is_better(unit) else "lower"
    name = f"$bench{index}"
    lines = [f"{name} << EOD", *rows, "EOD",
             f'set title "{summary.bench}: {summary.primary} [{unit}], {direction} is better{" (log)" if log else ""}"',
             "set logscale y" if log else "unset logscale y",
             "set yrange [*:*]" if log else "set yrange [0:*]",
             f"set xrange [-0.6:{len(cells) - 0.4}]",
             "set key top left font ',7' opaque box" if key else "set key off",
             f"plot {name} using 1:3:6:xtic(2) with boxes lc rgb variable notitle, "
             f"{name} using 1:3:4:5 with yerrorbars lc rgb 'black' pointsize 0 notitle"
             + (f", {key}" if key else "")]
    return "\n".join(lines)


def script(summaries: list[BenchSummary], title: str) -> tuple[str, int, int]:
    key = legend(summaries)
    panels: list[str] = []
    for i, s in enumerate(summaries):
        if p := panel(s, i, key if not panels else ""):
            panels.append(p)
    columns = min(COLUMNS, max(1, len(panels)))
    rows = math.ceil(len(panels) / columns)
    header = "\n".join([
        f'set multiplot layout {rows},{columns} title "{title}"',
        "set style fill solid 0.85 border -1",
        "set boxwidth 0.7",
        "set xtics rotate by -35 font ',8' nomirror",
        "set ytics font ',8'",
        "set grid ytics lc rgb '#dddddd'",
        "set key off",
    ])
    return header + "\n" + "\n".join(panels) + "\nunset multiplot\n", rows, columns


def render(summaries: list[BenchSummary], prefix: Path, title: str, context: str = "") -> list[Path]:
    """Writes the chart files; returns them (empty when gnuplot is missing).
    `context` (machine, cores, commit) becomes the title's second line."""
    if shutil.which("gnuplot") is None:
        return []
    full_title = title + (f"\\n{context}" if context else "")
    body, rows, columns = script(summaries, full_title)
    if rows == 0:
        return []
    width, height = max(430 * columns, 900), 330 * rows + 60
    targets = [(prefix.with_suffix(".svg"), f"svg size {width},{height} dynamic noenhanced font 'Helvetica,11'")]
    if gnuplot_has_terminal("pngcairo"):
        targets.append((prefix.with_suffix(".png"), f"pngcairo size {width},{height} noenhanced font 'Helvetica,10'"))
    written = []
    for path, terminal in targets:
        full = f"set terminal {terminal}\nset output '{path}'\n{body}"
        result = subprocess.run(["gnuplot"], input=full, capture_output=True, text=True, check=False)
        if result.returncode == 0 and path.exists():
            written.append(path)
        else:
            raise RuntimeError(f"gnuplot failed for {path}: {result.stderr.strip()[-400:]}")
    return written

"""Turns the card's runs into medians, ratios and tables.

Every (bench, runtime) pair becomes a Cell: the median, minimum and maximum of
each metric over the repeats, with the peak RSS and page faults of the same
runs. The ratio compares the bench's primary metric with one reference
runtime of the same run, the same one in every table (`--reference`, default
coreio-ws), as a cost: 2.00 means twice the reference's time (or half its
throughput), 0.50 half the time. A bench the reference did not run falls back
to the best coreio mode (or, without coreio, the best runtime), and that
table's heading says so.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .catalog import BENCH_BY_ID, MEMORY_BENCHES, RESOURCE_METRICS, higher_is_better
from .execute import ParsedFigure

# Marks a ratio between runs of different problem sizes.
DIFFERENT_N = "†"


@dataclass
class RunRecord:
    repeat: int
    bench: str
    runtime: str
    loops: int
    status: str  # "ok", "failed" or "unavailable"
    error: str | None
    metrics: dict[str, float]
    units: dict[str, str]
    n: int | None
    n_unit: str | None
    peak_rss_mib: float
    minor_faults: int
    major_faults: int
    wall_s: float
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_figures(cls, figures: list[ParsedFigure], **fields) -> RunRecord:
        metrics: dict[str, float] = {}
        units: dict[str, str] = {}
        n = n_unit = None
        loops = fields.pop("loops")
        for figure in figures:
            loops = figure.loops
            if figure.metric == "n":
                n, n_unit = int(figure.value), figure.unit
            else:
                metrics[figure.metric] = figure.value
                units[figure.metric] = figure.unit
        return cls(loops=loops, metrics=metrics, units=units, n=n, n_unit=n_unit, **fields)


@dataclass
class Stat:
    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, values: list[float]) -> Stat:
        return cls(statistics.median(values), min(values), max(values), len(values))


@dataclass
class Cell:
    bench: str
    runtime: str
    loops: int
    n: int | None
    n_unit: str | None
    metrics: dict[str, Stat]
    units: dict[str, str]
    peak_rss_mib: Stat | None
    minor_faults: Stat | None
    major_faults: Stat | None
    runs: int
    failures: int
    ratio: float | None = None
    ratio_flag: str = ""


@dataclass
class BenchSummary:
    bench: str
    primary: str
    cells: list[Cell]
    reference: str | None  # runtime the ratios are relative to
    reference_is_coreio: bool
    reference_why: str = ""  # how the reference was chosen, for the heading

    @property
    def metric_names(self) -> list[str]:
        """The table's metric columns: the primary first, then the others in
        the order programs printed them, without self-reported resources."""
        names = [self.primary] if any(self.primary in c.metrics for c in self.cells) else []
        for cell in self.cells:
            names += [m for m in cell.metrics if m not in names and m not in RESOURCE_METRICS]
        return names

    def unit(self, metric: str) -> str:
        return next((c.units[metric] for c in self.cells if metric in c.units), "")


def aggregate(records: list[RunRecord], bench_order: list[str], runtime_order: list[str],
              coreio_names: set[str], reference: str | None = None) -> list[BenchSummary]:
    summaries = []
    for bench in bench_order:
        cells = []
        for runtime in runtime_order:
            runs = [r for r in records if r.bench == bench and r.runtime == runtime]
            if runs and not all(r.status == "unavailable" for r in runs):
                cells.append(make_cell(bench, runtime, runs))
        if cells:
            summaries.append(rate(BenchSummary(bench, BENCH_BY_ID[bench].primary, cells, None, False),
                                  coreio_names, reference))
    return summaries


def make_cell(bench: str, runtime: str, runs: list[RunRecord]) -> Cell:
    good = [r for r in runs if r.status == "ok"]
    metrics: dict[str, Stat] = {}
    units: dict[str, str] = {}
    for record in good:
        units.update(record.units)
    for metric in units:
        values = [r.metrics[metric] for r in good if metric in r.metrics]
        metrics[metric] = Stat.of(values)

    def resource(values: list[float]) -> Stat | None:
        return Stat.of(values) if values else None

    sample = good[0] if good else runs[0]
    return Cell(bench, runtime, sample.loops, sample.n, sample.n_unit, metrics, units,
                resource([r.peak_rss_mib for r in good]), resource([float(r.minor_faults) for r in good]),
                resource([float(r.major_faults) for r in good]), len(runs),
                sum(1 for r in runs if r.status == "failed"))


def rate(summary: BenchSummary, coreio_names: set[str], reference_name: str | None = None) -> BenchSummary:
    """Sets each cell's cost ratio against the card's reference runtime, or,
    where it did not run, the best coreio mode (or best runtime)."""
    primary = summary.primary
    rated = [c for c in summary.cells if primary in c.metrics]
    if not rated:
        return summary
    better_high = higher_is_better(rated[0].units[primary])
    fixed = next((c for c in rated if c.runtime == reference_name), None)
    if fixed is not None:
        reference = fixed
        summary.reference_why = "the card's reference, same in every table"
        summary.reference_is_coreio = fixed.runtime in coreio_names
    else:
        coreio = [c for c in rated if c.runtime in coreio_names]
        pool = coreio or rated
        pick = max if better_high else min
        reference = pick(pool, key=lambda c: c.metrics[primary].median)
        summary.reference_is_coreio = bool(coreio)
        missing = f"{reference_name} did not run here; " if reference_name else ""
        summary.reference_why = missing + ("best coreio mode" if coreio else "best runtime; coreio did not run")
    summary.reference = reference.runtime
    ref_value = reference.metrics[primary].median
    for cell in rated:
        value = cell.metrics[primary].median
        if value > 0 and ref_value > 0:
            cell.ratio = ref_value / value if better_high else value / ref_value
            cell.ratio_flag = DIFFERENT_N if cell.n != reference.n else ""
    return summary


# --- formatting ---------------------------------------------------------------

def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    magnitude = abs(value)
    if magnitude >= 10_000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_stat(stat: Stat | None, spread: bool = True) -> str:
    if stat is None:
        return "-"
    if not spread or stat.count < 2:
        return fmt(stat.median)
    return f"{fmt(stat.median)} [{fmt(stat.low)}-{fmt(stat.high)}]"


def fmt_count(value: int | float | None) -> str:
    return "-" if value is None else f"{int(value):,}"


def bench_heading(summary: BenchSummary) -> str:
    primary_unit = summary.unit(summary.primary)
    direction = "higher" if higher_is_better(primary_unit) else "lower"
    heading = f"{summary.bench}: {summary.primary} [{primary_unit}], {direction} is better"
    if summary.reference:
        heading += f"; ratio = cost vs {summary.reference} ({summary.reference_why})"
    return heading


def context_line(meta: dict | None, short: bool = False) -> str:
    """Machine, core count and commit: printed with every table and the chart,
    so a table copied on its own still says where and what it measured.
    `short` drops the CPU's family/model/cache details (for the chart title)."""
    if not meta:
        return ""
    info = meta.get("machine", {})
    cpu = info.get("cpu", "unknown")
    if short:
        cpu = cpu.split(" (")[0]
    return (f"machine: {cpu}, nproc {info.get('nproc', '?')}, "
            f"{meta.get('loops', '?')} loops for multi-loop runtimes; commit {info.get('git', 'unknown')}; "
            f"{info.get('date', '')}")


def fmt_n(cell: Cell) -> str:
    """The problem size with what it counts ("200,000 tasks")."""
    if cell.n is None:
        return "-"
    return f"{cell.n:,}" + (f" {cell.n_unit.replace('_', ' ')}" if cell.n_unit else "")


def bench_table(summary: BenchSummary) -> tuple[list[str], list[list[str]]]:
    metrics = summary.metric_names
    headers = ["runtime", "loops", "n"]
    for metric in metrics:
        headers.append(f"{metric} [{summary.unit(metric)}]")
        if metric == summary.primary:
            headers.append("ratio")
    headers += ["peak RSS MiB", "minor faults", "runs"]
    rows = []
    for cell in summary.cells:
        row = [cell.runtime, str(cell.loops), fmt_n(cell)]
        for metric in metrics:
            row.append(fmt_stat(cell.metrics.get(metric)))
            if metric == summary.primary:
                row.append("-" if cell.ratio is None else f"{cell.ratio:.2f}{cell.ratio_flag}")
        row.append(fmt_stat(cell.peak_rss_mib, spread=False))
        row.append(fmt_count(cell.minor_faults.median if cell.minor_faults else None))
        runs = f"{cell.runs - cell.failures}/{cell.runs}"
        row.append(runs + (" FAILED" if cell.failures else ""))
        rows.append(row)
    return headers, rows


def memory_table(summaries: list[BenchSummary]) -> tuple[list[str], list[list[str]]] | None:
    """The card's peak-memory row: peak RSS and faults of spawn and skynet."""
    by_bench = {s.bench: s for s in summaries if s.bench in MEMORY_BENCHES}
    if not by_bench:
        return None
    headers = ["runtime"]
    for bench in by_bench:
        headers += [f"{bench} n", f"{bench} peak RSS MiB", f"{bench} minor faults"]
    runtimes: list[str] = []
    for summary in by_bench.values():
        runtimes += [c.runtime for c in summary.cells if c.runtime not in runtimes]
    rows = []
    for runtime in runtimes:
        row = [runtime]
        for summary in by_bench.values():
            cell = next((c for c in summary.cells if c.runtime == runtime), None)
            if cell is None:
                row += ["-", "-", "-"]
            else:
                row += [fmt_count(cell.n), fmt_stat(cell.peak_rss_mib, spread=False),
                        fmt_count(cell.minor_faults.median if cell.minor_faults else None)]
        rows.append(row)
    return headers, rows


def render_text_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        parts = [cells[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def render_markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join(["---"] + ["---:"] * (len(headers) - 1)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render_text(summaries: list[BenchSummary], meta: dict | None = None) -> str:
    blocks = []
    context = context_line(meta)
    for summary in summaries:
        blocks.append(bench_heading(summary) + "\n" + (context + "\n" if context else "")
                      + render_text_table(*bench_table(summary)))
    memory = memory_table(summaries)
    if memory:
        blocks.append("peak memory (card row): peak RSS and minor page faults of spawn and skynet\n"
                      + render_text_table(*memory))
    if any(c.ratio_flag for s in summaries for c in s.cells):
        blocks.append(f"{DIFFERENT_N} this runtime ran a different n than the reference: "
                      "per-operation figures compare, totals (ms) do not")
    return "\n\n".join(blocks)


# --- files --------------------------------------------------------------------

CSV_FIELDS = ["bench", "runtime", "loops", "n", "n_unit", "metric", "unit", "median", "min", "max",
              "runs", "failures", "ratio", "ratio_reference", "peak_rss_mib", "minor_faults",
              "major_faults"]


def write_csv(path: Path, summaries: list[BenchSummary]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for summary in summaries:
            for cell in summary.cells:
                for metric, stat in cell.metrics.items():
                    primary = metric == summary.primary
                    writer.writerow({
                        "bench": cell.bench, "runtime": cell.runtime, "loops": cell.loops,
                        "n": cell.n, "n_unit": cell.n_unit, "metric": metric,
                        "unit": cell.units[metric], "median": stat.median, "min": stat.low,
                        "max": stat.high, "runs": cell.runs, "failures": cell.failures,
                        "ratio": f"{cell.ratio:.4f}" if primary and cell.ratio else "",
                        "ratio_reference": summary.reference if primary else "",
                        "peak_rss_mib": cell.peak_rss_mib.median if cell.peak_rss_mib else "",
                        "minor_faults": cell.minor_faults.median if cell.minor_faults else "",
                        "major_faults": cell.major_faults.median if cell.major_faults else "",
                    })


def write_json(path: Path, meta: dict, records: list[RunRecord], summaries: list[BenchSummary]) -> None:
    document = {
        "meta": meta,
        "runs": [asdict(record) for record in records],
        "summary": [asdict(summary) for summary in summaries],
    }
    path.write_text(json.dumps(json_safe(document), indent=2, allow_nan=False) + "\n")


def json_safe(value):
    """`value` with every NaN or infinity replaced by null: JSON has no such
    numbers (json.dumps would write NaN/Infinity, which JSON parsers reject),
    and allow_nan=False above makes any one that slips through an error."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value

#!/usr/bin/env python3
"""Runs the coreio benchmark card: coreio's three modes and the peers, side by side.

    python3 perf/run_card.py [--quick] [--bench spawn,skynet] [--runtime coreio-ws,uvloop]
                             [--repeat K] [--build-dir build/release]
                             [--json FILE] [--csv FILE] [--chart PREFIX] [--results-md perf/RESULTS.md]

Finds the programs in the build tree, runs every selected (bench, runtime)
pair K times, interleaved, and prints one table per bench with medians,
min-max, the cost ratio against one reference runtime (--reference, default
coreio-ws), peak RSS and page faults, each table with the machine, core count
and commit.
Runtimes whose programs are missing are skipped with a message. Progress goes
to stderr, tables to stdout. Exits 1 if any run failed (a program found a
wrong result, crashed or timed out), 2 on bad usage. See perf/README.md.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

from card import chart, results_md
from card.catalog import (BENCH_BY_ID, BENCHES, EXIT_UNAVAILABLE, REPO_DIR, Binaries, Context, Runtime,
                          all_runtimes, canonical_metric, default_python, problem_size)
from card.execute import Outcome, ParsedFigure, run_program, run_server_with_load
from card.summary import RunRecord, aggregate, context_line, render_text, write_csv, write_json

CARD_CONNECTIONS = 100
CARD_MESSAGE_BYTES = 64


def comma_list(text: str) -> list[str]:
    return [item for item in (part.strip() for part in text.split(",")) if item]


def parse_args(argv: list[str]) -> argparse.Namespace:
    default_loops = max(2, len(os.sched_getaffinity(0)))
    parser = argparse.ArgumentParser(
        description="Run the coreio benchmark card (see perf/README.md).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--build-dir", default="build/release", type=Path,
                        help="CMake build tree holding perf/ (relative: to the current "
                             "directory, else to the repository root)")
    parser.add_argument("--bench", type=comma_list, default=[b.id for b in BENCHES],
                        help="comma-separated rows to run")
    parser.add_argument("--runtime", type=comma_list, default=None,
                        help="comma-separated runtimes to run (default: all)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="runs of each (bench, runtime); default 3, or 1 with --quick")
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes and 1 s echo/mixed: the whole card in under ~2 minutes")
    parser.add_argument("--loops", type=int, default=default_loops,
                        help="loops (threads) of the multi-loop runtimes")
    parser.add_argument("--seconds", type=float, default=None,
                        help="measured seconds of echo and mixed; default 5, or 1 with --quick")
    parser.add_argument("--warmup", type=float, default=None,
                        help="unmeasured lead-in of echo and mixed; default 0.5, or 0.3 with --quick")
    parser.add_argument("--loadgen-threads", type=int, default=1, help="load generator threads")
    parser.add_argument("--python", default=None,
                        help="interpreter for the Python peers (default: one that has uvloop)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds before a run is killed; default 600, or 120 with --quick")
    parser.add_argument("--json", type=Path, help="write runs and summary as JSON")
    parser.add_argument("--csv", type=Path, help="write the summary as CSV")
    parser.add_argument("--chart", type=Path,
                        help="write PREFIX.svg (and PREFIX.png) with gnuplot; "
                             "default with --results-md: next to the page")
    parser.add_argument("--results-md", type=Path, help="regenerate a results page, e.g. perf/RESULTS.md")
    parser.add_argument("--list", action="store_true", help="list benches and runtimes, then exit")
    parser.add_argument("--reference", default="coreio-ws",
                        help="runtime every table's ratio column is relative to (a bench it did not run "
                             "falls back to the best coreio mode, and its heading says so)")
    args = parser.parse_args(argv)

    runtime_names = [r.name for r in all_runtimes(args.loops)]
    args.runtime = args.runtime or runtime_names
    for bench in args.bench:
        if bench not in BENCH_BY_ID:
            parser.error(f"unknown bench {bench!r}; choose from {', '.join(BENCH_BY_ID)}")
    for runtime in args.runtime:
        if runtime not in runtime_names:
            parser.error(f"unknown runtime {runtime!r}; choose from {', '.join(runtime_names)}")
    if args.loops < 1 or (args.repeat is not None and args.repeat < 1):
        parser.error("--loops and --repeat must be at least 1")
    chosen = set(args.bench)
    args.bench = [b.id for b in BENCHES if b.id in chosen]  # card order, once each
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.seconds = args.seconds or (1.0 if args.quick else 5.0)
    args.warmup = args.warmup if args.warmup is not None else (0.3 if args.quick else 0.5)
    args.timeout = args.timeout or (120.0 if args.quick else 600.0)
    return args


def resolve_build_dir(build_dir: Path) -> Path:
    if build_dir.is_absolute() or build_dir.exists():
        return build_dir.resolve()
    from_repo = REPO_DIR / build_dir
    return from_repo if from_repo.exists() else build_dir.resolve()


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)



# Options that only choose where output files go: left out of the command a
# results page prints, which must rerun the same card from any checkout.
OUTPUT_ONLY_OPTIONS = ("--json", "--csv", "--chart")


def reproducible_args(argv: list[str]) -> list[str]:
    """argv without the output-only options (and their values)."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in OUTPUT_ONLY_OPTIONS:
            skip = True
            continue
        if arg.split("=", 1)[0] in OUTPUT_ONLY_OPTIONS:
            continue
        out.append(arg)
    return out


class Card:
    """One run of the card: the plan, its records and what was skipped."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.context = Context(Binaries(resolve_build_dir(args.build_dir)),
                               args.python or default_python(), args.quick, args.loops)
        by_name = {r.name: r for r in all_runtimes(args.loops)}
        self.runtimes = [by_name[name] for name in args.runtime]
        self.benches = list(args.bench)
        self.skipped: dict[str, str] = {}  # runtime, bench, or "bench on runtime" -> why
        self.unavailable_pairs: set[tuple[str, str]] = set()
        self.failures: list[str] = []
        self.records: list[RunRecord] = []
        self.loadgen = self.context.binaries.find("loadgen")

    def check_availability(self) -> None:
        for runtime in self.runtimes:
            if reason := runtime.missing(self.context):
                self.skip(runtime.name, reason)
        if self.loadgen is None:
            for bench in (b for b in self.benches if BENCH_BY_ID[b].server):
                self.skip(bench, f"loadgen not found under {self.context.binaries.build_dir}")

    def skip(self, name: str, reason: str) -> None:
        if name not in self.skipped:
            self.skipped[name] = reason
            progress(f"skipping {name}: {reason}")

    def plan(self) -> list[tuple[int, str, Runtime]]:
        """Every run, interleaved: each repeat visits each bench, and within it
        the runtimes round-robin, starting one further along each repeat."""
        runs = []
        for repeat in range(self.args.repeat):
            for bench in self.benches:
                if bench in self.skipped:
                    continue
                eligible = [r for r in self.runtimes if bench in r.benches and r.name not in self.skipped]
                if not eligible:
                    continue
                shift = repeat % len(eligible)
                runs += [(repeat, bench, r) for r in eligible[shift:] + eligible[:shift]]
        return runs

    def run(self) -> None:
        plan = self.plan()
        started = time.monotonic()
        for index, (repeat, bench, runtime) in enumerate(plan, 1):
            if runtime.name in self.skipped or (bench, runtime.name) in self.unavailable_pairs:
                continue
            label = f"[{index:3d}/{len(plan)}] rep {repeat + 1}/{self.args.repeat} {bench:<9} {runtime.name:<15}"
            outcome = self.run_one(bench, runtime)
            self.record(repeat, bench, runtime, outcome)
            status = "ok" if outcome.error is None else ("unavailable" if outcome.unavailable else "FAILED")
            notes = f" ({'; '.join(outcome.notes)})" if outcome.notes else ""
            progress(f"{label} {outcome.wall_s:6.2f} s  {status}{notes}")
            if outcome.error and not outcome.unavailable:
                progress("    " + outcome.error.replace("\n", "\n    "))
        progress(f"card finished in {time.monotonic() - started:.1f} s")

    def run_one(self, bench: str, runtime: Runtime) -> Outcome:
        argv = runtime.argv(bench, self.context)
        if not BENCH_BY_ID[bench].server:
            return run_program(argv, self.args.timeout, EXIT_UNAVAILABLE)
        loadgen_argv = [
            str(self.loadgen), f"--label={runtime.name}", f"--loops={runtime.loops}",
            f"--connections={CARD_CONNECTIONS}", f"--size={CARD_MESSAGE_BYTES}",
            f"--seconds={self.args.seconds}", f"--warmup={self.args.warmup}",
            f"--threads={self.args.loadgen_threads}", "--json",
            *(["--mixed"] if bench == "mixed" else []),
        ]
        return run_server_with_load(argv, loadgen_argv, self.args.timeout, EXIT_UNAVAILABLE)

    def record(self, repeat: int, bench: str, runtime: Runtime, outcome: Outcome) -> None:
        figures = self.card_figures(bench, outcome.figures)
        if outcome.error is None and not figures:
            printed = sorted({f.bench for f in outcome.figures})
            outcome.error = f"printed no figures for bench {bench!r} (only for {', '.join(printed)})"
        if outcome.unavailable:
            # Exit 77: this program cannot run this bench here; the others still run.
            self.unavailable_pairs.add((bench, runtime.name))
            self.skip(f"{bench} on {runtime.name}", outcome.error or "not available")
            status = "unavailable"
        elif outcome.error:
            status = "failed"
            first_line = outcome.error.splitlines()[0]
            self.failures.append(f"{bench} {runtime.name} (repeat {repeat + 1}): {first_line}")
        else:
            status = "ok"
        for figure in figures:
            if figure.runtime != runtime.name:
                progress(f"    note: {runtime.name} printed runtime name {figure.runtime!r}")
                break
        self.records.append(RunRecord.from_figures(
            figures, repeat=repeat, bench=bench, runtime=runtime.name, loops=runtime.loops, status=status,
            error=outcome.error, peak_rss_mib=outcome.peak_rss_kib / 1024,
            minor_faults=outcome.minor_faults, major_faults=outcome.major_faults, wall_s=outcome.wall_s,
            notes=outcome.notes))

    def card_figures(self, bench: str, figures: list[ParsedFigure]) -> list[ParsedFigure]:
        """This bench's figures under the card's metric names, with the size
        the driver passed when the program did not print its own ``n``."""
        mine = [f for f in figures if f.bench == bench]
        for figure in mine:
            figure.metric = canonical_metric(figure.metric, figure.unit)
        spec = BENCH_BY_ID[bench]
        size = problem_size(spec, self.context)
        if mine and size is not None and not any(f.metric == "n" for f in mine):
            first = mine[0]
            mine.append(ParsedFigure(bench, first.runtime, first.loops, "n", float(size), spec.counts))
        return mine

    def meta(self, argv: list[str]) -> dict:
        return {
            "command": "python3 perf/run_card.py " + shlex.join(reproducible_args(argv)),
            "quick": self.args.quick,
            "repeat": self.args.repeat,
            "loops": self.args.loops,
            "build_dir": str(self.context.binaries.build_dir),
            "python": self.context.python,
            "machine": results_md.machine(self.context.python),
            "skipped": self.skipped,
            "failures": self.failures,
        }


def list_card(card: Card) -> None:
    print("benches:")
    for bench in BENCHES:
        print(f"  {bench.id:<10} {bench.primary:<18} {bench.work}")
    print("runtimes:")
    for runtime in card.runtimes:
        reason = runtime.missing(card.context)
        state = f"missing: {reason}" if reason else "found"
        print(f"  {runtime.name:<15} {runtime.describe}  [{state}]")
    print(f"loadgen: {card.loadgen or 'missing'}")
    print(f"python peers: {card.context.python}")


def write_outputs(card: Card, meta: dict, summaries) -> None:
    args = card.args
    if args.json:
        write_json(args.json, meta, card.records, summaries)
        progress(f"wrote {args.json}")
    if args.csv:
        write_csv(args.csv, summaries)
        progress(f"wrote {args.csv}")
    chart_prefix = args.chart
    if chart_prefix is None and args.results_md:
        chart_prefix = args.results_md.with_suffix("")
    chart_files: list[Path] = []
    if chart_prefix is not None:
        title = f"coreio benchmark card{' (quick)' if args.quick else ''}"
        try:
            chart_files = chart.render(summaries, chart_prefix, title, context_line(meta, short=True))
        except RuntimeError as error:
            progress(f"chart not written: {error}")
        if chart_files:
            progress("wrote " + ", ".join(str(p) for p in chart_files))
        elif chart_prefix is not None:
            progress("chart not written: gnuplot not found (Debian: gnuplot-nox)")
    if args.results_md:
        page = results_md.render(summaries, card.runtimes, meta, chart_files, args.results_md)
        args.results_md.write_text(page)
        progress(f"wrote {args.results_md}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    card = Card(args)
    if args.list:
        list_card(card)
        return 0
    card.check_availability()
    card.run()
    coreio_names = {r.name for r in card.runtimes if r.is_coreio}
    summaries = aggregate(card.records, card.benches, [r.name for r in card.runtimes], coreio_names,
                          args.reference)
    meta = card.meta(argv)
    if summaries:
        print(render_text(summaries, meta))
    else:
        progress("nothing ran")
    write_outputs(card, meta, summaries)
    if card.failures:
        progress(f"{len(card.failures)} run(s) failed:\n  " + "\n  ".join(card.failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

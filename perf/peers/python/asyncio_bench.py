#!/usr/bin/env python3
"""Python asyncio and uvloop peers of the coreio benchmark card.

    asyncio_bench.py BENCH [--uvloop] [--quick] [--n N] [--json]
    asyncio_bench.py echo_server|mixed_server [--uvloop] [--port P]

BENCH is one of spawn, yield, pingpong, skynet, timers, inject, to_thread. Each
run checks its own result and prints the card's figure lines (see figures.py),
including the size ``n`` it ran. The servers print ``port=<P>`` when listening
and serve until SIGTERM; perf/loadgen drives them.

Exit status: 0 on success, 1 when a result is wrong, 2 on bad usage, 77 when
the requested runtime (uvloop) is not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from typing import Awaitable, Callable

import micro
import servers
from figures import Figure, FigureWriter, VerificationError

EXIT_WRONG_RESULT = 1
EXIT_UNAVAILABLE = 77


@dataclass(frozen=True)
class Size:
    """Problem sizes of one row.

    card: the size BENCHMARKS.md specifies. default: what a plain run uses;
    smaller than card only where CPython would take over a minute (none does
    on the card's machine). quick: the --quick size, the same as coreio_bench
    and the fiber peers use.
    """

    card: int
    default: int
    quick: int
    counts: str


@dataclass(frozen=True)
class Bench:
    run: Callable[[int], Awaitable[list[micro.Measurement]]]
    size: Size


BENCHES: dict[str, Bench] = {
    "spawn": Bench(micro.spawn, Size(1_000_000, 1_000_000, 200_000, "tasks")),
    "yield": Bench(micro.yield_, Size(1_000, 1_000, 200, "yields_per_task")),
    "pingpong": Bench(micro.pingpong, Size(1_000_000, 1_000_000, 200_000, "round_trips")),
    "skynet": Bench(micro.skynet, Size(1_000_000, 1_000_000, 100_000, "leaves")),
    "timers": Bench(micro.timers, Size(100_000, 100_000, 20_000, "tasks")),
    "inject": Bench(micro.inject, Size(1_000_000, 1_000_000, 200_000, "submissions")),
    "to_thread": Bench(micro.to_thread, Size(100_000, 100_000, 20_000, "round_trips")),
}
SERVERS = ("echo_server", "mixed_server")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bench", choices=[*BENCHES, *SERVERS])
    parser.add_argument("--uvloop", action="store_true",
                        help="run on uvloop's event loop (runtime name 'uvloop')")
    parser.add_argument("--quick", action="store_true", help="run the quick (smaller) size")
    parser.add_argument("--n", type=int, help="override the problem size")
    parser.add_argument("--json", action="store_true", help="print JSON lines")
    parser.add_argument("--port", type=int, default=0, help="server port (0: any free port)")
    parser.add_argument("--size", type=int, default=64, help="mixed_server message size")
    parser.add_argument("--cpu-us", type=float, default=50.0,
                        help="mixed_server CPU burn per request in microseconds")
    args = parser.parse_args(argv)
    if args.n is not None and args.n <= 0:
        parser.error("--n must be positive")
    if args.bench == "skynet" and args.n is not None and not micro.is_skynet_size(args.n):
        parser.error(f"skynet --n must be a power of {micro.SKYNET_FANOUT}")
    return args


def loop_factory(use_uvloop: bool) -> Callable[[], asyncio.AbstractEventLoop]:
    if not use_uvloop:
        return asyncio.new_event_loop
    try:
        import uvloop
    except ImportError:
        print(f"uvloop is not installed for {sys.executable} (Debian: python3-uvloop)",
              file=sys.stderr)
        sys.exit(EXIT_UNAVAILABLE)
    return uvloop.new_event_loop


def run_server(args: argparse.Namespace, factory) -> int:
    if args.bench == "echo_server":
        main = servers.echo_server(args.port)
    else:
        main = servers.mixed_server(args.port, args.size, args.cpu_us)
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main)
    return 0


def run_bench(args: argparse.Namespace, factory) -> int:
    bench = BENCHES[args.bench]
    if args.n is not None:
        n = args.n
    else:
        n = bench.size.quick if args.quick else bench.size.default
    runtime = "uvloop" if args.uvloop else "asyncio"
    writer = FigureWriter(args.json, n, scaled=n != bench.size.card)
    try:
        with asyncio.Runner(loop_factory=factory) as runner:
            measurements = runner.run(bench.run(n))
    except VerificationError as error:
        print(f"{args.bench} {runtime}: wrong result: {error}", file=sys.stderr)
        return EXIT_WRONG_RESULT
    for m in measurements:
        writer.emit(Figure(args.bench, runtime, m.metric, m.value, m.unit))
    writer.emit(Figure(args.bench, runtime, "n", n, bench.size.counts))
    return 0


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    factory = loop_factory(args.uvloop)
    if args.bench in SERVERS:
        return run_server(args, factory)
    return run_bench(args, factory)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

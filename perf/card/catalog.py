"""What the card runs: its rows (benches), its runtimes, and their commands.

A runtime turns a bench id into the command line of one program run. Compute
rows are one program that prints figures; the echo and mixed rows start a
server (which prints ``port=<P>``) and drive it with perf/loadgen.

Program contracts (see perf/README.md):

* coreio: ``coreio_bench <bench> --loops=N --stealing=on|off --json --n=N``,
  bench in spawn ... to_thread, echo_server, mixed_server.
* Python: ``asyncio_bench.py <bench> [--uvloop] --json --n=N``.
* Boost.Fiber: ``peer_fiber_<bench> --algo=... --threads=N --json --n=N``.
* Boost.Asio: ``peer_asio_echo_server --threads=N --port=0``.

The driver passes every compute program the same ``--n`` (the card's size,
or the quick size), so all runtimes run the same work whatever their own
defaults are.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

PERF_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = PERF_DIR.parent
PYTHON_PEER = PERF_DIR / "peers" / "python" / "asyncio_bench.py"

# Exit status with which a program says its runtime is not installed here.
EXIT_UNAVAILABLE = 77


@dataclass(frozen=True)
class Bench:
    id: str
    primary: str  # the metric the ratio and the chart use
    work: str  # what one run does, for tables and RESULTS.md
    server: bool = False
    # Problem size passed as --n to every runtime, so all run the same work
    # (yield: how often each of the 1,000 tasks yields). None for servers.
    card_n: int | None = None
    quick_n: int | None = None
    counts: str = ""  # what n counts


BENCHES: tuple[Bench, ...] = (
    Bench("spawn", "ns_per_task",
          "from a running task, spawn N=1,000,000 children (child i returns i), await them in order; "
          "sum checked", card_n=1_000_000, quick_n=200_000, counts="tasks"),
    Bench("yield", "ns_per_yield", "1,000 tasks each yield N=1,000 times",
          card_n=1_000, quick_n=200, counts="yields_per_task"),
    Bench("pingpong", "ns_per_round_trip",
          "two tasks pass a token through two queues of size 1, N=1,000,000 round trips",
          card_n=1_000_000, quick_n=200_000, counts="round_trips"),
    Bench("skynet", "wall_ms", "10-ary spawn tree with N=1,000,000 leaves; sum 499999500000 checked",
          card_n=1_000_000, quick_n=100_000, counts="leaves"),
    Bench("timers", "wall_ms",
          "N=100,000 tasks sleep d_i ms, d_i uniform in [0,100) from a fixed seed (ideal 100 ms)",
          card_n=100_000, quick_n=20_000, counts="tasks"),
    Bench("inject", "ns_per_submission",
          "a plain OS thread submits N=1,000,000 callbacks with call_soon_threadsafe",
          card_n=1_000_000, quick_n=200_000, counts="submissions"),
    Bench("to_thread", "us_per_round_trip", "one task, N=100,000 sequential to_thread(noop)",
          card_n=100_000, quick_n=20_000, counts="round_trips"),
    Bench("echo", "rps", "TCP echo, 100 connections x one 64-byte message in flight", server=True),
    Bench("mixed", "rps",
          "echo plus ~50 us CPU per request; every 10th request blocks 1 ms in to_thread",
          server=True),
)
BENCH_BY_ID = {bench.id: bench for bench in BENCHES}
# Rows whose peak RSS makes the card's "peak memory" row.
MEMORY_BENCHES = ("spawn", "skynet")
COMPUTE_IDS = ("spawn", "yield", "pingpong", "skynet", "timers", "inject", "to_thread")
FIBER_IDS = ("spawn", "yield", "pingpong", "skynet", "timers")


# Other names programs use for a card metric, by (name, unit).
METRIC_ALIASES = {("time", "ms"): "wall_ms", ("wall", "ms"): "wall_ms", ("cpu", "s"): "cpu_s"}
# Figures a program may report about itself that the driver measures anyway
# (from wait4); kept in the JSON and CSV files, left out of the tables.
RESOURCE_METRICS = frozenset({"peak_rss", "minor_faults", "major_faults"})


def canonical_metric(metric: str, unit: str) -> str:
    return METRIC_ALIASES.get((metric, unit), metric)


def higher_is_better(unit: str) -> bool:
    """Rates (rt/s, req/s) are better high; times, memory and faults low."""
    return unit.endswith("/s")


class Binaries:
    """Finds the card's programs in a CMake build tree.

    Looks where perf/CMakeLists.txt puts them first (<build>/perf/coreio,
    <build>/perf), then anywhere under the build tree, so a top-level
    CMAKE_RUNTIME_OUTPUT_DIRECTORY does not hide them.
    """

    def __init__(self, build_dir: Path) -> None:
        self.build_dir = build_dir
        self._index: dict[str, Path] | None = None

    def find(self, name: str) -> Path | None:
        for folder in (self.build_dir / "perf" / "coreio", self.build_dir / "perf", self.build_dir / "bin"):
            candidate = folder / name
            if is_executable(candidate):
                return candidate
        return self._walk().get(name)

    def _walk(self) -> dict[str, Path]:
        if self._index is None:
            self._index = {}
            if self.build_dir.is_dir():
                for root, dirs, files in os.walk(self.build_dir):
                    dirs[:] = [d for d in dirs if d != "CMakeFiles" and not d.startswith(".")]
                    for file in files:
                        path = Path(root) / file
                        if file not in self._index and is_executable(path):
                            self._index[file] = path
        return self._index


def is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


@dataclass
class Context:
    """Everything a runtime needs to build its command lines."""

    binaries: Binaries
    python: str
    quick: bool
    loops: int


@dataclass(frozen=True)
class Runtime:
    name: str
    family: str  # "coreio" or the peer's name
    loops: int
    benches: tuple[str, ...]
    describe: str
    # bench id -> argv; for server rows the server's argv.
    argv: Callable[[str, Context], list[str]]
    # None when the runtime can run here, else why not.
    missing: Callable[[Context], str | None]

    @property
    def is_coreio(self) -> bool:
        return self.family == "coreio"


def problem_size(bench: Bench, context: Context) -> int | None:
    return bench.quick_n if context.quick else bench.card_n


def size_json_flags(bench: Bench, context: Context) -> list[str]:
    """--json and the size every runtime runs; servers take neither."""
    if bench.server:
        return []
    return ["--json", f"--n={problem_size(bench, context)}"]


def coreio_runtime(name: str, loops: int, stealing: bool, describe: str) -> Runtime:
    def argv(bench_id: str, context: Context) -> list[str]:
        bench = BENCH_BY_ID[bench_id]
        binary = context.binaries.find("coreio_bench")
        mode = f"{bench_id}_server" if bench.server else bench_id
        return [str(binary), mode, f"--loops={loops}", f"--stealing={'on' if stealing else 'off'}",
                *size_json_flags(bench, context)]

    def missing(context: Context) -> str | None:
        if context.binaries.find("coreio_bench") is None:
            return f"coreio_bench not found under {context.binaries.build_dir} (build perf/coreio first)"
        return None

    return Runtime(name, "coreio", loops, tuple(b.id for b in BENCHES), describe, argv, missing)


def python_runtime(name: str, use_uvloop: bool, describe: str) -> Runtime:
    def argv(bench_id: str, context: Context) -> list[str]:
        bench = BENCH_BY_ID[bench_id]
        mode = f"{bench_id}_server" if bench.server else bench_id
        return [context.python, str(PYTHON_PEER), mode, *(["--uvloop"] if use_uvloop else []),
                *size_json_flags(bench, context)]

    def missing(context: Context) -> str | None:
        if use_uvloop and not python_has_uvloop(context.python):
            return f"uvloop is not importable by {context.python} (Debian: python3-uvloop)"
        return None

    return Runtime(name, "python", 1, tuple(b.id for b in BENCHES), describe, argv, missing)


def fiber_runtime(name: str, algo: str, loops: int, describe: str) -> Runtime:
    def argv(bench_id: str, context: Context) -> list[str]:
        binary = context.binaries.find(f"peer_fiber_{bench_id}")
        return [str(binary), f"--algo={algo}", f"--threads={loops}",
                *size_json_flags(BENCH_BY_ID[bench_id], context)]

    def missing(context: Context) -> str | None:
        absent = [b for b in FIBER_IDS if context.binaries.find(f"peer_fiber_{b}") is None]
        if absent:
            return f"peer_fiber_{absent[0]} not found under {context.binaries.build_dir}"
        return None

    return Runtime(name, "boost.fiber", loops, FIBER_IDS, describe, argv, missing)


def asio_runtime(loops: int) -> Runtime:
    def argv(bench_id: str, context: Context) -> list[str]:
        return [str(context.binaries.find("peer_asio_echo_server")), f"--threads={loops}", "--port=0"]

    def missing(context: Context) -> str | None:
        if context.binaries.find("peer_asio_echo_server") is None:
            return f"peer_asio_echo_server not found under {context.binaries.build_dir}"
        return None

    return Runtime("asio", "boost.asio", loops, ("echo",),
                   f"raw Boost.Asio callbacks, {loops} threads x (io_context + SO_REUSEPORT acceptor)",
                   argv, missing)


def all_runtimes(loops: int) -> list[Runtime]:
    return [
        coreio_runtime("coreio-1", 1, False, "coreio, one loop (the asyncio shape)"),
        coreio_runtime("coreio-sn", loops, False, f"coreio, {loops} loops, shared-nothing (no stealing)"),
        coreio_runtime("coreio-ws", loops, True, f"coreio, {loops} loops, work stealing"),
        python_runtime("asyncio", False, "CPython asyncio, default event loop"),
        python_runtime("uvloop", True, "CPython asyncio on uvloop"),
        fiber_runtime("boost.fiber-rr", "round_robin", 1, "Boost.Fiber 1.81, round_robin, 1 thread"),
        fiber_runtime("boost.fiber-ws", "work_stealing", loops,
                      f"Boost.Fiber 1.81, work_stealing, {loops} threads"),
        asio_runtime(loops),
    ]


_uvloop_cache: dict[str, bool] = {}


def python_has_uvloop(python: str) -> bool:
    if python not in _uvloop_cache:
        probe = subprocess.run([python, "-c", "import uvloop"], capture_output=True, check=False)
        _uvloop_cache[python] = probe.returncode == 0
    return _uvloop_cache[python]


def default_python() -> str:
    """The interpreter for the Python peers: one that has uvloop if possible.

    Debian's python3-uvloop installs into /usr/bin/python3, which may not be
    the python3 first on PATH.
    """
    for candidate in (sys.executable, "/usr/bin/python3"):
        if candidate and Path(candidate).exists() and python_has_uvloop(candidate):
            return candidate
    return sys.executable

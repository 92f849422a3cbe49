"""Runs one program of the card and collects its figures and resources.

Each child runs in its own session (so a timeout kills its whole process
group) and is reaped with os.wait4, which returns that child's own rusage:
peak RSS (ru_maxrss) and page faults (ru_minflt, ru_majflt). For the echo and
mixed rows the resources are the server's; the load generator is not counted.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

# `<bench> <runtime> loops=<n> <metric>=<value> <unit>`
FIGURE_LINE = re.compile(r"^(\S+) (\S+) loops=(\d+) (\w+)=(-?[0-9.eE+-]+) (\S+)$")
PORT_LINE = re.compile(r"^port=(\d+)\s*$")
SERVER_START_TIMEOUT_S = 30.0
SERVER_STOP_TIMEOUT_S = 10.0


@dataclass
class ParsedFigure:
    bench: str
    runtime: str
    loops: int
    metric: str
    value: float
    unit: str


@dataclass
class Outcome:
    """What one run produced. ``error`` is None when the run succeeded."""

    figures: list[ParsedFigure] = field(default_factory=list)
    peak_rss_kib: int = 0
    minor_faults: int = 0
    major_faults: int = 0
    wall_s: float = 0.0
    error: str | None = None
    unavailable: bool = False  # the program said its runtime is not installed
    notes: list[str] = field(default_factory=list)


def parse_figures(text: str) -> list[ParsedFigure]:
    """Figures from JSON lines or the text format; other lines are ignored."""
    figures = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                record = json.loads(line)
                figures.append(ParsedFigure(record["bench"], record["runtime"], int(record["loops"]),
                                            record["metric"], float(record["value"]), record["unit"]))
                continue
            except (ValueError, KeyError, TypeError):
                pass
        match = FIGURE_LINE.match(line)
        if match:
            bench, runtime, loops, metric, value, unit = match.groups()
            figures.append(ParsedFigure(bench, runtime, int(loops), metric, float(value), unit))
    return figures


class Child:
    """A started program whose output is collected in the background."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        self.started = time.monotonic()
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        self.stdout_lines: list[str] = []
        self.stderr_chunks: list[bytes] = []
        self._stderr_reader = threading.Thread(target=self._drain_stderr, daemon=True)
        self._stderr_reader.start()
        self._stdout_reader: threading.Thread | None = None

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for chunk in iter(lambda: self.process.stderr.read(4096), b""):
            self.stderr_chunks.append(chunk)

    def _drain_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in iter(self.process.stdout.readline, b""):
            self.stdout_lines.append(line.decode(errors="replace"))

    def drain_stdout_in_background(self) -> None:
        self._stdout_reader = threading.Thread(target=self._drain_stdout, daemon=True)
        self._stdout_reader.start()

    def wait_for_port(self, timeout_s: float) -> int | None:
        """Reads stdout until a ``port=<P>`` line; None on exit or timeout."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout_s
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            buffer = b""
            while (left := deadline - time.monotonic()) > 0:
                if not selector.select(left):
                    continue
                chunk = os.read(self.process.stdout.fileno(), 4096)
                if not chunk:
                    return None
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    text = line.decode(errors="replace")
                    self.stdout_lines.append(text + "\n")
                    if match := PORT_LINE.match(text):
                        if buffer:
                            self.stdout_lines.append(buffer.decode(errors="replace"))
                        return int(match.group(1))
        return None

    def signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass  # Already gone: nothing left to signal.

    def reap(self, timeout_s: float, outcome: Outcome) -> int:
        """Waits for the child, killing its group after ``timeout_s``; returns
        its exit code (negative: killed by that signal) and fills resources."""
        timer = threading.Timer(timeout_s, self._time_out, args=(outcome,))
        timer.start()
        try:
            _, status, usage = os.wait4(self.process.pid, 0)
        finally:
            timer.cancel()
        code = os.waitstatus_to_exitcode(status)
        self.process.returncode = code  # reaped here; keep Popen from waiting again
        outcome.wall_s = time.monotonic() - self.started
        outcome.peak_rss_kib = usage.ru_maxrss
        outcome.minor_faults = usage.ru_minflt
        outcome.major_faults = usage.ru_majflt
        self._stderr_reader.join(timeout=5)
        if self._stdout_reader is not None:
            self._stdout_reader.join(timeout=5)
        return code

    def _time_out(self, outcome: Outcome) -> None:
        outcome.notes.append("timed out")
        self.signal_group(signal.SIGKILL)

    def stderr_tail(self, lines: int = 8) -> str:
        text = b"".join(self.stderr_chunks).decode(errors="replace").strip()
        return "\n".join(text.splitlines()[-lines:])


def run_program(argv: list[str], timeout_s: float, unavailable_code: int) -> Outcome:
    outcome = Outcome()
    child = Child(argv)
    child.drain_stdout_in_background()
    code = child.reap(timeout_s, outcome)
    outcome.figures = parse_figures("".join(child.stdout_lines))
    if code == unavailable_code:
        outcome.unavailable = True
        outcome.error = child.stderr_tail(2) or "runtime not available"
    elif code != 0:
        outcome.error = describe_failure(code, outcome, child)
    elif not outcome.figures:
        outcome.error = "printed no figures"
    return outcome


def run_server_with_load(server_argv: list[str], loadgen_argv: list[str], timeout_s: float,
                         unavailable_code: int) -> Outcome:
    """Starts the server, drives it with the load generator (``--port`` is
    appended), stops it with SIGTERM; the figures are the load generator's."""
    outcome = Outcome()
    server = Child(server_argv)
    port = server.wait_for_port(SERVER_START_TIMEOUT_S)
    if port is None:
        server.signal_group(signal.SIGKILL)
        code = server.reap(SERVER_STOP_TIMEOUT_S, outcome)
        if code == unavailable_code:
            outcome.unavailable = True
            outcome.error = server.stderr_tail(2) or "runtime not available"
        else:
            outcome.error = "server printed no port=<P> line: " + describe_failure(code, outcome, server)
        return outcome
    server.drain_stdout_in_background()

    load = run_program([*loadgen_argv, f"--port={port}"], timeout_s, unavailable_code)
    outcome.figures = load.figures
    if load.error:
        outcome.error = f"loadgen: {load.error}"

    server.signal_group(signal.SIGTERM)
    stop = Outcome()
    code = server.reap(SERVER_STOP_TIMEOUT_S, stop)
    outcome.peak_rss_kib, outcome.minor_faults, outcome.major_faults = (
        stop.peak_rss_kib, stop.minor_faults, stop.major_faults)
    outcome.wall_s = stop.wall_s
    if stop.notes:
        outcome.notes.append("server ignored SIGTERM and was killed")
    elif code not in (0, -signal.SIGTERM) and outcome.error is None:
        outcome.error = "server: " + describe_failure(code, stop, server)
    return outcome


def describe_failure(code: int, outcome: Outcome, child: Child) -> str:
    if outcome.notes:
        reason = "; ".join(outcome.notes)
    elif code < 0:
        reason = f"killed by {signal.Signals(-code).name}"
    else:
        reason = f"exit status {code}"
    tail = child.stderr_tail()
    return f"{reason}" + (f": {tail}" if tail else "")

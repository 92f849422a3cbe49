#!/usr/bin/env python3
"""Test of coreio::serve_processes through tests/net/process_group_probe.

    test_process_group.py ./process_group_probe

1. 4 workers share one port; 2,000 connections reach all four (each answers
   with its pid).
2. A worker killed with SIGKILL is replaced (a new pid answers); connections
   held open to the other workers keep working, and every connection made
   after the killed worker is gone succeeds.
3. SIGTERM to the supervisor: requests in flight finish ("done" arrives), an
   idle connection is cut after the drain timeout, the supervisor exits 0.
4. Workers that crash at start-up make the supervisor give up with code 3.
Every wait is bounded; loopback only.
"""

import os
import signal
import socket
import subprocess
import sys
import time

WORKERS = 4
DRAIN_MS = 1500


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s, s.makefile("rb")


def ask(sock, f, line):
    sock.sendall(line.encode() + b"\n")
    reply = f.readline()
    if not reply:
        raise ConnectionError("EOF")
    return reply.decode().strip()


def pid_of(port):
    s, f = connect(port)
    try:
        return int(ask(s, f, "pid"))
    finally:
        f.close()
        s.close()


def wait_until(pred, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    fail("timed out waiting for " + what)


def gone(pid):
    """Exited with every thread: its sockets are closed.

    The group leader shows "Z" as soon as its own thread exits, while the
    process's other threads (the loops) may still be exiting and still hold
    the shared file table, listening socket included; a connection that
    lands in that socket's queue then is reset when the last thread closes
    it. So: reaped, or a zombie leader with no other thread left.
    """
    try:
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
                return False
        return os.listdir(f"/proc/{pid}/task") in ([], [str(pid)])
    except FileNotFoundError:
        return True


def all_up(port, want, tries=400):
    seen = set()
    for _ in range(tries):
        try:
            seen.add(pid_of(port))
        except OSError:
            pass
        if len(seen) >= want:
            break
    return seen


def main():
    probe = sys.argv[1]
    port = free_port()
    group = subprocess.Popen([probe, str(port), str(WORKERS), str(DRAIN_MS)])
    try:
        wait_until(lambda: len(all_up(port, WORKERS, 50)) == WORKERS, "all four workers to listen")

        # 1. 2,000 connections spread over all workers.
        counts = {}
        for _ in range(2000):
            p = pid_of(port)
            counts[p] = counts.get(p, 0) + 1
        if len(counts) != WORKERS:
            fail(f"2,000 connections reached {len(counts)} workers, not {WORKERS}: {counts}")
        print("spread:", sorted(counts.values()))

        # 2. Hold a connection to each worker, kill one, check the rest.
        held = {}
        for _ in range(400):
            s, f = connect(port)
            p = int(ask(s, f, "pid"))
            if p in held:
                f.close()
                s.close()
            else:
                held[p] = (s, f)
            if len(held) == WORKERS:
                break
        if len(held) != WORKERS:
            fail("could not hold a connection to every worker")
        victim = sorted(held)[0]
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: gone(victim), "the killed worker to exit")
        for p, (s, f) in held.items():
            if p == victim:
                continue
            if int(ask(s, f, "pid")) != p:
                fail("a held connection changed worker")
        failures = 0
        seen = set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                seen.add(pid_of(port))
            except OSError:
                failures += 1
            live = seen - {victim}
            if len(live) == WORKERS and victim not in seen:
                break
        if failures:
            fail(f"{failures} connections failed after the killed worker was gone")
        if victim in seen or len(seen) != WORKERS:
            fail(f"no replacement: pids seen {seen}, killed {victim}")
        replacement = (seen - set(held)).pop()
        print("replaced", victim, "by", replacement)
        for p, (s, f) in held.items():
            f.close()
            s.close()

        # 3. Graceful stop: slow requests in flight on several workers, one idle connection.
        inflight = []
        workers_busy = set()
        for _ in range(200):
            s, f = connect(port)
            s.sendall(b"slow 700\n")
            line = f.readline().decode().split()
            if not line or line[0] != "started":
                fail(f"bad reply to slow: {line}")
            inflight.append((s, f))
            workers_busy.add(int(line[1]))
            if len(inflight) >= 8 and len(workers_busy) >= 2:
                break
        idle_s, idle_f = connect(port)
        ask(idle_s, idle_f, "pid")
        idle_s.settimeout(15)
        t0 = time.monotonic()
        group.send_signal(signal.SIGTERM)
        for s, f in inflight:
            line = f.readline().decode().split()
            if not line or line[0] != "done":
                fail(f"a request in flight did not finish: {line}")
            f.close()
            s.close()
        if idle_f.readline() != b"":
            fail("the idle connection was not closed")
        rc = group.wait(timeout=15)
        took = time.monotonic() - t0
        if rc != 0:
            fail(f"supervisor exit code {rc} after SIGTERM")
        if took < DRAIN_MS / 1000 * 0.9:
            fail(f"stopped after {took:.2f} s, before the drain timeout: the idle connection was not waited for")
        try:
            pid_of(port)
            fail("a worker still answers after the stop")
        except OSError:
            pass
        print(f"graceful stop: {len(inflight)} requests finished, exit 0 after {took:.2f} s")
    finally:
        if group.poll() is None:
            group.kill()
            group.wait()

    # 4. Workers that keep crashing.
    t0 = time.monotonic()
    crash = subprocess.run([probe, str(free_port()), "2", "100", "--crash"], capture_output=True, text=True,
                           timeout=60)
    if crash.returncode != 3 or "keep crashing" not in crash.stderr:
        fail(f"crashing workers: exit {crash.returncode}, stderr {crash.stderr!r}")
    print(f"crash loop: exit 3 after {time.monotonic() - t0:.2f} s")
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())

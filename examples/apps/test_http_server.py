#!/usr/bin/env python3
"""Test of apps/http_server over loopback, in one runtime shape.

    test_http_server.py --shape stealing -- ./http_server

Starts the server on a free port, then checks: plain GET/HEAD/POST answers,
keep-alive (several requests on one connection), pipelining (several requests
in one write, answered in order), concurrency (slow requests overlap instead
of queueing), error answers (404, 405, 400, 413), a burst of requests over
parallel keep-alive connections, a client that never reads its answers (its
connection is closed after the idle timeout), clients that disconnect
mid-response (no error on stderr); finally SIGTERM must make it exit cleanly.
Before that, the command line: --help prints usage, bad option values exit 2.
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from check_example import SHAPES  # noqa: E402


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def read_response(sock_file):
    """One HTTP/1.1 response from a socket file: (status, headers, body)."""
    status_line = sock_file.readline().decode()
    check(status_line.startswith("HTTP/1.1 "), f"bad status line {status_line!r}")
    status = int(status_line.split()[1])
    headers = {}
    while True:
        line = sock_file.readline().decode()
        if line in ("\r\n", ""):
            break
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    body = sock_file.read(n) if n else b""
    return status, headers, body


def request(port, raw, responses=1, head=False):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(raw)
        f = s.makefile("rb")
        out = []
        for _ in range(responses):
            if head:
                status_line = f.readline().decode()
                headers = {}
                while (line := f.readline().decode()) not in ("\r\n", ""):
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
                out.append((int(status_line.split()[1]), headers, b""))
            else:
                out.append(read_response(f))
        return out


def get(path, extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n{extra}\r\n".encode()


def test_basics(port):
    (status, headers, body), = request(port, get("/"))
    check(status == 200 and body == b"hello, world\n", f"GET / gave {status} {body!r}")
    check(headers.get("connection") == "keep-alive", "HTTP/1.1 should default to keep-alive")
    (status, _, body), = request(port, get("/hello?name=coreio"))
    check(body == b"hello, coreio\n", f"GET /hello gave {body!r}")
    (status, headers, body), = request(port, b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n", head=True)
    check(status == 200 and headers.get("content-length") == "13", f"HEAD / gave {status} {headers}")
    payload = bytes(range(256)) * 40
    (status, _, body), = request(port, b"POST /echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload)
    check(status == 200 and body == payload, "POST /echo did not echo the body")


def test_keep_alive(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        f = s.makefile("rb")
        for i in range(5):
            s.sendall(get(f"/hello?name=n{i}"))
            status, _, body = read_response(f)
            check(status == 200 and body == f"hello, n{i}\n".encode(), f"keep-alive request {i}: {body!r}")


def test_pipelining(port):
    raw = (get("/hello?name=first") + b"POST /echo HTTP/1.1\r\nContent-Length: 6\r\n\r\nsecond"
           + get("/sleep?ms=50") + get("/hello?name=last", "Connection: close\r\n"))
    got = request(port, raw, responses=4)
    bodies = [b for _, _, b in got]
    check(bodies == [b"hello, first\n", b"second", b"slept 50 ms\n", b"hello, last\n"],
          f"pipelined responses out of order or wrong: {bodies!r}")
    check(got[-1][1].get("connection") == "close", "Connection: close not honoured")


def test_concurrency(port):
    """20 requests that each sleep 300 ms, on 20 connections at once."""
    results = []

    def one():
        results.append(request(port, get("/sleep?ms=300"))[0][0])

    start = time.monotonic()
    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - start
    check(results == [200] * 20, f"slow requests failed: {results}")
    check(took < 2.5, f"20 concurrent 300 ms requests took {took:.2f} s: they did not overlap")


def test_errors(port):
    (status, _, _), = request(port, get("/nope"))
    check(status == 404, f"unknown path gave {status}")
    (status, _, _), = request(port, b"DELETE / HTTP/1.1\r\n\r\n")
    check(status == 405, f"DELETE / gave {status}")
    (status, headers, _), = request(port, b"this is not http\r\n\r\n")
    check(status == 400 and headers.get("connection") == "close", f"garbage gave {status} {headers}")
    (status, _, _), = request(port, b"POST /echo HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n")
    check(status == 413, f"huge body gave {status}")
    # HTTP/1.0 without keep-alive: the server closes after the answer.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(4096):
            data += chunk
        check(data.startswith(b"HTTP/1.1 200") and data.endswith(b"hello, world\n"), f"HTTP/1.0: {data!r}")


def test_burst(port, connections=8, per_connection=250):
    errors = []

    def worker(k):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                f = s.makefile("rb")
                for i in range(per_connection):
                    s.sendall(get(f"/hello?name=c{k}r{i}"))
                    status, _, body = read_response(f)
                    if status != 200 or body != f"hello, c{k}r{i}\n".encode():
                        errors.append((k, i, status, body))
                        return
        except OSError as e:
            errors.append((k, str(e)))

    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - start
    check(not errors, f"burst errors: {errors[:3]}")
    total = connections * per_connection
    (status, _, body), = request(port, get("/stats"))
    served = int(re.search(rb"requests: (\d+)", body)[1])
    check(served >= total, f"/stats says {served} requests, at least {total} were sent")
    return total / took


def open_connections(port):
    (status, _, body), = request(port, get("/stats"))
    check(status == 200, f"/stats gave {status}")
    return int(re.search(rb"connections: (\d+)", body)[1])


def flood(port, requests, body_size, rcvbuf=4096):
    """A connection that sends `requests` pipelined POST /echo and reads none
    of the answers (a small receive buffer, so the answers pile up on the
    server). Returns the socket and the sending thread."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.settimeout(30)
    one = (f"POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: {body_size}\r\n\r\n".encode()
           + b"x" * body_size)

    def send():
        try:
            for _ in range(requests):
                s.sendall(one)
        except OSError:
            pass  # the server gave up on us: expected

    t = threading.Thread(target=send, daemon=True)
    t.start()
    return s, t


def test_non_reading_client(port, idle_s):
    # Enough answers to fill every buffer between the server and us, so the
    # server's drain() blocks; it must give up after the idle timeout.
    s, t = flood(port, requests=400, body_size=32 * 1024)
    try:
        time.sleep(idle_s / 4)
        deadline = time.monotonic() + idle_s + 10
        while open_connections(port) > 1:  # the /stats connection itself
            check(time.monotonic() < deadline,
                  f"a client that reads no answers still holds its connection after {idle_s + 10:.0f} s")
            time.sleep(0.1)
        t.join(timeout=10)
    finally:
        s.close()


def test_disconnect_mid_response(port):
    # Reset connections while answers are being written: the server must not
    # log these as errors (the final stderr check) and must keep serving.
    for _ in range(5):
        s, t = flood(port, requests=40, body_size=32 * 1024)
        time.sleep(0.05)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()  # RST
        t.join(timeout=10)
    deadline = time.monotonic() + 10
    while open_connections(port) > 1:
        check(time.monotonic() < deadline, "reset connections are still open")
        time.sleep(0.1)
    (status, _, body), = request(port, get("/"))
    check(status == 200 and body == b"hello, world\n", "server stopped serving after resets")


def test_command_line(command, env):
    r = subprocess.run(command + ["--help"], env=env, capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and r.stdout.startswith("usage: http_server"), f"--help: {r.returncode} {r.stdout!r}")
    for bad in (["--port", "abc"], ["--port", "70000"], ["--port", "-1"], ["--port", "80x"], ["--port"],
                ["--idle-timeout-ms", "0"], ["--idle-timeout-ms", "-5"], ["--idle-timeout-ms", "1.5"],
                ["--host", ""], ["--bogus", "1"], ["8080"]):
        r = subprocess.run(command + bad, env=env, capture_output=True, text=True, timeout=30)
        check(r.returncode == 2 and "usage: http_server" in r.stderr and not r.stdout,
              f"{bad}: exit {r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", required=True, choices=sorted(SHAPES))
    ap.add_argument("command", nargs="+")
    opts = ap.parse_args()
    env = dict(os.environ)
    env.update(SHAPES[opts.shape])
    try:
        test_command_line(opts.command, env)
    except (Failure, subprocess.TimeoutExpired) as e:
        print(f"FAIL ({opts.shape}): command line: {e}")
        return 1

    proc = subprocess.Popen(opts.command + ["--port", "0", "--idle-timeout-ms", "1000"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        m = re.fullmatch(r"listening on http://127\.0\.0\.1:(\d+)\n", first)
        if not m:
            raise Failure(f"unexpected first line {first!r}")
        port = int(m[1])
        test_basics(port)
        test_keep_alive(port)
        test_pipelining(port)
        test_concurrency(port)
        test_errors(port)
        rate = test_burst(port)
        test_non_reading_client(port, idle_s=1.0)
        test_disconnect_mid_response(port)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        check(proc.returncode == 0, f"exit status {proc.returncode} after SIGTERM")
        check(out.strip().endswith("server closed"), f"no 'server closed' line: {out!r}")
        check(not err.strip(), f"unexpected stderr: {err!r}")
    except (Failure, OSError, subprocess.TimeoutExpired) as e:
        proc.kill()
        out, err = proc.communicate()
        print(f"FAIL ({opts.shape}): {e}")
        print("---- server stdout ----\n" + (out or "") + "---- server stderr ----\n" + (err or ""))
        return 1
    print(f"PASS ({opts.shape}): command line, basics, keep-alive, pipelining, concurrency, errors, "
          f"non-reading client, resets; "
          f"burst of 2000 requests at {rate:.0f} req/s (debug build, Python clients)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

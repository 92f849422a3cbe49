#!/usr/bin/env python3
"""Test of apps/crawler against a local site served by Python's http.server.

    test_crawler.py --shape stealing -- ./crawler

The site has 30 linked pages (each answered after 50 ms, so requests
overlap), a page that is missing (404) and two that take 3 s (longer than the
crawler's 1 s timeout). The server counts the requests open at once
(except the slow ones, whose end it cannot see): the count must never exceed
the crawler's --concurrency, and must reach 2 at least. Every URL must be
reported exactly once with the right outcome.
"""

import argparse
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from check_example import SHAPES  # noqa: E402

PAGES = 30
CONCURRENCY = 4


class Site(BaseHTTPRequestHandler):
    lock = threading.Lock()
    open_now = 0
    peak = 0
    hits = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        cls = type(self)
        with cls.lock:
            cls.hits[self.path] = cls.hits.get(self.path, 0) + 1
        try:
            self.answer()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler gave up on a slow page

    def counted(self, work):
        """Runs work() counted as an open request. The count drops *before*
        the answer is sent, so it happens-before the crawler can see the
        answer and start another request: the peak is exact, not racy."""
        cls = type(self)
        with cls.lock:
            cls.open_now += 1
            cls.peak = max(cls.peak, cls.open_now)
        try:
            return work()
        finally:
            with cls.lock:
                cls.open_now -= 1

    def answer(self):
        if self.path.startswith("/slow/"):
            # Not counted: the crawler abandons these at its timeout, which
            # the server cannot observe while it sleeps.
            time.sleep(3)
            return self.send_page([])
        if self.path == "/":
            links = [f"/page/{i}" for i in range(PAGES)] + ["/missing", "/slow/0", "/slow/1"]
            return self.send_page(self.counted(lambda: links))
        m = re.fullmatch(r"/page/(\d+)", self.path)
        if m:
            i = int(m[1])

            def page():
                time.sleep(0.05)
                # Links back and sideways: the crawler must fetch each URL only once.
                return ["/", f"/page/{(2 * i + 1) % PAGES}", f"/page/{(2 * i + 2) % PAGES}",
                        "/missing", "http://elsewhere.example/ignored"]
            return self.send_page(self.counted(page))
        self.counted(lambda: None)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_page(self, links):
        body = "<html><body>" + "".join(f'<a href="{l}">{l}</a>\n' for l in links) + "</body></html>"
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def fail(msg, proc=None):
    print("FAIL:", msg)
    if proc is not None:
        print("---- stdout ----\n" + proc.stdout + "---- stderr ----\n" + proc.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", required=True, choices=sorted(SHAPES))
    ap.add_argument("command", nargs="+")
    opts = ap.parse_args()
    env = dict(os.environ)
    env.update(SHAPES[opts.shape])

    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.request_queue_size = 64
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"

    start = time.monotonic()
    proc = subprocess.run(opts.command + [base, "--concurrency", str(CONCURRENCY), "--timeout-ms", "1000"],
                          env=env, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - start
    if proc.returncode != 0 or proc.stderr.strip():
        fail(f"exit status {proc.returncode}", proc)
    lines = proc.stdout.splitlines()
    want = {"/": "200", "/missing": "404", "/slow/0": "timeout", "/slow/1": "timeout"}
    want.update({f"/page/{i}": "200" for i in range(PAGES)})
    got = {}
    for line in lines[:-1]:
        m = re.fullmatch(r"(200|404|timeout|error) (\S+?):?( .*)?", line)
        if not m:
            fail(f"unexpected line {line!r}", proc)
        if m[2] in got:
            fail(f"{m[2]} reported twice", proc)
        got[m[2]] = m[1]
    if got != want:
        fail(f"outcomes differ: missing {set(want) - set(got)}, extra {set(got) - set(want)}, "
             f"wrong {[k for k in want if k in got and got[k] != want[k]]}", proc)
    summary = (f"crawled {len(want)} urls: {PAGES + 1} ok, 1 not found, 2 timed out, 0 failed; "
               f"at most (\\d+) requests in flight \\(limit {CONCURRENCY}\\)")
    m = re.fullmatch(summary, lines[-1])
    if not m or not 2 <= int(m[1]) <= CONCURRENCY:
        fail(f"bad summary {lines[-1]!r}", proc)
    peak = Site.peak
    if peak > CONCURRENCY:
        fail(f"the server saw {peak} requests at once; the limit is {CONCURRENCY}", proc)
    if peak < 2:
        fail("requests never overlapped", proc)
    if any(Site.hits.get(p, 0) != 1 for p in want):
        fail(f"some URL was fetched more than once: {Site.hits}", proc)
    # 31 pages x 50 ms over 4 connections, plus two 1 s timeouts: well under 3 s.
    if took > 5:
        fail(f"the crawl took {took:.2f} s", proc)

    # --max-pages bounds the crawl.
    small = subprocess.run(opts.command + [base, "--max-pages", "5", "--timeout-ms", "1000"], env=env,
                           capture_output=True, text=True, timeout=60)
    if small.returncode != 0 or len(small.stdout.splitlines()) != 6 or "crawled 5 urls" not in small.stdout:
        fail("--max-pages 5 should report exactly five URLs", small)

    # A server that is not there: one error line, no crash.
    server.shutdown()
    server.server_close()
    down = subprocess.run(opts.command + [base], env=env, capture_output=True, text=True, timeout=60)
    if down.returncode != 0 or not down.stdout.startswith("error /: ") or "1 failed" not in down.stdout:
        fail("an unreachable server should be reported as one failed URL", down)

    print(f"PASS ({opts.shape}): {len(want)} URLs in {took:.2f} s, peak {peak} open requests "
          f"(limit {CONCURRENCY}), timeouts and 404s reported")
    return 0


if __name__ == "__main__":
    sys.exit(main())

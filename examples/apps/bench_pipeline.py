#!/usr/bin/env python3
"""Throughput of apps/pipeline: threads, processes, and MPI at 1, 2, 3 worker
ranks (docs/scaling.md). Generates a fixed input set, runs each
configuration --runs times and prints the median MB/s.

    bench_pipeline.py ./pipeline [--files 96] [--kib 384] [--runs 5]
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True


def generate(directory, files, kib):
    rng = random.Random(16)
    words = ["asyncio", "fiber", "loop", "task", "queue", "steal", "park", "future", "await", "rank", "mpi"]
    total = 0
    for i in range(files):
        parts, size = [], 0
        while size < kib * 1024:
            w = rng.choice(words) + str(rng.randint(0, 999))
            parts.append(w)
            size += len(w) + 1
        data = " ".join(parts).encode()[: kib * 1024]
        with open(os.path.join(directory, f"f{i:03d}.txt"), "wb") as f:
            f.write(data)
        total += len(data)
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pipeline")
    ap.add_argument("--files", type=int, default=96)
    ap.add_argument("--kib", type=int, default=384)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=8, help="digester tasks (calls in flight)")
    opts = ap.parse_args()
    mpirun = ["mpirun", "--allow-run-as-root", "--oversubscribe"]
    configs = [
        ("threads (to_thread)", [opts.pipeline]),
        ("processes (ProcessPoolExecutor, 2 workers)", [opts.pipeline, "--processes"]),
        ("MPI, 1 worker rank (-np 2)", mpirun + ["-np", "2", opts.pipeline, "--mpi"]),
        ("MPI, 2 worker ranks (-np 3)", mpirun + ["-np", "3", opts.pipeline, "--mpi"]),
        ("MPI, 3 worker ranks (-np 4)", mpirun + ["-np", "4", opts.pipeline, "--mpi"]),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in"), os.path.join(tmp, "out")
        os.mkdir(src)
        total = generate(src, opts.files, opts.kib)
        print(f"input: {opts.files} files, {total / 1e6:.1f} MB; {opts.runs} runs each; median")
        for label, cmd in configs:
            workers = ["--workers", "2"] if "--processes" in cmd else ["--workers", str(opts.workers)]
            args = cmd[:-1] + [src, dst] + workers + [cmd[-1]] if cmd[-1].startswith("--") else cmd + [src, dst] + workers
            times = []
            for _ in range(opts.runs):
                t0 = time.monotonic()
                p = subprocess.run(args, capture_output=True, text=True)
                times.append(time.monotonic() - t0)
                if p.returncode != 0:
                    print(f"{label}: exit {p.returncode}\n{p.stderr}")
                    return 1
            med = statistics.median(times)
            print(f"{label:45s} {med:6.2f} s  {total / 1e6 / med:6.1f} MB/s  (runs: "
                  + ", ".join(f"{t:.2f}" for t in times) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())

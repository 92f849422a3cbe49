#!/usr/bin/env python3
"""Test of apps/pipeline: generate input files, run the pipeline in one
runtime shape, then check every output against the input with Python's own
zlib and hashlib, the MANIFEST, and the progress lines.

    test_pipeline.py --shape stealing [--processes | --mpi] -- ./pipeline
    test_pipeline.py --shape stealing --mpi -- mpirun -np 3 ./pipeline
"""

import argparse
import hashlib
import os
import random
import re
import subprocess
import sys
import tempfile
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from check_example import SHAPES  # noqa: E402


def generate(directory, count):
    """Files of a few KiB to 100 KiB: text that compresses, bytes that do not, one empty."""
    rng = random.Random(20240611)
    words = ["asyncio", "fiber", "loop", "task", "queue", "steal", "park", "future", "await"]
    files = {}
    for i in range(count):
        if i == 0:
            data = b""
        elif i % 3 == 0:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 20000)))
        else:
            n = rng.randint(100, 12000)
            data = " ".join(rng.choice(words) for _ in range(n)).encode()
        name = f"file_{i:02d}.dat"
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
        files[name] = data
    return files


def fail(msg, proc=None):
    print("FAIL:", msg)
    if proc is not None:
        print("---- stdout ----\n" + proc.stdout + "---- stderr ----\n" + proc.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", required=True, choices=sorted(SHAPES))
    ap.add_argument("--processes", action="store_true")
    ap.add_argument("--mpi", action="store_true")
    ap.add_argument("command", nargs="+")
    opts = ap.parse_args()
    env = dict(os.environ)
    env.update(SHAPES[opts.shape])

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "in"), os.path.join(tmp, "out")
        os.mkdir(src)
        files = generate(src, 24)
        args = opts.command + [src, dst, "--workers", "3"] + (["--processes"] if opts.processes else []) + (
            ["--mpi"] if opts.mpi else [])
        proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            fail(f"exit status {proc.returncode}", proc)
        if proc.stderr.strip():
            fail("unexpected stderr", proc)

        lines = proc.stdout.splitlines()
        progress = [l for l in lines if l.startswith("[")]
        if len(progress) != len(files):
            fail(f"{len(progress)} progress lines for {len(files)} files", proc)
        seen = set()
        for k, line in enumerate(progress, 1):
            m = re.fullmatch(r"\[(\d+)/(\d+)\] (\S+) (\d+) -> (\d+) bytes sha256 ([0-9a-f]{16})", line)
            if not m or int(m[1]) != k or int(m[2]) != len(files):
                fail(f"bad progress line {line!r}", proc)
            name = m[3]
            if name not in files or name in seen:
                fail(f"unexpected or repeated file in {line!r}", proc)
            seen.add(name)
            if int(m[4]) != len(files[name]) or m[6] != hashlib.sha256(files[name]).hexdigest()[:16]:
                fail(f"wrong size or digest in {line!r}", proc)
        total_in = sum(len(d) for d in files.values())
        total_out = 0
        for name, data in files.items():
            with open(os.path.join(dst, name + ".z"), "rb") as f:
                z = f.read()
            total_out += len(z)
            if zlib.decompress(z) != data:
                fail(f"{name}.z does not decompress to {name}")
        want = f"done: {len(files)} files, {total_in} bytes in, {total_out} bytes out"
        if lines[-1] != want:
            fail(f"last line {lines[-1]!r}, expected {want!r}", proc)

        with open(os.path.join(dst, "MANIFEST")) as f:
            manifest = f.read().splitlines()
        expected = []
        for name in sorted(files):
            with open(os.path.join(dst, name + ".z"), "rb") as f:
                size_z = len(f.read())
            expected.append(f"{hashlib.sha256(files[name]).hexdigest()}  {name}  {len(files[name])}  {size_z}")
        if manifest != expected:
            fail("MANIFEST differs:\n" + "\n".join(manifest))

        # A missing input directory is reported, not crashed on.
        bad = subprocess.run(opts.command + [os.path.join(tmp, "missing"), dst] + (["--mpi"] if opts.mpi else []), env=env, capture_output=True,
                             text=True, timeout=60)
        if bad.returncode != 1 or "pipeline: " not in bad.stderr:
            fail("a missing input directory should give exit 1 and a message", bad)

    print(f"PASS: {len(files)} files through the pipeline ({opts.shape}"
          f"{', processes' if opts.processes else ', MPI' if opts.mpi else ', threads'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

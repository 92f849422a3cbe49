#!/usr/bin/env python3
"""Run one coreio example in one or more runtime shapes and check what it
printed each time.

    check_example.py --spec foo.expected --shape single,sharded,stealing
                     [--scale 0.25] [--timeout 60] -- ./foo [args...]

The example gets the shape through the environment (examples/common/shape.hpp):

    single    COREIO_LOOPS=1                      asyncio's single loop
    sharded   COREIO_LOOPS=2 COREIO_STEALING=0     shared-nothing loops
    stealing  COREIO_LOOPS=2 COREIO_STEALING=1     work-stealing loops

and COREIO_EXAMPLE_TIME_SCALE=<scale>, by which it multiplies every sleep, so
the suite stays fast while keeping each example's timing relations.

The spec is a list of directives, one per line; `#` starts a comment line.
A directive may be restricted to some shapes with a prefix: `@single`,
`@sharded`, `@stealing`, `@multi` (= sharded and stealing), or a comma list
such as `@single,sharded`. Block directives take the lines up to `end`.
In blocks, a line is a literal (compared after stripping trailing blanks)
unless it starts with `re:`, in which case the rest is a Python regular
expression that must match the whole line.

    exit N              exit status (default 0)
    elapsed LO HI       wall time in seconds *at scale 1*; checked as
                        LO*scale <= t <= max(HI*scale, LO*scale + 0.4): the
                        upper bound keeps 0.4 s of room for process start-up
                        on a loaded machine however small the scale
    count N [MAX]       stdout has exactly N lines (or N..MAX)
    lines ... end       stdout is exactly these lines, in this order
    unordered ... end   stdout is these lines in any order (a multiset)
    sequence ... end    lines matching these patterns appear in this order
                        (each matched by a distinct line; others may interleave)
    contains ... end    each pattern matches at least one line
    absent ... end      no line matches any of these patterns
    active N            two patterns, START then END: counting START lines
    START               as +1 and END lines as -1, the running total peaks
    END                 at exactly N (e.g. a Semaphore(3) admits 3 at once)
    end
    stderr ... end      each pattern matches some stderr line
    allow_stderr        stderr may hold other lines too (default: it must be
                        empty apart from lines a `stderr` block names)

Exit status: 0 if every check passed in every shape; 1 with a report otherwise.
"""

import argparse
import os
import re
import subprocess
import sys
import time

SHAPES = {
    "single": {"COREIO_LOOPS": "1"},
    "sharded": {"COREIO_LOOPS": "2", "COREIO_STEALING": "0"},
    "stealing": {"COREIO_LOOPS": "2", "COREIO_STEALING": "1"},
}
GROUPS = {"multi": ["sharded", "stealing"], "all": list(SHAPES)}
UPPER_SLACK = 0.4  # seconds: see `elapsed` in the docstring
BLOCKS = {"lines", "unordered", "sequence", "contains", "absent", "active", "stderr"}


class SpecError(Exception):
    pass


class Pattern:
    def __init__(self, text):
        self.text = text
        self.regex = re.compile(text[3:]) if text.startswith("re:") else None

    def matches(self, line):
        if self.regex is not None:
            return self.regex.fullmatch(line) is not None
        return line == self.text

    def __repr__(self):
        return repr(self.text)


def parse_shapes(prefix):
    shapes = []
    for name in prefix.split(","):
        if name in GROUPS:
            shapes += GROUPS[name]
        elif name in SHAPES:
            shapes.append(name)
        else:
            raise SpecError(f"unknown shape {name!r}")
    return shapes


def parse_spec(path, shape):
    """The directives of `path` that apply to `shape`, as (name, args, body)."""
    with open(path, encoding="utf-8") as f:
        raw = f.read().split("\n")
    directives = []
    i = 0
    while i < len(raw):
        line = raw[i].rstrip()
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        words = line.split()
        applies = True
        if words[0].startswith("@"):
            applies = shape in parse_shapes(words[0][1:])
            words = words[1:]
        name, args = words[0], words[1:]
        body = []
        if name in BLOCKS:
            while True:
                if i >= len(raw):
                    raise SpecError(f"{path}: block {name!r} has no 'end'")
                text = raw[i].rstrip()
                i += 1
                if text == "end":
                    break
                body.append(Pattern(text))
        if applies:
            directives.append((name, args, body))
    return directives


def check_sequence(lines, patterns):
    pos = 0
    for p in patterns:
        while pos < len(lines) and not p.matches(lines[pos]):
            pos += 1
        if pos == len(lines):
            return f"no line matching {p!r} after the earlier patterns of the sequence"
        pos += 1
    return None


def check_unordered(lines, patterns):
    remaining = list(lines)
    for p in patterns:
        for k, line in enumerate(remaining):
            if p.matches(line):
                del remaining[k]
                break
        else:
            return f"no (unused) line matches {p!r}"
    if remaining:
        return f"unexpected lines: {remaining!r}"
    return None


def check_active(lines, args, patterns):
    if len(args) != 1 or len(patterns) != 2:
        raise SpecError("active takes N and a block of two patterns")
    want = int(args[0])
    start, stop = patterns
    level = peak = 0
    for line in lines:
        if start.matches(line):
            level += 1
            peak = max(peak, level)
        elif stop.matches(line):
            level -= 1
            if level < 0:
                return f"{stop!r} before a matching {start!r}"
    if peak != want:
        return f"at most {peak} active at once, expected {want}"
    return None


def run_checks(directives, out, err, status, elapsed, scale):
    failures = []
    expected_exit = 0
    allow_stderr = False
    named_stderr = []
    for name, args, body in directives:
        problem = None
        if name == "exit":
            expected_exit = int(args[0])
        elif name == "allow_stderr":
            allow_stderr = True
        elif name == "elapsed":
            lo = float(args[0]) * scale
            hi = max(float(args[1]) * scale, lo + UPPER_SLACK)
            if not lo <= elapsed <= hi:
                problem = f"took {elapsed:.3f} s, expected {lo:.3f}..{hi:.3f} s (scale {scale})"
        elif name == "count":
            lo, hi = int(args[0]), int(args[-1])
            if not lo <= len(out) <= hi:
                problem = f"{len(out)} lines, expected {args[0]}" + (f"..{args[1]}" if len(args) > 1 else "")
        elif name == "lines":
            if len(out) != len(body) or not all(p.matches(l) for p, l in zip(body, out)):
                problem = "output differs:\n" + "\n".join(
                    f"  {'ok ' if k < len(out) and k < len(body) and body[k].matches(out[k]) else '!! '}"
                    f"got {out[k] if k < len(out) else '<none>'!r}  want {body[k] if k < len(body) else '<none>'!r}"
                    for k in range(max(len(out), len(body))))
        elif name == "unordered":
            problem = check_unordered(out, body)
        elif name == "sequence":
            problem = check_sequence(out, body)
        elif name == "contains":
            missing = [p for p in body if not any(p.matches(l) for l in out)]
            if missing:
                problem = f"no line matches {missing!r}"
        elif name == "absent":
            found = [l for l in out if any(p.matches(l) for p in body)]
            if found:
                problem = f"lines that must not appear: {found!r}"
        elif name == "active":
            problem = check_active(out, args, body)
        elif name == "stderr":
            named_stderr += body
            missing = [p for p in body if not any(p.matches(l) for l in err)]
            if missing:
                problem = f"no stderr line matches {missing!r}"
        else:
            raise SpecError(f"unknown directive {name!r}")
        if problem:
            failures.append(f"[{name}] {problem}")
    if status != expected_exit:
        failures.append(f"[exit] status {status}, expected {expected_exit}")
    if not allow_stderr:
        stray = [l for l in err if l.strip() and not any(p.matches(l) for p in named_stderr)]
        if stray:
            failures.append(f"[stderr] unexpected stderr output: {stray!r}")
    return failures


def run_shape(opts, shape):
    """Runs the example once in `shape`; returns True if every check passed."""
    directives = parse_spec(opts.spec, shape)
    env = dict(os.environ)
    for key in ("COREIO_LOOPS", "COREIO_STEALING"):
        env.pop(key, None)
    env.update(SHAPES[shape])
    env["COREIO_EXAMPLE_TIME_SCALE"] = repr(opts.scale)

    name = os.path.basename(opts.command[0])
    start = time.monotonic()
    try:
        proc = subprocess.run(opts.command, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=opts.timeout)
    except OSError as e:
        print(f"{name} [{shape}]: FAIL: cannot run {opts.command[0]}: {e}")
        return False
    except subprocess.TimeoutExpired as e:
        print(f"{name} [{shape}]: FAIL: did not finish within {opts.timeout} s")
        print((e.stdout or b"").decode("utf-8", "replace"))
        print((e.stderr or b"").decode("utf-8", "replace"))
        return False
    elapsed = time.monotonic() - start
    out = [l.rstrip() for l in proc.stdout.decode("utf-8", "replace").splitlines()]
    err = proc.stderr.decode("utf-8", "replace").splitlines()

    failures = run_checks(directives, out, err, proc.returncode, elapsed, opts.scale)
    print(f"{name} [{shape}, scale {opts.scale}]: {len(out)} lines, exit {proc.returncode}, "
          f"{elapsed:.3f} s: {'FAIL' if failures else 'ok'}")
    if failures:
        for f in failures:
            print("  " + f)
        print("---- stdout ----")
        print("\n".join(out))
        print("---- stderr ----")
        print("\n".join(err))
        return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", required=True)
    ap.add_argument("--shape", required=True, help="comma-separated: " + ", ".join(sorted(SHAPES)))
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("command", nargs="+")
    opts = ap.parse_args()
    shapes = parse_shapes(opts.shape)
    results = [run_shape(opts, shape) for shape in shapes]
    print("PASS" if all(results) else "FAIL")
    return 0 if all(results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SpecError as e:
        print(f"bad spec: {e}")
        sys.exit(2)

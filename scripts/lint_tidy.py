"""clang-tidy on the lines a change touches (scripts/lint.sh step 2).

Runs clang-tidy on every changed .cpp file that is in the compile database,
with a line filter holding the changed lines of every changed .cpp and .hpp,
so a finding is reported only where the change wrote code. Exits 1 on any.
"""
import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

base, build, tidy, jobs = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
root = Path.cwd()
diff = subprocess.run(["git", "diff", "-U0", "-M", base, "--", "*.cpp", "*.hpp"],
                      check=True, capture_output=True, text=True).stdout
lines: dict[str, list[list[int]]] = {}
current = None
for line in diff.splitlines():
    if line.startswith("+++ "):
        name = line[4:]
        current = None if name == "/dev/null" else str(root / name[2:])
    elif line.startswith("@@") and current:
        m = re.match(r"@@ -\S+ \+(\d+)(?:,(\d+))? @@", line)
        start, count = int(m.group(1)), int(m.group(2) or "1")
        if count:
            lines.setdefault(current, []).append([start, start + count - 1])
db = {str(Path(e["file"]).resolve()) for e in json.loads((build / "compile_commands.json").read_text())}
sources = sorted(f for f in lines if f.endswith(".cpp") and f in db)
if not sources:
    print("lint: clang-tidy: no changed source in the compile database")
    sys.exit(0)
line_filter = json.dumps([{"name": f, "lines": r} for f, r in lines.items()])


def run(src: str) -> tuple[str, str]:
    p = subprocess.run([tidy, "-p", str(build), "--quiet", "--extra-arg=-std=c++2b",
                        f"--line-filter={line_filter}", src], capture_output=True, text=True)
    found = [l for l in p.stdout.splitlines() if re.search(r"(warning|error):", l)]
    return src, "\n".join(found)


bad = 0
with ThreadPoolExecutor(max_workers=jobs) as pool:
    for src, found in pool.map(run, sources):
        if found:
            bad += 1
            print(found)
print(f"lint: clang-tidy: {len(sources)} changed sources, {bad} with findings")
sys.exit(1 if bad else 0)

#!/usr/bin/env bash
# The house format and checks on the C++ lines a change touches.
#   scripts/lint.sh            against the commit in .ci/lint-base (the last
#                              landed main when this branch of work began)
#   scripts/lint.sh REV        against REV (e.g. origin/main, HEAD~3)
# 1. clang-format (.clang-format): every added or changed line must already
#    be formatted (clang-format-diff prints what it would change).
# 2. clang-tidy (.clang-tidy: bugprone-*, performance-*,
#    readability-function-size): no finding on an added or changed line of the
#    changed library sources (core, sync, net) or the headers they include.
#    Runs on a compile database of the libraries alone, without precompiled
#    headers (build/lint, configured here). Tests are formatted but not
#    tidied: their bodies are long by nature, and clang-tidy 14 cannot parse
#    libstdc++ 12's <expected> (no C++20 concepts feature macro), which the
#    test support headers include.
# Exits non-zero on any finding. Untouched code is never reformatted or judged.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-$(cat .ci/lint-base)}"
jobs=$(nproc)
fmt=clang-format-diff-14
tidy=clang-tidy-14
command -v "$fmt" >/dev/null || { echo "lint: $fmt missing (scripts/setup.sh installs clang-format-14)" >&2; exit 1; }
command -v "$tidy" >/dev/null || { echo "lint: $tidy missing (scripts/setup.sh installs clang-tidy-14)" >&2; exit 1; }

echo "=== lint: C++ lines changed since $(git rev-parse --short "$base") ==="
paths=(core sync net mpi tests perf examples)
fmt_out=$(git diff -U0 -M "$base" -- "${paths[@]/%//*.cpp}" "${paths[@]/%//*.hpp}" | "$fmt" -p1 || true)
if [[ -n "$fmt_out" ]]; then
  echo "$fmt_out"
  echo "lint: clang-format: the lines above are not formatted (fix: git diff -U0 $base | $fmt -p1 -i)" >&2
  exit 1
fi
echo "lint: clang-format clean"

cmake -S . -B build/lint -G Ninja -DCOREIO_PCH=OFF -DCOREIO_BUILD_TESTS=OFF -DCOREIO_BUILD_PERF=OFF -DCOREIO_BUILD_EXAMPLES=OFF \
  -DCOREIO_WITH_MPI=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
python3 scripts/lint_tidy.py "$base" build/lint "$tidy" "$jobs"

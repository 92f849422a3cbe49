#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the
# whole test suite through ctest in the given presets (default: release asan tsan).
#   scripts/test.sh                 release + asan + tsan (what CI runs)
#   scripts/test.sh debug           one preset
# The default run (what CI runs) starts with the format and tidy checks on
# the lines changed since .ci/lint-base (scripts/lint.sh).
# After the release preset's tests, the install-and-consume stage
# (scripts/package_check.sh) installs that build and builds and runs the
# consumers in tests/package/ against it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
presets=("$@")
jobs=$(nproc)
if [[ ${#presets[@]} -eq 0 ]]; then
  presets=(release asan tsan)
  echo "=== coreio: lint (clang-format, clang-tidy on changed lines) ==="
  start=$SECONDS
  scripts/lint.sh
  echo "=== coreio: lint took $((SECONDS - start)) s ==="
fi
for p in "${presets[@]}"; do
  echo "=== coreio: ${p} build ==="
  start=$SECONDS
  # The presets decide the rest: examples (seed ports with output and timing
  # checks) and check_headers run in the plain builds, not the sanitizer ones.
  cmake --preset "$p" -DCOREIO_BUILD_PERF=OFF >/dev/null
  cmake --build --preset "$p" -j "$jobs"
  echo "=== coreio: ${p} build took $((SECONDS - start)) s ==="
  echo "=== coreio: ${p} tests ==="
  start=$SECONDS
  ctest --preset "$p" -j "$jobs"
  echo "=== coreio: ${p} tests took $((SECONDS - start)) s ==="
  if [[ "$p" == release ]]; then
    # Install the release build to a prefix and build and run the consumers
    # in tests/package/ against it, out of tree.
    echo "=== coreio: install-and-consume ==="
    start=$SECONDS
    scripts/package_check.sh build/release
    echo "=== coreio: install-and-consume took $((SECONDS - start)) s ==="
  fi
done

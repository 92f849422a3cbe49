#!/usr/bin/env bash
# The README's main command: installs what is missing, builds the release
# preset, and runs the benchmark card (coreio in its three shapes against the
# single-loop designs and the peers). Arguments go to perf/run_card.py;
# default --quick (~2 minutes). `scripts/bench.sh --results-md perf/RESULTS.md`
# runs the full card and regenerates the results page.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --perf
cmake --preset release -DCOREIO_BUILD_PERF=ON >/dev/null
cmake --build --preset release -j "$(nproc)"
args=("$@")
[[ ${#args[@]} -eq 0 ]] && args=(--quick)
exec python3 perf/run_card.py --build-dir build/release "${args[@]}"

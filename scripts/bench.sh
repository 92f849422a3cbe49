#!/usr/bin/env bash
# The README's main command: installs what is missing, builds what the
# benchmark card runs (the perf_card target of the release preset: the coreio
# programs, the C++ peers and the load generator; not the tests or examples),
# and runs the card (coreio in its three shapes against the single-loop designs
# and the peers). Arguments go to perf/run_card.py; default --quick (~2 minutes
# of runs). `scripts/bench.sh --results-md perf/RESULTS.md` runs the full card
# and regenerates the results page.
#
# The first run also compiles the card's programs and coreio's libraries:
# about 10 minutes on 2 cores (ccache makes later runs take seconds).
# `scripts/bench.sh --help` and `--list` answer at once, without installing or
# building anything (--list shows what an earlier build left).
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do
  if [[ "$a" == "-h" || "$a" == "--help" ]]; then
    echo "usage: scripts/bench.sh [run_card.py options]   (default: --quick)"
    echo "Builds the perf_card target of the release preset, then runs perf/run_card.py."
    echo "The first run compiles coreio and the card's programs (~10 minutes on 2 cores)."
    echo
    exec python3 perf/run_card.py --help
  fi
  # --list reports what is built already; it builds nothing.
  [[ "$a" == "--list" ]] && exec python3 perf/run_card.py --build-dir build/release "$@"
done
scripts/setup.sh --perf
cmake --preset release -DCOREIO_BUILD_PERF=ON >/dev/null
cmake --build --preset release -j "$(nproc)" --target perf_card
args=("$@")
[[ ${#args[@]} -eq 0 ]] && args=(--quick)
exec python3 perf/run_card.py --build-dir build/release "${args[@]}"

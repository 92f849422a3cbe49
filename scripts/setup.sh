#!/usr/bin/env bash
# Installs everything coreio needs on Debian 12 (apt-get as root), or prints
# the missing packages for a non-root user to install.
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --perf     also the benchmark card's extras (Python uvloop, gnuplot)
# Boost.Fiber is always installed: the default configure builds perf/'s
# Boost.Fiber peers (COREIO_BUILD_PERF=ON).
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config
          libboost1.81-dev libboost-context1.81-dev libboost-fiber1.81-dev
          libspdlog-dev libfmt-dev doctest-dev libgcc-12-dev libssl-dev libcereal-dev zlib1g-dev liburing-dev openssl
          libopenmpi-dev openmpi-bin
          python3 time procps clang-format-14 clang-tidy-14)
if [[ "${1:-}" == "--perf" ]]; then
  packages+=(python3-uvloop gnuplot-nox)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "setup: not root; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

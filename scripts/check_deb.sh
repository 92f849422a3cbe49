#!/usr/bin/env bash
# Checks the Debian package end to end, on this machine (as root): builds the
# .deb with CPack from a configured and built tree (default build/release),
# installs it with dpkg, builds and runs the basic consumer (tests/package/basic)
# against /usr alone, then removes the package again, also on failure, so the
# machine is left as it was. Refuses to run if libcoreio-dev is installed already.
# Not part of scripts/test.sh: it needs root and changes the system.
#   scripts/check_deb.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
out=$PWD/build/deb
[[ $(id -u) -eq 0 ]] || { echo "check_deb: needs root (dpkg -i)" >&2; exit 1; }
if dpkg-query -W -f='${Status}' libcoreio-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "check_deb: libcoreio-dev is installed already; remove it first (dpkg -r libcoreio-dev)" >&2
  exit 1
fi
rm -rf "$out"
mkdir -p "$out"
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$out" >/dev/null
deb=$(ls "$out"/libcoreio-dev_*.deb)
echo "check_deb: built $deb"
dpkg-deb --field "$deb" Package Version Depends
dpkg-deb --contents "$deb" | awk '{print $6}' | grep -E 'cmake/coreio/|pkgconfig/|\.a$|\.so|include/coreio/coreio.hpp'

trap 'echo "check_deb: removing libcoreio-dev"; dpkg -r libcoreio-dev >/dev/null' EXIT
dpkg -i "$deb" >/dev/null
echo "check_deb: installed; coreio config at $(ls /usr/lib/*/cmake/coreio/coreioConfig.cmake /usr/lib/cmake/coreio/coreioConfig.cmake 2>/dev/null)"
# No CMAKE_PREFIX_PATH: find_package(coreio) must find /usr by itself.
cmake -S tests/package/basic -B "$out/basic" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out/basic" -j "$(nproc)"
timeout 120 "$out/basic/basic"
grep -o 'coreio_DIR:PATH=.*' "$out/basic/CMakeCache.txt"

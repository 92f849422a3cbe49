#!/usr/bin/env bash
# The install-and-consume stage: installs a configured and built coreio tree
# (default build/release) to a fresh prefix, then builds, out of tree and
# against that prefix only, the consumers in tests/package/ and runs them:
#   basic  core + sync + net through coreio::coreio alone, and coreio linked
#          into a shared library; built once with CMake and once with
#          pkg-config (coreio.pc) alone; and coreio::core, ::sync, ::net
#          each linked alone
#   beast  a Boost.Beast HTTP server and 16 clients in coreio tasks
#          (use_task), on 2 loops with stealing, over 127.0.0.1
# and checks that find_package(coreio) names a missing dependency.
# Each program checks its own answers and exits non-zero on a wrong one.
#   scripts/package_check.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
out=$PWD/build/package
prefix=$out/prefix
rm -rf "$out"
mkdir -p "$out"
cmake --install "$build" --prefix "$prefix" >/dev/null
echo "package: installed $build to $prefix ($(find "$prefix" -type f | wc -l) files)"

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
for c in basic beast; do
  cmake -S "tests/package/$c" -B "$out/$c" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_PREFIX_PATH="$prefix" "${launcher[@]}" >/dev/null
  cmake --build "$out/$c" -j "$(nproc)"
done

# A missing dependency stops find_package(coreio) with a message naming it.
if cmake -S tests/package/basic -B "$out/missing" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
     -DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=ON >"$out/missing.log" 2>&1; then
  echo "package: configuring without OpenSSL succeeded; coreioConfig.cmake must refuse" >&2
  exit 1
fi
grep -q "coreio needs OpenSSL (Debian: libssl-dev)" "$out/missing.log" ||
  { cat "$out/missing.log" >&2; echo "package: no clear message for a missing OpenSSL" >&2; exit 1; }
echo "package: without OpenSSL, find_package(coreio) says: $(grep -o 'coreio needs OpenSSL.*' "$out/missing.log")"

# Without CMake: the compiler and pkg-config only.
export PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name coreio.pc)")
c++ -O1 tests/package/basic/main.cpp tests/package/basic/plugin.cpp $(pkg-config --cflags --libs coreio) \
  -o "$out/basic_pkgconfig"
echo "package: built basic with pkg-config: $(pkg-config --cflags --libs coreio)"

# The consumers end by themselves; the timeout only turns a hang into a failure.
echo "=== package: basic (CMake) ==="
timeout 120 "$out/basic/basic"
for m in core sync net; do timeout 60 "$out/basic/alone_$m"; done
echo "=== package: basic (pkg-config, COREIO_LOOPS=2 COREIO_STEALING=0) ==="
COREIO_LOOPS=2 COREIO_STEALING=0 timeout 120 "$out/basic_pkgconfig"
echo "=== package: beast ==="
timeout 120 "$out/beast/beast_http"

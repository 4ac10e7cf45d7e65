#!/usr/bin/env bash
# Figures for the region's fleet at scale (issue 6): 1,000 container instances and 20,000
# RUNNING tasks in an in-process Region on a ManualClock; p50/p99/max of the ECS calls,
# TickFleet in steady state and during a drain, the same reads over HTTP, setup time and RSS.
# Builds bench/region_fleet_bench in BUILD_DIR (configuring it like the default preset if
# needed), then runs it; extra arguments go to the bench (--instances N, --services N,
# --ticks N, --no-http).
#
#   bench/region_fleet.sh [BUILD_DIR] [bench args...]     # default build/default
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$src/build/default}"
shift || true
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
fi
cmake --build "$build" -j2 --target region_fleet_bench >/dev/null
echo "== bench/region_fleet_bench $* ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
exec "$build/bench/region_fleet_bench" "$@"

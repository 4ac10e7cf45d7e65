#!/usr/bin/env bash
# "A day" (issue 8): a synthetic day of 40 clusters, 500 services and 80,000 RunTask (diurnal
# curve, batch bursts, spot interruptions) replayed in virtual time with steady's Policy and with
# a model of ECS managed scaling (src/autoscaler/day_sim.h describes both); prints unplaced
# tasks, p50/p99 placement delay, instance-hours by purchase option and spot share side by side.
# Builds bench/autoscaler_day in BUILD_DIR (configuring it like the default preset if needed);
# extra arguments go to the program (--clusters N --services N --run-tasks N --seed N
# --spot-interruptions-per-hour X --hours H --scale-out-delay S).
#
#   bench/autoscaler_day.sh [BUILD_DIR] [args...]     # default build/default
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="$src/build/default"
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
  build="$1"
  shift
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
fi
cmake --build "$build" -j2 --target autoscaler_day >/dev/null
echo "== bench/autoscaler_day $* ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
exec "$build/bench/autoscaler_day" "$@"

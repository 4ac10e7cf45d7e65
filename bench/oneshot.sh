#!/usr/bin/env bash
# Issue 10: 200 concurrent oneshots against the local region with ECS throttling on, following
# their tasks from ECS Task State Change events (the task-state board) and then, as the
# baseline, by polling DescribeTasks. Prints ECS calls per oneshot and the calls ECS throttled.
#
#   bench/oneshot.sh [BUILD_DIR] [ONESHOTS] [TASK_SECONDS]     # default build/default 200 30
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$src/build/default}"
bin="$build/bench/oneshot_load"
[ -x "$bin" ] || { echo "bench/oneshot.sh: no $bin; build first (cmake --build --preset default)" >&2; exit 1; }
exec "$bin" "${2:-200}" "${3:-30}"

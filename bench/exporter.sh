#!/usr/bin/env bash
# Figures for `steady exporter` (issue 5): CPU per scrape, response size and RSS with 100 and
# 500 synthetic containers.
#   1. in-process (bench/exporter_bench): Scraper alone, getrusage over 200 scrapes;
#   2. the real daemon: `steady exporter` on a generated tree, scraped over HTTP 100 times with
#      curl; CPU from /proc/<pid>/stat (utime+stime), RSS from /proc/<pid>/status.
# Goals: < 10 ms CPU per scrape at 100 containers, < 50 ms at 500, < 20 MiB RSS.
#
#   bench/exporter.sh [BUILD_DIR]     # default build/default; builds nothing
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$src/build/default}"
bench="$build/bench/exporter_bench"
steady="$build/steady"
for f in "$bench" "$steady"; do
  [ -x "$f" ] || { echo "bench/exporter.sh: no $f; build first" >&2; exit 1; }
done
tmp="$(mktemp -d /tmp/steady-exporter-bench.XXXXXX)"
pid=""
cleanup() {
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

echo "== in-process (Scraper only, 200 scrapes each)"
"$bench"

echo
echo "== steady exporter over HTTP (100 scrapes each)"
clk=$(getconf CLK_TCK)
for layout in v1 v2; do
  for n in 100 500; do
    dir="$tmp/$layout-$n"
    file=$("$bench" --generate "$dir" "$n" "$layout")
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$steady" exporter --listen "127.0.0.1:$port" --containers-file "$file" \
      --cgroup-root "$dir/cgroup" --proc-root "$dir/proc" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/metrics" -o "$tmp/out" && break; sleep 0.05; done
    ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
    t0=$(ticks)
    start=$(date +%s.%N)
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/metrics" -o "$tmp/out"; done
    end=$(date +%s.%N)
    t1=$(ticks)
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
    size=$(stat -c %s "$tmp/out")
    awk -v l="$layout" -v n="$n" -v t="$((t1 - t0))" -v clk="$clk" -v s="$size" -v rss="$rss" \
      -v hwm="$hwm" -v wall="$(echo "$end - $start" | bc)" 'BEGIN {
        printf "%s %4d containers  cpu/scrape %6.2f ms  wall/scrape %6.2f ms  response %7d bytes  rss %5.1f MiB (peak %5.1f)\n",
          l, n, t / clk * 1000 / 100, wall * 1000 / 100, s, rss / 1024, hwm / 1024 }'
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
    rm -rf "$dir"
  done
done

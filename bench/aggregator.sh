#!/usr/bin/env bash
# Throughput and cost of `steady aggregator` into the local store, with its own load generator
# (bench/forward_load_bench.cc: PackedForward, ECS-shaped records of ~500 bytes, 20 families).
# Prints records/s, MB/s, aggregator CPU-seconds per million records, peak RSS and the
# compression ratio, for a run without acks and a run with acks (durable before ack).
#
#   bench/aggregator.sh [BUILD_DIR]        (default build/default; SECONDS_PER_RUN=10)
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$src/build/default}"
steady="$build/steady"
load="$build/bench/forward_load_bench"
secs="${SECONDS_PER_RUN:-10}"
conns="${CONNECTIONS:-4}"
tmp="$(mktemp -d /tmp/steady-agg-bench.XXXXXX)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
metric() { curl -s "http://127.0.0.1:$mport/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

run() {
  local label="$1"; shift
  local port mport
  port="$(free_port)"; mport="$(free_port)"
  rm -rf "$tmp/buf" "$tmp/store"
  "$steady" --log-level warn aggregator --listen "127.0.0.1:$port" --metrics-listen "127.0.0.1:$mport" \
    --store "$tmp/store" --buffer-dir "$tmp/buf" --grace 1s >"$tmp/agg.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do grep -q listening "$tmp/agg.log" && break; sleep 0.05; done
  local hz t0 t1 out rss
  hz="$(getconf CLK_TCK)"
  t0="$(ticks "$pid")"
  out="$("$load" --port "$port" --connections "$conns" --seconds "$secs" "$@")"
  t1="$(ticks "$pid")"
  rss="$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")"
  local lines gz
  lines="$(metric steady_aggregator_line_bytes_total)"
  gz="$(metric steady_aggregator_compressed_bytes_total)"
  kill -TERM "$pid"; wait "$pid" || true; pid=""
  local stored
  stored="$(find "$tmp/store" -name '*.gz' -printf '%s\n' | awk '{s+=$1} END {print s+0}')"
  python3 - "$label" "$out" "$t0" "$t1" "$hz" "$rss" "$lines" "$gz" "$stored" <<'PY'
import json, sys
label, out, t0, t1, hz, rss, lines, gz, stored = sys.argv[1:]
r = json.loads(out)
cpu = (int(t1) - int(t0)) / int(hz)
n = r["records"]
print(f"{label:10s} records/s {r['records_per_second']:>10,.0f}  wire MB/s {r['wire_mb_per_second']:7.1f}  "
      f"aggregator CPU-s per 1M records {cpu / max(n, 1) * 1e6:5.2f}  peak RSS {int(rss) / 1024:6.1f} MiB  "
      f"compression {float(lines or 0) / max(float(gz or 1), 1):5.1f}x  stored {int(stored) / 1e6:8.1f} MB"
      f"{'  FAILED' if r['failed'] else ''}")
PY
}

echo "steady aggregator: $conns connections, ${secs}s per run, local store, $(nproc) cores"
run "no-ack"
run "ack" --ack --window 8
